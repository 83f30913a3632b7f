// The page's files as the daemon serves them: every import resolves to a content-hashed URL, a change of
// one module changes the URLs of everything that imports it, everything is precompressed, the page has
// no inline script (the CSP forbids it), and the whole app fits the budget for a weak link.

import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { silentLogger } from '../../../daemon/log.js';
import { AssetCatalog, DEFAULT_CLIENT_DIR, encodedBody } from '../../../daemon/web/assets.js';
import { tempDir } from '../../helpers/daemon.js';

/** First view (login, tanks, with the chart code): at most this much over the wire. */
const FIRST_VIEW_BUDGET_BYTES = 100 * 1024;

async function catalog(dir = DEFAULT_CLIENT_DIR) {
  const c = new AssetCatalog(dir, silentLogger);
  await c.load();
  await c.ready();
  return c;
}

const IMPORT = /(?:\bfrom\s*|\bimport\s*\(\s*|\bimport\s+)(['"])([^'"\n]+)\1/g;

describe('dashboard assets', () => {
  it('every import of every module names a served, hashed asset: no bare or relative specifier is left', async () => {
    const c = await catalog();
    const urls = new Set(c.all().map((a) => a.url));
    for (const a of c.all().filter((x) => x.name.endsWith('.js'))) {
      for (const m of a.raw.toString('utf8').matchAll(IMPORT)) {
        expect(urls.has(m[2]!), `${a.name} imports ${m[2]}`).toBe(true);
        expect(m[2]).toMatch(/^\/assets\/.+\.[\w-]{10}\.js$/);
      }
    }
    expect(c.named('vendor/uplot.js')!.raw.toString()).toMatch(/export default uPlot;\n$/);
  });

  it('the page has no inline script or style, and names its assets by content hash', async () => {
    const c = await catalog();
    const html = c.named('index.html')!.raw.toString('utf8');
    expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
    expect(html).not.toMatch(/<style|style="/);
    expect(html).not.toMatch(/\{\{asset:/);
    expect(html).toContain(`src="${c.named('app.js')!.url}"`);
    expect(c.named('index.html')!.immutable).toBe(false);
    expect(c.named('app.js')!.immutable).toBe(true);
    const manifest = JSON.parse(c.named('manifest.webmanifest')!.raw.toString()) as {
      icons: { src: string }[];
    };
    for (const icon of manifest.icons) expect(c.all().some((a) => a.url === icon.src)).toBe(true);
  });

  it('a changed module changes its URL and the URL of every module that imports it, not the others', async () => {
    const dir = tempDir('client-');
    cpSync(DEFAULT_CLIENT_DIR, dir, { recursive: true });
    const before = await catalog(dir);
    const file = join(dir, 'views/alarms.js');
    writeFileSync(file, readFileSync(file, 'utf8') + '\nexport const changed = 1;\n');
    const after = await catalog(dir);
    const url = (c: AssetCatalog, n: string) => c.named(n)!.url;
    expect(url(after, 'views/alarms.js')).not.toBe(url(before, 'views/alarms.js'));
    expect(url(after, 'app.js')).not.toBe(url(before, 'app.js'));
    expect(url(after, 'views/tanks.js')).toBe(url(before, 'views/tanks.js'));
    expect(url(after, 'vendor/preact.js')).toBe(url(before, 'vendor/preact.js'));
  });

  it('is precompressed (brotli and gzip, each decoding to the file), chosen by Accept-Encoding', async () => {
    const c = await catalog();
    const app = c.named('app.js')!;
    expect(brotliDecompressSync(app.br!)).toEqual(app.raw);
    expect(gunzipSync(app.gzip!)).toEqual(app.raw);
    expect(encodedBody(app, 'gzip, deflate, br').encoding).toBe('br');
    expect(encodedBody(app, 'gzip').encoding).toBe('gzip');
    expect(encodedBody(app, 'br;q=0, gzip').encoding).toBe('gzip');
    expect(encodedBody(app, undefined).encoding).toBeUndefined();
    expect(c.named('icons/icon-192.png')!.br).toBeUndefined();
  });

  it(`the whole app, the chart library included, is under ${FIRST_VIEW_BUDGET_BYTES / 1024} KB compressed`, async () => {
    const c = await catalog();
    const firstView = c
      .all()
      .filter((a) => !a.name.startsWith('icons/icon-') || a.name === 'icons/icon.svg')
      .reduce((n, a) => n + (a.br ?? a.raw).length, 0);
    expect(firstView).toBeLessThan(FIRST_VIEW_BUDGET_BYTES);
  });
});
