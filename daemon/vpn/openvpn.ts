// Supervises an OpenVPN client: runs `openvpn` with the profile the farm's server issued, follows it
// through the management interface (`>STATE:` transitions, `>BYTECOUNT:` every pollIntervalS), and
// restarts the process, with backoff, when it exits or stays down for downAfterS (a connection stuck in
// WAIT/AUTH/RECONNECTING, or CONNECTED with nothing coming in). openvpn resolves the `remote` name again at
// each of its own reconnects. The assigned address comes from the CONNECTED state.

import { mkdir, readFile, rm } from 'node:fs/promises';
import { isIP } from 'node:net';
import { join } from 'node:path';
import type { Clock } from '../clock.js';
import type { OpenVpnConfig } from '../config/vpn-schema.js';
import type { Logger } from '../log.js';
import {
  parseManagementLine,
  unixManagementConnector,
  type ManagementChannel,
  type ManagementConnector,
  type OpenVpnStateLine,
} from './openvpn-mgmt.js';
import { CHACHA20, cipherArgs, cpuHasAes, inspectProfile, openvpnArgs } from './openvpn-profile.js';
import { probeIntervalMs } from './policy.js';
import { udpProber, type Prober } from './probe.js';
import { redactKeys } from './redact.js';
import { nodeRunner, toolEnv, type ChildHandle, type CommandRunner } from './runner.js';
import { settlesWithin, SupervisionCore } from './core.js';
import type { VpnHealth, VpnSupervisor } from './status.js';
import { seconds, type Transition } from './tracker.js';
import { firstHostOf } from './wg-conf.js';

/** openvpn opens its management socket within milliseconds of starting. */
const MGMT_CONNECT_TIMEOUT_MS = 5_000;
/** openvpn exits within a second of SIGTERM (it tells the server first); then it is killed. */
const STOP_TIMEOUT_MS = 5_000;
const OUTPUT_LINES_KEPT = 20;

export interface OpenVpnDeps {
  config: OpenVpnConfig;
  clock: Clock;
  log: Logger;
  runner?: CommandRunner;
  connector?: ManagementConnector;
  prober?: Prober;
  random?: () => number;
  /** /proc/cpuinfo, for the cipher choice. */
  readCpuInfo?: () => Promise<string>;
}

export class OpenVpnSupervisor implements VpnSupervisor {
  readonly kind = 'openvpn' as const;
  private readonly config: OpenVpnConfig;
  private readonly clock: Clock;
  private readonly log: Logger;
  private readonly runner: CommandRunner;
  private readonly connector: ManagementConnector;
  private readonly prober: Prober;
  private readonly readCpuInfo: () => Promise<string>;
  private readonly core: SupervisionCore;
  private readonly socketPath: string;
  private readonly pidFile: string;
  private readonly staleAfterMs: number;
  private child: ChildHandle | undefined;
  private mgmt: ManagementChannel | undefined;
  private ovState: OpenVpnStateLine | undefined;
  private rxBytes = 0;
  private txBytes = 0;
  private address: string | null = null;
  private endpoint: string | null = null;
  /** The profile's first `remote`, when it is a name (openvpn resolves it at each reconnect). */
  private remoteHost: string | null = null;
  private preferChaCha: boolean | undefined;
  private chachaRefused = false;
  private restrictedThisRun = false;
  private authFailure: string | undefined;
  private output: string[] = [];
  private lastProbeMs = -Infinity;
  private starting: Promise<void> | undefined;

  constructor(deps: OpenVpnDeps) {
    const c = deps.config;
    this.config = c;
    this.clock = deps.clock;
    this.log = deps.log;
    this.runner = deps.runner ?? nodeRunner;
    this.connector = deps.connector ?? unixManagementConnector;
    this.prober = deps.prober ?? udpProber;
    this.readCpuInfo = deps.readCpuInfo ?? (() => readFile('/proc/cpuinfo', 'utf8'));
    this.staleAfterMs = c.staleAfterS * 1000;
    this.core = new SupervisionCore({
      config: c,
      clock: deps.clock,
      log: deps.log,
      random: deps.random ?? Math.random,
      status: () => this.status(),
    });
    this.socketPath = c.managementSocket ?? join(c.runtimeDir, 'openvpn.sock');
    this.pidFile = join(c.runtimeDir, 'openvpn.pid');
  }

  onChange(listener: (status: VpnHealth) => void): void {
    this.core.onChange(listener);
  }

  start(): Promise<void> {
    this.starting ??= (() => {
      this.log.info('VPN starting', {
        kind: this.kind,
        interface: this.config.interface,
        profile: this.config.profile,
      });
      return this.core.start(
        () => this.launch('start'),
        () => this.poll(),
      );
    })();
    return this.starting;
  }

