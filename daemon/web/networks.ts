// Which addresses the dashboard may listen on and serve: loopback, the LAN and the VPN tunnel (private,
// carrier-grade NAT and link-local ranges), never a public (WAN) address. Pure, from Node's BlockList.

import { BlockList, isIP } from 'node:net';

/** Address ranges that are not the internet: where a farm's LAN and VPN tunnel live. */
export const LOCAL_NETWORKS: readonly string[] = [
  '127.0.0.0/8',
  '::1/128',
  '10.0.0.0/8',
  '172.16.0.0/12',
  '192.168.0.0/16',
  // Carrier-grade NAT space: some VPN services (and farm routers behind them) number tunnels from it.
  '100.64.0.0/10',
  '169.254.0.0/16',
  'fc00::/7',
  'fe80::/10',
];

const LOOPBACK = ['127.0.0.0/8', '::1/128'];

/** Drops the IPv4-mapped IPv6 prefix (::ffff:10.0.0.1 -> 10.0.0.1) and any zone index. */
export function normalizeAddress(address: string): string {
  const bare = address.replace(/%.*$/, '');
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(bare);
  return mapped ? mapped[1]! : bare;
}

/** Parses "a.b.c.d/n" or "x::/n" (a bare address is a single host); throws on anything else. */
export function parseCidr(cidr: string): { address: string; prefix: number; family: 'ipv4' | 'ipv6' } {
  const [address = '', prefixText] = cidr.trim().split('/');
  const version = isIP(address);
  if (version === 0) throw new Error(`"${cidr}" is not an IP address or CIDR range`);
  const max = version === 4 ? 32 : 128;
  const prefix = prefixText === undefined ? max : Number(prefixText);
  if (!Number.isInteger(prefix) || prefix < 0 || prefix > max)
    throw new Error(`"${cidr}": prefix length must be 0-${max}`);
  return { address, prefix, family: version === 4 ? 'ipv4' : 'ipv6' };
}

export class AddressSet {
  private readonly list = new BlockList();

  constructor(cidrs: readonly string[]) {
    for (const c of cidrs) {
      const { address, prefix, family } = parseCidr(c);
      this.list.addSubnet(address, prefix, family);
    }
  }

  has(address: string): boolean {
    const a = normalizeAddress(address);
    const version = isIP(a);
    if (version === 0) return false;
    return this.list.check(a, version === 4 ? 'ipv4' : 'ipv6');
  }
}

const local = new AddressSet(LOCAL_NETWORKS);
const loopback = new AddressSet(LOOPBACK);

export function isLoopbackAddress(host: string): boolean {
  return host === 'localhost' || loopback.has(host);
}

/** Why a listen address is not allowed, or undefined when it is. */
export function listenHostProblem(host: string): string | undefined {
  if (host === 'localhost') return undefined;
  if (isIP(host) === 0)
    return 'must be an IP address of this gateway (loopback, LAN or VPN tunnel), not a name';
  if (host === '0.0.0.0' || host === '::')
    return 'a wildcard address would include the WAN interface: list the loopback, LAN and tunnel addresses';
  if (!local.has(host))
    return `${host} is a public (WAN) address: the dashboard is served on loopback, LAN and tunnel addresses only`;
  return undefined;
}
