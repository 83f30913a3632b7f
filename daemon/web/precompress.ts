// `npm run build` runs this after tsc: compresses the dashboard's assets into the cache by content hash
// (dist/web-cache), so that a gateway serves them precompressed without compressing at start.

import { createLogger } from '../log.js';
import { AssetCatalog, DEFAULT_CACHE_DIR, DEFAULT_CLIENT_DIR } from './assets.js';

const catalog = new AssetCatalog(DEFAULT_CLIENT_DIR, createLogger({ level: 'warn' }), DEFAULT_CACHE_DIR);
const { cached, compressed } = await catalog.precompress();
process.stdout.write(
  `dashboard assets: ${compressed} compressed, ${cached} already in ${DEFAULT_CACHE_DIR}\n`,
);
