// What each node shows under itself in the editor (node.status): pure functions of what it knows.
// Colours: green = fine, blue = refilling, yellow = a warning (level not trustworthy), red = an error or
// a fault, grey = nothing known (no data yet, gateway offline).

import type { GatewayStatus, SystemHealth, TankStatePayload } from './contract.js';
import { describeLink, type LinkState } from './gateway-client.js';
import type { NodeStatus } from './red.js';

const MAX_STATUS_CHARS = 60;

function clip(text: string): string {
  return text.length > MAX_STATUS_CHARS ? text.slice(0, MAX_STATUS_CHARS - 1) + '…' : text;
}

/** The link's own status, or undefined when connected (then the data decides). */
export function linkStatus(link: LinkState): NodeStatus | undefined {
  switch (link.kind) {
    case 'connected':
      return undefined;
    case 'connecting':
    case 'idle':
      return { fill: 'yellow', shape: 'ring', text: 'connecting' };
    case 'disconnected':
      return { fill: 'red', shape: 'ring', text: clip(describeLink(link)) };
    case 'refused':
      return { fill: 'red', shape: 'ring', text: clip(link.reason) };
    case 'stopped':
      return { fill: 'grey', shape: 'ring', text: 'stopped' };
  }
}

export function levelText(state: TankStatePayload): string {
  const pct = state.displayPct ?? state.levelPct;
  return pct === null ? '–%' : `${Math.round(pct)}%`;
}

/** A tank node: level and the daemon's status text, coloured by what it means. */
export function tankStatus(
  link: LinkState,
  gateway: GatewayStatus | undefined,
  state: TankStatePayload | undefined,
  showTankId: boolean,
): NodeStatus {
  const fromLink = linkStatus(link);
  if (fromLink) return fromLink;
  const prefix = state && showTankId ? `${state.tank} ` : '';
  if (gateway === 'offline')
    return {
      fill: 'grey',
      shape: 'ring',
      text: clip(`gateway offline${state ? `; last ${prefix}${levelText(state)}` : ''}`),
    };
  if (!state) return { fill: 'grey', shape: 'ring', text: 'waiting for tank state' };
  const text = clip(`${prefix}${levelText(state)} ${state.status}`);
  if (state.faults.length > 0) return { fill: 'red', shape: 'dot', text };
  if (state.quality !== 'ok' && state.quality !== 'noisy')
    return { fill: 'yellow', shape: 'ring', text: clip(`${prefix}level ${state.quality}`) };
  return { fill: state.valve === 'open' ? 'blue' : 'green', shape: 'dot', text };
}

/** The health node: online or offline (the Last Will), CPU and temperature. */
export function healthStatus(
  link: LinkState,
  gateway: GatewayStatus | undefined,
  health: SystemHealth | undefined,
): NodeStatus {
  const fromLink = linkStatus(link);
  if (fromLink) return fromLink;
  if (gateway === 'offline') return { fill: 'red', shape: 'ring', text: 'gateway offline' };
  const parts = [gateway ?? 'status unknown'];
  if (health) {
    parts.push(`CPU ${Math.round(health.cpuPct)}%`, `mem ${Math.round(health.memUsedPct)}%`);
    if (health.cpuTemperatureC !== null) parts.push(`${Math.round(health.cpuTemperatureC)}°C`);
  }
  return { fill: gateway === 'online' ? 'green' : 'grey', shape: 'dot', text: clip(parts.join(' · ')) };
}
