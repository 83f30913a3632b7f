// The `smart-tank-tank` node: one tank's (or every tank's) telemetry as typed messages.
//   output 1: tank state (TankStatePayload), on every state the daemon publishes (retained: one at once)
//   output 2: tank events (TankEventPayload): valve/pump switched, alarms raised and cleared, mode, fills
// Its status shows the level and the daemon's status text, and "gateway offline" after the Last Will.

import { configIdSchema, type GatewayStatus, type TankStatePayload } from './contract.js';
import type { LinkState } from './gateway-client.js';
import { useGateway } from './gateway-node.js';
import { parseGatewayStatus, parseTankEvent, parseTankState } from './payloads.js';
import { text, type NodeAPI, type RedNode } from './red.js';
import { tankStatus } from './status.js';

export const TANK_TYPE = 'smart-tank-tank';

export default function register(RED: NodeAPI): void {
  RED.nodes.registerType<RedNode>(TANK_TYPE, function (def) {
    RED.nodes.createNode(this, def);
    const node = this;
    const tank = text(def, 'tank');
    if (tank && !configIdSchema.safeParse(tank).success) {
      node.status({ fill: 'red', shape: 'ring', text: `bad tank id "${tank}"` });
      node.error(`tank id "${tank}": 1-32 lower-case letters, digits, - or _ (empty: every tank)`);
      return;
    }
    const use = useGateway(RED, def.gateway);
    if (!use.ok) {
      node.status({ fill: 'red', shape: 'ring', text: 'no gateway' });
      node.error(use.error);
      return;
    }
    const { client, topics } = use.value;
    const filter = tank || '+';
    let link: LinkState = client.state;
    let gateway: GatewayStatus | undefined;
    let last: TankStatePayload | undefined;
    const show = () => node.status(tankStatus(link, gateway, last, !tank));

    const unsubscribe = [
      client.onState((state) => {
        link = state;
        show();
      }),
      client.subscribe(
        topics.tankState(filter),
        (topic, payload) => {
          const parsed = parseTankState(payload);
          if (!parsed.ok)
            return node.error(`${topic}: ${parsed.error}`, { topic, payload: payload.toString() });
          last = parsed.value;
          show();
          node.send([{ topic, tank: last.tank, payload: last }, null]);
        },
        { latest: true },
      ),
      client.subscribe(topics.tankEvent(filter), (topic, payload) => {
        const parsed = parseTankEvent(payload);
        if (!parsed.ok)
          return node.error(`${topic}: ${parsed.error}`, { topic, payload: payload.toString() });
        const event = parsed.value;
        node.send([null, { topic, tank: event.tank, event: event.type, payload: event }]);
      }),
      client.subscribe(
        topics.status,
        (_topic, payload) => {
          const parsed = parseGatewayStatus(payload);
          if (parsed.ok) gateway = parsed.value;
          show();
        },
        { latest: true },
      ),
    ];
    node.on('close', (_removed, done) => {
      for (const stop of unsubscribe) stop();
      done();
    });
  });
}
