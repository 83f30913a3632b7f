// The page's static files: the client modules (daemon/web/client/) and the vendored front-end libraries
// (Preact, htm, uPlot from node_modules), served by the daemon itself with no build step. At start each
// module's imports are rewritten to content-hashed URLs (a bare 'preact' becomes /assets/vendor/...),
// dependencies first, so a file's hash covers what it imports and every asset can be cached immutable.
// Compressed (brotli and gzip) once: `npm run build` fills a cache of compressed files by content hash
// (dist/web-cache, shipped in the package), so a gateway never compresses at start (brotli at its best
// level holds megabytes while it works). Without the cache (a source checkout not built yet, an edited
// file) the daemon compresses in the thread pool after start and writes the cache if it may; until then
// a request waits for it.

import { createHash } from 'node:crypto';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, extname, join, posix, relative, sep } from 'node:path';
import { promisify } from 'node:util';
import { brotliCompress, constants as zlib, gzip } from 'node:zlib';
import type { Logger } from '../log.js';
import { packageDirAbove, packageRoot } from '../package-root.js';

const brotli = promisify(brotliCompress);
const gzipAsync = promisify(gzip);

export interface Asset {
  /** Path under the client directory (or vendor/...), e.g. views/tanks.js. */
  name: string;
  /** Where it is served, e.g. /assets/views/tanks.1a2b3c4d5e.js (index.html: /). */
  url: string;
  type: string;
  /** Cached for a year without revalidation (the URL changes with the content). */
  immutable: boolean;
  etag: string;
  /** SHA-256 of the content, hex (names it in the compression cache). */
  sha256: string;
  raw: Buffer;
  gzip?: Buffer;
  br?: Buffer;
}

