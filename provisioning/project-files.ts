// Files shipped with smart-tank that provisioning reads (hardware/examples/): found relative to this
// module both when run from the sources (provisioning/) and from the build (dist/provisioning/).

import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export function projectPath(relative: string): string {
  for (const up of ['../', '../../']) {
    const candidate = fileURLToPath(new URL(up + relative, import.meta.url));
    if (existsSync(candidate)) return candidate;
  }
  throw new Error(`${relative} is not where smart-tank keeps it (installed incompletely?)`);
}
