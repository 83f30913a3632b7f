// Supervises a WireGuard client tunnel through `wg-quick` and `wg` (wireguard-go where the kernel has no
// module): brings it up from the provisioned config, reads `wg show IF dump` every pollIntervalS, and
//  - stale (nothing received for staleAfterS): resolves the endpoint's name again and points the peer at
//    the new address with `wg set` (the tunnel itself resolves a name only once);
//  - down (nothing for downAfterS, no session, or no interface): restarts the interface, with backoff.
// A quiet tunnel is probed so that "nothing received" means a broken path, not an idle one.
//
// Liveness is judged on the monotonic clock: when the handshake timestamp in the dump changes, the time of
// that observation is kept, so a wall clock that jumps at NTP sync (a Pi without RTC) changes nothing.

import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Clock } from '../clock.js';
import type { WireGuardVpnConfig } from '../config/vpn-schema.js';
import type { Logger } from '../log.js';
import { SupervisionCore } from './core.js';
import { probeIntervalMs } from './policy.js';
import { udpProber, type Prober } from './probe.js';
import { outputTail } from './redact.js';
import { hostsFileResolver, systemResolver, type Resolver } from './resolver.js';
import { nodeRunner, toolEnv, type CommandRunner } from './runner.js';
import type { VpnHealth, VpnSupervisor } from './status.js';
import { seconds } from './tracker.js';
import { endpointHost, parseWgDump, type WgInterfaceDump } from './wg-dump.js';
import { firstHostOf, formatEndpoint, parseWgConf, renderRuntimeConf, type WgConf } from './wg-conf.js';

/** `wg show` answers in milliseconds; more means a hung userspace daemon. */
const WG_SHOW_TIMEOUT_MS = 5_000;
const WG_SET_TIMEOUT_MS = 5_000;
/** wg-quick creates the interface (starting wireguard-go), sets keys, addresses and routes: ~0.1 s. */
const WG_QUICK_TIMEOUT_MS = 20_000;
/** WireGuard's REJECT_AFTER_TIME: a session this old carries nothing (protocol constant). */
export const WG_REJECT_AFTER_MS = 180_000;

export interface WireGuardDeps {
  config: WireGuardVpnConfig;
  clock: Clock;
  log: Logger;
  runner?: CommandRunner;
  resolver?: Resolver;
  prober?: Prober;
  /** For the backoff jitter. */
  random?: () => number;
}

export class WireGuardSupervisor implements VpnSupervisor {
  readonly kind = 'wireguard' as const;
  private readonly config: WireGuardVpnConfig;
  private readonly clock: Clock;
  private readonly log: Logger;
  private readonly runner: CommandRunner;
  private readonly resolver: Resolver;
  private readonly prober: Prober;
  private readonly core: SupervisionCore;
  private readonly runtimeConf: string;
  private readonly staleAfterMs: number;
  private conf: WgConf | undefined;
  private lastDump: WgInterfaceDump | undefined;
  private handshakeS = 0;
  private handshakeAtMs: number | undefined;
  private lastProbeMs = -Infinity;
  private nextResolveMs = 0;
  private starting: Promise<void> | undefined;
  private warnedKeepalive = false;

  constructor(deps: WireGuardDeps) {
    const c = deps.config;
    this.config = c;
    this.clock = deps.clock;
    this.log = deps.log;
    this.runner = deps.runner ?? nodeRunner;
    this.resolver = deps.resolver ?? (c.hostsFile ? hostsFileResolver(c.hostsFile) : systemResolver);
    this.prober = deps.prober ?? udpProber;
    this.staleAfterMs = c.staleAfterS * 1000;
    this.core = new SupervisionCore({
      config: c,
      clock: deps.clock,
      log: deps.log,
      random: deps.random ?? Math.random,
      status: () => this.status(),
    });
    // wg-quick names the interface after the file.
    this.runtimeConf = join(c.runtimeDir, `${c.interface}.conf`);
  }

  onChange(listener: (status: VpnHealth) => void): void {
    this.core.onChange(listener);
  }

  start(): Promise<void> {
    this.starting ??= (() => {
      this.log.info('VPN starting', {
        kind: this.kind,
        interface: this.config.interface,
        config: this.config.configFile,
        resolver: this.resolver.description,
      });
      return this.core.start(
        () => this.bringUp('start'),
        () => this.poll(),
      );
    })();
    return this.starting;
  }

