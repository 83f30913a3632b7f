// `wg` and `wg-quick` as the supervisor sees them, behind its CommandRunner: interfaces made from the config
// file wg-quick is given, a `wg show IF dump` printed as wg(8) prints it (private key first), `wg set`
// changing a peer's endpoint, and a VPN server that answers only at its current address while it is up.
// Handshakes follow WireGuard's timing: one at the first packet, a new one after REKEY_AFTER_TIME (120 s),
// timed on the monotonic clock and reported in wall-clock seconds, as wireguard-go and the kernel do.

import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import {
  ToolError,
  type ChildHandle,
  type CommandRunner,
  type RunOptions,
  type RunResult,
} from '../../../../daemon/vpn/runner.js';

const REKEY_AFTER_S = 120;
const HANDSHAKE_RESPONSE_BYTES = 92;
const PROBE_BYTES = 32;
const ICMP_REPLY_BYTES = 96;

interface FakePeer {
  publicKey: string;
  presharedKey: string | null;
  endpoint: string | null;
  allowedIps: string;
  handshakeS: number;
  handshakeAtMs: number;
  rx: number;
  tx: number;
  keepalive: string;
}

interface FakeInterface {
  privateKey: string;
  publicKey: string;
  listenPort: number;
  peers: FakePeer[];
  env: NodeJS.ProcessEnv | undefined;
}

export interface Call {
  file: string;
  args: readonly string[];
  env?: NodeJS.ProcessEnv;
}

export class FakeWireGuard implements CommandRunner {
  readonly interfaces = new Map<string, FakeInterface>();
  readonly calls: Call[] = [];
  /** ip:port where the VPN server answers; empty = nowhere. */
  serverAt = new Set<string>(['203.0.113.10:51820']);
  serverUp = true;
  /** Calls ("wg-quick up") that hang until their timeout, as a wedged tool would. */
  readonly hang = new Set<string>();
  /** Tools that are not installed. */
  readonly missing = new Set<string>();

  constructor(
    private readonly clock: { wallMs(): number; monotonicMs(): number },
    private readonly publicKeyOf: (privateKey: string) => string,
  ) {}

  /** A datagram through the tunnel towards the server: answered when the server is reachable. */
  probe(): void {
    for (const iface of this.interfaces.values()) {
      for (const peer of iface.peers) {
        if (!peer.endpoint) continue;
        peer.tx += PROBE_BYTES;
        if (this.handshake(peer)) peer.rx += ICMP_REPLY_BYTES;
      }
    }
  }

  /** The interface disappears (wireguard-go crashed, someone deleted it). */
  crash(name: string): void {
    this.interfaces.delete(name);
  }

  async run(file: string, args: readonly string[], options: RunOptions): Promise<RunResult> {
    this.calls.push({ file, args, env: options.env });
    const name = basename(file);
    if (this.missing.has(name)) {
      const err = Object.assign(new Error(`spawn ${file} ENOENT`), { code: 'ENOENT' });
      throw new ToolError(`${name} not found: install the Debian package wireguard-tools`, file, {
        cause: err,
      });
    }
    if (this.hang.has(`${name} ${args[0]}`)) {
      await new Promise((r) => setTimeout(r, options.timeoutMs));
      throw new ToolError(`${file} ${args.join(' ')}: no answer within ${options.timeoutMs} ms`, file);
    }
    if (name === 'wg-quick') return this.wgQuick(args[0]!, args[1]!, options.env);
    if (name === 'wg') return this.wg(args);
    throw new Error(`fake: unexpected tool ${file}`);
  }

  spawn(): ChildHandle {
    throw new Error('fake wireguard: no long-running processes');
  }

  private wgQuick(action: string, confFile: string, env: NodeJS.ProcessEnv | undefined): RunResult {
    const name = basename(confFile, '.conf');
    if (action === 'up') {
      if (this.interfaces.has(name)) return fail(`wg-quick: \`${name}' already exists`);
      const iface = this.load(readFileSync(confFile, 'utf8'));
      iface.env = env;
      this.interfaces.set(name, iface);
      // Persistent keepalive sends at once: the first handshake.
      for (const peer of iface.peers) if (peer.keepalive !== 'off') this.handshake(peer);
      return ok(`[#] ip link add ${name} type wireguard\n[#] wg setconf ${name} /dev/fd/63\n`);
    }
    if (action === 'down') {
      if (!this.interfaces.delete(name)) return fail(`wg-quick: \`${name}' is not a WireGuard interface`);
      return ok(`[#] ip link delete dev ${name}\n`);
    }
    return fail(`Usage: wg-quick [ up | down | save | strip ] [ CONFIG_FILE | INTERFACE ]`);
  }

