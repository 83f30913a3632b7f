// The user files are re-read when they change, and a flood of callers shares one look at them (a burst of
// commands must not queue thousands of stat calls in the thread pool ahead of everything else).

import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';

const calls = vi.hoisted(() => ({ stat: 0 }));
vi.mock('node:fs/promises', async (importOriginal) => {
  const real = await importOriginal<typeof import('node:fs/promises')>();
  return {
    ...real,
    stat: (...args: Parameters<typeof real.stat>) => {
      calls.stat++;
      return real.stat(...args);
    },
  };
});

const { Credentials } = await import('../../../daemon/security/credentials.js');
const { hashPassword } = await import('../../../daemon/security/password-file.js');
const { createLogger } = await import('../../../daemon/log.js');
const { tempDir } = await import('../../helpers/daemon.js');

function credentialsIn(dir: string) {
  return new Credentials(
    {
      passwordFile: join(dir, 'mqtt.passwd'),
      aclFile: join(dir, 'mqtt.acl'),
      hmacKeysFile: join(dir, 'hmac.keys'),
    },
    createLogger({ level: 'error' }, 'test'),
  );
}

describe('Credentials.refresh', () => {
  it('serves 10,000 callers at once with a look or two at the files', async () => {
    const dir = tempDir('creds-');
    writeFileSync(join(dir, 'mqtt.passwd'), `alice:${await hashPassword('alice-password-1', 101)}\n`);
    const credentials = credentialsIn(dir);
    await credentials.refresh();
    calls.stat = 0;
    await Promise.all(Array.from({ length: 10_000 }, () => credentials.refresh()));
    // One look under way and one after it: 3 files each.
    expect(calls.stat).toBeLessThanOrEqual(6);
    expect(credentials.userCount).toBe(1);
  });

  it('a caller after a change sees it, even while an earlier look is under way', async () => {
    const dir = tempDir('creds-');
    const file = join(dir, 'mqtt.passwd');
    writeFileSync(file, `alice:${await hashPassword('alice-password-1', 101)}\n`);
    const credentials = credentialsIn(dir);
    const first = credentials.refresh();
    // The file changes (a user added) while the first look is in flight; mtime must move on.
    const later = new Date(Date.now() + 5_000);
    writeFileSync(
      file,
      `alice:${await hashPassword('alice-password-1', 101)}\nbob:${await hashPassword('bob-password-12', 101)}\n`,
    );
    const { utimesSync } = await import('node:fs');
    utimesSync(file, later, later);
    const second = credentials.refresh();
    await Promise.all([first, second]);
    expect(credentials.userCount).toBe(2);
    expect(await credentials.verify('bob', 'bob-password-12')).toBe(true);
  });
});
