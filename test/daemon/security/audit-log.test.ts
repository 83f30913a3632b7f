import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../../daemon/clock.js';
import fc from 'fast-check';
import { AuditLog, MAX_FIELD_CHARS, verifyAuditText } from '../../../daemon/security/audit-log.js';
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

describe('audit log after a crash or power cut', () => {
  it('a torn last line (power cut mid-write) is set aside, cut off and recorded; the chain goes on', async () => {
    const file = await writeLog(3);
    const torn = '{"seq":99999,"time":"2026-';
    writeFileSync(file, readFileSync(file, 'utf8') + torn);
    const log = new AuditLog(file, new ManualClock());
    const { recovered } = await log.open();
    await log.close();
    expect(recovered?.bytes).toBe(torn.length);
    expect(readFileSync(recovered!.savedAs, 'utf8')).toBe(torn);
    const text = readFileSync(file, 'utf8');
    expect(verifyAuditText(text)).toMatchObject({ ok: true, lines: 4 });
    expect(JSON.parse(lines(file)[3]!)).toMatchObject({
      seq: 4,
      kind: 'recovery',
      result: expect.stringMatching(/26 bytes after line 3 set aside/),
    });
  });

  it('zeros the file system left at the end are a torn tail too', async () => {
    const file = await writeLog(2);
    writeFileSync(file, Buffer.concat([readFileSync(file), Buffer.alloc(4096)]));
    const log = new AuditLog(file, new ManualClock());
    expect((await log.open()).recovered?.bytes).toBe(4096);
    await log.close();
    expect(verifyAuditText(readFileSync(file, 'utf8'))).toMatchObject({ ok: true, lines: 3 });
  });

  it('recovery never hides an edited line in the middle: verify still names it', async () => {
    const file = await writeLog(4);
    const l = lines(file);
    l[1] = l[1]!.replace('alice', 'mallory');
    writeFileSync(file, l.join('\n') + '\n{"seq":5,"ti');
    const log = new AuditLog(file, new ManualClock());
    await log.open();
    await log.close();
    expect(verifyAuditText(readFileSync(file, 'utf8'))).toMatchObject({ ok: false, line: 2 });
  });

  it('bounds every text field an attacker controls (a 60 KB client id costs a line, not 60 KB)', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'audit-')), 'audit.log');
    const log = new AuditLog(file, new ManualClock());
    await log.open();
    const huge = 'x'.repeat(60_000);
    await log.append({
      kind: 'login-failed',
      who: huge,
      from: `127.0.0.1 (${huge})`,
      what: huge,
      result: huge,
      detail: { huge },
    });
    await log.close();
    expect(readFileSync(file).length).toBeLessThan(4 * MAX_FIELD_CHARS + 1500);
    expect(verifyAuditText(readFileSync(file, 'utf8'))).toMatchObject({ ok: true });
  });

  it('property: a valid log cut at any byte recovers to its last whole line and never loses a whole line', async () => {
    const file = await writeLog(6);
    const whole = readFileSync(file);
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 0, max: whole.length }), async (cut) => {
        const f = join(mkdtempSync(join(tmpdir(), 'audit-cut-')), 'audit.log');
        const prefix = whole.subarray(0, cut);
        writeFileSync(f, prefix);
        const log = new AuditLog(f, new ManualClock());
        const { recovered } = await log.open();
        await log.close();
        const wholeLinesBefore = prefix.toString('utf8').split('\n').length - 1;
        const after = readFileSync(f, 'utf8');
        const result = verifyAuditText(after);
        expect(result).toMatchObject({ ok: true });
        // Every whole line before the cut is still there, byte for byte, then the recovery (if torn).
        const keptLines = prefix.toString('utf8').split('\n').slice(0, wholeLinesBefore);
        expect(after.split('\n').slice(0, wholeLinesBefore)).toEqual(keptLines);
        const torn = cut > 0 && whole[cut - 1] !== 0x0a;
        expect(recovered !== undefined).toBe(torn);
        expect(result.ok && result.lines).toBe(wholeLinesBefore + (torn ? 1 : 0));
      }),
      { numRuns: 200 },
    );
  });
});
