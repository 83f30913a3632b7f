// The `smart-tank-health` node: the gateway itself.
//   output 1: the Pi's health (SystemHealth: CPU, memory, CPU temperature, uptime, VPN, ...)
//   output 2: "online" / "offline" (retained; "offline" is the daemon's Last Will, so it also comes when
//             the daemon or the Pi dies without saying goodbye)

import type { GatewayStatus, SystemHealth } from './contract.js';
import type { LinkState } from './gateway-client.js';
import { useGateway } from './gateway-node.js';
import { parseGatewayStatus, parseSystemHealth } from './payloads.js';
import type { NodeAPI, RedNode } from './red.js';
import { healthStatus } from './status.js';

export const HEALTH_TYPE = 'smart-tank-health';

export default function register(RED: NodeAPI): void {
  RED.nodes.registerType<RedNode>(HEALTH_TYPE, function (def) {
    RED.nodes.createNode(this, def);
    const node = this;
    const use = useGateway(RED, def.gateway);
    if (!use.ok) {
      node.status({ fill: 'red', shape: 'ring', text: 'no gateway' });
      node.error(use.error);
      return;
    }
    const { client, topics } = use.value;
    let link: LinkState = client.state;
    let gateway: GatewayStatus | undefined;
    let health: SystemHealth | undefined;
    const show = () => node.status(healthStatus(link, gateway, health));

    const unsubscribe = [
      client.onState((state) => {
        link = state;
        show();
      }),
      client.subscribe(
        topics.system,
        (topic, payload) => {
          const parsed = parseSystemHealth(payload);
          if (!parsed.ok)
            return node.error(`${topic}: ${parsed.error}`, { topic, payload: payload.toString() });
          health = parsed.value;
          show();
          node.send([{ topic, payload: health }, null]);
        },
        { latest: true },
      ),
      client.subscribe(
        topics.status,
        (topic, payload) => {
          const parsed = parseGatewayStatus(payload);
          if (!parsed.ok)
            return node.error(`${topic}: ${parsed.error}`, { topic, payload: payload.toString() });
          gateway = parsed.value;
          show();
          node.send([null, { topic, payload: gateway }]);
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
