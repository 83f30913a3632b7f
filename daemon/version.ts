// The daemon's version, from its package.json (in a checkout and in the Debian package alike:
// dist/daemon/version.js is two levels below it).

import { readFile } from 'node:fs/promises';

let cached: Promise<string> | undefined;

export function packageVersion(): Promise<string> {
  cached ??= readFile(new URL('../../package.json', import.meta.url), 'utf8').then(
    (text) => (JSON.parse(text) as { version?: string }).version ?? 'unknown',
    () => 'unknown',
  );
  return cached;
}
