// `openvpn` as the supervisor sees it: a process started with arguments (behind its CommandRunner) that
// waits on --management-hold, then speaks the management protocol over a channel (behind its
// ManagementConnector): >STATE: transitions, >BYTECOUNT: every N seconds, the server's pings (keepalive
// 1 4 pushed by the server: a ping a second, ping-restart after 4 s of silence), cipher negotiation that a
// server without ChaCha20 refuses with AUTH_FAILED, SIGTERM handled, SIGKILL not refusable.

import type { ManagementChannel, ManagementConnector } from '../../../../daemon/vpn/openvpn-mgmt.js';
import type { ChildExit, ChildHandle, CommandRunner, RunResult } from '../../../../daemon/vpn/runner.js';

const STEP_MS = 250;
const PING_BYTES = 41;

export class FakeOpenVpn implements CommandRunner {
  serverUp = true;
  serverCiphers = ['AES-256-GCM', 'AES-128-GCM', 'CHACHA20-POLY1305'];
  assignedIp = '10.8.0.3';
  pingRestartS = 4;
  /** The next processes exit at once with this code (a broken install, a bad profile). */
  crashOnStart = false;
  ignoreSigterm = false;
  readonly processes: FakeOpenVpnProcess[] = [];

  constructor(private readonly now: () => number) {}

  get live(): FakeOpenVpnProcess | undefined {
    return this.processes.find((p) => p.alive);
  }

  async run(): Promise<RunResult> {
    throw new Error('fake openvpn: nothing to run to completion');
  }

  spawn(file: string, args: readonly string[]): ChildHandle {
    const p = new FakeOpenVpnProcess(this, file, args, this.now);
    this.processes.push(p);
    return p.handle;
  }

  readonly connector: ManagementConnector = async (path) => {
    const p = this.processes.find((x) => x.alive && x.arg('--management') === path);
    if (!p) throw new Error(`connect ENOENT ${path}`);
    return p.channel();
  };
}

export class FakeOpenVpnProcess {
  alive = true;
  readonly commands: string[] = [];
  readonly signals: NodeJS.Signals[] = [];
  state = 'HOLD';
  private rx = 0;
  private tx = 0;
  private lastPingMs: number;
  private stateOn = false;
  private bytecountMs = 0;
  private lastBytecountMs = 0;
  private lines: ((line: string) => void)[] = [];
  private closes: (() => void)[] = [];
  private readonly timer: NodeJS.Timeout;
  private resolveExit!: (e: ChildExit) => void;
  readonly handle: ChildHandle;

  constructor(
    private readonly fake: FakeOpenVpn,
    readonly file: string,
    readonly args: readonly string[],
    private readonly now: () => number,
  ) {
    this.lastPingMs = now();
    const exited = new Promise<ChildExit>((r) => (this.resolveExit = r));
    this.handle = {
      pid: 40_000 + fake.processes.length,
      exited,
      kill: (signal) => this.kill(signal),
      onOutput: () => {},
    };
    this.timer = setInterval(() => this.step(), STEP_MS);
    if (fake.crashOnStart) setTimeout(() => this.exit(1, null), 10);
  }

  arg(name: string): string | undefined {
    const i = this.args.indexOf(name);
    return i < 0 ? undefined : this.args[i + 1];
  }

  channel(): ManagementChannel {
    setTimeout(() => {
      this.emit(">INFO:OpenVPN Management Interface Version 5 -- type 'help' for more info");
      this.emit('>HOLD:Waiting for hold release:0');
    }, 1);
    return {
      send: (command) => setTimeout(() => this.command(command), 1),
      onLine: (l) => void this.lines.push(l),
      onClose: (l) => void this.closes.push(l),
      close: () => {
        this.lines = [];
        this.closes = [];
      },
    };
  }

  private command(command: string): void {
    if (!this.alive) return;
    this.commands.push(command);
    const [verb, value] = command.split(' ');
    if (verb === 'state' && value === 'on') {
      this.stateOn = true;
      this.emit('SUCCESS: real-time state notification set to ON');
    } else if (verb === 'state') {
      this.emit(this.stateCsv(this.state));
      this.emit('END');
    } else if (verb === 'bytecount') {
      this.bytecountMs = Number(value) * 1000;
      this.emit('SUCCESS: bytecount interval changed');
    } else if (verb === 'hold') {
      this.emit('SUCCESS: hold release succeeded');
      this.setState('WAIT');
    }
  }

  private step(): void {
    if (!this.alive) return;
    const now = this.now();
    if (this.state === 'WAIT' || this.state === 'RECONNECTING') {
      if (this.fake.serverUp) this.connect();
    } else if (this.state === 'CONNECTED') {
      if (this.fake.serverUp) {
        this.rx += PING_BYTES;
        this.lastPingMs = now;
      } else if (now - this.lastPingMs >= this.fake.pingRestartS * 1000) {
        this.setState('RECONNECTING', 'ping-restart');
      }
      this.tx += PING_BYTES;
    }
    if (this.bytecountMs > 0 && now - this.lastBytecountMs >= this.bytecountMs) {
      this.lastBytecountMs = now;
      this.emit(`>BYTECOUNT:${this.rx},${this.tx}`);
    }
  }

  private connect(): void {
    this.setState('AUTH');
    const asked = this.arg('--data-ciphers')?.split(':') ?? [
      'AES-256-GCM',
      'AES-128-GCM',
      'CHACHA20-POLY1305',
    ];
    if (!asked.some((c) => this.fake.serverCiphers.includes(c))) {
      this.emit(
        ">PASSWORD:Verification Failed: 'Auth' ['Data channel cipher negotiation failed (no shared cipher)']",
      );
      this.setState('EXITING', 'auth-failure');
      this.exit(1, null);
      return;
    }
    this.setState('GET_CONFIG');
    this.setState('ASSIGN_IP');
    this.lastPingMs = this.now();
    this.setState('CONNECTED', 'SUCCESS');
  }

  private kill(signal: NodeJS.Signals): void {
    if (!this.alive) return;
    this.signals.push(signal);
    if (signal === 'SIGKILL') return this.exit(null, 'SIGKILL');
    if (this.fake.ignoreSigterm) return;
    this.setState('EXITING', signal);
    this.exit(0, null);
  }

  private exit(code: number | null, signal: NodeJS.Signals | null): void {
    if (!this.alive) return;
    this.alive = false;
    clearInterval(this.timer);
    for (const c of this.closes) c();
    this.resolveExit({ code, signal });
  }

  private setState(name: string, detail = ''): void {
    this.state = name;
    if (this.stateOn) this.emit(`>STATE:${this.stateCsv(name, detail)}`);
  }

  private stateCsv(name: string, detail = ''): string {
    const t = Math.floor(this.now() / 1000);
    return name === 'CONNECTED' || name === 'ASSIGN_IP'
      ? `${t},${name},${detail},${this.fake.assignedIp},${name === 'CONNECTED' ? '203.0.113.1,1194' : ','},,`
      : `${t},${name},${detail},,,,,`;
  }

  private emit(line: string): void {
    for (const l of this.lines) l(line);
  }
}
