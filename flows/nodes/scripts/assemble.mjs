#!/usr/bin/env node
// Assembles the node package from the project's build (run by `npm run build`, after tsc):
//  - lib/: the compiled nodes (dist/flows/nodes/src) and exactly the daemon modules they import at run
//    time (the topic contract, the command schema, HMAC signing, ...), found by following the imports,
//    at the same relative paths. A bare import must be a Node built-in or one of this package's own
//    dependencies, so the packed package is self-contained; anything else fails the build.
//  - examples/: the flows in flows/*.json (Node-RED's Import > Examples menu): one source of each flow.

import { builtinModules } from 'node:module';
import { copyFileSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

const nodesDir = new URL('..', import.meta.url).pathname;
const root = resolve(nodesDir, '../..');
const dist = join(root, 'dist');
const lib = join(nodesDir, 'lib');
const pkg = JSON.parse(readFileSync(join(nodesDir, 'package.json'), 'utf8'));
const allowed = new Set([...Object.keys(pkg.dependencies ?? {}), ...builtinModules]);

// The entry modules: what the node files in nodes/ import.
const entries = Object.values(pkg['node-red'].nodes).map((file) => {
  const shim = readFileSync(join(nodesDir, file), 'utf8');
  const m = /import\('\.\.\/lib\/([^']+)'\)/.exec(shim);
  if (!m) throw new Error(`${file}: no import('../lib/...') found`);
  return join(dist, m[1]);
});

const IMPORT = /(?:^|\n)\s*(?:import|export)\s[^'"]*?from\s+'([^']+)'|import\('([^']+)'\)/g;

function closure(files) {
  const seen = new Set();
  const problems = [];
  const queue = [...files];
  while (queue.length) {
    const file = queue.pop();
    if (seen.has(file)) continue;
    if (!existsSync(file))
      throw new Error(`${relative(root, file)} not built: run tsc -p tsconfig.build.json`);
    seen.add(file);
    for (const m of readFileSync(file, 'utf8').matchAll(IMPORT)) {
      const spec = m[1] ?? m[2];
      if (spec.startsWith('.')) queue.push(resolve(dirname(file), spec));
      else {
        const name = spec.replace(/^node:/, '').startsWith('@')
          ? spec.split('/').slice(0, 2).join('/')
          : spec.replace(/^node:/, '').split('/')[0];
        if (!allowed.has(name))
          problems.push(`${relative(root, file)} imports ${spec}: not a dependency of ${pkg.name}`);
      }
    }
  }
  if (problems.length) throw new Error(problems.join('\n'));
  return [...seen];
}

rmSync(lib, { recursive: true, force: true });
for (const file of closure(entries)) {
  const target = join(lib, relative(dist, file));
  mkdirSync(dirname(target), { recursive: true });
  copyFileSync(file, target);
}

const flowsDir = join(nodesDir, '..');
const examples = join(nodesDir, 'examples');
rmSync(examples, { recursive: true, force: true });
mkdirSync(examples);
const flows = readdirSync(flowsDir).filter((f) => f.endsWith('.json'));
for (const file of flows) copyFileSync(join(flowsDir, file), join(examples, file));
