import { join } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../../daemon/clock.js';
import { CommandService, type CommandResult } from '../../../daemon/commands/command-service.js';
import { UsedIds } from '../../../daemon/commands/used-ids.js';
import type { MqttConfig } from '../../../daemon/config/schema.js';
import type { TankCommand } from '../../../daemon/control/commands.js';
import { silentLogger } from '../../../daemon/log.js';
import type { AuditEntry } from '../../../daemon/security/audit-log.js';
import { Credentials } from '../../../daemon/security/credentials.js';
import { signCommand } from '../../../daemon/security/hmac.js';
import { addUser, loadUserFiles, saveUserFiles } from '../../../daemon/security/user-admin.js';
import { configWith, rawTank } from '../../helpers/config.js';
import { tempDir } from '../../helpers/daemon.js';

interface Harness {
  service: CommandService;
  clock: ManualClock;
  applied: { tank: string; command: TankCommand; by: string }[];
  answers: { user: string; result: CommandResult }[];
  audit: AuditEntry[];
  signingKey: Buffer;
  dir: string;
}

async function harness(
  commands: Partial<MqttConfig['commands']> = {},
  dir = tempDir('cmd-'),
  idsFile = join(dir, 'command-ids.json'),
): Promise<Harness> {
  const etc = tempDir('cmd-etc-');
  const config = configWith([rawTank()], {
    mqtt: {
      users: {
        passwordFile: join(etc, 'passwd'),
        aclFile: join(etc, 'acl'),
        hmacKeysFile: join(etc, 'keys'),
      },
      commands,
    },
  });
  const files = await loadUserFiles(config.mqtt);
  await addUser(files, 'alice', 'admin', 'alice-password');
  await addUser(files, 'vic', 'viewer', 'vic-password');
  const { hmacKey } = await addUser(files, 'sig', 'admin', 'signer-password', { hmac: true });
  await addUser(files, 'ian', 'integrator', 'ian-password');
  await saveUserFiles(config.mqtt, files);
  const clock = new ManualClock(1_000_000, Date.UTC(2026, 5, 1, 12), true);
  const applied: Harness['applied'] = [];
  const answers: Harness['answers'] = [];
  const audit: AuditEntry[] = [];
  const usedIds = new UsedIds(idsFile, clock, silentLogger);
  await usedIds.load();
  const service = new CommandService({
    usedIds,
    mqtt: config.mqtt,
    credentials: new Credentials(config.mqtt.users, silentLogger),
    clock,
    log: silentLogger,
    audit: (e) => audit.push(e),
    apply: async (tank, command, by) => {
      applied.push({ tank, command, by });
      return { outcome: { accepted: true, state: {} as never, message: 'done', events: [] } };
    },
    answer: (user, result) => answers.push({ user, result }),
  });
  clock.advance(1000);
  return { service, clock, applied, answers, audit, signingKey: hmacKey!, dir };
}

const json = (o: unknown) => Buffer.from(JSON.stringify(o));
let seq = 0;
const cmd = (h: Harness, extra: Record<string, unknown> = {}) => ({
  id: `cmd-${++seq}-abcdef`,
  ts: h.clock.wallMs(),
  tank: 'house',
  action: 'valve',
  open: true,
  ...extra,
});
const from = (user: string) => ({ user, from: '10.8.0.2 (phone)', retained: false });

