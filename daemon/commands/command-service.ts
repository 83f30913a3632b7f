// Every command takes the same checked path, from MQTT or (later) the dashboard:
//   retained? -> rate limit -> JSON -> schema -> role -> signature -> freshness -> unique id -> controller
// and is answered on the sender's result topic and written to the audit log, accepted or refused.
// A command never bypasses the controller's safety rules: the controller itself may still refuse it.

import type { Clock } from '../clock.js';
import type { MqttConfig } from '../config/schema.js';
import type { CommandOutcome, TankCommand } from '../control/commands.js';
import type { Logger } from '../log.js';
import type { AuditEntry } from '../security/audit-log.js';
import type { Credentials } from '../security/credentials.js';
import { signatureValid } from '../security/hmac.js';
import { mayCommand } from '../security/roles.js';
import { formatPath } from '../config/load.js';
import { MINUTE_MS } from '../units.js';
import type { UsedIds } from './used-ids.js';
import {
  commandSchema,
  commandTimeMs,
  describeCommand,
  toTankCommand,
  towardsSafety,
  type CommandMessage,
} from './command-schema.js';

export interface CommandOrigin {
  user: string;
  /** Client address and id, as far as the broker tells. */
  from: string;
  retained: boolean;
  /** MQTT 5 correlation data, echoed on the answer. */
  correlationData?: Buffer;
}

export interface CommandResult {
  id: string | null;
  tank?: string;
  action?: string;
  result: 'accepted' | 'refused';
  /** Why it was refused, or what was done. */
  reason?: string;
  message?: string;
  time: string;
}

export interface CommandServiceDeps {
  mqtt: MqttConfig;
  credentials: Credentials;
  clock: Clock;
  log: Logger;
  audit: (entry: AuditEntry) => void;
  apply: (tank: string, command: TankCommand, by: string) => Promise<{ outcome: CommandOutcome }>;
  answer: (user: string, result: CommandResult, correlationData?: Buffer) => void;
  /** Ids of commands already taken, across restarts. */
  usedIds: UsedIds;
}

export class CommandService {
  private readonly rate = new Map<string, { windowStart: number; count: number; dropped: number }>();
  /** Wall time when the service started: a command stamped before it was sent to an earlier run. */
  private readonly startedWallMs: number;

  constructor(private readonly deps: CommandServiceDeps) {
    this.startedWallMs = deps.clock.wallMs();
  }

  async handle(origin: CommandOrigin, payload: Buffer): Promise<CommandResult | undefined> {
    const { clock, mqtt, credentials, audit } = this.deps;
    const who = origin.user;
    const refuse = (reason: string, m?: Partial<CommandMessage>, quiet = false): CommandResult => {
      const result: CommandResult = {
        id: typeof m?.id === 'string' ? m.id : null,
        tank: m?.tank,
        action: m?.action,
        result: 'refused',
        reason,
        time: this.now(),
      };
      if (!quiet) this.deps.answer(who, result, origin.correlationData);
      this.deps.log.info('command refused', { user: who, from: origin.from, id: result.id, reason });
      audit({
        kind: 'command',
        who,
        from: origin.from,
        what: m?.action ? describeCommand(m as CommandMessage) + ` tank=${m.tank}` : 'command',
        result: `refused: ${reason}`,
        detail: { id: result.id },
      });
      return result;
    };

    if (origin.retained) return refuse('retained commands are ignored', undefined, true);
    if (!this.withinRate(who)) return undefined;

    let raw: unknown;
    try {
      raw = JSON.parse(payload.toString('utf8'));
    } catch {
      return refuse('malformed: not JSON');
    }
    const parsed = commandSchema.safeParse(raw);
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      const partial = raw && typeof raw === 'object' ? (raw as Partial<CommandMessage>) : undefined;
      const what =
        issue.code === 'unrecognized_keys'
          ? `${issue.keys.join(', ')}: unknown field`
          : `${formatPath(issue.path) || 'command'}: ${issue.message}`;
      return refuse(`malformed: ${what}`, safePartial(partial));
    }
    const m = parsed.data;