  async stop(): Promise<void> {
    if (!this.core.isStarted || this.core.stopping) return;
    await this.core.halt();
    try {
      if (await this.interfacePresent()) await this.wgQuick('down');
    } catch (err) {
      this.log.warn('VPN: cannot take the tunnel down', { error: err as Error });
    }
    // The runtime copy holds the private key: it lives no longer than the tunnel.
    await rm(this.runtimeConf, { force: true }).catch(() => {});
    await this.core.stopped();
  }

  status(): VpnHealth {
    const now = this.clock.monotonicMs();
    const main = this.mainPeer();
    return this.core.tracker.health(
      now,
      { kind: this.kind, interface: this.config.interface },
      {
        address: this.conf?.addresses[0] ?? null,
        endpoint: main.dump?.endpoint ?? null,
        endpointHost: main.conf?.endpoint && !main.conf.endpoint.literal ? main.conf.endpoint.host : null,
        handshakeAgeS: this.handshakeAtMs === undefined ? null : seconds(now - this.handshakeAtMs),
      },
    );
  }

  private async poll(): Promise<void> {
    const { tracker } = this.core;
    const now = this.clock.monotonicMs();
    const dump = await this.readDump();
    let session = false;
    let rxBytes: number | undefined;
    let txBytes: number | undefined;
    if (dump) {
      this.lastDump = dump;
      rxBytes = dump.peers.reduce((sum, p) => sum + p.rxBytes, 0);
      txBytes = dump.peers.reduce((sum, p) => sum + p.txBytes, 0);
      this.trackHandshake(dump, now);
      session = this.handshakeAtMs !== undefined && now - this.handshakeAtMs < WG_REJECT_AFTER_MS;
    }
    const present = dump !== undefined;
    const t = tracker.sample({ present, session, rxBytes, txBytes }, now);
    if (t.changed) this.core.transition(t, { handshakeAgeS: this.status().handshakeAgeS });

    if (present && tracker.state !== 'up' && now >= this.nextResolveMs) await this.reresolve(now);
    if (present) this.maybeProbe(now);
    if (tracker.restartDue(now, present)) {
      const pauseMs = tracker.noteRestart(now);
      this.log.warn('VPN restarting the tunnel', {
        interface: this.config.interface,
        restart: tracker.restarts,
        reason: present ? `nothing received for ${seconds(tracker.quietMs(now))} s` : 'no interface',
        nextRestartNotBeforeS: seconds(pauseMs),
      });
      await this.bringUp('restart');
    }
    // Changes were written when they happened; counters are refreshed now and then.
    this.core.queueStatusWrite(now, false);
  }

  /** The handshake's age on the monotonic clock, from the moment its timestamp was seen to change. */
  private trackHandshake(dump: WgInterfaceDump, now: number): void {
    const latest = Math.max(0, ...dump.peers.map((p) => p.latestHandshakeS));
    if (latest === this.handshakeS) return;
    this.handshakeS = latest;
    this.handshakeAtMs = latest === 0 ? undefined : now - Math.max(0, this.clock.wallMs() - latest * 1000);
  }

  private maybeProbe(now: number): void {
    const address = this.probeAddress();
    const every = probeIntervalMs(this.staleAfterMs);
    if (!address || this.core.tracker.quietMs(now) < every || now - this.lastProbeMs < every) return;
    this.lastProbeMs = now;
    this.log.debug('VPN probe', { address });
    this.prober.probe(address);
  }

  private probeAddress(): string | undefined {
    const configured = this.config.probeAddress;
    if (configured === 'none') return undefined;
    if (configured) return configured;
    const address = this.conf?.addresses.find((a) => /^\d+\.\d+\.\d+\.\d+(\/\d+)?$/.test(a));
    return address ? firstHostOf(address) : undefined;
  }

  /** Points each named peer at its name's current address, when that changed. */
  private async reresolve(now: number): Promise<void> {
    this.nextResolveMs = now + this.staleAfterMs;
    const peers = this.conf?.peers ?? [];
    for (const peer of peers) {
      const endpoint = peer.endpoint;
      if (!endpoint || endpoint.literal) continue;
      let addresses: string[];
      try {
        addresses = await this.resolver.resolve(endpoint.host);
      } catch (err) {
        this.core.noteError(`cannot resolve ${endpoint.host}: ${(err as Error).message}`);
        continue;
      }
      const current = this.lastDump?.peers.find((p) => p.publicKey === peer.publicKey)?.endpoint ?? null;
      if (current && addresses.includes(endpointHost(current))) continue;
      const next = formatEndpoint(addresses[0]!, endpoint.port);
      try {
        const r = await this.runner.run(
          'wg',
          ['set', this.config.interface, 'peer', peer.publicKey, 'endpoint', next],
          { timeoutMs: WG_SET_TIMEOUT_MS, env: toolEnv() },
        );
        if (r.code !== 0) throw new Error(outputTail(r.stderr) || `exit ${r.code ?? r.signal}`);
        this.log.info('VPN endpoint re-resolved', { host: endpoint.host, from: current, to: next });
        // Try the new address at once rather than at the next probe.
        this.lastProbeMs = -Infinity;
      } catch (err) {
        this.core.noteError(`cannot set the endpoint of ${this.config.interface}: ${(err as Error).message}`);
      }
    }
  }

