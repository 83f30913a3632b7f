// Shared pieces of the smart-tank node tests: the test helper started once, a real broker with the
// gateway's users, a recorder of what each node sends, shows and reports, and state/event payloads in
// the daemon's own types.

import helper, { type HelperNode } from 'node-red-node-test-helper';
import type { TankStatePayload } from '../../daemon/telemetry/topics.js';
import { topicsFor } from '../../daemon/telemetry/topics.js';
import { waitFor } from '../helpers/daemon.js';

export { helper };
export const GATEWAY_ID = 'farm-gw-01';
export const TOPICS = topicsFor('smart-tank', GATEWAY_ID);
export const USERS = { nodered: 'node-red-pass-1', gateway: 'gateway-pass-1' };
/** Generous: CI machines are shared and slow. */
export const EVENT_TIMEOUT_MS = 5000;

helper.init(new URL('../../node_modules/node-red/lib/red.js', import.meta.url).pathname);

export function gatewayConfig(url: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    id: 'gw',
    type: 'smart-tank-gateway',
    url,
    protocol: '4',
    prefix: 'smart-tank',
    gateway: GATEWAY_ID,
    user: 'nodered',
    ...extra,
  };
}

/**
 * A flow for helper.load: the gateway config node, plus `nodes` placed on one tab (Node-RED 4 takes a
 * node without x/y for a config node).
 */
export function flow(
  gateway: Record<string, unknown>,
  nodes: Record<string, unknown>[],
): Record<string, unknown>[] {
  return [
    { id: 'f1', type: 'tab', label: 'test' },
    gateway,
    ...nodes.map((n, i) => ({ z: 'f1', x: 100, y: 40 * (i + 1), wires: [], ...n })),
  ];
}

export const CREDENTIALS = { gw: { password: USERS.nodered } };

export interface Recorded {
  messages: Record<string, unknown>[];
  next(match?: (m: Record<string, unknown>) => boolean, what?: string): Promise<Record<string, unknown>>;
}

/** Every message a helper node receives. */
export function record(id: string): Recorded {
  const node = requireNode(id);
  const messages: Record<string, unknown>[] = [];
  node.on('input', (msg: Record<string, unknown>) => messages.push(msg));
  let taken = 0;
  return {
    messages,
    async next(match = () => true, what = `a message at ${id}`) {
      const found = await waitFor(() => messages.slice(taken).find(match), EVENT_TIMEOUT_MS, what);
      taken = messages.indexOf(found) + 1;
      return found;
    },
  };
}

export interface NodeStatusCall {
  fill?: string;
  shape?: string;
  text?: string;
}

/**
 * The calls of `method` (status, error, warn, ...) made by node `id`, including those from its
 * constructor: the test helper spies on Node.prototype, so every call is recorded with its `this`.
 */
export function callsOf(id: string, method: string): unknown[][] {
  const node = requireNode(id);
  const spy = (node as unknown as Record<string, unknown>)[method] as {
    getCalls(): { thisValue: unknown; args: unknown[] }[];
  };
  return spy
    .getCalls()
    .filter((c) => c.thisValue === node)
    .map((c) => c.args);
}

/** Every node.status() of a node; `until` waits for one that matches. */
export function statuses(id: string) {
  const seen = () => callsOf(id, 'status').map((args) => args[0] as NodeStatusCall);
  return {
    seen,
    until: (match: (s: NodeStatusCall) => boolean, what: string) =>
      waitFor(() => seen().find(match), EVENT_TIMEOUT_MS, `status of ${id}: ${what}`),
    last: () => seen().at(-1),
  };
}

/** The texts of every node.error() of a node. */
export function errorsOf(id: string): string[] {
  return callsOf(id, 'error').map(([err]) => (err instanceof Error ? err.message : String(err)));
}

export function requireNode(id: string): HelperNode {
  const node = helper.getNode(id);
  if (!node) throw new Error(`node ${id} is not in the flow`);
  return node;
}

export function tankState(overrides: Partial<TankStatePayload> = {}): TankStatePayload {
  return {
    time: new Date().toISOString(),
    timeSynced: true,
    tank: 'house',
    name: 'House greywater tank',
    levelPct: 54.3,
    litres: 1087,
    capacityLitres: 2001,
    displayPct: 54.1,
    quality: 'ok',
    valve: 'closed',
    pump: 'off',
    mode: 'auto',
    status: 'Water is ready to use',
    faults: [],
    alarms: [],
    acknowledged: [],
    probes: { bottom: 'wet', middle: 'dry', top: 'dry' },
    thresholds: { lowPct: 15, highPct: 80, source: 'config' },
    netFlowLitresPerMin: -0.4,
    minutesToFull: null,
    ...overrides,
  };
}
