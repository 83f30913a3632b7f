// Who is told what, as pure functions: an alarm's raise and its clear are each one notice (the state
// payload's alarm list, compared with what was already told, is the truth: a restart or a missed event
// neither repeats nor loses a notice); a notice goes to the recipients whose tanks and least severity it
// fits; a recipient gets at most perRecipientPerHour messages, and what waits goes out together.

import type { NotifyRecipient, NotifySeverity } from '../config/notify-schema.js';

export interface Notice {
  kind: 'alarm';
  tank: string;
  alarm: string;
  /** true: raised; false: cleared. */
  active: boolean;
  severity: NotifySeverity;
  message: string;
  /** ISO wall time of the change. */
  time: string;
}

export interface Heartbeat {
  kind: 'heartbeat';
  time: string;
}

export type QueueItem = Notice | Heartbeat;

const SEVERITY_RANK: Record<NotifySeverity, number> = { info: 0, warning: 1, alarm: 2 };
/** An alarm of a kind this version does not know, raised without its event, is told as a warning. */
export const UNKNOWN_SEVERITY: NotifySeverity = 'warning';
const HOUR_MS = 3_600_000;

/** The changes between what was told (per tank: alarm -> severity) and the alarms active now. */
export function alarmChanges(
  told: ReadonlyMap<string, NotifySeverity>,
  activeNow: readonly string[],
): { raised: string[]; cleared: string[] } {
  const now = new Set(activeNow);
  return {
    raised: activeNow.filter((a) => !told.has(a)),
    cleared: [...told.keys()].filter((a) => !now.has(a)),
  };
}

/** A stable key for a recipient (its queue and its rate limit), from what it is sent to. */
export function recipientKey(r: NotifyRecipient): string {
  return r.email ? `email:${r.email.toLowerCase()}` : `webhook:${r.webhook!.url}`;
}

export function recipientName(r: NotifyRecipient): string {
  if (r.name) return r.name;
  if (r.email) return r.email;
  try {
    return `webhook ${new URL(r.webhook!.url).host}`;
  } catch {
    return 'webhook';
  }
}

/** Whether a recipient wants this item (its tanks, its least severity, its user still existing). */
export function wants(
  r: NotifyRecipient,
  item: QueueItem,
  defaultMin: NotifySeverity,
  userExists: (user: string) => boolean,
): boolean {
  if (r.user !== undefined && !userExists(r.user)) return false;
  if (item.kind === 'heartbeat') return r.heartbeat;
  if (r.tanks && !r.tanks.includes(item.tank)) return false;
  return SEVERITY_RANK[item.severity] >= SEVERITY_RANK[r.minSeverity ?? defaultMin];
}

/** Sends in the last hour, pruned; whether one more is allowed now. */
export function withinRate(sentAtMs: number[], nowMs: number, perHour: number): boolean {
  while (sentAtMs.length > 0 && nowMs - sentAtMs[0]! >= HOUR_MS) sentAtMs.shift();
  return sentAtMs.length < perHour;
}

/** When the next send is allowed under the rate limit (now if allowed). */
export function nextAllowedMs(sentAtMs: readonly number[], nowMs: number, perHour: number): number {
  if (sentAtMs.length < perHour) return nowMs;
  return sentAtMs[sentAtMs.length - perHour]! + HOUR_MS;
}

/** Retry delay after `failures` failed sends in a row: initial, doubling, capped. */
export function retryDelayMs(failures: number, initialMs: number, maxMs: number): number {
  return Math.min(maxMs, initialMs * 2 ** Math.max(0, failures - 1));
}

/** Whether the daily heartbeat is due: the local time is past `at` and none went out today. */
export function heartbeatDue(
  at: string,
  minuteOfDay: number,
  localDay: number,
  lastDay: number | undefined,
): boolean {
  const [h, m] = at.split(':').map(Number) as [number, number];
  return minuteOfDay >= h * 60 + m && lastDay !== localDay;
}