  async stop(): Promise<void> {
    if (!this.core.isStarted || this.core.stopping) return;
    await this.core.halt();
    await this.terminate();
    await rm(this.socketPath, { force: true }).catch(() => {});
    await this.core.stopped();
  }

  status(): VpnHealth {
    return this.core.tracker.health(
      this.clock.monotonicMs(),
      { kind: this.kind, interface: this.config.interface },
      { address: this.address, endpoint: this.endpoint, endpointHost: this.remoteHost, handshakeAgeS: null },
    );
  }

  private async poll(): Promise<void> {
    const now = this.clock.monotonicMs();
    if (this.child && !this.mgmt) await this.attach(this.child);
    this.evaluate(now);
    const present = this.child !== undefined;
    if (present && this.ovState?.name === 'CONNECTED') this.maybeProbe(now);
    const { tracker } = this.core;
    if (tracker.restartDue(now, present)) {
      const pauseMs = tracker.noteRestart(now);
      this.log.warn('VPN restarting openvpn', {
        interface: this.config.interface,
        restart: tracker.restarts,
        reason: present
          ? `${this.ovState?.name ?? 'no state'}, nothing received for ${seconds(tracker.quietMs(now))} s`
          : 'not running',
        nextRestartNotBeforeS: seconds(pauseMs),
      });
      await this.terminate();
      await this.launch('restart');
    }
    // Changes were written when they happened; counters are refreshed now and then.
    this.core.queueStatusWrite(now, false);
  }

  /** Takes the latest state and counters into the tracker (on every poll and every state message). */
  private evaluate(now: number): Transition {
    const t = this.core.tracker.sample(
      {
        present: this.child !== undefined,
        session: this.ovState?.name === 'CONNECTED',
        rxBytes: this.rxBytes,
        txBytes: this.txBytes,
      },
      now,
    );
    this.core.transition(t, { openvpn: this.ovState?.name ?? null });
    return t;
  }

  private maybeProbe(now: number): void {
    const configured = this.config.probeAddress;
    const address =
      configured === 'none'
        ? undefined
        : (configured ?? (this.address ? firstHostOf(this.address) : undefined));
    const every = probeIntervalMs(this.staleAfterMs);
    if (!address || this.core.tracker.quietMs(now) < every || now - this.lastProbeMs < every) return;
    this.lastProbeMs = now;
    this.prober.probe(address);
  }

