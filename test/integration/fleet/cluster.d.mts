// Types of cluster.mjs (plain JavaScript so that the bench runs with bare node).

import type { ChildProcess } from 'node:child_process';

export const CLUSTER_READY_TIMEOUT_MS: number;
export const SHARED_CPU_ERL_ARGS: string;

export function freePort(): Promise<number>;
export function canConnect(port: number, host?: string): Promise<boolean>;
export function waitUntil(
  probe: () => boolean | Promise<boolean>,
  timeoutMs: number,
  what: string,
): Promise<void>;

export interface PlannedNode {
  name: string;
  /** Erlang node name, e.g. c1@localhost. */
  node: string;
  mqttPort: number;
  distPort: number;
}

export interface ClusterPlan {
  nodes: PlannedNode[];
}

export function planRabbitCluster(names: string[]): Promise<ClusterPlan>;

export interface RabbitNode extends PlannedNode {
  dir: string;
  pidFile: string;
  child: ChildProcess | undefined;
  log: string[];
}

export interface CtlResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface RabbitCluster {
  base: string;
  nodes: RabbitNode[];
  epmdPort: number;
  ctl(i: number, args: string[], tool?: string): Promise<CtlResult>;
  start(i: number): void;
  waitNode(i: number): Promise<void>;
  runningNodes(i?: number): Promise<string[]>;
  kill(i: number): Promise<void>;
  pid(i: number): number | undefined;
  stop(): Promise<void>;
}

export function startRabbitCluster(o: {
  plan: ClusterPlan;
  conf: (node: PlannedNode & { definitionsPath: string }) => string;
  definitions: string;
  tag?: string;
}): Promise<RabbitCluster>;

export interface MosquittoProcess {
  child: ChildProcess;
  pid: number;
  output(): string;
  stop(): Promise<void>;
  kill(): Promise<void>;
}

export function startMosquitto(
  confFile: string,
  port: number,
  options?: { prefix?: string[] },
): Promise<MosquittoProcess>;

export function procStat(pid: number, clkTck?: number): { cpuMs: number; rssMb: number };

export function startGuardian(dir: string | undefined, pids: (number | undefined)[]): ChildProcess;
