import { appendFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../../daemon/clock.js';
import { AuditLog } from '../../../daemon/security/audit-log.js';
import { AuditReader } from '../../../daemon/web/audit-reader.js';
import { tempDir } from '../../helpers/daemon.js';

async function log(n: number) {
  const file = join(tempDir('audit-reader-'), 'audit.log');
  const audit = new AuditLog(file, new ManualClock());
  await audit.open();
  for (let i = 1; i <= n; i++)
    await audit.append({ kind: 'command', who: `u${i}`, from: 'x', what: 'w', result: 'r' });
  return { file, audit };
}

describe('the audit log for the dashboard', () => {
  it('the newest entries first, and the chain intact', async () => {
    const { file, audit } = await log(5);
    const r = await new AuditReader(file).read(3);
    expect(r.chain).toEqual({ ok: true, lines: 5 });
    expect(r.entries.map((e) => e.who)).toEqual(['u5', 'u4', 'u3']);
    await audit.close();
  });

  it('verifies only what was appended since the last read', async () => {
    const { file, audit } = await log(3);
    const reader = new AuditReader(file);
    expect((await reader.read(10)).chain.lines).toBe(3);
    await audit.append({ kind: 'login', who: 'alice', from: 'x', what: 'w', result: 'r' });
    const r = await reader.read(10);
    expect(r.chain).toEqual({ ok: true, lines: 4 });
    expect(r.entries[0]!.who).toBe('alice');
    await audit.close();
  });

  it('names the first edited line', async () => {
    const { file, audit } = await log(4);
    await audit.close();
    const lines = readFileSync(file, 'utf8').split('\n');
    lines[2] = lines[2]!.replace('"who":"u3"', '"who":"mallory"');
    writeFileSync(file, lines.join('\n'));
    const r = await new AuditReader(file).read(10);
    expect(r.chain).toEqual({
      ok: false,
      lines: 4,
      problem: { line: 3, reason: 'content does not match its hash (edited)' },
    });
  });

  it('leaves a last line without its newline (being written, or torn by a power cut) for later', async () => {
    const { file, audit } = await log(2);
    await audit.close();
    appendFileSync(file, '{"seq":3,"tim');
    const reader = new AuditReader(file);
    expect((await reader.read(10)).chain).toEqual({ ok: true, lines: 2 });
  });

  it('no log yet: nothing, and intact', async () => {
    const r = await new AuditReader(join(tempDir('audit-none-'), 'audit.log')).read(10);
    expect(r).toEqual({ chain: { ok: true, lines: 0 }, entries: [] });
  });
});