  private wg(args: readonly string[]): RunResult {
    const [verb, name, what, ...rest] = args;
    const iface = name === undefined ? undefined : this.interfaces.get(name);
    if (!iface) return fail('Unable to access interface: No such device');
    if (verb === 'show' && what === 'public-key') return ok(`${iface.publicKey}\n`);
    if (verb === 'show' && what === 'dump') {
      for (const peer of iface.peers) if (peer.keepalive !== 'off' && peer.endpoint) this.rekeyIfDue(peer);
      const lines = [`${iface.privateKey}\t${iface.publicKey}\t${iface.listenPort}\toff`];
      for (const p of iface.peers)
        lines.push(
          [
            p.publicKey,
            p.presharedKey ?? '(none)',
            p.endpoint ?? '(none)',
            p.allowedIps || '(none)',
            p.handshakeS,
            p.rx,
            p.tx,
            p.keepalive,
          ].join('\t'),
        );
      return ok(lines.join('\n') + '\n');
    }
    if (verb === 'set' && what === 'peer' && rest[1] === 'endpoint') {
      const peer = iface.peers.find((p) => p.publicKey === rest[0]);
      if (!peer) return fail(`fake: no peer ${rest[0]}`);
      peer.endpoint = rest[2]!;
      return ok('');
    }
    return fail(`Invalid subcommand: \`${verb}'`);
  }

  /** A handshake with the server when it answers at the peer's endpoint; true when it does. */
  private handshake(peer: FakePeer): boolean {
    if (!this.serverUp || !peer.endpoint || !this.serverAt.has(peer.endpoint)) return false;
    const now = this.clock.monotonicMs();
    if (peer.handshakeS === 0 || now - peer.handshakeAtMs >= REKEY_AFTER_S * 1000) {
      peer.handshakeS = Math.floor(this.clock.wallMs() / 1000);
      peer.handshakeAtMs = now;
      peer.rx += HANDSHAKE_RESPONSE_BYTES;
      peer.tx += 148;
    }
    return true;
  }

  private rekeyIfDue(peer: FakePeer): void {
    if (peer.handshakeS !== 0 && this.clock.monotonicMs() - peer.handshakeAtMs >= REKEY_AFTER_S * 1000)
      this.handshake(peer);
  }

  private load(text: string): FakeInterface {
    const iface: FakeInterface = {
      privateKey: '',
      publicKey: '',
      listenPort: 51820,
      peers: [],
      env: undefined,
    };
    let peer: FakePeer | undefined;
    for (const raw of text.split('\n')) {
      const line = raw.replace(/#.*/, '').trim();
      if (/^\[peer\]$/i.test(line)) {
        peer = {
          publicKey: '',
          presharedKey: null,
          endpoint: null,
          allowedIps: '',
          handshakeS: 0,
          handshakeAtMs: 0,
          rx: 0,
          tx: 0,
          keepalive: 'off',
        };
        iface.peers.push(peer);
        continue;
      }
      const m = /^(\w+)\s*=\s*(.+)$/.exec(line);
      if (!m) continue;
      const key = m[1]!.toLowerCase();
      const value = m[2]!;
      if (!peer) {
        if (key === 'privatekey') {
          iface.privateKey = value;
          iface.publicKey = this.publicKeyOf(value);
        }
        if (key === 'listenport') iface.listenPort = Number(value);
      } else if (key === 'publickey') peer.publicKey = value;
      else if (key === 'presharedkey') peer.presharedKey = value;
      else if (key === 'endpoint') peer.endpoint = value;
      else if (key === 'allowedips') peer.allowedIps = value.replace(/\s/g, '');
      else if (key === 'persistentkeepalive') peer.keepalive = value;
    }
    return iface;
  }
}

function ok(stdout: string): RunResult {
  return { code: 0, signal: null, stdout, stderr: '' };
}

function fail(stderr: string): RunResult {
  return { code: 1, signal: null, stdout: '', stderr: stderr + '\n' };
}