  private async bringUp(reason: 'start' | 'restart'): Promise<void> {
    const c = this.config;
    try {
      let text: string;
      try {
        text = await readFile(c.configFile, 'utf8');
      } catch (err) {
        throw new Error(
          `cannot read ${c.configFile}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
        );
      }
      const conf = parseWgConf(text, c.configFile);
      this.conf = conf;
      if (!this.warnedKeepalive && conf.peers.some((p) => !p.persistentKeepaliveS)) {
        this.warnedKeepalive = true;
        this.log.warn(
          'VPN peer without PersistentKeepalive: behind NAT the server cannot reach the gateway',
          {
            config: c.configFile,
          },
        );
      }
      const resolved = new Map<number, string>();
      for (const [i, peer] of conf.peers.entries()) {
        const endpoint = peer.endpoint;
        if (!endpoint || endpoint.literal) continue;
        try {
          const [address] = await this.resolver.resolve(endpoint.host);
          resolved.set(i, formatEndpoint(address!, endpoint.port));
        } catch (err) {
          // Up without an endpoint: the address exists for listeners; the endpoint is set once it resolves.
          this.core.noteError(`cannot resolve ${endpoint.host}: ${(err as Error).message}`);
        }
      }
      this.nextResolveMs = this.clock.monotonicMs() + this.staleAfterMs;
      await mkdir(c.runtimeDir, { recursive: true, mode: 0o700 });
      await rm(this.runtimeConf, { force: true });
      await writeFile(this.runtimeConf, renderRuntimeConf(text, conf, resolved), { mode: 0o600 });
      if (await this.interfacePresent()) {
        if (reason === 'start')
          this.log.info('VPN interface left from an earlier run: restarting it', { interface: c.interface });
        await this.wgQuick('down');
      }
      await this.wgQuick('up');
      this.core.tracker.tunnelStarted(this.clock.monotonicMs());
      this.handshakeS = 0;
      this.handshakeAtMs = undefined;
      this.lastDump = undefined;
      this.log.info(reason === 'start' ? 'VPN interface up' : 'VPN interface restarted', {
        interface: c.interface,
        address: conf.addresses[0] ?? null,
        endpoint: [...resolved.values()][0] ?? null,
      });
    } catch (err) {
      this.core.noteError(`cannot bring ${c.interface} up: ${(err as Error).message}`);
    }
  }

  private async readDump(): Promise<WgInterfaceDump | undefined> {
    try {
      const r = await this.runner.run('wg', ['show', this.config.interface, 'dump'], {
        timeoutMs: WG_SHOW_TIMEOUT_MS,
        env: toolEnv(),
      });
      if (r.code !== 0) {
        this.core.noteError(
          `wg show ${this.config.interface}: ${outputTail(r.stderr) || `exit ${r.code ?? r.signal}`}`,
        );
        return undefined;
      }
      return parseWgDump(r.stdout);
    } catch (err) {
      this.core.noteError((err as Error).message);
      return undefined;
    }
  }

  private async interfacePresent(): Promise<boolean> {
    const r = await this.runner.run('wg', ['show', this.config.interface, 'public-key'], {
      timeoutMs: WG_SHOW_TIMEOUT_MS,
      env: toolEnv(),
    });
    return r.code === 0;
  }

  private async wgQuick(action: 'up' | 'down'): Promise<void> {
    const r = await this.runner.run('wg-quick', [action, this.runtimeConf], {
      timeoutMs: WG_QUICK_TIMEOUT_MS,
      env: toolEnv({ WG_QUICK_USERSPACE_IMPLEMENTATION: this.config.userspaceImplementation }),
    });
    if (r.code !== 0)
      throw new Error(`wg-quick ${action} failed (${r.code ?? r.signal}): ${outputTail(r.stderr, 4)}`);
  }

  private mainPeer() {
    const peers = this.conf?.peers ?? [];
    const conf = peers.find((p) => p.endpoint) ?? peers[0];
    const dump = conf && this.lastDump?.peers.find((p) => p.publicKey === conf.publicKey);
    return { conf, dump };
  }
}
