// The `smart-tank-gateway` config node: where the broker is, which gateway, and who the flow is (the
// MQTT user; its password and optional HMAC signing key are Node-RED credentials, never in the flow
// file). It owns the one connection the other smart-tank nodes share, opened when the first one asks.

import { randomBytes } from 'node:crypto';
import {
  configIdSchema,
  HMAC_KEY_BYTES,
  mqttSchema,
  topicsFor,
  validUsername,
  type Topics,
} from './contract.js';
import { GatewayClient } from './gateway-client.js';
import { errorText, numberOf, text, type NodeAPI, type NodeDef, type RedNode } from './red.js';

export const GATEWAY_TYPE = 'smart-tank-gateway';

export interface GatewaySettings {
  url: string;
  protocolVersion: 4 | 5;
  prefix: string;
  gatewayId: string;
  user: string;
  password?: string;
  hmacKey?: Buffer;
  reconnectPeriodMs: number;
}

const DEFAULT_RECONNECT_S = 5;
const MIN_RECONNECT_S = 0.1;
const MAX_RECONNECT_S = 300;

type Checked<T> = { ok: true; value: T } | { ok: false; error: string };

/** The config node's properties and credentials, checked; every problem at once. */
export function gatewaySettings(
  def: NodeDef,
  credentials: Record<string, string | undefined>,
): Checked<GatewaySettings> {
  const problems: string[] = [];
  const url = text(def, 'url');
  try {
    const protocol = new URL(url).protocol;
    if (!['mqtt:', 'mqtts:', 'ws:', 'wss:'].includes(protocol))
      problems.push(`broker URL ${url}: must start with mqtt://, mqtts://, ws:// or wss://`);
  } catch {
    problems.push(`broker URL "${url}": not a URL (e.g. mqtt://127.0.0.1:1883)`);
  }
  const protocol = text(def, 'protocol') || '4';
  if (protocol !== '4' && protocol !== '5') problems.push(`protocol ${protocol}: must be 4 (3.1.1) or 5`);
  const prefix = text(def, 'prefix') || 'smart-tank';
  const prefixCheck = mqttSchema.shape.topicPrefix.safeParse(prefix);
  if (!prefixCheck.success)
    problems.push(`topic prefix "${prefix}": ${prefixCheck.error.issues[0]!.message}`);
  const gatewayId = text(def, 'gateway');
  const idCheck = configIdSchema.safeParse(gatewayId);
  if (!idCheck.success) problems.push(`gateway id "${gatewayId}": ${idCheck.error.issues[0]!.message}`);
  const user = text(def, 'user');
  if (!validUsername(user)) problems.push(`user "${user}": 1-64 letters, digits, _ . @ or -`);
  const reconnectS = numberOf(def, 'reconnect') ?? DEFAULT_RECONNECT_S;
  if (!(reconnectS >= MIN_RECONNECT_S && reconnectS <= MAX_RECONNECT_S))
    problems.push(`reconnect every ${reconnectS} s: between ${MIN_RECONNECT_S} and ${MAX_RECONNECT_S} s`);
  const password = credentials.password || undefined;
  let hmacKey: Buffer | undefined;
  const keyText = credentials.hmacKey?.trim();
  if (keyText) {
    hmacKey = Buffer.from(keyText, 'base64');
    if (hmacKey.length !== HMAC_KEY_BYTES || hmacKey.toString('base64') !== keyText)
      problems.push(
        `HMAC key: must be the base64 key printed by \`smart-tank user add ${user} --hmac\` (${HMAC_KEY_BYTES} bytes)`,
      );
  }
  if (problems.length) return { ok: false, error: problems.join('; ') };
  return {
    ok: true,
    value: {
      url,
      protocolVersion: protocol === '5' ? 5 : 4,
      prefix,
      gatewayId,
      user,
      password,
      hmacKey,
      reconnectPeriodMs: Math.round(reconnectS * 1000),
    },
  };
}

interface GatewayConfigNode extends RedNode {
  smartTank?: { client: GatewayClient; hmacKey?: Buffer } | { problem: string };
}

export interface GatewayUse {
  client: GatewayClient;
  topics: Topics;
  hmacKey?: Buffer;
}

/** The shared connection of the config node `id`, started on first use; or why there is none. */
export function useGateway(RED: NodeAPI, id: unknown): Checked<GatewayUse> {
  const node = typeof id === 'string' && id ? (RED.nodes.getNode(id) as GatewayConfigNode | null) : null;
  if (!node || node.type !== GATEWAY_TYPE || !node.smartTank)
    return { ok: false, error: 'no gateway configured: pick a smart-tank gateway config node' };
  if ('problem' in node.smartTank) return { ok: false, error: `gateway config: ${node.smartTank.problem}` };
  const { client, hmacKey } = node.smartTank;
  client.start();
  return { ok: true, value: { client, topics: client.topics, hmacKey } };
}

export default function register(RED: NodeAPI): void {
  RED.nodes.registerType<GatewayConfigNode>(
    GATEWAY_TYPE,
    function (def) {
      RED.nodes.createNode(this, def);
      const checked = gatewaySettings(def, this.credentials ?? {});
      if (!checked.ok) {
        this.smartTank = { problem: checked.error };
        this.error(`gateway config: ${checked.error}`);
        return;
      }
      const s = checked.value;
      const client = new GatewayClient({
        url: s.url,
        user: s.user,
        password: s.password,
        protocolVersion: s.protocolVersion,
        topics: topicsFor(s.prefix, s.gatewayId),
        clientId: `nodered-${s.user}-${randomBytes(4).toString('hex')}`,
        reconnectPeriodMs: s.reconnectPeriodMs,
        onHandlerError: (err, topic) => this.error(`message on ${topic}: ${errorText(err)}`),
      });
      this.smartTank = { client, hmacKey: s.hmacKey };
      this.on('close', (_removed, done) => {
        void client.stop().then(done, done);
      });
    },
    { credentials: { password: { type: 'password' }, hmacKey: { type: 'password' } } },
  );
}
