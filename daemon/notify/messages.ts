// The words of every notification, in one place (to translate, change this file): one message per
// recipient and send, holding every notice that waited for it.

import type { TankStatePayload } from '../telemetry/topics.js';
import type { Notice, QueueItem } from './policy.js';
import { timeZone } from '../time-zone.js';

export interface MessageContext {
  gateway: { id: string; name?: string; timezone: string };
  tankName: (id: string) => string;
  dashboardUrl?: string;
  /** The tanks now, for the daily report. */
  tanks: readonly TankStatePayload[];
}

export interface Message {
  subject: string;
  text: string;
}

const ALARM_NAMES: Record<string, string> = {
  'sensor-stale': 'Level sensor not responding',
  'sensor-noisy': 'Level sensor noisy',
  'sensor-disagree': 'Level sensor and probes disagree',
  'high-high': 'Tank nearly overflowing (top probe wet)',
  'dry-run': 'Pump stopped: tank too low (bottom probe dry)',
  'no-rise': 'Refilling but the level does not rise',
  'fill-timeout': 'Refill took too long: refilling stopped',
  leak: 'Possible leak',
  'short-cycling': 'Valve or pump switching too often',
  'level-high': 'Level high',
  'level-critical': 'Tank almost empty',
  'unclean-restart': 'Gateway restarted after a power cut or crash',
  'clock-unsynced': 'Gateway clock not synchronized',
};

const SEVERITY_WORDS: Record<string, string> = { info: 'Notice', warning: 'Warning', alarm: 'ALARM' };

export function alarmName(alarm: string): string {
  return ALARM_NAMES[alarm] ?? alarm;
}

export function composeMessage(items: readonly QueueItem[], ctx: MessageContext): Message {
  const gw = ctx.gateway.name ?? ctx.gateway.id;
  const notices = items.filter((i): i is Notice => i.kind === 'alarm');
  const heartbeat = items.some((i) => i.kind === 'heartbeat');
  const lines: string[] = [];
  for (const n of notices) lines.push(noticeLine(n, ctx));
  if (heartbeat) {
    if (lines.length > 0) lines.push('');
    lines.push(...dailyReport(ctx));
  }
  lines.push('', `Gateway: ${gw} (${ctx.gateway.id})`);
  if (ctx.dashboardUrl) lines.push(`Dashboard: ${ctx.dashboardUrl}`);

  let subject: string;
  if (notices.length === 1 && !heartbeat) {
    const n = notices[0]!;
    subject = n.active
      ? `${ctx.tankName(n.tank)}: ${alarmName(n.alarm)}`
      : `${ctx.tankName(n.tank)}: cleared: ${alarmName(n.alarm)}`;
  } else if (notices.length === 0) {
    const alarms = ctx.tanks.reduce((n, t) => n + t.alarms.length, 0);
    subject = alarms === 0 ? `${gw}: all well` : `${gw}: daily report, ${alarms} alarm(s) active`;
  } else {
    subject = `${gw}: ${notices.length} notices`;
  }
  return { subject, text: lines.join('\n') + '\n' };
}

function noticeLine(n: Notice, ctx: MessageContext): string {
  const when = localTime(n.time, ctx.gateway.timezone);
  const tank = ctx.tankName(n.tank);
  return n.active
    ? `${SEVERITY_WORDS[n.severity] ?? n.severity} ${when} - ${tank}: ${alarmName(n.alarm)}. ${n.message}`
    : `Cleared ${when} - ${tank}: ${alarmName(n.alarm)} is over.`;
}

function dailyReport(ctx: MessageContext): string[] {
  const lines = ['Daily report:'];
  for (const t of ctx.tanks) {
    const level = t.levelPct === null ? 'level unknown' : `${Math.round(t.levelPct)}% (${t.litres} L)`;
    const alarms = t.alarms.length ? `; alarms: ${t.alarms.map(alarmName).join(', ')}` : '';
    lines.push(`- ${ctx.tankName(t.tank)}: ${level}, ${t.status}${alarms}`);
  }
  if (ctx.tanks.every((t) => t.alarms.length === 0)) lines.push('All well.');
  return lines;
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** "1 Dec, 06:05" in the gateway's zone (what Intl's en-GB day, short month, 2-digit h23 time gives). */
function localTime(iso: string, zoneName: string): string {
  const ms = new Date(iso).getTime();
  if (Number.isNaN(ms)) return iso;
  const local = new Date(ms + timeZone(zoneName).offsetMsAt(ms));
  const two = (n: number) => String(n).padStart(2, '0');
  return `${local.getUTCDate()} ${MONTHS[local.getUTCMonth()]}, ${two(local.getUTCHours())}:${two(local.getUTCMinutes())}`;
}
