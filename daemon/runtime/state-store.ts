// The state file: snapshots of every tank's controller state, written atomically under the persistence
// policy, read back at start. Counts the bytes it writes (an SD card is a consumable).

import { readFile, rename } from 'node:fs/promises';
import { join } from 'node:path';
import type { Clock } from '../clock.js';
import type { ControllerState } from '../control/types.js';
import type { Logger } from '../log.js';
import { readFileIfExists, writeFileAtomic } from './atomic-file.js';
import { needsSave } from './persist-policy.js';
import {
  migrateSnapshot,
  READABLE_SNAPSHOT_VERSIONS,
  restoreSnapshot,
  takeSnapshot,
  type RestoreContext,
  type Restored,
  type Snapshot,
} from './snapshot.js';

const BOOT_ID_FILE = '/proc/sys/kernel/random/boot_id';
export const STATE_FILE_NAME = 'state.json';

export class StateStore {
  readonly file: string;
  private saved: Record<string, ControllerState> = {};
  private savedAtMs = -Infinity;
  private bootId = 'unknown';
  bytesWritten = 0;

  constructor(
    stateDir: string,
    private readonly clock: Clock,
    private readonly log: Logger,
  ) {
    this.file = join(stateDir, STATE_FILE_NAME);
  }

  /**
   * Reads the last snapshot. A missing file is a first start. An unreadable one is set aside (renamed to
   * `state.json.unreadable-<time>`, never overwritten: it is evidence, and may be repaired by hand) and
   * the start goes on from defaults.
   */
  async load(): Promise<{ restored?: Restored; setAside?: string }> {
    this.bootId = await readBootId();
    const text = await readFileIfExists(this.file);
    if (text === undefined) return {};
    let snapshot: Snapshot;
    try {
      snapshot = JSON.parse(text) as Snapshot;
      if (!READABLE_SNAPSHOT_VERSIONS.includes(snapshot.version) || typeof snapshot.tanks !== 'object')
        throw new Error(`unsupported version ${snapshot.version}`);
      snapshot = migrateSnapshot(snapshot);
    } catch (err) {
      const setAside = `${this.file}.unreadable-${new Date(this.clock.wallMs()).toISOString().replace(/[:.]/g, '-')}`;
      this.log.warn('state file unreadable', { file: this.file, error: err as Error });
      await rename(this.file, setAside);
      return { setAside };
    }
    return { restored: restoreSnapshot(snapshot, this.context()) };
  }

  /** Saves when the policy says so (or always with `force`); returns whether it wrote. */
  async maybeSave(
    tanks: Record<string, ControllerState>,
    options: { clean?: boolean; force?: boolean; audit?: { seq: number; hash: string } } = {},
  ): Promise<boolean> {
    const now = this.clock.monotonicMs();
    const due =
      options.force ||
      Object.entries(tanks).some(([id, state]) => needsSave(this.saved[id], state, this.savedAtMs, now));
    if (!due) return false;
    const snapshot = takeSnapshot(tanks, this.context(), options.clean ?? false, options.audit);
    this.bytesWritten += await writeFileAtomic(this.file, JSON.stringify(snapshot));
    this.saved = { ...tanks };
    this.savedAtMs = now;
    return true;
  }

  private context(): RestoreContext {
    return {
      bootId: this.bootId,
      nowMonoMs: this.clock.monotonicMs(),
      nowWallMs: this.clock.wallMs(),
      wallSynced: this.clock.wallSynced(),
    };
  }
}

async function readBootId(): Promise<string> {
  try {
    return (await readFile(BOOT_ID_FILE, 'utf8')).trim();
  } catch {
    return 'unknown';
  }
}
