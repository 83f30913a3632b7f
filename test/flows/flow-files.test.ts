// The committed flows and the node package, checked as files: pretty-printed, no credentials, every node
// of a type that exists, each file importable on its own, shared config nodes identical, and every MQTT
// topic in a flow or a node one that the daemon's typed topic contract has (a flow that drifts fails).

import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, symlinkSync, cpSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { mqttSchema } from '../../daemon/config/mqtt-schema.js';
import { id as configId } from '../../daemon/config/primitives.js';
import { tempDir } from '../helpers/daemon.js';
import { flowFiles, mergedFlows, references } from '../helpers/flow-files.js';
import { inContract } from '../helpers/topic-contract.js';

const ROOT = new URL('../..', import.meta.url).pathname;
const NODES_DIR = join(ROOT, 'flows/nodes');
const require = createRequire(import.meta.url);
const files = flowFiles();

interface NodeRedPackage {
  name: string;
  dependencies: Record<string, string>;
  'node-red': { nodes: Record<string, string> };
}

function packageJson(dir: string): NodeRedPackage {
  return JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as NodeRedPackage;
}

/** Node types Node-RED itself registers (its core nodes). */
function coreNodeTypes(): Set<string> {
  const core = join(dirname(require.resolve('@node-red/nodes/package.json')), 'core');
  const types = new Set<string>(['tab', 'group', 'subflow']);
  for (const dir of readdirSync(core)) {
    for (const f of readdirSync(join(core, dir)).filter((f) => f.endsWith('.js'))) {
      for (const m of readFileSync(join(core, dir, f), 'utf8').matchAll(/registerType\("([^"]+)"/g))
        types.add(m[1]!);
    }
  }
  return types;
}

const dashboard = packageJson(dirname(require.resolve('@flowfuse/node-red-dashboard/package.json')));
const ours = packageJson(NODES_DIR);
const KNOWN_TYPES = new Set([
  ...coreNodeTypes(),
  ...Object.keys(dashboard['node-red'].nodes),
  ...Object.keys(ours['node-red'].nodes),
]);

/** Every string anywhere in a value (function code, comments, payloads), for the topic scan. */
function* strings(value: unknown): Generator<string> {
  if (typeof value === 'string') yield value;
  else if (Array.isArray(value)) for (const v of value) yield* strings(v);
  else if (value && typeof value === 'object') for (const v of Object.values(value)) yield* strings(v);
}

describe('the flows in flows/', () => {
  it('are the four documented flows', () => {
    expect(files.map((f) => f.file)).toEqual([
      'alerts.json',
      'daily-use.json',
      'paper-tank.json',
      'rain-hold-off.json',
    ]);
  });

  it.each(files.map((f) => [f.file, f] as const))(
    '%s is pretty-printed as Node-RED exports it',
    (_name, f) => {
      expect(f.text).toBe(JSON.stringify(f.nodes, null, 4) + '\n');
    },
  );

  it.each(files.map((f) => [f.file, f] as const))('%s holds no credentials', (_name, f) => {
    for (const node of f.nodes) {
      expect(node, `${node.id} carries credentials`).not.toHaveProperty('credentials');
      const secretish = Object.keys(node).filter((k) =>
        /password|passwd|secret|token|hmac|credential/i.test(k),
      );
      expect(secretish, `${node.id} (${node.type})`).toEqual([]);
    }
  });

  it.each(files.map((f) => [f.file, f] as const))('%s: every node is of a type that exists', (_name, f) => {
    const unknown = f.nodes.filter((n) => !KNOWN_TYPES.has(n.type)).map((n) => `${n.id}: ${n.type}`);
    expect(unknown).toEqual([]);
  });

  it.each(files.map((f) => [f.file, f] as const))(
    '%s imports on its own: tabs, wires and config nodes resolve',
    (_name, f) => {
      const ids = new Set(f.nodes.map((n) => n.id));
      const allConfigIds = new Set(
        mergedFlows()
          .filter((n) => n.z === undefined && n.type !== 'tab')
          .map((n) => n.id),
      );
      const missing: string[] = [];
      for (const node of f.nodes) {
        if (typeof node.z === 'string' && !ids.has(node.z)) missing.push(`${node.id}.z -> ${node.z}`);
        for (const out of (node.wires as string[][] | undefined) ?? [])
          for (const target of out) if (!ids.has(target)) missing.push(`${node.id} wire -> ${target}`);
        for (const ref of references(node, allConfigIds))
          if (!ids.has(ref)) missing.push(`${node.id} -> ${ref}`);
        for (const scoped of (node.scope as string[] | null | undefined) ?? [])
          if (!ids.has(scoped)) missing.push(`${node.id} scope -> ${scoped}`);
      }
      expect(missing).toEqual([]);
    },
  );

  it('share their config nodes (gateway, dashboard base and theme) identically, so they import together', () => {
    expect(() => mergedFlows()).not.toThrow();
    const gateways = mergedFlows().filter((n) => n.type === 'smart-tank-gateway');
    expect(gateways).toHaveLength(1);
    expect(files.every((f) => f.nodes.some((n) => n.id === gateways[0]!.id))).toBe(true);
  });

  it("use only topics of the daemon's typed contract", () => {
    const gateway = mergedFlows().find((n) => n.type === 'smart-tank-gateway')!;
    const prefix = String(gateway.prefix);
    const gatewayId = String(gateway.gateway);
    expect(mqttSchema.shape.topicPrefix.safeParse(prefix).success).toBe(true);
    expect(configId.safeParse(gatewayId).success).toBe(true);
    const problems: string[] = [];
    for (const f of files) {
      for (const node of f.nodes) {
        // Core MQTT nodes, should a flow use them: their topic must be in the contract.
        if (
          (node.type === 'mqtt in' || node.type === 'mqtt out') &&
          !inContract(String(node.topic), prefix, gatewayId)
        )
          problems.push(`${f.file} ${node.id}: topic ${String(node.topic)}`);
        // Any topic written out anywhere (function code, comments, inject payloads).
        for (const s of strings(node))
          for (const m of s.matchAll(new RegExp(`${prefix}/[A-Za-z0-9_+#/-]+`, 'g')))
            if (!inContract(m[0], prefix, gatewayId)) problems.push(`${f.file} ${node.id}: ${m[0]}`);
      }
    }
    expect(problems).toEqual([]);
  });

  it('the contract patterns catch a drifted topic (the check above can fail)', () => {
    expect(inContract('smart-tank/farm-gw-01/tank/house/state', 'smart-tank', 'farm-gw-01')).toBe(true);
    expect(inContract('smart-tank/farm-gw-01/tank/+/event', 'smart-tank', 'farm-gw-01')).toBe(true);
    expect(inContract('smart-tank/farm-gw-01/result/nodered', 'smart-tank', 'farm-gw-01')).toBe(true);
    expect(inContract('smart-tank/farm-gw-01/tanks/house/state', 'smart-tank', 'farm-gw-01')).toBe(false);
    expect(inContract('smart-tank/farm-gw-01/tank/house/level', 'smart-tank', 'farm-gw-01')).toBe(false);
    expect(inContract('smart-tank/farm-gw-01/gpio/23', 'smart-tank', 'farm-gw-01')).toBe(false);
  });
});

describe('the node package in flows/nodes/', () => {
  it('declares its nodes for Node-RED: each a .cjs with its .html beside it', () => {
    expect(ours.name).toMatch(/^@[a-z0-9-]+\/node-red-contrib-/);
    for (const [type, file] of Object.entries(ours['node-red'].nodes)) {
      expect(existsSync(join(NODES_DIR, file)), `${type}: ${file}`).toBe(true);
      const html = readFileSync(join(NODES_DIR, file.replace(/\.cjs$/, '.html')), 'utf8');
      expect(html).toContain(`registerType('${type}'`);
      expect(html).toContain(`data-help-name="${type}"`);
    }
  });

  it('builds topics only through the contract: no topic written out in its sources', () => {
    const src = join(NODES_DIR, 'src');
    const literals: string[] = [];
    for (const f of readdirSync(src)) {
      const text = readFileSync(join(src, f), 'utf8');
      for (const m of text.matchAll(
        /['"`][^'"`\n]*\/(tank|command|result|status|system|state|event)\b[^'"`\n]*['"`]/g,
      ))
        if (!/^['"`]\.\.?\//.test(m[0])) literals.push(`${f}: ${m[0]}`); // not a module path
    }
    expect(literals).toEqual([]);
  });

  it('packs self-contained: the packed files alone load and register every node', () => {
    expect(existsSync(join(NODES_DIR, 'lib')), 'flows/nodes/lib: run npm run build').toBe(true);
    const packed = JSON.parse(
      execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], {
        cwd: NODES_DIR,
        encoding: 'utf8',
      }),
    ) as { files: { path: string }[] }[];
    const paths = packed[0]!.files.map((f) => f.path);
    expect(paths).toEqual(
      expect.arrayContaining(['package.json', 'README.md', ...files.map((f) => `examples/${f.file}`)]),
    );
    // Install the packed files alone (dependencies from the project's node_modules) and load them.
    const dir = join(tempDir('nodes-pack-'), 'node_modules', ours.name);
    for (const p of paths) {
      mkdirSync(dirname(join(dir, p)), { recursive: true });
      cpSync(join(NODES_DIR, p), join(dir, p));
    }
    symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'));
    const script = `
      const registered = [];
      const RED = { nodes: { registerType: (t) => registered.push(t), createNode() {}, getNode() { return null; } } };
      const pkg = require('./package.json');
      Promise.all(Object.values(pkg['node-red'].nodes).map((f) => require('./' + f)(RED)))
        .then(() => console.log(JSON.stringify(registered.sort())));
    `;
    const out = execFileSync(process.execPath, ['-e', script], { cwd: dir, encoding: 'utf8' });
    expect(JSON.parse(out)).toEqual(Object.keys(ours['node-red'].nodes).sort());
    expect(paths.filter((p) => p.startsWith('lib/daemon/')).sort()).toEqual([
      'lib/daemon/commands/command-schema.js',
      'lib/daemon/config/mqtt-schema.js',
      'lib/daemon/config/primitives.js',
      'lib/daemon/config/zod.js', // zod/mini with its English messages
      'lib/daemon/control/types.js', // the alarm kinds an ack-alarm command names
      'lib/daemon/security/hmac.js',
      'lib/daemon/security/password-file.js',
      'lib/daemon/security/topic-match.js',
      'lib/daemon/telemetry/topics.js',
    ]);
  });

  it('its examples/ are the flows of flows/ (Node-RED’s import menu)', () => {
    const examples = join(NODES_DIR, 'examples');
    for (const f of files) expect(readFileSync(join(examples, f.file), 'utf8')).toBe(f.text);
  });
});
