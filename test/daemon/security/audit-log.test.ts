import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../../daemon/clock.js';
import { AuditLog, verifyAuditText } from '../../../daemon/security/audit-log.js';
import { main } from '../../../daemon/cli/main.js';
import type { CliIo } from '../../../daemon/cli/io.js';

async function writeLog(entries: number): Promise<string> {
  const file = join(mkdtempSync(join(tmpdir(), 'audit-')), 'audit.log');
  const log = new AuditLog(file, new ManualClock());
  await log.open();
  for (let i = 0; i < entries; i++) {
    await log.append({
      kind: 'command',
      who: 'alice',
      from: '10.8.0.2',
      what: `valve open tank=house #${i}`,
      result: 'accepted',
    });
  }
  await log.close();
  return file;
}

function lines(file: string): string[] {
  return readFileSync(file, 'utf8').trimEnd().split('\n');
}

describe('hash-chained audit log', () => {
  it('verifies an untouched log and continues the chain after a reopen', async () => {
    const file = await writeLog(3);
    const log = new AuditLog(file, new ManualClock());
    await log.open();
    expect(log.headSeq).toBe(3);
    await log.append({ kind: 'stop', who: 'gateway', from: 'local', what: 'daemon stop', result: 'SIGTERM' });
    await log.close();
    expect(verifyAuditText(readFileSync(file, 'utf8'))).toMatchObject({ ok: true, lines: 4 });
  });

  it('names the first edited line', async () => {
    const file = await writeLog(5);
    const l = lines(file);
    l[2] = l[2]!.replace('accepted', 'refused');
    expect(verifyAuditText(l.join('\n') + '\n')).toEqual({
      ok: false,
      line: 3,
      problem: 'content does not match its hash (the line was edited)',
    });
  });

  it('detects a removed, an inserted (forged) and a reordered line', async () => {
    const l = lines(await writeLog(5));
    expect(verifyAuditText([l[0], l[1], l[3], l[4]].join('\n'))).toMatchObject({ ok: false, line: 3 });
    const forged = JSON.parse(l[1]!);
    forged.what = 'valve close tank=house';
    expect(verifyAuditText([l[0], l[1], JSON.stringify(forged), ...l.slice(2)].join('\n'))).toMatchObject({
      ok: false,
      line: 3,
    });
    expect(verifyAuditText([l[0], l[2], l[1], l[3]].join('\n'))).toMatchObject({ ok: false, line: 2 });
    expect(verifyAuditText(l.slice(1).join('\n'))).toMatchObject({ ok: false, line: 1 });
    expect(verifyAuditText([l[0], 'garbage'].join('\n'))).toEqual({
      ok: false,
      line: 2,
      problem: 'not valid JSON',
    });
  });

  it('smart-tank audit verify exits 0 on an intact log and 1 naming the bad line', async () => {
    const file = await writeLog(4);
    const out: string[] = [];
    const io: CliIo = { out: (t) => out.push(t), err: (t) => out.push(t), progress: () => {}, isTTY: false };
    expect(await main(['audit', 'verify', file], io)).toBe(0);
    expect(out.pop()).toMatch(/intact, 4 entries, head [0-9a-f]{64}$/);
    const l = lines(file);
    l[1] = l[1]!.replace('alice', 'mallory');
    writeFileSync(file, l.join('\n') + '\n');
    expect(await main(['audit', 'verify', file], io)).toBe(1);
    expect(out.pop()).toBe(`${file}:2: content does not match its hash (the line was edited)`);
  });
});
