import { describe, expect, it } from 'vitest';
import { notifySchema } from '../../../daemon/config/notify-schema.js';
import {
  alarmChanges,
  heartbeatDue,
  nextAllowedMs,
  recipientKey,
  retryDelayMs,
  wants,
  withinRate,
  type Notice,
} from '../../../daemon/notify/policy.js';

const HOUR = 3_600_000;
const notice = (patch: Partial<Notice> = {}): Notice => ({
  kind: 'alarm',
  tank: 'house',
  alarm: 'leak',
  active: true,
  severity: 'alarm',
  message: 'm',
  time: 't',
  ...patch,
});

describe('notification policy', () => {
  it('one notice per raise and per clear: only changes from what was told', () => {
    const told = new Map([['leak', 'alarm' as const]]);
    expect(alarmChanges(told, ['leak'])).toEqual({ raised: [], cleared: [] });
    expect(alarmChanges(told, ['leak', 'dry-run'])).toEqual({ raised: ['dry-run'], cleared: [] });
    expect(alarmChanges(told, [])).toEqual({ raised: [], cleared: ['leak'] });
  });

  it('a recipient gets its tanks, its least severity, the heartbeat if it wants it, and nothing once its user is gone', () => {
    const n = notifySchema.parse({
      recipients: [
        { webhook: { url: 'http://h/1' } },
        {
          webhook: { url: 'http://h/2' },
          tanks: ['farm'],
          minSeverity: 'alarm',
          heartbeat: false,
          user: 'vic',
        },
      ],
    });
    const [all, vic] = n.recipients as [(typeof n.recipients)[0], (typeof n.recipients)[0]];
    const exists = (u: string) => u === 'vic';
    expect(wants(all, notice({ severity: 'warning' }), 'warning', exists)).toBe(true);
    expect(wants(all, notice({ severity: 'info' }), 'warning', exists)).toBe(false);
    expect(wants(vic, notice({ tank: 'farm', severity: 'warning' }), 'info', exists)).toBe(false);
    expect(wants(vic, notice({ tank: 'farm' }), 'info', exists)).toBe(true);
    expect(wants(vic, notice({ tank: 'house' }), 'info', exists)).toBe(false);
    expect(wants(vic, { kind: 'heartbeat', time: 't' }, 'info', exists)).toBe(false);
    expect(wants(all, { kind: 'heartbeat', time: 't' }, 'info', exists)).toBe(true);
    expect(wants(vic, notice({ tank: 'farm' }), 'info', () => false)).toBe(false);
    expect(recipientKey(all)).toBe('webhook:http://h/1');
  });

  it('at most N sends an hour per recipient; the next is allowed when the oldest is an hour old', () => {
    const sent = [0, 10 * 60_000, 20 * 60_000];
    expect(withinRate([...sent], 30 * 60_000, 3)).toBe(false);
    expect(nextAllowedMs(sent, 30 * 60_000, 3)).toBe(HOUR);
    expect(withinRate([...sent], HOUR, 3)).toBe(true);
    expect(nextAllowedMs(sent, 30 * 60_000, 4)).toBe(30 * 60_000);
  });

  it('retries back off, doubling to a cap', () => {
    expect([1, 2, 3, 4, 10].map((f) => retryDelayMs(f, 30_000, 100_000))).toEqual([
      30_000, 60_000, 100_000, 100_000, 100_000,
    ]);
  });

  it('the heartbeat is due once a day, after its time', () => {
    expect(heartbeatDue('07:00', 6 * 60 + 59, 100, 99)).toBe(false);
    expect(heartbeatDue('07:00', 7 * 60, 100, 99)).toBe(true);
    expect(heartbeatDue('07:00', 23 * 60, 100, 100)).toBe(false);
  });

  it('the config refuses an e-mail recipient without an SMTP server, naming the key', () => {
    const r = notifySchema.safeParse({ recipients: [{ email: 'a@b.example' }, {}] });
    expect(r.success).toBe(false);
    expect(r.error!.issues.map((i) => `${i.path.join('.')}: ${i.message}`)).toEqual([
      'recipients.1: needs an email or a webhook',
      'recipients.0.email: needs notify.email (the SMTP server) to be configured',
    ]);
    const r2 = notifySchema.safeParse({ recipients: [{ email: 'a@b.example' }] });
    expect(r2.error!.issues.map((i) => i.path.join('.'))).toEqual(['recipients.0.email']);
  });
});
