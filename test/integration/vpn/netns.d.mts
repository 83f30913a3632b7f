// Types of netns.mjs (plain JavaScript so that the bench runs with bare node).

import type { ChildProcess } from 'node:child_process';

export interface ShResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface ShOptions {
  timeoutMs?: number;
  allowFail?: boolean;
  input?: string;
  env?: NodeJS.ProcessEnv;
}

export type NsChild = ChildProcess & { output: string[] };

export interface Topology {
  id: string;
  tag: string;
  ns: { inet: string; hub: string; router: string; gw: string; phone: string; wan: string };
  dir: string;
  exec(ns: string, file: string, args: string[], options?: ShOptions): Promise<ShResult>;
  spawn(
    ns: string,
    file: string,
    args: string[],
    options?: { env?: NodeJS.ProcessEnv; cwd?: string },
  ): NsChild;
  wgName(role: string): string;
  noteWireGuard(name: string): void;
  setSysctl(ns: string, key: string, value: string): Promise<void>;
  setLink(ns: string, dev: string, up: boolean): Promise<void>;
  destroy(): Promise<void>;
}

export interface WireGuardSetup {
  names: { hub: string; phone: string; gateway: string };
  hubPublicKey: string;
  /** Every private and preshared key of the run: none may appear in a log. */
  secrets: string[];
  gatewayConf: string;
  hostsFile: string;
  gatewayUp(): Promise<void>;
  moveHub(address: string): Promise<void>;
}

export interface OpenVpnSetup {
  server: NsChild;
  phone: NsChild;
  gateway: { profile: string; authFile: string };
  secrets: string[];
}

export const RUN_ID: string;
export const ADDR: {
  hub: string;
  hubMoved: string;
  hubInternal: string;
  routerWan: string;
  phone: string;
  wan: string;
  routerLan: string;
  gateway: string;
  vpnHub: string;
  vpnPhone: string;
  vpnGateway: string;
  ovpnServer: string;
  ovpnPhone: string;
  ovpnGateway: string;
};
export const HUB_NAME: string;
export const WG_PORT: number;
export const OVPN_PORT: number;

export function requireTools(): Promise<void>;
export function sh(file: string, args: string[], options?: ShOptions): Promise<ShResult>;
export function wgKeyPair(): { privateKey: string; publicKey: string };
export function sweepStale(): Promise<void>;
export function createTopology(options: { tag: string; portForward?: number }): Promise<Topology>;
export function setupWireGuard(topo: Topology): Promise<WireGuardSetup>;
/** wireguard-go in the foreground in namespace `ns` as interface `name`, configured from a wg-quick file. */
export function wireguardUp(
  topo: Topology,
  ns: string,
  name: string,
  confFile: string,
  address: string,
): Promise<NsChild>;
export function setupOpenVpn(topo: Topology): Promise<OpenVpnSetup>;
export function waitForOutput(
  child: NsChild,
  pattern: RegExp,
  timeoutMs: number,
  what: string,
): Promise<void>;
