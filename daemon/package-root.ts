// Where this package is installed: the directory of its package.json, found upward from this module. The
// same from the source tree (tests), from tsc's dist/ and from the bundled daemon in dist/daemon/cli/,
// whose modules sit at other depths (a path like "../../package.json" holds for one of them only).

import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const PACKAGE_NAME = 'smart-tank';
let cached: string | undefined;

export function packageRoot(): string {
  if (cached) return cached;
  const start = dirname(fileURLToPath(import.meta.url));
  cached = packageDirAbove(start, PACKAGE_NAME);
  if (!cached) throw new Error(`no package.json of ${PACKAGE_NAME} above ${start}`);
  return cached;
}

/** The nearest directory at or above `dir` whose package.json names package `name`. */
export function packageDirAbove(dir: string, name: string): string | undefined {
  for (; dir !== dirname(dir); dir = dirname(dir)) {
    const file = join(dir, 'package.json');
    if (existsSync(file) && (JSON.parse(readFileSync(file, 'utf8')) as { name?: string }).name === name)
      return dir;
  }
  return undefined;
}