  private async launch(reason: 'start' | 'restart'): Promise<void> {
    const c = this.config;
    try {
      await mkdir(c.runtimeDir, { recursive: true, mode: 0o700 });
      if (reason === 'start') await this.stopLeftover();
      let text: string;
      try {
        text = await readFile(c.profile, 'utf8');
      } catch (err) {
        throw new Error(
          `cannot read ${c.profile}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
        );
      }
      const facts = inspectProfile(text);
      const remote = facts.remotes[0]?.host;
      this.remoteHost = remote && isIP(remote) === 0 ? remote : null;
      if (facts.needsCredentials && !c.authFile)
        throw new Error(`${c.profile} asks for a user name and password: set vpn.authFile`);
      this.preferChaCha ??= await this.decideChaCha();
      const cipher = cipherArgs(facts, this.preferChaCha, this.chachaRefused);
      this.restrictedThisRun = cipher.length > 0;
      await rm(this.socketPath, { force: true });
      const child = this.runner.spawn(
        'openvpn',
        openvpnArgs({
          profile: c.profile,
          interface: c.interface,
          managementSocket: this.socketPath,
          pidFile: this.pidFile,
          authFile: c.authFile,
          cipher,
        }),
        { env: toolEnv() },
      );
      this.child = child;
      this.ovState = undefined;
      this.authFailure = undefined;
      this.rxBytes = 0;
      this.txBytes = 0;
      this.output = [];
      this.core.tracker.tunnelStarted(this.clock.monotonicMs());
      child.onOutput((line) => {
        this.output.push(redactKeys(line));
        if (this.output.length > OUTPUT_LINES_KEPT) this.output.shift();
        this.log.debug('openvpn', { line: redactKeys(line) });
      });
      void child.exited.then((exit) => {
        if (this.child !== child) return;
        this.child = undefined;
        this.mgmt?.close();
        this.mgmt = undefined;
        this.ovState = undefined;
        if (this.core.stopping) return;
        if (this.authFailure !== undefined && this.restrictedThisRun && !this.chachaRefused) {
          this.chachaRefused = true;
          this.log.warn(
            `VPN: refused while asking for ${CHACHA20}; the next attempt uses the profile's ciphers`,
            {
              reason: this.authFailure,
            },
          );
        }
        const how = exit.error?.message ?? `openvpn exited (${exit.signal ?? `code ${exit.code}`})`;
        this.core.noteError(
          this.authFailure !== undefined
            ? `${how}: authentication failed (${this.authFailure})`
            : `${how}${this.output.length ? `: ${this.output.slice(-2).join(' | ')}` : ''}`,
        );
        this.evaluate(this.clock.monotonicMs());
      });
      if (!(await this.attach(child))) {
        await this.terminate();
        return;
      }
      this.log.info(reason === 'start' ? 'VPN openvpn started' : 'VPN openvpn restarted', {
        interface: c.interface,
        pid: child.pid,
        cipher: cipher.length > 0 ? CHACHA20 : 'as the profile and server agree',
      });
    } catch (err) {
      this.core.noteError(`cannot start openvpn: ${(err as Error).message}`);
    }
  }

  /** Connects to the management socket and lets openvpn go (it waits for us: --management-hold). */
  private async attach(child: ChildHandle): Promise<boolean> {
    let mgmt: ManagementChannel;
    try {
      mgmt = await this.connector(this.socketPath, MGMT_CONNECT_TIMEOUT_MS);
    } catch (err) {
      this.core.noteError((err as Error).message);
      return false;
    }
    if (this.child !== child) {
      mgmt.close();
      return false;
    }
    this.mgmt = mgmt;
    mgmt.onLine((line) => this.onManagementLine(line));
    mgmt.onClose(() => {
      if (this.mgmt === mgmt) this.mgmt = undefined;
    });
    const bytecountS = Math.max(1, Math.round(this.config.pollIntervalS));
    for (const command of ['state on', `bytecount ${bytecountS}`, 'hold release', 'state'])
      mgmt.send(command);
    return true;
  }

  private onManagementLine(line: string): void {
    const m = parseManagementLine(line);
    switch (m.type) {
      case 'state':
        this.ovState = m.state;
        if (m.state.name === 'CONNECTED') {
          this.address = m.state.localIp ?? this.address;
          this.endpoint =
            m.state.remoteIp && m.state.remotePort
              ? `${m.state.remoteIp}:${m.state.remotePort}`
              : this.endpoint;
        }
        if (m.state.name === 'EXITING' && m.state.detail === 'auth-failure')
          this.authFailure ??= 'auth-failure';
        this.evaluate(this.clock.monotonicMs());
        break;
      case 'bytecount':
        this.rxBytes = m.rxBytes;
        this.txBytes = m.txBytes;
        this.evaluate(this.clock.monotonicMs());
        break;
      case 'hold':
        this.mgmt?.send('hold release');
        break;
      case 'auth-failed':
        this.authFailure = m.reason;
        break;
      case 'fatal':
        this.core.noteError(`openvpn: ${m.message}`);
        break;
      case 'other':
        break;
    }
  }

  private async terminate(): Promise<void> {
    const child = this.child;
    this.child = undefined;
    this.mgmt?.close();
    this.mgmt = undefined;
    this.ovState = undefined;
    if (!child) return;
    child.kill('SIGTERM');
    if (!(await settlesWithin(child.exited, STOP_TIMEOUT_MS))) {
      child.kill('SIGKILL');
      await settlesWithin(child.exited, STOP_TIMEOUT_MS);
    }
  }

  /** An openvpn of an earlier daemon (killed without a chance to stop it) would hold the tun device. */
  private async stopLeftover(): Promise<void> {
    const pid = Number((await readFile(this.pidFile, 'utf8').catch(() => '')).trim());
    if (!Number.isInteger(pid) || pid <= 1) return;
    const cmdline = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');
    // Only ours: an openvpn started with this very management socket.
    if (!cmdline.includes('openvpn') || !cmdline.includes(this.socketPath)) return;
    this.log.warn('VPN: openvpn left from an earlier run: stopping it', { pid });
    const gone = async () => (await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '')) === '';
    try {
      process.kill(pid, 'SIGTERM');
      for (let waited = 0; waited < STOP_TIMEOUT_MS && !(await gone()); waited += 50)
        await new Promise((r) => setTimeout(r, 50));
      if (!(await gone())) process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }

  private async decideChaCha(): Promise<boolean> {
    switch (this.config.cipherPreference) {
      case 'chacha20':
        return true;
      case 'profile':
        return false;
      case 'auto':
        try {
          return !cpuHasAes(await this.readCpuInfo());
        } catch {
          return false;
        }
    }
  }
}
