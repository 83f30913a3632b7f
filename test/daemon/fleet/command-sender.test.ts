// Commands from the fleet page: the gateway's own message, checked here first (a wrong field never
// travels), signed with the operator's key (the gateway verifies it), answered by id or given up on.

import { describe, expect, it } from 'vitest';
import { commandSchema } from '../../../daemon/commands/command-schema.js';
import { CommandSender } from '../../../daemon/fleet/command-sender.js';
import { silentLogger } from '../../../daemon/log.js';
import { signatureValid } from '../../../daemon/security/hmac.js';

const KEY = Buffer.alloc(32, 7);
const NOW = Date.parse('2026-12-01T08:00:00Z');

function sender(answerTimeoutMs = 2000) {
  const published: { topic: string; payload: string }[] = [];
  const s = new CommandSender({
    prefix: 'smart-tank',
    publish: async (topic, payload) => void published.push({ topic, payload }),
    hmacKey: (u) => (u === 'olivia' ? KEY : undefined),
    now: () => NOW,
    answerTimeoutMs,
    log: silentLogger,
  });
  return { s, published };
}

describe('CommandSender', () => {
  it("sends the daemon's command message, signed, to the operator's own command topic, and takes its answer", async () => {
    const { s, published } = sender();
    const outcome = s.send('olivia', 'farm-gw-01', {
      tank: 'house',
      action: 'valve',
      open: false,
      minutes: 30,
    });
    await Promise.resolve();
    await Promise.resolve();
    expect(published).toHaveLength(1);
    expect(published[0]!.topic).toBe('smart-tank/farm-gw-01/command/olivia');
    const m = JSON.parse(published[0]!.payload) as Record<string, unknown>;
    expect(commandSchema.safeParse(m).success).toBe(true);
    expect(m).toMatchObject({ ts: NOW, tank: 'house', action: 'valve', open: false });
    expect(signatureValid(m, KEY)).toBe(true);
    // An answer for another user or gateway is not this command's.
    s.settle('farm-gw-02', 'olivia', { id: m.id as string, result: 'accepted' });
    s.settle('farm-gw-01', 'vera', { id: m.id as string, result: 'accepted' });
    s.settle('farm-gw-01', 'olivia', {
      id: m.id as string,
      result: 'refused',
      reason: 'level 85% is at or above the high threshold',
    });
    expect(await outcome).toEqual({ sent: true, answer: expect.objectContaining({ result: 'refused' }) });
    expect(s.answered).toBe(1);
  });

  it('refuses a malformed command before it travels, naming the field', async () => {
    const { s, published } = sender();
    expect(await s.send('olivia', 'g', { tank: 'house', action: 'valve', open: 'yes' })).toMatchObject({
      sent: false,
      field: 'open',
    });
    expect(await s.send('olivia', 'g', { tank: 'house', action: 'explode' })).toMatchObject({ sent: false });
    expect(await s.send('vera', 'g', { tank: 'house', action: 'mode', mode: 'auto' })).toMatchObject({
      sent: false,
      problem: expect.stringMatching(/no signing key/),
    });
    expect(published).toHaveLength(0);
  });

  it('gives up after answerTimeoutMs and says why', async () => {
    const { s } = sender(50);
    const r = await s.send('olivia', 'g', { tank: 'house', action: 'mode', mode: 'auto' });
    expect(r).toMatchObject({
      sent: true,
      answer: undefined,
      problem: expect.stringMatching(/no answer from g/),
    });
    expect(s.unanswered).toBe(1);
  });
});
