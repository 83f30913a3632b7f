// The ids of commands already taken, kept on disk so that a replay stays a replay after a restart: a
// command's id is written (atomically, fsync'ed) before the command acts, and remembered until its
// timestamp is long past the freshness window. Why this rather than refusing every command stamped
// before the start: that rule would need the wall clock to be right and monotonic across the restart
// (a Pi without an RTC steps its clock when NTP comes), and would refuse good commands for a while after
// every start. A file of a few kilobytes, written once per command, is cheap (commands are rare).

import type { Clock } from '../clock.js';
import type { Logger } from '../log.js';
import { readFileIfExists, writeFileAtomic } from '../runtime/atomic-file.js';

/** Bound on the ids kept (rate limits keep real use far below it). */
const MAX_IDS = 10_000;

interface IdsFile {
  version: 1;
  /** [user\u0000id, wall time (ms) after which it may be forgotten] */
  ids: [string, number][];
}

export class UsedIds {
  private readonly ids = new Map<string, number>();
  private writing: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly file: string,
    private readonly clock: Clock,
    private readonly log: Logger,
  ) {}

  /** Reads the ids of earlier runs; expired ones are dropped (only when the wall clock can be trusted). */
  async load(): Promise<void> {
    let text: string | undefined;
    try {
      text = await readFileIfExists(this.file);
      if (!text) return;
      const parsed = JSON.parse(text) as IdsFile;
      const now = this.clock.wallMs();
      for (const [key, until] of parsed.ids)
        if (!this.clock.wallSynced() || until > now) this.ids.set(key, until);
    } catch (err) {
      // An unreadable file cannot prove an id unused: keep nothing, and say so (commands stay freshness-bound).
      this.log.error(
        'used command ids unreadable: replays across the last restart are refused by freshness only',
        {
          file: this.file,
          error: err as Error,
        },
      );
    }
  }

  /**
   * Claims an id for a command: false if it was taken before and has not expired. The claim is on disk
   * before this resolves (it rejects when it cannot be written: the command must not act then).
   */
  async claim(key: string, untilWallMs: number): Promise<boolean> {
    const now = this.clock.wallMs();
    const seen = this.ids.get(key);
    if (seen !== undefined && (seen > now || !this.clock.wallSynced())) return false;
    this.ids.set(key, untilWallMs);
    this.prune(now);
    const snapshot: IdsFile = { version: 1, ids: [...this.ids] };
    const write = this.writing.then(() => writeFileAtomic(this.file, JSON.stringify(snapshot)));
    this.writing = write.catch(() => {});
    await write;
    return true;
  }

  private prune(now: number): void {
    if (this.ids.size <= MAX_IDS && this.ids.size % 64 !== 0) return;
    for (const [k, until] of this.ids) if (until <= now) this.ids.delete(k);
    // Still too many (a flood inside the window): the oldest go first.
    while (this.ids.size > MAX_IDS) this.ids.delete(this.ids.keys().next().value!);
  }
}
