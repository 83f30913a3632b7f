// Files shipped with smart-tank that provisioning reads (hardware/examples/), in the package's root (from
// the sources, tsc's dist/ and the bundled command alike).

import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from '../daemon/package-root.js';

export function projectPath(relative: string): string {
  const file = join(packageRoot(), relative);
  if (!existsSync(file)) throw new Error(`${file} is missing: smart-tank is installed incompletely`);
  return file;
}
