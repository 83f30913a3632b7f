// What the smart-tank nodes actually put on the wire: every topic they subscribe to or publish on, as
// the broker sees it, is a topic of the daemon's typed contract, and none is a wildcard publish.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import commandNode from '../../flows/nodes/src/command-node.js';
import gatewayNode from '../../flows/nodes/src/gateway-node.js';
import healthNode from '../../flows/nodes/src/health-node.js';
import tankNode from '../../flows/nodes/src/tank-node.js';
import { TestBroker } from '../helpers/aedes-broker.js';
import { waitFor } from '../helpers/daemon.js';
import { inContract } from '../helpers/topic-contract.js';
import {
  CREDENTIALS,
  EVENT_TIMEOUT_MS,
  flow,
  gatewayConfig,
  GATEWAY_ID,
  helper,
  record,
  TOPICS,
  USERS,
} from './kit.js';

describe('topics on the wire', () => {
  let broker: TestBroker;
  beforeAll(async () => {
    broker = await new TestBroker(USERS).start();
  });
  afterAll(async () => {
    await helper.unload();
    await broker.stop();
  });

  it('every topic the nodes subscribe to or publish on is in the contract', async () => {
    await helper.load(
      [gatewayNode, tankNode, healthNode, commandNode],
      flow(gatewayConfig(broker.url), [
        { id: 'house', type: 'smart-tank-tank', gateway: 'gw', tank: 'house', wires: [[], []] },
        { id: 'every', type: 'smart-tank-tank', gateway: 'gw', tank: '', wires: [[], []] },
        { id: 'health', type: 'smart-tank-health', gateway: 'gw', wires: [[], []] },
        {
          id: 'cmd',
          type: 'smart-tank-command',
          gateway: 'gw',
          tank: 'house',
          action: 'valve',
          timeout: 5,
          wires: [['ok'], []],
        },
        { id: 'ok', type: 'helper' },
      ]),
      CREDENTIALS,
    );
    const daemon = await broker.client('gateway');
    daemon.on('message', (_t, payload) => {
      const c = JSON.parse(payload.toString()) as { id: string };
      void daemon.publishAsync(
        TOPICS.result('nodered'),
        JSON.stringify({ id: c.id, result: 'accepted', time: new Date().toISOString() }),
        { qos: 1 },
      );
    });
    await daemon.subscribeAsync(TOPICS.commandFilter, { qos: 1 });
    const fromNodes = (s: { clientId: string }) => s.clientId.startsWith('nodered-');
    await waitFor(
      () =>
        broker.subscribed.filter(fromNodes).some((s) => s.topic === TOPICS.result('nodered')) || undefined,
      EVENT_TIMEOUT_MS,
      'the nodes subscribed',
    );
    const ok = record('ok');
    helper.getNode('cmd')!.receive({ payload: true });
    await ok.next();

    const subscribed = broker.subscribed.filter(fromNodes).map((s) => s.topic);
    const published = broker.published.filter(fromNodes).map((p) => p.topic);
    // One connection for all the nodes of a gateway config node, one SUBSCRIBE per filter.
    expect(new Set(broker.subscribed.filter(fromNodes).map((s) => s.clientId)).size).toBe(1);
    expect(subscribed.sort()).toEqual(
      [
        TOPICS.tankState('house'),
        TOPICS.tankEvent('house'),
        TOPICS.tankState('+'),
        TOPICS.tankEvent('+'),
        TOPICS.status,
        TOPICS.system,
        TOPICS.result('nodered'),
      ].sort(),
    );
    expect(published).toEqual([TOPICS.command('nodered')]);
    for (const topic of [...subscribed, ...published])
      expect(inContract(topic, 'smart-tank', GATEWAY_ID), topic).toBe(true);
  });
});
