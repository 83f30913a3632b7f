// A quiet tunnel is checked by sending one byte through it to the VPN server's tunnel address, UDP port 9
// (discard). The server answers with ICMP port unreachable (or, where it filters that, WireGuard sends its
// passive keepalive within 10 s): either way bytes come back through the tunnel when, and only when, the
// path works. No raw sockets or `ping` needed.

import { createSocket } from 'node:dgram';
import { isIP } from 'node:net';

export interface Prober {
  /** Fire and forget: a probe that cannot be sent (no route while the tunnel is down) is no error. */
  probe(address: string): void;
}

export const PROBE_PORT = 9;
const PROBE_PAYLOAD = Buffer.from([0]);

export const udpProber: Prober = {
  probe(address) {
    const socket = createSocket(isIP(address) === 6 ? 'udp6' : 'udp4');
    let closed = false;
    const close = () => {
      if (closed) return;
      closed = true;
      socket.close();
    };
    socket.on('error', close);
    socket.send(PROBE_PAYLOAD, PROBE_PORT, address, close);
  },
};
