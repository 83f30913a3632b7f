// What a command's end means for the command node: its status, which output the answer goes to, and the
// error for Catch nodes. Pure.

import { describeCommand, type CommandMessage, type CommandResult } from './contract.js';
import type { Settled } from './pending-answers.js';
import type { NodeStatus } from './red.js';

const MAX_STATUS_CHARS = 60;

/**
 * An error for Catch nodes: Node-RED puts its toString() in msg.error.message (so it is the plain text)
 * and copies `code` to msg.error.code, so a flow can tell a refusal from the other failures.
 */
export class CommandError extends Error {
  constructor(
    readonly code: 'refused' | 'no-answer' | 'not-sent' | 'invalid',
    message: string,
  ) {
    super(message);
    this.name = 'CommandError';
  }

  override toString(): string {
    return this.message;
  }
}

export interface Outcome {
  status: NodeStatus;
  /** The answer to send: on output 1 (accepted) or 2 (refused); none when there is no answer. */
  answer?: { output: 1 | 2; result: CommandResult };
  error?: CommandError;
}

export interface OutcomeContext {
  timeoutS: number;
  user: string;
  /** The connection's state in words, for the no-answer error. */
  link: string;
}

export function outcomeOf(command: CommandMessage, settled: Settled, context: OutcomeContext): Outcome {
  const what = describeCommand(command);
  switch (settled.kind) {
    case 'answer': {
      const result = settled.result;
      if (result.result === 'accepted')
        return {
          status: { fill: 'green', shape: 'dot', text: `accepted: ${what}` },
          answer: { output: 1, result },
        };
      // The controller's own reasons start with "refused: " already.
      const reason = (result.reason ?? 'no reason given').replace(/^refused:\s*/, '');
      return {
        status: { fill: 'red', shape: 'dot', text: `refused: ${reason}`.slice(0, MAX_STATUS_CHARS) },
        answer: { output: 2, result },
        error: new CommandError(
          'refused',
          `${what} (tank ${command.tank}) refused by the gateway: ${reason}`,
        ),
      };
    }
    case 'timeout':
      return {
        status: { fill: 'red', shape: 'ring', text: `no answer in ${context.timeoutS} s` },
        error: new CommandError(
          'no-answer',
          `no answer to ${what} (command ${command.id}) within ${context.timeoutS} s: is the gateway daemon ` +
            `running, and ${context.user}'s result topic readable (${context.link})?`,
        ),
      };
    case 'cancelled':
      return {
        status: { fill: 'red', shape: 'ring', text: 'not sent' },
        error: new CommandError('not-sent', `${what} not sent: ${settled.reason}`),
      };
  }
}
