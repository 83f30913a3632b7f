// The provisioned wg-quick config: what the supervisor needs from it (the tunnel address, each peer's
// public key and endpoint), and the runtime copy handed to wg-quick with endpoint names replaced by
// addresses the supervisor resolved itself. `wg` resolves a name once, when the interface is configured,
// and retries for a long while when DNS is not there yet (a Pi at boot); resolving here keeps every call
// bounded, lets a re-resolution use the same resolver, and lets the interface (and its address, which
// listeners bind to) come up even before the name resolves.
//
// Errors name the file and line, never a value (the [Interface] section holds the private key).

import { isIP } from 'node:net';

export interface WgEndpoint {
  host: string;
  port: number;
  /** The host is an IP address (nothing to resolve). */
  literal: boolean;
}

export interface WgConfPeer {
  publicKey: string;
  endpoint?: WgEndpoint;
  allowedIps: string[];
  persistentKeepaliveS?: number;
}

export interface WgConf {
  /** Interface addresses (CIDR), in order. */
  addresses: string[];
  peers: WgConfPeer[];
}

export class WgConfError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'WgConfError';
  }
}

interface Line {
  section: 'interface' | 'peer' | 'none';
  peer: number;
  key?: string;
  value?: string;
  number: number;
}

function scan(text: string): Line[] {
  const out: Line[] = [];
  let section: Line['section'] = 'none';
  let peer = -1;
  text.split('\n').forEach((raw, i) => {
    const stripped = raw.replace(/#.*/, '').trim();
    const header = /^\[(\w+)\]$/.exec(stripped);
    if (header) {
      const name = header[1]!.toLowerCase();
      section = name === 'peer' ? 'peer' : name === 'interface' ? 'interface' : 'none';
      if (section === 'peer') peer += 1;
      out.push({ section, peer, number: i + 1 });
      return;
    }
    const eq = stripped.indexOf('=');
    if (eq < 0) {
      out.push({ section, peer, number: i + 1 });
      return;
    }
    out.push({
      section,
      peer,
      key: stripped.slice(0, eq).trim().toLowerCase(),
      value: stripped.slice(eq + 1).trim(),
      number: i + 1,
    });
  });
  return out;
}

export function parseEndpoint(value: string): WgEndpoint | undefined {
  const m = /^\[([^\]]+)\]:(\d{1,5})$/.exec(value) ?? /^([^:\s]+):(\d{1,5})$/.exec(value);
  if (!m) return undefined;
  const port = Number(m[2]);
  if (port < 1 || port > 65535) return undefined;
  return { host: m[1]!, port, literal: isIP(m[1]!) !== 0 };
}

export function formatEndpoint(address: string, port: number): string {
  return isIP(address) === 6 ? `[${address}]:${port}` : `${address}:${port}`;
}

export function parseWgConf(text: string, source: string): WgConf {
  const addresses: string[] = [];
  const peers: WgConfPeer[] = [];
  let sawInterface = false;
  for (const line of scan(text)) {
    if (line.section === 'interface') sawInterface = true;
    if (line.key === undefined || line.value === undefined) continue;
    const at = `${source}:${line.number}`;
    if (line.section === 'interface' && line.key === 'address') {
      addresses.push(
        ...line.value
          .split(',')
          .map((a) => a.trim())
          .filter(Boolean),
      );
    }
    if (line.section !== 'peer') continue;
    const peer = (peers[line.peer] ??= { publicKey: '', allowedIps: [] });
    switch (line.key) {
      case 'publickey':
        peer.publicKey = line.value;
        break;
      case 'endpoint': {
        const endpoint = parseEndpoint(line.value);
        if (!endpoint) throw new WgConfError(`${at}: Endpoint must be host:port or [ipv6]:port`);
        peer.endpoint = endpoint;
        break;
      }
      case 'allowedips':
        peer.allowedIps.push(
          ...line.value
            .split(',')
            .map((a) => a.trim())
            .filter(Boolean),
        );
        break;
      case 'persistentkeepalive':
        if (line.value !== 'off') {
          const s = Number(line.value);
          if (!Number.isInteger(s) || s < 0 || s > 65535)
            throw new WgConfError(`${at}: PersistentKeepalive must be a number of seconds or off`);
          peer.persistentKeepaliveS = s;
        }
        break;
    }
  }
  if (!sawInterface) throw new WgConfError(`${source}: no [Interface] section`);
  if (peers.length === 0) throw new WgConfError(`${source}: no [Peer] section (the VPN server)`);
  peers.forEach((p, i) => {
    if (!p.publicKey) throw new WgConfError(`${source}: [Peer] number ${i + 1} has no PublicKey`);
  });
  return { addresses, peers };
}

/**
 * The config for wg-quick: the provisioned text with each named endpoint replaced by the address given
 * for its peer (by peer index), or left out when there is none yet (set later with `wg set`).
 */
export function renderRuntimeConf(text: string, conf: WgConf, resolved: ReadonlyMap<number, string>): string {
  const lines = text.split('\n');
  for (const line of scan(text)) {
    if (line.section !== 'peer' || line.key !== 'endpoint') continue;
    const endpoint = conf.peers[line.peer]?.endpoint;
    if (!endpoint || endpoint.literal) continue;
    const address = resolved.get(line.peer);
    lines[line.number - 1] = address
      ? `Endpoint = ${address} # ${endpoint.host}, resolved by smart-tank`
      : `# Endpoint ${endpoint.host}:${endpoint.port} not resolved yet: set by smart-tank once it resolves`;
  }
  return lines.join('\n');
}

/** The VPN server's tunnel address in the address plan: the first host of the gateway's tunnel subnet. */
export function firstHostOf(cidr: string): string | undefined {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})(?:\/(\d{1,2}))?$/.exec(cidr.trim());
  if (!m) return undefined;
  const octets = m.slice(1, 5).map(Number);
  if (octets.some((o) => o > 255)) return undefined;
  const prefix = m[5] === undefined ? 24 : Number(m[5]);
  if (prefix > 30) return undefined;
  const ip = octets.reduce((acc, o) => acc * 256 + o, 0);
  const size = 2 ** (32 - prefix);
  const first = Math.floor(ip / size) * size + 1;
  return [24, 16, 8, 0].map((shift) => Math.floor(first / 2 ** shift) % 256).join('.');
}
