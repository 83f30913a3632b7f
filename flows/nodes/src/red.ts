// The part of Node-RED's runtime API these nodes use, typed here (Node-RED ships no types of its own;
// @types/node-red lags behind and would pull in express and more for four functions).

export type StatusFill = 'red' | 'green' | 'yellow' | 'blue' | 'grey';

export interface NodeStatus {
  fill?: StatusFill;
  shape?: 'ring' | 'dot';
  text?: string;
}

export interface NodeMessage {
  _msgid?: string;
  topic?: string;
  payload?: unknown;
  [key: string]: unknown;
}

export type SendFn = (msg: NodeMessage | (NodeMessage | null)[]) => void;
export type DoneFn = (err?: Error) => void;

/** The properties every node definition has, plus the node's own (strings, numbers, booleans). */
export interface NodeDef {
  id: string;
  type: string;
  name?: string;
  z?: string;
  [key: string]: unknown;
}

export interface RedNode {
  id: string;
  type: string;
  name?: string;
  credentials?: Record<string, string | undefined>;
  on(event: 'input', listener: (msg: NodeMessage, send: SendFn, done: DoneFn) => void): void;
  on(event: 'close', listener: (removed: boolean, done: () => void) => void): void;
  send(msg: NodeMessage | (NodeMessage | null)[]): void;
  /** `{}` clears the status. */
  status(status: NodeStatus): void;
  error(err: unknown, msg?: NodeMessage): void;
  warn(text: unknown): void;
  log(text: unknown): void;
}

export type NodeConstructor<T extends RedNode> = (this: T, def: NodeDef) => void;

export interface NodeAPI {
  nodes: {
    createNode(node: RedNode, def: NodeDef): void;
    registerType<T extends RedNode>(
      type: string,
      constructor: NodeConstructor<T>,
      options?: { credentials?: Record<string, { type: 'text' | 'password' }> },
    ): void;
    getNode(id: string): RedNode | null;
  };
}

/** A property of a node definition as a string ('' when absent). */
export function text(def: NodeDef, key: string): string {
  const v = def[key];
  return typeof v === 'string' ? v.trim() : typeof v === 'number' ? String(v) : '';
}

/** A property of a node definition as a number (undefined when absent or not a number). */
export function numberOf(def: NodeDef, key: string): number | undefined {
  const v = def[key];
  const n = typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' ? Number(v) : NaN;
  return Number.isFinite(n) ? n : undefined;
}

export function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
