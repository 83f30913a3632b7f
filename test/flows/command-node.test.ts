// The command node, in Node-RED (node-red-node-test-helper) against a real broker, with the test
// standing in for the daemon on the daemon's topics: what it sends (the daemon's schema, fresh, unique,
// signed when a key is set), how answers are matched by id, and where each outcome goes: accepted to
// output 1, refused to output 2 and to a Catch node, no answer and bad input to a Catch node, with
// done() on every path (a Complete node sees the successes).

import { randomBytes } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { MqttClient } from 'mqtt';
import commandNode from '../../flows/nodes/src/command-node.js';
import gatewayNode from '../../flows/nodes/src/gateway-node.js';
import { commandSchema } from '../../daemon/commands/command-schema.js';
import type { CommandResult } from '../../daemon/commands/command-service.js';
import { signatureValid } from '../../daemon/security/hmac.js';
import { TestBroker } from '../helpers/aedes-broker.js';
import { waitFor } from '../helpers/daemon.js';
import {
  callsOf,
  CREDENTIALS,
  EVENT_TIMEOUT_MS,
  flow,
  gatewayConfig,
  helper,
  record,
  statuses,
  TOPICS,
  USERS,
} from './kit.js';

type Command = Record<string, unknown> & { id: string };
type Answer = (command: Command) => Partial<CommandResult> | undefined;

const accept: Answer = () => ({ result: 'accepted', message: 'fill valve open by hand until auto resumes' });

