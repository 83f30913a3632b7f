// The command payload: one JSON object per message on <prefix>/<gateway>/command/<user>.
//   {"id": "...", "ts": <ms since epoch or ISO time>, "tank": "house", "action": "valve", "open": true,
//    "minutes": 30, "sig": "<base64 HMAC-SHA256, when the user signs>"}

import * as z from '../config/zod.js';
import type { TankCommand } from '../control/commands.js';
import { id as tankId } from '../config/primitives.js';
import { ALARM_KINDS } from '../control/types.js';

const minutes = z.optional(z.number().check(z.int(), z.gte(1), z.lte(24 * 60)));
const common = {
  /** Unique per command: a second message with the same id does nothing. */
  id: z
    .string()
    .check(z.regex(/^[A-Za-z0-9_.:-]{8,64}$/, 'must be 8-64 characters of letters, digits, _ . : -')),
  /** When the command was issued (sender's clock): milliseconds since the epoch, or ISO 8601. */
  ts: z.union([z.number().check(z.int(), z.positive()), z.iso.datetime({ offset: true })]),
  tank: tankId,
  sig: z.optional(z.string().check(z.maxLength(128))),
};

export const commandSchema = z.discriminatedUnion('action', [
  z.strictObject({ ...common, action: z.literal('valve'), open: z.boolean(), minutes }),
  z.strictObject({ ...common, action: z.literal('pump'), on: z.boolean(), minutes }),
  z.strictObject({ ...common, action: z.literal('mode'), mode: z.enum(['auto', 'manual']), minutes }),
  z.strictObject({
    ...common,
    action: z.literal('thresholds'),
    lowPct: z.number().check(z.gte(0), z.lte(100)),
    highPct: z.number().check(z.gte(0), z.lte(100)),
  }),
  z.strictObject({ ...common, action: z.literal('reset-alarms') }),
  z.strictObject({ ...common, action: z.literal('ack-alarm'), alarm: z.enum(ALARM_KINDS) }),
]);

export type CommandMessage = z.infer<typeof commandSchema>;

export function toTankCommand(m: CommandMessage): TankCommand {
  switch (m.action) {
    case 'valve':
      return { action: 'valve', open: m.open, minutes: m.minutes };
    case 'pump':
      return { action: 'pump', on: m.on, minutes: m.minutes };
    case 'mode':
      return m.mode === 'auto'
        ? { action: 'mode', mode: 'auto' }
        : { action: 'mode', mode: 'manual', minutes: m.minutes };
    case 'thresholds':
      return { action: 'thresholds', lowPct: m.lowPct, highPct: m.highPct };
    case 'reset-alarms':
      return { action: 'reset-alarms' };
    case 'ack-alarm':
      return { action: 'ack-alarm', alarm: m.alarm };
  }
}

/** Commands that only move outputs towards their safe state: allowed even before the clock is synchronized. */
export function towardsSafety(m: CommandMessage): boolean {
  return (
    (m.action === 'valve' && !m.open) ||
    (m.action === 'pump' && !m.on) ||
    (m.action === 'mode' && m.mode === 'auto')
  );
}

export function describeCommand(m: CommandMessage): string {
  switch (m.action) {
    case 'valve':
      return `valve ${m.open ? 'open' : 'close'}${m.minutes ? ` for ${m.minutes} min` : ''}`;
    case 'pump':
      return `pump ${m.on ? 'on' : 'off'}${m.minutes ? ` for ${m.minutes} min` : ''}`;
    case 'mode':
      return `mode ${m.mode}${m.minutes ? ` for ${m.minutes} min` : ''}`;
    case 'thresholds':
      return `thresholds ${m.lowPct}/${m.highPct}%`;
    case 'reset-alarms':
      return 'reset alarms';
    case 'ack-alarm':
      return `acknowledge alarm ${m.alarm}`;
  }
}

export function commandTimeMs(ts: number | string): number {
  return typeof ts === 'number' ? ts : Date.parse(ts);
}
