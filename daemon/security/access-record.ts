// Who accessed what, and when (the accountability question of the source thesis): logins, sessions,
// subscriptions granted and denied, refused publishes and commands, one line each, from the audit log
// (embedded broker, dashboard) or from Mosquitto's own log on the Pi. Pure: text in, records out.
//
// What Mosquitto's log can tell (log_type notice + subscribe + unsubscribe, connection_messages): who
// connected from where as which user, who subscribed to what and when, who left, and that a login was
// refused (not as whom). It cannot tell: which subscriptions its ACL then filtered (it grants them and
// silently delivers nothing), publishes its ACL refused (logged only at debug level), or which messages a
// subscriber actually received. The embedded broker records the first two itself.

import { topicMatches } from './topic-match.js';
import type { AuditRecord } from './audit-log.js';

export interface Access {
  /** ISO wall time. */
  time: string;
  who: string;
  from: string;
  kind:
    | 'login'
    | 'login-failed'
    | 'lockout'
    | 'session'
    | 'subscribe'
    | 'unsubscribe'
    | 'denied'
    | 'command'
    | 'logout';
  what: string;
  result: string;
  /** The topic filter, for subscriptions. */
  filter?: string;
}

export interface AccessQuery {
  user?: string;
  /** A topic: subscriptions whose filter covers it (who could read it), and anything naming it. */
  topic?: string;
  /** ISO time or epoch ms: only from then on. */
  sinceMs?: number;
}

const ACCESS_KINDS = new Set([
  'login',
  'login-failed',
  'lockout',
  'session',
  'subscribe',
  'denied',
  'command',
]);

export function accessFromAudit(records: Iterable<AuditRecord>): Access[] {
  const out: Access[] = [];
  for (const r of records) {
    if (!ACCESS_KINDS.has(r.kind)) continue;
    const filter = r.kind === 'subscribe' ? r.what.replace(/^subscribe /, '') : undefined;
    out.push({
      time: r.time,
      who: r.who,
      from: r.from,
      kind: r.kind as Access['kind'],
      what: r.what,
      result: r.result,
      ...(filter ? { filter } : {}),
    });
  }
  return out;
}

const LINE = /^(\d+): (.*)$/;
const CONNECTED = /^New client connected from (\S+) as (\S+) \(.*u'([^']*)'\)\.?$/;
const DISCONNECTED = /^Client (\S+) (?:disconnected|has exceeded timeout)/;
const REFUSED = /^Client <unknown> disconnected, not authori[sz]ed\.?$/;
const FROM = /^New connection from (\S+) on port/;

/** Access records from Mosquitto's log (log_timestamp true: epoch seconds first). */
export function accessFromMosquittoLog(text: string): Access[] {
  const out: Access[] = [];
  const clients = new Map<string, { user: string; from: string }>();
  let lastFrom = '';
  for (const line of text.split('\n')) {
    const m = LINE.exec(line);
    if (!m) continue;
    const time = new Date(Number(m[1]) * 1000).toISOString();
    const body = m[2]!;
    const add = (a: Omit<Access, 'time'>) => out.push({ time, ...a });
    let x: RegExpExecArray | null;
    if ((x = FROM.exec(body))) lastFrom = x[1]!;
    else if ((x = CONNECTED.exec(body))) {
      clients.set(x[2]!, { user: x[3]!, from: x[1]! });
      add({
        who: x[3]!,
        from: `${x[1]} (${x[2]})`,
        kind: 'login',
        what: 'MQTT login (Mosquitto)',
        result: 'accepted',
      });
    } else if (REFUSED.test(body))
      add({
        who: '(unknown)',
        from: lastFrom,
        kind: 'login-failed',
        what: 'MQTT login (Mosquitto)',
        result: 'refused: not authorised',
      });
    else if ((x = DISCONNECTED.exec(body))) {
      const c = clients.get(x[1]!);
      if (c)
        add({ who: c.user, from: `${c.from} (${x[1]})`, kind: 'logout', what: 'MQTT session', result: body });
      clients.delete(x[1]!);
    } else {
      const [id, ...rest] = body.split(' ');
      const c = clients.get(id!);
      if (!c || rest.length === 0) continue;
      const qos = /^[012]$/.test(rest[0]!) && rest.length > 1;
      const filter = (qos ? rest.slice(1) : rest).join(' ');
      add({
        who: c.user,
        from: `${c.from} (${id})`,
        kind: qos ? 'subscribe' : 'unsubscribe',
        what: `${qos ? 'subscribe' : 'unsubscribe'} ${filter}`,
        result: qos ? 'granted by Mosquitto (its ACL filters what is delivered)' : 'done',
        filter,
      });
    }
  }
  return out;
}

export function queryAccess(records: Access[], q: AccessQuery): Access[] {
  return records.filter(
    (a) =>
      (q.user === undefined || a.who === q.user) &&
      (q.sinceMs === undefined || Date.parse(a.time) >= q.sinceMs) &&
      (q.topic === undefined ||
        (a.filter !== undefined ? topicMatches(a.filter, q.topic) : a.what.includes(q.topic))),
  );
}
