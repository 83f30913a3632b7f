// The schema library every config, command and site schema uses: zod's functional build (zod/mini),
// with zod's English messages ("Too small: expected number to be >=0"), which the config errors show.
// Why not `zod` itself: its classic API gives every schema its own ~50 method closures and brings the
// whole library (~570 KB of source kept in memory by node); the functional build is tree-shaken to what
// the schemas call. Same core, same issues, same z.infer types; `z._default(schema, value)` is mini's
// name for classic's `.default(value)`.

import { config } from 'zod/mini';
import en from 'zod/v4/locales/en.js';

config(en());

export * from 'zod/mini';
