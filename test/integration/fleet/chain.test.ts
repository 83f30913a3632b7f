// The fleet's broker chain, end to end with real processes on loopback: the gateway daemon (simulated
// tank) -> its own Mosquitto -> the generated bridge -> the hub Mosquitto of VPN server #1 -> the
// generated bridge -> a 3-node RabbitMQ cluster (quorum queues). The hub is stopped a while and started
// again, then the central node the hub and the subscriber are connected to is killed: every telemetry
// message the daemon published meanwhile must arrive at the central tier exactly as published, in order
// per tank (at least once: duplicates are counted and reported). A command signed for the fleet
// operator, published at the central tier, reaches the gateway's checked command path and is answered.

import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signCommand } from '../../../daemon/security/hmac.js';
import { waitFor } from '../../helpers/daemon.js';
import { PASSWORDS } from '../../helpers/mqtt-plane.js';
import {
  GATEWAY,
  OPERATOR,
  PREFIX,
  recorder,
  startFleet,
  type Fleet,
  type Recorder,
} from './fleet-fixture.js';

/** Bridges connect with a backoff and the cluster's MQTT listeners come up last: generous. */
const END_TO_END_TIMEOUT_MS = 60_000;
/** Messages the daemon publishes while the hub is down, and after the node is lost (≥ 1 a second). */
const MESSAGES_WHILE_HUB_DOWN = 8;
const MESSAGES_AFTER_NODE_LOSS = 8;
/** Publishing them takes a few seconds; a quorum queue's new leader and the reconnects, some more. */
const PHASE_TIMEOUT_MS = 90_000;
const ANSWER_TIMEOUT_MS = 30_000;
const TELEMETRY = new RegExp(`^${PREFIX}/${GATEWAY}/tank/[^/]+/(state|event)$`);

let fleet: Fleet;
let central: Recorder;
let truth: Recorder;

beforeAll(async () => {
  fleet = await startFleet();
  const nodes = fleet.cluster.nodes;
  // What the central tier delivers, to a persistent session of the fleet user (a quorum queue): on the
  // first node first (where the hub's bridge also connects first), the others after a loss.
  central = await recorder({
    servers: nodes.map((n) => ({ host: '127.0.0.1', port: n.mqttPort })),
    clientId: 'smart-tank-fleet-chain',
    clean: false,
    username: 'fleet',
    password: fleet.centralPassword,
  });
  await central.client.subscribeAsync([`${PREFIX}/+/tank/#`, `${PREFIX}/+/result/+`], { qos: 1 });
  // What the daemon published, as its own broker saw it: the ground truth.
  truth = await recorder({
    host: '127.0.0.1',
    port: fleet.plane.port,
    clientId: 'truth-at-the-gateway',
    clean: false,
    username: 'alice',
    password: PASSWORDS.alice,
  });
  await truth.client.subscribeAsync(`${PREFIX}/${GATEWAY}/tank/#`, { qos: 1 });
}, 240_000);

afterAll(async () => {
  for (const r of [central, truth]) await r?.client.endAsync(true).catch(() => {});
  await fleet?.close();
});

const same = (a: { topic: string; payload: string }, b: { topic: string; payload: string }) =>
  a.topic === b.topic && a.payload === b.payload;
const arrived = (m: { topic: string; payload: string }) => central.log.some((c) => same(c, m));

