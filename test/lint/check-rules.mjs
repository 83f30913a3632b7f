#!/usr/bin/env node
// Project rules a formatter cannot see, checked on every test run:
//  - control and level estimation are pure: no wall clock, no timers, no IO
//  - only the launcher owns the process (exit codes, signal handlers)
//  - no `any` where a type can be written

import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

const root = new URL('../..', import.meta.url).pathname;
const SOURCE_DIRS = ['daemon', 'drivers', 'provisioning', 'flows', 'test'];

function* files(dir) {
  for (const name of readdirSync(dir)) {
    if (name === 'node_modules' || name === 'dist') continue;
    const path = join(dir, name);
    if (statSync(path).isDirectory()) yield* files(path);
    else if (/\.(ts|mts)$/.test(name)) yield path;
  }
}

const rules = [
  {
    name: 'pure control: no clock, timers or IO',
    applies: (f) => /^daemon\/(control|level)\//.test(f),
    pattern:
      /\bDate\.now\(|new Date\(|performance\.now\(|setTimeout\(|setInterval\(|from 'node:(fs|net|child_process)/,
  },
  {
    name: 'only the launcher owns the process',
    applies: (f) =>
      /^(daemon|drivers|provisioning)\//.test(f) && !/^daemon\/cli\/(run|smart-tank)\.ts$/.test(f),
    pattern: /\bprocess\.(exit\(|on\(|once\()/,
  },
  {
    name: 'no any',
    applies: () => true,
    pattern: /:\s*any\b|\bas any\b|<any>/,
  },
];

const problems = [];
for (const dir of SOURCE_DIRS) {
  let entries;
  try {
    entries = [...files(join(root, dir))];
  } catch {
    continue;
  }
  for (const path of entries) {
    const rel = relative(root, path);
    const lines = readFileSync(path, 'utf8').split('\n');
    for (const rule of rules) {
      if (!rule.applies(rel)) continue;
      lines.forEach((line, i) => {
        if (line.trim().startsWith('//') || line.trim().startsWith('*')) return;
        if (rule.pattern.test(line)) problems.push(`${rel}:${i + 1}: ${rule.name}: ${line.trim()}`);
      });
    }
  }
}
if (problems.length > 0) {
  console.error(problems.join('\n'));
  process.exit(1);
}