describe('command checks', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await harness();
  });

  it('accepts a fresh, well-formed command from an admin, applies it once, answers and audits it', async () => {
    const r = await h.service.handle(from('alice'), json(cmd(h, { minutes: 30 })));
    expect(r).toMatchObject({ result: 'accepted', tank: 'house', action: 'valve', message: 'done' });
    expect(h.applied).toEqual([
      { tank: 'house', command: { action: 'valve', open: true, minutes: 30 }, by: 'alice' },
    ]);
    expect(h.answers[0]).toMatchObject({ user: 'alice', result: { result: 'accepted' } });
    expect(h.audit[0]).toMatchObject({
      kind: 'command',
      who: 'alice',
      from: '10.8.0.2 (phone)',
      what: 'valve open for 30 min tank=house',
    });
  });

  it('refuses viewers and integrators without the grant, and audits the refusal', async () => {
    expect(await h.service.handle(from('vic'), json(cmd(h)))).toMatchObject({
      result: 'refused',
      reason: 'user vic (role viewer) may not send commands',
    });
    expect(await h.service.handle(from('ian'), json(cmd(h)))).toMatchObject({ result: 'refused' });
    expect(h.applied).toEqual([]);
    expect(h.audit.map((a) => a.result)).toEqual([
      expect.stringMatching(/^refused: user vic/),
      expect.stringMatching(/^refused: user ian/),
    ]);
  });

  it('does nothing for a replayed id, an old timestamp, a future one, or one from before the start', async () => {
    const c = cmd(h);
    await h.service.handle(from('alice'), json(c));
    expect(await h.service.handle(from('alice'), json(c))).toMatchObject({
      result: 'refused',
      reason: 'duplicate command id (replayed?)',
    });
    expect(
      await h.service.handle(from('alice'), json(cmd(h, { ts: h.clock.wallMs() - 61_000 }))),
    ).toMatchObject({ reason: expect.stringMatching(/^too old/) });
    expect(
      await h.service.handle(from('alice'), json(cmd(h, { ts: h.clock.wallMs() + 11_000 }))),
    ).toMatchObject({ reason: expect.stringMatching(/in the future/) });
    h.clock.advance(30_000);
    expect(
      await h.service.handle(from('alice'), json(cmd(h, { ts: h.clock.wallMs() - 50_000 }))),
    ).toMatchObject({ reason: 'sent before the gateway started (replayed?)' });
    expect(h.applied).toHaveLength(1);
  });

  it('a replay a second after a restart is still a replay: used ids are on disk before a command acts', async () => {
    const c = cmd(h, { sig: undefined });
    delete (c as Record<string, unknown>).sig;
    expect(await h.service.handle(from('alice'), json(c))).toMatchObject({ result: 'accepted' });
    // The daemon restarts: a new service (and a new start time) on the same state directory.
    const restarted = await harness({}, h.dir);
    restarted.clock.advance(h.clock.wallMs() - restarted.clock.wallMs() + 1000);
    expect(await restarted.service.handle(from('alice'), json(c))).toMatchObject({
      result: 'refused',
      reason: 'duplicate command id (replayed?)',
    });
    expect(restarted.applied).toEqual([]);
  });

  it('a command whose id cannot be recorded does not act (storage failing)', async () => {
    const broken = await harness({}, tempDir('cmd-'), '/proc/version/command-ids.json');
    expect(await broken.service.handle(from('alice'), json(cmd(broken)))).toMatchObject({
      result: 'refused',
      reason: 'the gateway cannot record the command id (storage failing): not acted on',
    });
    expect(broken.applied).toEqual([]);
  });

  it('ignores retained commands without answering', async () => {
    expect(await h.service.handle({ ...from('alice'), retained: true }, json(cmd(h)))).toMatchObject({
      result: 'refused',
      reason: 'retained commands are ignored',
    });
    expect(h.applied).toEqual([]);
    expect(h.answers).toEqual([]);
  });

  it('refuses malformed commands, naming the field', async () => {
    expect(await h.service.handle(from('alice'), Buffer.from('{nope'))).toMatchObject({
      reason: 'malformed: not JSON',
      id: null,
    });
    expect(await h.service.handle(from('alice'), json(cmd(h, { open: 'yes' })))).toMatchObject({
      reason: expect.stringMatching(/^malformed: open: /),
    });
    expect(await h.service.handle(from('alice'), json(cmd(h, { minutes: 1e300 })))).toMatchObject({
      reason: expect.stringMatching(/^malformed: minutes: /),
    });
    expect(await h.service.handle(from('alice'), json(cmd(h, { action: 'explode' })))).toMatchObject({
      result: 'refused',
    });
    expect(await h.service.handle(from('alice'), json({ ...cmd(h), extra: 1 }))).toMatchObject({
      reason: 'malformed: extra: unknown field',
    });
    expect(h.applied).toEqual([]);
  });

  it('requires a valid signature from a user with a signing key', async () => {
    const unsigned = cmd(h);
    expect(await h.service.handle(from('sig'), json(unsigned))).toMatchObject({
      reason: 'bad or missing signature',
    });
    const signed = cmd(h);
    const withSig = { ...signed, sig: signCommand(signed, h.signingKey) };
    expect(await h.service.handle(from('sig'), json(withSig))).toMatchObject({ result: 'accepted' });
    const tampered = { ...withSig, id: `${withSig.id}-x`, open: false };
    expect(await h.service.handle(from('sig'), json(tampered))).toMatchObject({
      reason: 'bad or missing signature',
    });
  });

  it('before the clock is synchronized takes only commands towards safety', async () => {
    h.clock.synced = false;
    expect(await h.service.handle(from('alice'), json(cmd(h)))).toMatchObject({
      reason: expect.stringMatching(/not synchronized/),
    });
    expect(await h.service.handle(from('alice'), json(cmd(h, { open: false })))).toMatchObject({
      result: 'accepted',
    });
    expect(
      await h.service.handle(from('alice'), json(cmd(h, { action: 'pump', open: undefined, on: false }))),
    ).toMatchObject({ result: 'accepted' });
  });
});

describe('command rate limit', () => {
  it('drops commands over the per-user rate unread and counts them once a minute', async () => {
    const h = await harness({ perUserPerMinute: 5 });
    for (let i = 0; i < 20; i++) await h.service.handle(from('alice'), Buffer.from('garbage'));
    expect(h.answers).toHaveLength(5);
    h.clock.advance(60_000);
    await h.service.handle(from('alice'), Buffer.from('garbage'));
    expect(h.audit.filter((a) => a.kind === 'suppressed')).toEqual([
      expect.objectContaining({ who: 'alice', result: '15 dropped unread in one minute' }),
    ]);
  });
});
