// The `smart-tank-command` node: asks the gateway to do something, through the daemon's one checked
// command path (schema, role, signature, freshness, safety rules, audit). It never decides anything.
//   input:    msg.payload per action (valve: true/false; pump: true/false; mode: "auto"/"manual";
//             thresholds: {lowPct, highPct}; msg: a whole command object); msg.tank overrides the tank
//   output 1: the daemon's answer when accepted (msg.payload: CommandResult, msg.command: what was sent)
//   output 2: the answer when refused; the refusal also goes to node.error(err, msg) for Catch nodes
// No answer within the timeout, or a command that cannot be sent, is an error (Catch) on no output.

import { describeCommand, type CommandMessage } from './contract.js';
import { COMMAND_ACTIONS, buildCommand, systemCommandClock, type CommandAction } from './command.js';
import { describeLink, type LinkState } from './gateway-client.js';
import { useGateway } from './gateway-node.js';
import { parseCommandResult } from './payloads.js';
import { CommandError, outcomeOf } from './command-outcome.js';
import { PendingAnswers } from './pending-answers.js';
import { errorText, numberOf, text, type NodeAPI, type RedNode } from './red.js';
import { linkStatus } from './status.js';

export const COMMAND_TYPE = 'smart-tank-command';
const DEFAULT_TIMEOUT_S = 10;
const MIN_TIMEOUT_S = 0.1;
const MAX_TIMEOUT_S = 300;

function withoutSignature(command: CommandMessage): Omit<CommandMessage, 'sig'> {
  const { sig: _sig, ...rest } = command;
  return rest;
}

export default function register(RED: NodeAPI): void {
  RED.nodes.registerType<RedNode>(COMMAND_TYPE, function (def) {
    RED.nodes.createNode(this, def);
    const node = this;
    const action = (text(def, 'action') || 'valve') as CommandAction;
    const timeoutS = numberOf(def, 'timeout') ?? DEFAULT_TIMEOUT_S;
    const minutes = numberOf(def, 'minutes');
    const problem = !COMMAND_ACTIONS.includes(action)
      ? `action "${action}": one of ${COMMAND_ACTIONS.join(', ')}`
      : !(timeoutS >= MIN_TIMEOUT_S && timeoutS <= MAX_TIMEOUT_S)
        ? `timeout ${timeoutS} s: between ${MIN_TIMEOUT_S} and ${MAX_TIMEOUT_S} s`
        : undefined;
    const use = problem ? { ok: false as const, error: problem } : useGateway(RED, def.gateway);
    if (!use.ok) {
      node.status({ fill: 'red', shape: 'ring', text: problem ? 'bad settings' : 'no gateway' });
      node.error(use.error);
      node.on('input', (_msg, _send, done) => done(new CommandError('not-sent', use.error)));
      return;
    }
    const { client, topics, hmacKey } = use.value;
    const settings = { tank: text(def, 'tank'), action, minutes };
    const timeoutMs = Math.round(timeoutS * 1000);
    const pending = new PendingAnswers();

    const unsubscribe = [
      client.onState((link: LinkState) => {
        if (pending.size === 0) node.status(linkStatus(link) ?? {});
      }),
      client.subscribe(topics.result(client.user), (topic, payload) => {
        const parsed = parseCommandResult(payload);
        if (!parsed.ok)
          return node.error(`${topic}: ${parsed.error}`, { topic, payload: payload.toString() });
        pending.answer(parsed.value);
      }),
    ];

    node.on('input', (msg, send, done) => {
      const built = buildCommand(settings, msg, systemCommandClock, hmacKey);
      if (!built.ok) {
        node.status({ fill: 'red', shape: 'ring', text: 'not sent: bad input' });
        return done(new CommandError('invalid', built.error));
      }
      const command = built.command;
      node.status({ fill: 'blue', shape: 'ring', text: `sent: ${describeCommand(command)}` });
      const answer = pending.wait(command.id, timeoutMs);
      client
        .publish(topics.command(client.user), JSON.stringify(command))
        .catch((err: unknown) => pending.forget(command.id, errorText(err)));
      void answer.then((settled) => {
        const outcome = outcomeOf(command, settled, {
          timeoutS,
          user: client.user,
          link: describeLink(client.state),
        });
        node.status(outcome.status);
        if (outcome.answer) {
          msg.payload = outcome.answer.result;
          msg.command = withoutSignature(command);
          send(outcome.answer.output === 1 ? [msg, null] : [null, msg]);
        }
        done(outcome.error);
      });
    });

    node.on('close', (_removed, done) => {
      pending.cancelAll('the node was stopped before the answer came');
      for (const stop of unsubscribe) stop();
      done();
    });
  });
}