const TYPES: Record<string, string> = {
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.html': 'text/html; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.webmanifest': 'application/manifest+json',
  '.json': 'application/json',
};
const COMPRESSIBLE = new Set(['.js', '.css', '.html', '.svg', '.webmanifest', '.json']);
const HASH_CHARS = 10;
/** import x from '...'; export ... from '...'; import '...'; import('...') */
const IMPORT_SPECIFIER = /(\bfrom\s*|\bimport\s*\(\s*|\bimport\s+)(['"])([^'"\n]+)\2/g;
/** {{asset:NAME}} in index.html and the manifest. */
const ASSET_REFERENCE = /\{\{asset:([^}]+)\}\}/g;
const SOURCE_MAP_LINE = /\n\/\/# sourceMappingURL=\S+\s*$/;
/**
 * Block comments of the client's own modules (JSDoc types, which name server files) are not served. The
 * client's code never writes "slash star" inside a string, so a plain pattern finds them.
 */
const BLOCK_COMMENT = /\/\*[^]*?\*\//g;

const PACKAGE_ROOT = packageRoot();
/** The client directory in a source checkout or a package: daemon/web/client. */
export const DEFAULT_CLIENT_DIR = join(PACKAGE_ROOT, 'daemon', 'web', 'client');
/** Compressed assets by content hash, filled by `npm run build`. */
export const DEFAULT_CACHE_DIR = join(PACKAGE_ROOT, 'dist', 'web-cache');

interface Source {
  name: string;
  content: Buffer;
  /** Its import specifiers are rewritten (client modules, vendored modules that import). */
  module: boolean;
}

/** The vendored libraries: bare specifier -> file in node_modules, and how it is turned into a module. */
interface VendorSource {
  specifier: string;
  name: string;
  file: string;
  /** The file is an ES module importing other libraries (by bare specifier). */
  imports?: boolean;
  wrap?: (code: string) => string;
}

function vendorSources(): VendorSource[] {
  const require = createRequire(import.meta.url);
  const pkgDir = (pkg: string) => packageDir(require.resolve(pkg), pkg);
  return [
    { specifier: 'preact', name: 'vendor/preact.js', file: join(pkgDir('preact'), 'dist/preact.mjs') },
    {
      specifier: 'preact/hooks',
      name: 'vendor/preact-hooks.js',
      file: join(pkgDir('preact'), 'hooks/dist/hooks.mjs'),
      imports: true,
    },
    { specifier: 'htm', name: 'vendor/htm.js', file: join(pkgDir('htm'), 'dist/htm.module.js') },
    {
      // The minified build is a classic script defining `var uPlot`: one line makes it a module.
      specifier: 'uplot',
      name: 'vendor/uplot.js',
      file: join(pkgDir('uplot'), 'dist/uPlot.iife.min.js'),
      wrap: (code) => {
        if (!/^(\/\*[^]*?\*\/\s*)?var uPlot=/.test(code))
          throw new Error('uPlot.iife.min.js does not start with "var uPlot=": its build changed');
        return `${code}\nexport default uPlot;\n`;
      },
    },
    { specifier: 'uplot.css', name: 'vendor/uplot.css', file: join(pkgDir('uplot'), 'dist/uPlot.min.css') },
  ];
}

export class AssetCatalog {
  private readonly byUrl = new Map<string, Asset>();
  private readonly byName = new Map<string, Asset>();
  private compressing: Promise<void> = Promise.resolve();
  private lastCounts = { cached: 0, compressed: 0 };

  /**
   * `clientDir`: the page's folder, or folders layered (the first that has a file wins: the fleet page
   * is its own folder over the dashboard's, reusing its modules, styles and icons).
   */
  constructor(
    private readonly clientDir: string | readonly string[],
    private readonly log: Logger,
    private readonly cacheDir: string | undefined = DEFAULT_CACHE_DIR,
  ) {}

  async load(): Promise<void> {
    const sources = new Map<string, Source>();
    const dirs = typeof this.clientDir === 'string' ? [this.clientDir] : this.clientDir;
    for (const dir of dirs)
      for (const file of await listFiles(dir)) {
        const name = relative(dir, file).split(sep).join('/');
        if (sources.has(name)) continue;
        if (name.endsWith('.md') || name.endsWith('tsconfig.json') || name.endsWith('.d.ts')) continue;
        const content = await readFile(file);
        const isModule = name.endsWith('.js');
        sources.set(name, {
          name,
          content: isModule ? Buffer.from(content.toString('utf8').replace(BLOCK_COMMENT, '')) : content,
          module: isModule,
        });
      }
    const bare = new Map<string, string>();
    for (const v of vendorSources()) {
      let code = (await readFile(v.file, 'utf8')).replace(SOURCE_MAP_LINE, '\n');
      if (v.wrap) code = v.wrap(code);
      sources.set(v.name, { name: v.name, content: Buffer.from(code), module: v.imports === true });
      bare.set(v.specifier, v.name);
    }
    if (!sources.has('index.html')) throw new Error(`no index.html in ${dirs.join(', ')}`);

    const urls = new Map<string, string>();
    const visiting = new Set<string>();
    const build = (name: string): string => {
      const done = urls.get(name);
      if (done) return done;
      const source = sources.get(name);
      if (!source) throw new Error(`dashboard asset "${name}" is missing (imported, not in the client)`);
      if (visiting.has(name)) throw new Error(`dashboard modules import each other in a cycle at ${name}`);
      visiting.add(name);
      let content = source.content;
      const ext = extname(name);
      if (source.module) {
        content = Buffer.from(
          content.toString('utf8').replace(IMPORT_SPECIFIER, (_m, lead: string, q: string, spec: string) => {
            const target = bare.get(spec) ?? resolveRelative(name, spec);
            return `${lead}${q}${build(target)}${q}`;
          }),
        );
      } else if (ext === '.css' || ext === '.webmanifest' || name === 'index.html') {
        content = Buffer.from(
          content.toString('utf8').replace(ASSET_REFERENCE, (_m, ref: string) => build(ref.trim())),
        );
      }
      visiting.delete(name);
      const digest = createHash('sha256').update(content).digest();
      const hash = digest.toString('base64url').slice(0, HASH_CHARS);
      const url = name === 'index.html' ? '/' : `/assets/${withHash(name, hash)}`;
      const asset: Asset = {
        name,
        url,
        type: TYPES[ext] ?? 'application/octet-stream',
        immutable: url !== '/',
        etag: `W/"${hash}"`,
        sha256: digest.toString('hex'),
        raw: content,
      };
      this.byUrl.set(url, asset);
      this.byName.set(name, asset);
      urls.set(name, url);
      return url;
    };
    build('index.html');
    this.log.info('dashboard assets ready', {
      files: this.byUrl.size,
      bytes: [...this.byUrl.values()].reduce((n, a) => n + a.raw.length, 0),
    });
    this.compressing = this.compressAll().then((c) => void (this.lastCounts = c));
  }

  /** The asset served at a URL path, once compressed (waits for compression the first time). */
  async get(urlPath: string): Promise<Asset | undefined> {
    const asset = this.byUrl.get(urlPath);
    if (asset) await this.compressing;
    return asset;
  }

  /** The asset by its client name (e.g. app.js), for tests and measurements. */
  named(name: string): Asset | undefined {
    return this.byName.get(name);
  }

  all(): Asset[] {
    return [...this.byUrl.values()];
  }

  ready(): Promise<void> {
    return this.compressing;
  }

  /** Compressed versions from the cache, or made now (and cached when the directory is writable). */
  private async compressAll(): Promise<{ cached: number; compressed: number }> {
    const started = Date.now();
    const counts = { cached: 0, compressed: 0 };
    let writable = this.cacheDir !== undefined;
    for (const a of this.byUrl.values()) {
      if (!COMPRESSIBLE.has(extname(a.name)) && a.name !== 'index.html') continue;
      const file = (ext: string) => join(this.cacheDir ?? '', `${a.sha256}.${ext}`);
      let [br, gz] = this.cacheDir
        ? await Promise.all([
            readFile(file('br')).catch(() => undefined),
            readFile(file('gz')).catch(() => undefined),
          ])
        : [undefined, undefined];
      if (br && gz) {
        counts.cached++;
      } else {
        [br, gz] = await Promise.all([
          brotli(a.raw, brotliOptions(a.raw.length)),
          gzipAsync(a.raw, { level: 9 }),
        ]);
        counts.compressed++;
        if (writable) {
          try {
            await mkdir(this.cacheDir!, { recursive: true });
            await Promise.all([writeFile(file('br'), br), writeFile(file('gz'), gz)]);
          } catch (err) {
            writable = false;
            this.log.debug('dashboard asset cache not writable: compressed in memory', {
              error: err as Error,
            });
          }
        }
      }
      if (br.length < a.raw.length) a.br = br;
      if (gz.length < a.raw.length) a.gzip = gz;
    }
    this.log.debug('dashboard assets compressed', { ...counts, ms: Date.now() - started });
    return counts;
  }

  /** Fills the compression cache (npm run build). */
  async precompress(): Promise<{ cached: number; compressed: number }> {
    await this.load();
    return this.compressed;
  }

  private get compressed(): Promise<{ cached: number; compressed: number }> {
    return this.compressing.then(() => this.lastCounts);
  }
}

/** The directory of an installed package, from any file in it (exports may hide package.json). */
function packageDir(file: string, pkg: string): string {
  const dir = packageDirAbove(dirname(file), pkg);
  if (!dir) throw new Error(`cannot find the directory of the ${pkg} package (from ${file})`);
  return dir;
}

function brotliOptions(size: number) {
  return {
    params: {
      [zlib.BROTLI_PARAM_QUALITY]: zlib.BROTLI_MAX_QUALITY,
      [zlib.BROTLI_PARAM_SIZE_HINT]: size,
      // A window just big enough for the file keeps the compressor's memory small.
      [zlib.BROTLI_PARAM_LGWIN]: Math.max(16, Math.min(22, Math.ceil(Math.log2(size + 1)))),
    },
  };
}

function withHash(name: string, hash: string): string {
  const ext = extname(name);
  return `${name.slice(0, name.length - ext.length)}.${hash}${ext}`;
}

function resolveRelative(from: string, spec: string): string {
  if (!spec.startsWith('./') && !spec.startsWith('../'))
    throw new Error(`${from}: import "${spec}" is neither relative nor a vendored library`);
  const resolved = posix.normalize(posix.join(posix.dirname(from), spec));
  if (resolved.startsWith('..')) throw new Error(`${from}: import "${spec}" leaves the client directory`);
  return resolved;
}

async function listFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await listFiles(path)));
    else if (entry.isFile()) out.push(path);
  }
  return out;
}

/** The body and headers for a request's Accept-Encoding: brotli, else gzip, else as is. */
export function encodedBody(
  asset: Asset,
  acceptEncoding: string | undefined,
): { body: Buffer; encoding?: 'br' | 'gzip' } {
  const accepts = (coding: string) =>
    new RegExp(`(^|,)\\s*${coding}\\s*(;\\s*q=(?!0(\\.0*)?\\s*(,|$))[\\d.]+)?\\s*(,|$)`, 'i').test(
      acceptEncoding ?? '',
    );
  if (asset.br && accepts('br')) return { body: asset.br, encoding: 'br' };
  if (asset.gzip && accepts('gzip')) return { body: asset.gzip, encoding: 'gzip' };
  return { body: asset.raw };
}
