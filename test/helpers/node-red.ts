// Node-RED (the npm package) as a real process for the integration tests: headless, on loopback, with a
// temporary user directory where the smart-tank node package is installed the way `npm install
// <folder>` installs it (a link in node_modules), and Dashboard 2.0 from the project's node_modules.
// Flows are deployed through the admin API; node statuses, debug messages and node errors are followed
// through the editor's own comms websocket, as the editor sees them.

import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import type WebSocketType from 'ws';
import { tempDir, waitFor } from './daemon.js';
import { freePort } from './mqtt-plane.js';

const ROOT = new URL('../..', import.meta.url).pathname;
const NODE_RED = join(ROOT, 'node_modules/node-red/red.js');
export const NODE_PACKAGE_DIR = join(ROOT, 'flows/nodes');
const NODE_PACKAGE = JSON.parse(readFileSync(join(NODE_PACKAGE_DIR, 'package.json'), 'utf8')) as {
  name: string;
};
// The websocket client Node-RED's editor API itself uses (a dependency of the node-red package).
const editorApi = createRequire(import.meta.url).resolve('@node-red/editor-api/package.json');
const WebSocket = createRequire(editorApi)('ws') as typeof WebSocketType;

/** Generous: Node-RED loads ~30 Dashboard nodes at start; CI machines are slow. */
export const NODE_RED_START_TIMEOUT_MS = 30_000;
const STOP_TIMEOUT_MS = 10_000;
const RSS_SAMPLE_MS = 250;

export type FlowNode = Record<string, unknown> & { id: string; type: string };

export interface StatusEvent {
  id: string;
  fill?: string;
  shape?: string;
  text?: string;
}

export interface DebugEvent {
  id: string;
  name?: string;
  /** 20 error, 30 warning (node.error / node.warn), undefined for a debug node's message. */
  level?: number;
  msg: string;
  format?: string;
}

