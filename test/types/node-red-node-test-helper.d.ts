// The part of node-red-node-test-helper (0.3.x, no types of its own) that the flow tests use.

declare module 'node-red-node-test-helper' {
  import type { EventEmitter } from 'node:events';

  export interface HelperNode extends EventEmitter {
    id: string;
    type: string;
    receive(msg: Record<string, unknown>): void;
  }

  export type NodeModule = (RED: never) => unknown;

  export interface NodeTestHelper {
    init(runtimePath?: string, userSettings?: Record<string, unknown>): void;
    load(
      nodes: NodeModule | NodeModule[],
      flow: Record<string, unknown>[],
      credentials?: Record<string, Record<string, string>>,
    ): Promise<void>;
    unload(): Promise<void>;
    getNode(id: string): HelperNode | null;
    startServer(): Promise<void>;
    stopServer(): Promise<void>;
  }

  const helper: NodeTestHelper;
  export default helper;
}
