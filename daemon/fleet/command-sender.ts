// Commands from the fleet page to a gateway, as the operator's own user: the command is the gateway's
// own message (daemon/commands/command-schema.ts), stamped now, given a fresh id, signed with the
// operator's key (the gateway requires the signature from a user with a key), published on the gateway's
// command/<operator> topic through the central tier, its hub and the gateway's bridge, and answered on
// result/<operator>. The gateway decides (schema, role, signature, freshness, unique id, safety rules)
// and audits it; the fleet only carries it and waits for the answer, at most answerTimeoutMs.

import { randomBytes } from 'node:crypto';
import { commandSchema } from '../commands/command-schema.js';
import { signCommand } from '../security/hmac.js';
import type { Logger } from '../log.js';
import type { CommandAnswer } from './fleet-state.js';

export interface CommandSenderDeps {
  prefix: string;
  publish(topic: string, payload: string): Promise<void>;
  hmacKey(user: string): Buffer | undefined;
  now(): number;
  answerTimeoutMs: number;
  log: Logger;
}

export type SendOutcome =
  | { sent: true; answer: CommandAnswer }
  | { sent: true; answer: undefined; problem: string }
  | { sent: false; problem: string; field?: string };

interface Pending {
  gateway: string;
  user: string;
  resolve: (a: CommandAnswer) => void;
}

export class CommandSender {
  private readonly pending = new Map<string, Pending>();
  answered = 0;
  unanswered = 0;

  constructor(private readonly deps: CommandSenderDeps) {}

  /** `body`: the command without id, ts and sig ({tank, action, ...}). */
  async send(user: string, gateway: string, body: Record<string, unknown>): Promise<SendOutcome> {
    const key = this.deps.hmacKey(user);
    if (!key)
      return {
        sent: false,
        problem: `${user} has no signing key on the fleet service (operators who command are admins made with provision operator add)`,
      };
    const command: Record<string, unknown> = {
      ...body,
      id: `fleet-${randomBytes(9).toString('base64url')}`,
      ts: this.deps.now(),
    };
    delete command.sig;
    const checked = commandSchema.safeParse(command);
    if (!checked.success) {
      const issue = checked.error.issues[0]!;
      return { sent: false, problem: issue.message, field: issue.path.join('.') };
    }
    command.sig = signCommand(command, key);
    const id = command.id as string;
    const answered = new Promise<CommandAnswer | undefined>((resolve) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        resolve(undefined);
      }, this.deps.answerTimeoutMs);
      this.pending.set(id, {
        gateway,
        user,
        resolve: (a) => {
          clearTimeout(timer);
          resolve(a);
        },
      });
    });
    try {
      await this.deps.publish(`${this.deps.prefix}/${gateway}/command/${user}`, JSON.stringify(command));
    } catch (err) {
      this.pending.get(id)?.resolve({ id, result: 'refused', reason: 'not sent' });
      return {
        sent: false,
        problem: `the central broker did not take the command: ${(err as Error).message}`,
      };
    }
    this.deps.log.info('fleet command sent', {
      user,
      gateway,
      id,
      action: command.action,
      tank: command.tank,
    });
    const answer = await answered;
    if (!answer) {
      this.unanswered++;
      return {
        sent: true,
        answer: undefined,
        problem: `no answer from ${gateway} within ${this.deps.answerTimeoutMs / 1000} s (offline, or its link is down); the gateway refuses it once it is older than its commands.maxAgeS`,
      };
    }
    this.answered++;
    return { sent: true, answer };
  }

  /** An answer seen on result/<user> of a gateway: settles the command it answers, if it is ours. */
  settle(gateway: string, user: string, answer: CommandAnswer): void {
    const p = this.pending.get(answer.id);
    if (!p || p.gateway !== gateway || p.user !== user) return;
    this.pending.delete(answer.id);
    p.resolve(answer);
  }
}
