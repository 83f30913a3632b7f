// The daemon's version, from its package.json (in a checkout and in the Debian package alike).

import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { packageRoot } from './package-root.js';

let cached: Promise<string> | undefined;

export function packageVersion(): Promise<string> {
  cached ??= readFile(join(packageRoot(), 'package.json'), 'utf8').then(
    (text) => (JSON.parse(text) as { version?: string }).version ?? 'unknown',
    () => 'unknown',
  );
  return cached;
}