describe('smart-tank command node', () => {
  let broker: TestBroker;
  let daemon: MqttClient;
  let received: { topic: string; command: Command }[];
  let answer: Answer;

  beforeEach(async () => {
    broker = await new TestBroker(USERS).start();
    daemon = await broker.client('gateway');
    received = [];
    answer = accept;
    daemon.on('message', (topic, payload) => {
      const command = JSON.parse(payload.toString()) as Command;
      received.push({ topic, command });
      const result = answer(command);
      const user = topic.split('/').at(-1)!;
      if (result)
        void daemon.publishAsync(
          TOPICS.result(user),
          JSON.stringify({
            id: command.id,
            tank: command.tank,
            action: command.action,
            time: new Date().toISOString(),
            ...result,
          }),
          { qos: 1 },
        );
    });
    await daemon.subscribeAsync(TOPICS.commandFilter, { qos: 1 });
  });
  afterEach(async () => {
    await helper.unload();
    await broker.stop();
  });

  async function load(
    settings: Record<string, unknown> = {},
    credentials: Record<string, string> = {},
    gateway: Record<string, unknown> = {},
  ) {
    const before = broker.subscribed.length;
    await helper.load(
      [gatewayNode, commandNode],
      flow(gatewayConfig(broker.url, gateway), [
        {
          id: 'cmd',
          type: 'smart-tank-command',
          gateway: 'gw',
          tank: 'house',
          action: 'valve',
          minutes: '30',
          timeout: 5,
          ...settings,
          wires: [['accepted'], ['refused']],
        },
        { id: 'accepted', type: 'helper' },
        { id: 'refused', type: 'helper' },
        { id: 'catch', type: 'catch', scope: ['cmd'], uncaught: false, wires: [['caught']] },
        { id: 'caught', type: 'helper' },
        { id: 'complete', type: 'complete', scope: ['cmd'], uncaught: false, wires: [['completed']] },
        { id: 'completed', type: 'helper' },
      ]),
      { gw: { ...CREDENTIALS.gw, ...credentials } },
    );
    const status = statuses('cmd');
    await waitFor(
      () => broker.subscribed.slice(before).some((s) => s.topic === TOPICS.result('nodered')),
      EVENT_TIMEOUT_MS,
      'the result subscription of this flow',
    );
    return {
      node: helper.getNode('cmd')!,
      accepted: record('accepted'),
      refused: record('refused'),
      caught: record('caught'),
      completed: record('completed'),
      status,
    };
  }

  const errorOf = (m: Record<string, unknown>) => (m.error as { message: string }).message;
  const codeOf = (m: Record<string, unknown>) => (m.error as { code?: string }).code;

  it('sends a fresh command in the daemon schema and outputs the accepted answer (done: Complete fires)', async () => {
    const { node, accepted, completed, status, refused, caught } = await load();
    const before = Date.now();
    node.receive({ payload: true, topic: 'water-in' });
    const out = await accepted.next();

    expect(received).toHaveLength(1);
    const { topic, command } = received[0]!;
    expect(topic).toBe(TOPICS.command('nodered'));
    expect(commandSchema.parse(command)).toEqual(command);
    expect(command).toEqual({
      id: command.id,
      ts: command.ts,
      tank: 'house',
      action: 'valve',
      open: true,
      minutes: 30,
    });
    expect(command.ts).toBeGreaterThanOrEqual(before);
    expect(command.ts).toBeLessThanOrEqual(Date.now());
    expect(out).toMatchObject({
      topic: 'water-in',
      payload: { id: command.id, result: 'accepted', message: 'fill valve open by hand until auto resumes' },
      command,
    });
    expect((await completed.next()).payload).toMatchObject({ id: command.id });
    await status.until(
      (s) => s.fill === 'green' && s.text === 'accepted: valve open for 30 min',
      'green, accepted',
    );
    expect(refused.messages).toHaveLength(0);
    expect(caught.messages).toHaveLength(0);

    node.receive({ payload: false });
    await accepted.next();
    expect(received[1]!.command).toMatchObject({ action: 'valve', open: false });
    expect(received[1]!.command.id).not.toBe(command.id);
  });

  it('signs with the HMAC key so that the daemon accepts the signature; without a key, no sig', async () => {
    const key = randomBytes(32);
    const { node, accepted } = await load({}, { hmacKey: key.toString('base64') });
    node.receive({ payload: true });
    await accepted.next();
    const signed = received[0]!.command;
    expect(typeof signed.sig).toBe('string');
    expect(signatureValid(signed, key)).toBe(true);
    expect(signatureValid({ ...signed, minutes: 120 }, key)).toBe(false);
    expect(signatureValid(signed, randomBytes(32))).toBe(false);
    await helper.unload();

    const unsigned = await load();
    unsigned.node.receive({ payload: true });
    await unsigned.accepted.next();
    expect(received[1]!.command).not.toHaveProperty('sig');
  });

  it('a refusal goes to output 2 and to a Catch node with the reason (done(err): no Complete)', async () => {
    answer = () => ({ result: 'refused', reason: 'user nodered (role viewer) may not send commands' });
    const { node, refused, caught, accepted, completed, status } = await load();
    node.receive({ payload: true });
    const out = await refused.next();
    expect(out.payload).toMatchObject({
      result: 'refused',
      reason: 'user nodered (role viewer) may not send commands',
    });
    const error = await caught.next();
    expect(errorOf(error)).toBe(
      'valve open for 30 min (tank house) refused by the gateway: user nodered (role viewer) may not send commands',
    );
    expect(codeOf(error)).toBe('refused');
    // Through node.error(err, msg) itself, with the message (what Catch nodes and the debug sidebar get).
    const [err, withMsg] = callsOf('cmd', 'error').at(-1)!;
    expect(err).toBeInstanceOf(Error);
    expect(withMsg).toMatchObject({
      payload: { result: 'refused' },
      command: { action: 'valve', open: true },
    });
    expect(error.payload).toMatchObject({ result: 'refused' });
    await status.until(
      (s) =>
        s.fill === 'red' &&
        s.shape === 'dot' &&
        s.text === 'refused: user nodered (role viewer) may not send commands',
      'red, refused',
    );
    expect(accepted.messages).toHaveLength(0);
    expect(completed.messages).toHaveLength(0);

    // The controller's own reasons start with "refused: ": said once.
    answer = () => ({
      result: 'refused',
      reason: 'refused: level 82% is at or above the high threshold (80%)',
    });
    node.receive({ payload: true });
    expect(errorOf(await caught.next())).toBe(
      'valve open for 30 min (tank house) refused by the gateway: level 82% is at or above the high threshold (80%)',
    );
    expect((await refused.next()).payload).toMatchObject({
      reason: 'refused: level 82% is at or above the high threshold (80%)',
    });
  });

  it('matches answers by id: commands in flight get their own answers, strangers are ignored', async () => {
    const held: Command[] = [];
    answer = (command) => {
      held.push(command);
      return undefined;
    };
    const { node, accepted } = await load();
    node.receive({ payload: true, n: 1 });
    node.receive({ payload: false, n: 2 });
    await waitFor(() => held.length === 2 || undefined, EVENT_TIMEOUT_MS, 'both commands at the daemon');
    const [first, second] = held as [Command, Command];
    const reply = (id: string, message: string) =>
      daemon.publishAsync(
        TOPICS.result('nodered'),
        JSON.stringify({ id, result: 'accepted', message, time: new Date().toISOString() }),
        { qos: 1 },
      );
    await reply('someone-elses-id', 'not ours');
    await reply(second.id, 'second');
    await reply(first.id, 'first');
    const a = await accepted.next((m) => m.n === 2);
    const b = await accepted.next((m) => m.n === 1);
    expect(a.payload).toMatchObject({ id: second.id, message: 'second' });
    expect(b.payload).toMatchObject({ id: first.id, message: 'first' });
    expect(accepted.messages).toHaveLength(2);
  });

  it('no answer within the timeout is an error for Catch, on no output', async () => {
    answer = () => undefined;
    const { node, caught, accepted, refused, status } = await load({ timeout: 0.3 });
    node.receive({ payload: true });
    const error = await caught.next();
    expect(errorOf(error)).toMatch(
      new RegExp(
        `^no answer to valve open for 30 min \\(command ${received[0]!.command.id}\\) within 0.3 s: is the gateway daemon running`,
      ),
    );
    expect(codeOf(error)).toBe('no-answer');
    await status.until(
      (s) => s.fill === 'red' && s.shape === 'ring' && s.text === 'no answer in 0.3 s',
      'red ring',
    );
    expect(accepted.messages).toHaveLength(0);
    expect(refused.messages).toHaveLength(0);
  });

  it('input that is not a valid command is an error naming the field, and nothing is sent', async () => {
    const { node, caught } = await load();
    node.receive({ payload: 'yes' });
    const first = await caught.next();
    expect(errorOf(first)).toBe('valve: msg.payload must be true (open), false (close) or {open, minutes}');
    expect(codeOf(first)).toBe('invalid');
    node.receive({ payload: { open: true, minutes: 100_000 } });
    expect(errorOf(await caught.next())).toBe(
      'not a valid command: minutes: Too big: expected number to be <=1440',
    );
    node.receive({ payload: { open: true, colour: 'red' } });
    expect(errorOf(await caught.next())).toBe('not a valid command: colour: unknown field');
    node.receive({ payload: true, tank: 'House Tank' });
    expect(errorOf(await caught.next())).toMatch(/^not a valid command: tank: must be 1-32 characters/);
    expect(received).toHaveLength(0);
    expect(broker.published.filter((p) => p.topic.includes('/command/'))).toHaveLength(0);
  });

  it('thresholds, mode and whole commands from msg.payload; msg.tank overrides the tank', async () => {
    const thresholds = await load({ action: 'thresholds' });
    thresholds.node.receive({ payload: { lowPct: 10, highPct: 40 }, tank: 'farm' });
    await thresholds.accepted.next();
    expect(received[0]!.command).toMatchObject({
      tank: 'farm',
      action: 'thresholds',
      lowPct: 10,
      highPct: 40,
    });
    expect(received[0]!.command).not.toHaveProperty('minutes');
    await helper.unload();

    const whole = await load({ action: 'msg', minutes: '' });
    whole.node.receive({ payload: { action: 'pump', on: false } });
    await whole.accepted.next();
    expect(received[1]!.command).toMatchObject({ tank: 'house', action: 'pump', on: false });
    expect(received[1]!.command).not.toHaveProperty('minutes');
    whole.node.receive({ payload: { action: 'mode', mode: 'auto' } });
    await whole.accepted.next();
    expect(received[2]!.command).toMatchObject({ action: 'mode', mode: 'auto' });
  });

  it('refuses to send while disconnected: an error, and nothing queued for later', async () => {
    const { node, caught, status } = await load({}, {}, { reconnect: 0.1 });
    const port = broker.port;
    await broker.stop();
    await status.until((s) => s.fill === 'red' || s.fill === 'yellow', 'the link down');
    node.receive({ payload: true });
    const error = await caught.next();
    expect(errorOf(error)).toMatch(/^valve open for 30 min not sent: not connected to the broker/);
    expect(codeOf(error)).toBe('not-sent');
    // The broker comes back: the command was not queued, so nothing arrives.
    broker = await new TestBroker(USERS).start(port);
    const watcher = await broker.client('gateway');
    const late: string[] = [];
    watcher.on('message', (t) => late.push(t));
    await watcher.subscribeAsync(TOPICS.commandFilter, { qos: 1 });
    await waitFor(
      () =>
        broker.subscribed.some(
          (s) => s.topic === TOPICS.result('nodered') && s.clientId.startsWith('nodered-'),
        ),
      EVENT_TIMEOUT_MS,
      'the node back on the broker',
    );
    node.receive({ payload: false });
    await waitFor(() => late.length > 0 || undefined, EVENT_TIMEOUT_MS, 'the new command');
    expect(late).toEqual([TOPICS.command('nodered')]);
    expect(
      broker.published
        .filter((p) => p.topic === TOPICS.command('nodered'))
        .map((p) => JSON.parse(p.payload).open),
    ).toEqual([false]);
  });
});