export class NodeRedUnderTest {
  readonly userDir = tempDir('nodered-');
  port = 0;
  child: ChildProcess | undefined;
  readonly log: string[] = [];
  readonly statuses: StatusEvent[] = [];
  readonly debug: DebugEvent[] = [];
  private socket: WebSocketType | undefined;
  private exited: Promise<number | null> = Promise.resolve(null);

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  async start(): Promise<this> {
    this.port = await freePort();
    this.installNodePackage();
    const settings = join(this.userDir, 'settings.js');
    writeFileSync(settings, settingsFile(this.port));
    this.child = spawn(process.execPath, [NODE_RED, '-u', this.userDir, '-s', settings], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, NODE_RED_ENABLE_PROJECTS: 'false' },
    });
    const collect = (chunk: Buffer) => this.log.push(...chunk.toString().split('\n').filter(Boolean));
    this.child.stdout!.on('data', collect);
    this.child.stderr!.on('data', collect);
    const child = this.child;
    this.exited = new Promise((resolve) => child.once('exit', (code) => resolve(code)));
    await waitFor(
      () => {
        if (child.exitCode !== null) throw new Error(`Node-RED exited (${child.exitCode}):\n${this.tail()}`);
        return this.log.some((l) => l.includes('Started flows')) || undefined;
      },
      NODE_RED_START_TIMEOUT_MS,
      `Node-RED to start; its log:\n${this.tail()}`,
    );
    await this.connectComms();
    return this;
  }

  /** What `npm install /path/to/flows/nodes` does in the user directory: a dependency and a link. */
  private installNodePackage(): void {
    const scopeDir = join(this.userDir, 'node_modules', NODE_PACKAGE.name.split('/')[0]!);
    mkdirSync(scopeDir, { recursive: true });
    symlinkSync(NODE_PACKAGE_DIR, join(this.userDir, 'node_modules', NODE_PACKAGE.name));
    writeFileSync(
      join(this.userDir, 'package.json'),
      JSON.stringify({
        name: 'node-red-project',
        private: true,
        dependencies: { [NODE_PACKAGE.name]: `file:${NODE_PACKAGE_DIR}` },
      }),
    );
  }

  private async connectComms(): Promise<void> {
    const socket = new WebSocket(`ws://127.0.0.1:${this.port}/comms`);
    this.socket = socket;
    await new Promise<void>((resolve, reject) => {
      socket.once('open', () => resolve());
      socket.once('error', reject);
    });
    socket.on('message', (data: Buffer) => {
      for (const { topic, data: body } of JSON.parse(data.toString()) as { topic: string; data: unknown }[]) {
        if (topic.startsWith('status/')) this.statuses.push({ id: topic.slice(7), ...(body as object) });
        else if (topic === 'debug') this.debug.push(body as DebugEvent);
      }
    });
    socket.send(JSON.stringify({ subscribe: 'status/#' }));
    socket.send(JSON.stringify({ subscribe: 'debug' }));
  }

  /** A full deploy through the admin API; nodes may carry `credentials` (kept out of the flow file). */
  async deploy(flows: FlowNode[]): Promise<void> {
    const response = await fetch(`${this.url}/flows`, {
      method: 'POST',
      headers: {
        'Content-Type': 'application/json',
        'Node-RED-Deployment-Type': 'full',
        'Node-RED-API-Version': 'v2',
      },
      body: JSON.stringify({ flows }),
    });
    if (!response.ok) throw new Error(`deploy refused: ${response.status} ${await response.text()}`);
  }

  async flows(): Promise<FlowNode[]> {
    const response = await fetch(`${this.url}/flows`, { headers: { 'Node-RED-API-Version': 'v1' } });
    return (await response.json()) as FlowNode[];
  }

  /** Presses an inject node's button, as the editor does. */
  async inject(id: string): Promise<void> {
    const response = await fetch(`${this.url}/inject/${id}`, { method: 'POST' });
    if (!response.ok) throw new Error(`inject ${id}: ${response.status} ${await response.text()}`);
  }

  /** The latest status of each node that has one. */
  latestStatuses(): Map<string, StatusEvent> {
    const latest = new Map<string, StatusEvent>();
    for (const s of this.statuses) latest.set(s.id, s);
    return latest;
  }

  /** Node errors and warnings reported since `from` (an index into `debug`). */
  problems(from = 0): DebugEvent[] {
    return this.debug.slice(from).filter((d) => d.level === 20 || d.level === 30);
  }

  /** Resident memory of the Node-RED process, in MB. */
  rssMb(): number {
    const status = readFileSync(`/proc/${this.child!.pid}/status`, 'utf8');
    const kb = Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1]);
    return Math.round(kb / 1024);
  }

  /** RSS sampled every RSS_SAMPLE_MS for `durationMs`: a measurement, not a wait for anything. */
  async sampleRssMb(durationMs: number): Promise<{ minMb: number; maxMb: number }> {
    const samples = [this.rssMb()];
    for (let t = 0; t < durationMs; t += RSS_SAMPLE_MS) {
      await new Promise((r) => setTimeout(r, RSS_SAMPLE_MS));
      samples.push(this.rssMb());
    }
    return { minMb: Math.min(...samples), maxMb: Math.max(...samples) };
  }

  tail(lines = 40): string {
    return this.log.slice(-lines).join('\n');
  }

  async stop(): Promise<void> {
    this.socket?.terminate();
    const child = this.child;
    if (!child || child.exitCode !== null) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
    await this.exited;
    clearTimeout(timer);
  }
}

function settingsFile(port: number): string {
  // Loopback only; no projects, tours or update checks; a random credential secret per run.
  const settings = {
    uiHost: '127.0.0.1',
    uiPort: port,
    flowFile: 'flows.json',
    credentialSecret: randomBytes(16).toString('hex'),
    logging: { console: { level: 'info', metrics: false, audit: false } },
    editorTheme: { projects: { enabled: false }, tours: false },
    diagnostics: { enabled: false },
    telemetry: { enabled: false },
    externalModules: { autoInstall: false, palette: { allowInstall: false } },
  };
  return `module.exports = ${JSON.stringify(settings, null, 2)};\n`;
}
