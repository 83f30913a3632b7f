// The words of a notification: when it happened, in the gateway's time zone, as a farmer reads a clock.

import { describe, expect, it } from 'vitest';
import { composeMessage, type MessageContext } from '../../../daemon/notify/messages.js';
import type { Notice } from '../../../daemon/notify/policy.js';

const context = (timezone: string): MessageContext => ({
  gateway: { id: 'gw', name: 'Farm', timezone },
  tankName: (id) => id,
  tanks: [],
});

const notice = (time: string): Notice => ({
  kind: 'alarm',
  tank: 'farm',
  alarm: 'dry-run',
  active: true,
  severity: 'alarm',
  message: 'Pump stopped.',
  time,
});

describe('notification times', () => {
  it('are local to the gateway, written as Intl en-GB writes them ("1 Dec, 06:05")', () => {
    const cases: [string, string][] = [
      ['2026-12-01T06:05:00Z', 'Europe/Paris'],
      ['2026-07-01T23:59:00Z', 'Australia/Sydney'],
      ['2026-03-29T00:30:00Z', 'Europe/London'],
      ['2026-01-31T23:10:00Z', 'Asia/Kathmandu'],
    ];
    for (const [time, timeZone] of cases) {
      const expected = new Intl.DateTimeFormat('en-GB', {
        timeZone,
        day: 'numeric',
        month: 'short',
        hour: '2-digit',
        minute: '2-digit',
        hourCycle: 'h23',
      }).format(new Date(time));
      const { text } = composeMessage([notice(time)], context(timeZone));
      expect(text, `${time} in ${timeZone}`).toContain(`ALARM ${expected} - farm:`);
    }
  });

  it('keep a time they cannot read as it came', () => {
    expect(composeMessage([notice('yesterday')], context('UTC')).text).toContain('ALARM yesterday - farm:');
  });
});
