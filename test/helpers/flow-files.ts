// The committed Node-RED flows (flows/*.json), read as Node-RED imports them, and merged into one
// deployment the way importing them all into one Node-RED does: they share their config nodes (the
// gateway, the dashboard's base and theme) by id, so those must be identical in every file.

import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export const FLOWS_DIR = new URL('../../flows/', import.meta.url).pathname;

export type FlowNode = Record<string, unknown> & { id: string; type: string };

export interface FlowFile {
  file: string;
  text: string;
  nodes: FlowNode[];
}

export function flowFiles(): FlowFile[] {
  return readdirSync(FLOWS_DIR)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((file) => {
      const text = readFileSync(join(FLOWS_DIR, file), 'utf8');
      return { file, text, nodes: JSON.parse(text) as FlowNode[] };
    });
}

/** Every flow in one deployment; throws when two files disagree about a shared node. */
export function mergedFlows(files: FlowFile[] = flowFiles()): FlowNode[] {
  const byId = new Map<string, { node: FlowNode; file: string }>();
  for (const { file, nodes } of files) {
    for (const node of nodes) {
      const seen = byId.get(node.id);
      if (!seen) byId.set(node.id, { node, file });
      else if (JSON.stringify(seen.node) !== JSON.stringify(node))
        throw new Error(`node ${node.id} (${node.type}) differs between ${seen.file} and ${file}`);
    }
  }
  return [...byId.values()].map((v) => structuredClone(v.node));
}

/** The config nodes a node refers to (by property value), for the "standalone importable" check. */
export function references(node: FlowNode, ids: Set<string>): string[] {
  return Object.entries(node)
    .filter(([key, value]) => key !== 'id' && key !== 'z' && typeof value === 'string' && ids.has(value))
    .map(([, value]) => value as string);
}
