// `wg show IF dump`: the machine-readable view of an interface, one tab-separated line for the interface
// and one per peer (wg(8), "dump"):
//   interface: private-key public-key listen-port fwmark
//   peer:      public-key preshared-key endpoint allowed-ips latest-handshake transfer-rx transfer-tx
//              persistent-keepalive
// The private key (and any preshared key) is read past and never kept: nothing can log what is not here.

import { redactKeys } from './redact.js';

export interface WgPeerDump {
  publicKey: string;
  /** ip:port the peer is reached at, or null before one is known. */
  endpoint: string | null;
  allowedIps: string[];
  /** Unix seconds of the last handshake (WireGuard's wall clock); 0 = none yet. */
  latestHandshakeS: number;
  rxBytes: number;
  txBytes: number;
  /** null = off. */
  keepaliveS: number | null;
}

export interface WgInterfaceDump {
  publicKey: string;
  listenPort: number;
  peers: WgPeerDump[];
}

export class WgDumpError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'WgDumpError';
  }
}

export function parseWgDump(text: string): WgInterfaceDump {
  const lines = text.split('\n').filter((l) => l.trim() !== '');
  const first = lines[0];
  if (first === undefined) throw new WgDumpError('wg show dump: empty output');
  const iface = first.split('\t');
  if (iface.length !== 4)
    throw new WgDumpError(`wg show dump: unexpected interface line (${iface.length} fields)`);
  const peers = lines.slice(1).map((line, i) => {
    const f = line.split('\t');
    if (f.length !== 8)
      throw new WgDumpError(`wg show dump: peer line ${i + 1} has ${f.length} fields, expected 8`);
    const [publicKey, , endpoint, allowed, handshake, rx, tx, keepalive] = f as [
      string,
      string,
      string,
      string,
      string,
      string,
      string,
      string,
    ];
    return {
      publicKey,
      endpoint: endpoint === '(none)' ? null : endpoint,
      allowedIps: allowed === '(none)' ? [] : allowed.split(','),
      latestHandshakeS: count(handshake, 'latest-handshake', i),
      rxBytes: count(rx, 'transfer-rx', i),
      txBytes: count(tx, 'transfer-tx', i),
      keepaliveS: keepalive === 'off' ? null : count(keepalive, 'persistent-keepalive', i),
    };
  });
  return { publicKey: iface[1]!, listenPort: Number(iface[2]), peers };
}

function count(value: string, field: string, peer: number): number {
  if (!/^\d+$/.test(value))
    throw new WgDumpError(`wg show dump: peer ${peer + 1} ${field} is not a number: "${redactKeys(value)}"`);
  return Number(value);
}

/** Host part of "ip:port" or "[v6]:port". */
export function endpointHost(endpoint: string): string {
  const m = /^\[(.*)\]:\d+$/.exec(endpoint);
  if (m) return m[1]!;
  const colon = endpoint.lastIndexOf(':');
  return colon < 0 ? endpoint : endpoint.slice(0, colon);
}
