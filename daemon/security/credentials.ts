// The users of the MQTT plane: the password file, the ACL (with roles) and the HMAC keys, read from the
// files `smart-tank user` writes and Mosquitto reads. Re-read when a file changes, so a user added or
// removed takes effect without a restart.

import { readFile, stat } from 'node:fs/promises';
import type { Logger } from '../log.js';
import { parseAcl, type Acl } from './acl.js';
import { parseHmacKeys } from './hmac.js';
import { parsePasswordFile, verifyPassword } from './password-file.js';
import { usersFromAcl, type UserRecord } from './roles.js';

export interface CredentialFiles {
  passwordFile: string;
  aclFile: string;
  hmacKeysFile: string;
}

const EMPTY_ACL: Acl = { anonymous: [], users: new Map(), patterns: [] };

export class Credentials {
  private passwords = new Map<string, string>();
  private records: UserRecord[] = [];
  private aclRules: Acl = EMPTY_ACL;
  private keys = new Map<string, Buffer>();
  private stamp = '';
  private running: Promise<void> | undefined;
  private next: Promise<void> | undefined;

  constructor(
    private readonly files: CredentialFiles,
    private readonly log: Logger,
  ) {}

  /**
   * Reads the files if they changed since the last read. A missing file means "none". Callers at the
   * same moment share one look at the files (a flood of 10,000 commands is 3 stat calls, not 30,000 in
   * the thread pool ahead of everything else): a caller arriving while a look is under way waits for the
   * next one, which starts after it, so what it sees is never older than its call.
   */
  refresh(): Promise<void> {
    if (!this.running) return this.look();
    this.next ??= this.running
      .catch(() => undefined)
      .then(() => {
        this.next = undefined;
        return this.look();
      });
    return this.next;
  }

  private look(): Promise<void> {
    const run = this.load().finally(() => {
      if (this.running === run) this.running = undefined;
    });
    this.running = run;
    return run;
  }

  private async load(): Promise<void> {
    const stamp = (await Promise.all(Object.values(this.files).map(mtimeOf))).join('|');
    if (stamp === this.stamp) return;
    const [passwd, acl, keys] = await Promise.all([
      readOptional(this.files.passwordFile),
      readOptional(this.files.aclFile),
      readOptional(this.files.hmacKeysFile),
    ]);
    this.passwords = parsePasswordFile(passwd, this.files.passwordFile);
    this.aclRules = parseAcl(acl, this.files.aclFile);
    this.records = usersFromAcl(acl);
    this.keys = parseHmacKeys(keys);
    this.stamp = stamp;
    this.log.info('users loaded', { users: this.passwords.size, signing: this.keys.size });
  }

  get userCount(): number {
    return this.passwords.size;
  }

  get acl(): Acl {
    return this.aclRules;
  }

  record(user: string): UserRecord | undefined {
    return this.aclRules.users.has(user) ? this.records.find((r) => r.user === user) : undefined;
  }

  hmacKey(user: string): Buffer | undefined {
    return this.keys.get(user);
  }

  async verify(user: string, password: string): Promise<boolean> {
    const hash = this.passwords.get(user);
    if (!hash) {
      // Spend the same time on an unknown user as on a wrong password.
      await verifyPassword(password, DUMMY_HASH);
      return false;
    }
    return verifyPassword(password, hash);
  }
}

const DUMMY_HASH = '$7$20000$AAAAAAAAAAAAAAAA$' + 'A'.repeat(86) + '==';

async function mtimeOf(file: string): Promise<string> {
  try {
    const s = await stat(file);
    return `${s.mtimeMs}:${s.size}:${s.ino}`;
  } catch {
    return 'none';
  }
}

async function readOptional(file: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return '';
    throw new Error(`cannot read ${file}: ${(err as Error).message}`, { cause: err });
  }
}
