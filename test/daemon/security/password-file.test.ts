import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  formatPasswordFile,
  hashPassword,
  parsePasswordFile,
  verifyPassword,
} from '../../../daemon/security/password-file.js';

describe("Mosquitto's password file format", () => {
  it('verifies a hash written by mosquitto_passwd (the same file serves both brokers)', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'pw-')), 'passwd');
    execFileSync('mosquitto_passwd', ['-c', '-b', file, 'alice', 'correct horse']);
    const entries = parsePasswordFile(readFileSync(file, 'utf8'));
    const hash = entries.get('alice')!;
    expect(hash).toMatch(/^\$7\$101\$/);
    expect(await verifyPassword('correct horse', hash)).toBe(true);
    expect(await verifyPassword('correct horsf', hash)).toBe(false);
  });

  it('writes hashes that mosquitto_passwd-compatible readers accept, with more iterations', async () => {
    const hash = await hashPassword('s3cret-passw0rd');
    expect(hash).toMatch(/^\$7\$20000\$[A-Za-z0-9+/=]{16}\$[A-Za-z0-9+/=]{88}$/);
    expect(await verifyPassword('s3cret-passw0rd', hash)).toBe(true);
    expect(await verifyPassword('wrong', hash)).toBe(false);
    expect(await verifyPassword('x', '$6$plain')).toBe(false);
    const text = formatPasswordFile(new Map([['bob', hash]]));
    expect(parsePasswordFile(text).get('bob')).toBe(hash);
  });
});