describe('gateway -> hub -> RabbitMQ cluster', () => {
  let firstIndex = 0;

  it('carries the daemon telemetry end to end', async () => {
    await waitFor(
      () => truth.log.find((m) => TELEMETRY.test(m.topic) && arrived(m)),
      END_TO_END_TIMEOUT_MS,
      'a tank state from the daemon at the central tier',
    );
    firstIndex = truth.log.length;
  });

  it('keeps what is published while the hub is stopped, and delivers it once the hub is back', async () => {
    await fleet.hub.stop();
    await waitFor(
      () => truth.log.length >= firstIndex + MESSAGES_WHILE_HUB_DOWN,
      PHASE_TIMEOUT_MS,
      `${MESSAGES_WHILE_HUB_DOWN} messages published while the hub is down`,
    );
    const lastWhileDown = truth.log[truth.log.length - 1]!;
    expect(arrived(lastWhileDown)).toBe(false);
    fleet.hub = await fleet.startHub();
    await waitFor(() => arrived(lastWhileDown), PHASE_TIMEOUT_MS, 'the hub outage backlog centrally');
  });

  it('loses nothing when the central node the hub and the subscriber use is killed', async () => {
    const lostPort = fleet.cluster.nodes[0]!.mqttPort;
    expect(fleet.hub.output()).toContain(`Connecting bridge (step 1) fleet-central (127.0.0.1:${lostPort})`);
    const beforeKill = truth.log.length;
    await fleet.cluster.kill(0);
    await waitFor(
      () => truth.log.length >= beforeKill + MESSAGES_AFTER_NODE_LOSS,
      PHASE_TIMEOUT_MS,
      `${MESSAGES_AFTER_NODE_LOSS} messages published after the node loss`,
    );
    const last = truth.log[truth.log.length - 1]!;
    await waitFor(() => arrived(last), PHASE_TIMEOUT_MS, 'the last message after the node loss');
    // The hub's bridge moved to another node.
    const others = fleet.cluster.nodes.slice(1).map((n) => `fleet-central (127.0.0.1:${n.mqttPort})`);
    expect(others.some((o) => fleet.hub.output().includes(`Connecting bridge (step 1) ${o}`))).toBe(true);

    const published = truth.log
      .slice(firstIndex, truth.log.indexOf(last) + 1)
      .filter((m) => TELEMETRY.test(m.topic));
    const received = central.log.filter((m) => TELEMETRY.test(m.topic));
    const topics = [...new Set(published.map((m) => m.topic))];
    let duplicates = 0;
    for (const topic of topics) {
      const sent = published.filter((m) => m.topic === topic).map((m) => m.payload);
      const got = received.filter((m) => m.topic === topic).map((m) => m.payload);
      // At least once, exactly as published, in order: the first arrivals from the window's first
      // message on are the published sequence itself.
      const from = got.indexOf(sent[0]!);
      expect(from, `${topic}: the window's first message arrived`).toBeGreaterThanOrEqual(0);
      const firstArrivals = [...new Set(got.slice(from))].slice(0, sent.length);
      expect(firstArrivals, `${topic}: every message, in order`).toEqual(sent);
      duplicates += got.slice(from).filter((p, i, all) => all.indexOf(p) !== i).length;
    }
    console.log(
      `fleet chain: ${published.length} telemetry messages published across the hub outage and the node ` +
        `loss on ${topics.length} topics; all arrived in order; ${duplicates} duplicate(s) (QoS 1)`,
    );
  });
});

describe('a command from the central tier', () => {
  let seq = 0;
  const send = async (sign: boolean) => {
    const command: Record<string, unknown> = {
      id: `fleet-chain-${process.pid}-${++seq}`,
      ts: Date.now(),
      tank: 'house',
      action: 'mode',
      mode: 'auto',
    };
    if (sign) command.sig = signCommand(command, fleet.operatorKey);
    await central.client.publishAsync(`${PREFIX}/${GATEWAY}/command/${OPERATOR}`, JSON.stringify(command), {
      qos: 1,
    });
    const answer = await waitFor(
      () =>
        central.log
          .filter((m) => m.topic === `${PREFIX}/${GATEWAY}/result/${OPERATOR}`)
          .map((m) => JSON.parse(m.payload) as { id: string; result: string; reason?: string })
          .find((r) => r.id === command.id),
      ANSWER_TIMEOUT_MS,
      `the answer to ${String(command.id)}`,
    );
    return { command, answer };
  };

  it("reaches the gateway's checked command path as the operator and is answered", async () => {
    const { command, answer } = await send(true);
    expect(answer.result).toBe('accepted');
    const audit = readFileSync(fleet.plane.auditFile, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { who: string; kind: string; result: string; detail?: { id?: string } });
    expect(
      audit.find((a) => a.who === OPERATOR && JSON.stringify(a).includes(String(command.id))),
    ).toMatchObject({
      who: OPERATOR,
    });
    expect(
      audit.find((a) => a.who === OPERATOR && JSON.stringify(a).includes(String(command.id)))!.result,
    ).toMatch(/^accepted/);
  });

  it("is refused by the gateway when it is not signed with the operator's key", async () => {
    const { answer } = await send(false);
    expect(answer).toMatchObject({ result: 'refused' });
    expect(answer.reason).toMatch(/signature/);
  });
});