    await credentials.refresh();
    const record = credentials.record(who);
    if (!mayCommand(record))
      return refuse(`user ${who} (role ${record?.role ?? 'unknown'}) may not send commands`, m);

    const key = credentials.hmacKey(who);
    if (key || mqtt.commands.requireSignature) {
      if (!key) return refuse('a signature is required but this user has no signing key', m);
      if (!signatureValid(m as unknown as Record<string, unknown>, key))
        return refuse('bad or missing signature', m);
    }

    const sentMs = commandTimeMs(m.ts);
    if (!clock.wallSynced()) {
      if (!towardsSafety(m))
        return refuse('the gateway clock is not synchronized yet: only close/off/auto commands are taken', m);
    } else {
      const now = clock.wallMs();
      const skewMs = mqtt.commands.maxFutureS * 1000;
      if (sentMs > now + skewMs)
        return refuse(`timestamp ${Math.round((sentMs - now) / 1000)} s in the future`, m);
      if (now - sentMs > mqtt.commands.maxAgeS * 1000)
        return refuse(
          `too old: sent ${Math.round((now - sentMs) / 1000)} s ago (limit ${mqtt.commands.maxAgeS} s)`,
          m,
        );
      if (sentMs < this.startedWallMs - skewMs)
        return refuse('sent before the gateway started (replayed?)', m);
    }
    // Remembered twice as long as a command stays fresh, on disk before it acts (a restart forgets nothing).
    const until = Math.max(sentMs, clock.wallMs()) + 2 * mqtt.commands.maxAgeS * 1000;
    let fresh: boolean;
    try {
      fresh = await this.deps.usedIds.claim(`${who}\u0000${m.id}`, until);
    } catch (err) {
      this.deps.log.error('cannot record a command id: command refused', { user: who, error: err as Error });
      return refuse('the gateway cannot record the command id (storage failing): not acted on', m);
    }
    if (!fresh) return refuse('duplicate command id (replayed?)', m);

    const { outcome } = await this.deps.apply(m.tank, toTankCommand(m), who);
    const what = `${describeCommand(m)} tank=${m.tank}`;
    if (!outcome.accepted) {
      return refuse(outcome.reason, m);
    }
    const result: CommandResult = {
      id: m.id,
      tank: m.tank,
      action: m.action,
      result: 'accepted',
      message: outcome.message,
      time: this.now(),
    };
    this.deps.answer(who, result);
    this.deps.log.info('command accepted', {
      user: who,
      from: origin.from,
      id: m.id,
      command: what,
      message: outcome.message,
    });
    audit({
      kind: m.action === 'mode' ? 'mode' : m.action === 'thresholds' ? 'config' : 'command',
      who,
      from: origin.from,
      what,
      result: `accepted: ${outcome.message}`,
      detail: { id: m.id },
    });
    return result;
  }

  /** At most perUserPerMinute commands a minute per user; the excess is dropped and counted once. */
  private withinRate(user: string): boolean {
    const now = this.deps.clock.monotonicMs();
    let r = this.rate.get(user);
    if (!r || now - r.windowStart >= MINUTE_MS) {
      if (r && r.dropped > 0) {
        this.deps.audit({
          kind: 'suppressed',
          who: user,
          from: '',
          what: 'commands over the rate limit',
          result: `${r.dropped} dropped unread in one minute`,
        });
        this.deps.log.warn('commands dropped by the rate limit', { user, dropped: r.dropped });
      }
      r = { windowStart: now, count: 0, dropped: 0 };
      this.rate.set(user, r);
    }
    if (++r.count > this.deps.mqtt.commands.perUserPerMinute) {
      r.dropped++;
      return false;
    }
    return true;
  }

  private now(): string {
    return new Date(this.deps.clock.wallMs()).toISOString();
  }
}

/** The fields of a malformed command worth echoing back (only if they are plain strings). */
function safePartial(raw: Partial<CommandMessage> | undefined): Partial<CommandMessage> | undefined {
  if (!raw) return undefined;
  const str = (v: unknown) => (typeof v === 'string' && v.length <= 64 ? v : undefined);
  return { id: str(raw.id), tank: str(raw.tank) } as Partial<CommandMessage>;
}
