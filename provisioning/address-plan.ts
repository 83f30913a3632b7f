// The address plan of the source paper's Table 1: up to 10 VPN servers, each a /24 of one base network;
// in each, the server is .1, the farmer's phone .2, tanks from .3. Server #n is the n-th /24 of the base
// (192.168.0.0/16: server #1 is 192.168.0.0/24, server #10 192.168.9.0/24).
//
// The table's last row is inconsistent (250 tanks a server, yet tank #250 at .251, which leaves room for
// 249): tank k is at .(k+2), so the 250 tanks are .3-.252; .253 and .254 are reserved (an installer's
// laptop, a second phone), .0 and .255 are never used. Pure functions: no IO.

export const MAX_SERVERS = 10;
export const TANKS_PER_SERVER = 250;
export const SERVER_HOST = 1;
export const PHONE_HOST = 2;
export const FIRST_TANK_HOST = 3;
export const LAST_TANK_HOST = FIRST_TANK_HOST + TANKS_PER_SERVER - 1; // 252
export const RESERVED_HOSTS = [253, 254] as const;
/** A /24 per server; the base must hold MAX_SERVERS of them (a /20 holds 16). */
const SERVER_PREFIX = 24;
const WIDEST_BASE_PREFIX = 8;
const NARROWEST_BASE_PREFIX = 20;

export class AddressPlanError extends Error {
  override name = 'AddressPlanError';
}

export interface BaseNetwork {
  /** Network address as a 32-bit number. */
  network: number;
  prefix: number;
}

export function ipToNumber(ip: string): number | undefined {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(ip.trim());
  if (!m) return undefined;
  const octets = m.slice(1).map(Number);
  if (octets.some((o) => o > 255)) return undefined;
  return octets.reduce((acc, o) => acc * 256 + o, 0);
}

export function numberToIp(n: number): string {
  return [24, 16, 8, 0].map((shift) => Math.floor(n / 2 ** shift) % 256).join('.');
}

/** "192.168.0.0/16" -> the base network; errors say what is wrong with it. */
export function parseBaseNetwork(cidr: string): BaseNetwork {
  const [ip, prefixText, extra] = cidr.trim().split('/');
  const prefix = Number(prefixText);
  const n = ip === undefined ? undefined : ipToNumber(ip);
  if (n === undefined || extra !== undefined || !/^\d{1,2}$/.test(prefixText ?? ''))
    throw new AddressPlanError(`base network "${cidr}" must be an IPv4 network like 192.168.0.0/16`);
  if (prefix < WIDEST_BASE_PREFIX || prefix > NARROWEST_BASE_PREFIX)
    throw new AddressPlanError(
      `base network "${cidr}": the prefix must be /${WIDEST_BASE_PREFIX} to /${NARROWEST_BASE_PREFIX} ` +
        `(it must hold ${MAX_SERVERS} /24 subnets, one per VPN server)`,
    );
  const size = 2 ** (32 - prefix);
  if (n % size !== 0)
    throw new AddressPlanError(
      `base network "${cidr}" has host bits set: did you mean ${numberToIp(n - (n % size))}/${prefix}?`,
    );
  return { network: n, prefix };
}

export function formatBaseNetwork(base: BaseNetwork): string {
  return `${numberToIp(base.network)}/${base.prefix}`;
}

export function checkServerNumber(server: number): void {
  if (!Number.isInteger(server) || server < 1 || server > MAX_SERVERS)
    throw new AddressPlanError(
      `server #${server} is outside the address plan: servers are numbered 1 to ${MAX_SERVERS}`,
    );
}

/** Network address (as a number) of server #n's /24. */
function subnetOf(base: BaseNetwork, server: number): number {
  checkServerNumber(server);
  return base.network + (server - 1) * 2 ** (32 - SERVER_PREFIX);
}

export function serverSubnet(base: BaseNetwork, server: number): string {
  return `${numberToIp(subnetOf(base, server))}/${SERVER_PREFIX}`;
}

export function hostAddress(base: BaseNetwork, server: number, host: number): string {
  return numberToIp(subnetOf(base, server) + host);
}

export function serverAddress(base: BaseNetwork, server: number): string {
  return hostAddress(base, server, SERVER_HOST);
}

export function phoneAddress(base: BaseNetwork, server: number): string {
  return hostAddress(base, server, PHONE_HOST);
}

/** Tank #k (1-250) of a server: .(k+2). */
export function tankAddress(base: BaseNetwork, server: number, k: number): string {
  if (!Number.isInteger(k) || k < 1 || k > TANKS_PER_SERVER)
    throw new AddressPlanError(`tank #${k}: a server has tanks #1 to #${TANKS_PER_SERVER}`);
  return hostAddress(base, server, FIRST_TANK_HOST + k - 1);
}

/** Where an address sits in the plan, or why it is not in it. */
export type Placement =
  | { kind: 'server' | 'phone'; server: number }
  | { kind: 'tank'; server: number; tank: number }
  | { kind: 'reserved' | 'network' | 'broadcast'; server: number }
  | { kind: 'outside' };

export function placeAddress(base: BaseNetwork, address: string): Placement {
  const n = ipToNumber(address);
  if (n === undefined) return { kind: 'outside' };
  const offset = n - base.network;
  const server = Math.floor(offset / 256) + 1;
  if (offset < 0 || server > MAX_SERVERS) return { kind: 'outside' };
  const host = offset % 256;
  if (host === 0) return { kind: 'network', server };
  if (host === 255) return { kind: 'broadcast', server };
  if (host === SERVER_HOST) return { kind: 'server', server };
  if (host === PHONE_HOST) return { kind: 'phone', server };
  if (host > LAST_TANK_HOST) return { kind: 'reserved', server };
  return { kind: 'tank', server, tank: host - FIRST_TANK_HOST + 1 };
}

/** Tank addresses of a server not in `taken`, in order. */
export function freeTankAddresses(base: BaseNetwork, server: number, taken: ReadonlySet<string>): string[] {
  const free: string[] = [];
  for (let k = 1; k <= TANKS_PER_SERVER; k++) {
    const a = tankAddress(base, server, k);
    if (!taken.has(a)) free.push(a);
  }
  return free;
}

/** "192.168.0.4, 192.168.0.6-192.168.0.252": runs of consecutive addresses, for error messages. */
export function describeRanges(addresses: readonly string[]): string {
  if (addresses.length === 0) return 'none';
  const nums = addresses.map((a) => ipToNumber(a)!).sort((a, b) => a - b);
  const runs: string[] = [];
  let start = nums[0]!;
  let prev = start;
  for (const n of [...nums.slice(1), Number.NaN]) {
    if (n === prev + 1) {
      prev = n;
      continue;
    }
    runs.push(start === prev ? numberToIp(start) : `${numberToIp(start)}-${numberToIp(prev)}`);
    start = prev = n;
  }
  return runs.join(', ');
}

/**
 * The address for a new tank on `server`: the requested one if it is a free tank address of that server,
 * else the lowest free one. `taken` maps each used address to whoever holds it (active or revoked).
 */
export function allocateTankAddress(
  base: BaseNetwork,
  server: number,
  taken: ReadonlyMap<string, string>,
  requested?: string,
): string {
  checkServerNumber(server);
  const free = freeTankAddresses(base, server, new Set(taken.keys()));
  const name = `server #${server} (${serverSubnet(base, server)})`;
  const freeText = `free tank addresses on ${name}: ${describeRanges(free)}`;
  if (requested === undefined) {
    const first = free[0];
    if (first === undefined)
      throw new AddressPlanError(
        `${name} is full: all ${TANKS_PER_SERVER} tank addresses ` +
          `(${hostAddress(base, server, FIRST_TANK_HOST)}-${hostAddress(base, server, LAST_TANK_HOST)}) are taken; ` +
          `put the device on another server`,
      );
    return first;
  }
  const place = placeAddress(base, requested);
  if (place.kind !== 'tank' || place.server !== server) {
    const why =
      place.kind === 'outside'
        ? `is outside the site's network ${formatBaseNetwork(base)}`
        : place.server !== server
          ? `belongs to server #${place.server}, not #${server}`
          : place.kind === 'server'
            ? 'is the VPN server (.1)'
            : place.kind === 'phone'
              ? "is the farmer's phone (.2)"
              : place.kind === 'reserved'
                ? 'is reserved (.253 and .254)'
                : `is the ${place.kind} address`;
    throw new AddressPlanError(`${requested} ${why}; ${freeText}`);
  }
  const holder = taken.get(requested);
  if (holder !== undefined) throw new AddressPlanError(`${requested} is taken by ${holder}; ${freeText}`);
  return requested;
}
