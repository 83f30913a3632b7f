// The dashboard under test: Debian's Chromium driven by playwright-core (never a downloaded browser) at
// a phone's and a tablet's viewport, against the daemon as a process on the simulated tank; plain HTTP
// requests for what a browser cannot do (another source address, a forged cookie).

import { mkdirSync, readFileSync } from 'node:fs';
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { chromium, type Browser, type BrowserContextOptions, type Page } from 'playwright-core';
import type { DaemonProcess } from './daemon.js';

export const CHROMIUM = '/usr/bin/chromium';
export const ARTIFACTS = new URL('../artifacts/web/', import.meta.url).pathname;

export const PHONE: BrowserContextOptions = {
  viewport: { width: 390, height: 844 },
  deviceScaleFactor: 2,
  isMobile: true,
  hasTouch: true,
};
export const TABLET: BrowserContextOptions = {
  viewport: { width: 820, height: 1180 },
  deviceScaleFactor: 2,
  isMobile: true,
  hasTouch: true,
};

export async function launchBrowser(): Promise<Browser> {
  try {
    readFileSync(CHROMIUM);
  } catch {
    throw new Error(`${CHROMIUM} is missing: apt-get install -y chromium (test/setup/system-deps.mjs)`);
  }
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--disable-dev-shm-usage',
    ],
  });
}

/** The dashboard's URL, from the daemon's "dashboard listening" log line. */
export async function dashboardUrl(daemon: DaemonProcess, timeoutMs = 15_000): Promise<string> {
  const line = await daemon.waitForLog(
    (l) => l.msg === 'dashboard listening',
    timeoutMs,
    'dashboard listening',
  );
  return `${String(line.protocol)}://${String(line.host)}:${String(line.port)}`;
}

export async function logIn(page: Page, url: string, user: string, password: string): Promise<void> {
  await page.goto(`${url}/`);
  await page.fill('#user', user);
  await page.fill('#password', password);
  await page.click('button[type=submit]');
}

/** A finger swipe upwards (to scroll the page down) starting at x, y: real touch events, as a phone sends. */
export async function swipeUp(page: Page, x: number, y: number, distance: number): Promise<void> {
  const cdp = await page.context().newCDPSession(page);
  const steps = 10;
  await cdp.send('Input.dispatchTouchEvent', { type: 'touchStart', touchPoints: [{ x, y }] });
  for (let i = 1; i <= steps; i++) {
    await cdp.send('Input.dispatchTouchEvent', {
      type: 'touchMove',
      touchPoints: [{ x, y: y - (distance * i) / steps }],
    });
    await page.waitForTimeout(16);
  }
  await cdp.send('Input.dispatchTouchEvent', { type: 'touchEnd', touchPoints: [] });
  await cdp.detach();
}

export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(ARTIFACTS, { recursive: true });
  const path = join(ARTIFACTS, `${name}.png`);
  await page.screenshot({ path, fullPage: false });
  return path;
}

const require = createRequire(import.meta.url);
const AXE_SOURCE = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

export interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: { target: string[]; failureSummary?: string }[];
}

/** axe-core on the page as it is now; the serious and critical violations. */
export async function seriousViolations(page: Page): Promise<AxeViolation[]> {
  // Evaluated through the DevTools protocol: the page's CSP (no inline script) stays on.
  if (await page.evaluate("typeof axe === 'undefined'")) await page.evaluate(`${AXE_SOURCE}\n;0`);
  const violations = (await page.evaluate(
    "axe.run(document, { resultTypes: ['violations'] }).then((r) => r.violations)",
  )) as AxeViolation[];
  return violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
}

export function describeViolations(v: AxeViolation[]): string {
  return v
    .map((x) => `${x.id} (${x.impact}): ${x.help}\n  ${x.nodes.map((n) => n.target.join(' ')).join('\n  ')}`)
    .join('\n');
}

export interface HttpAnswer {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

/** One HTTP request, optionally from a chosen local address. */
export function http(
  url: string,
  options: { method?: string; headers?: Record<string, string>; body?: string; localAddress?: string } = {},
): Promise<HttpAnswer> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      url,
      {
        method: options.method ?? 'GET',
        headers: options.headers,
        localAddress: options.localAddress,
        signal: AbortSignal.timeout(10_000),
      },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => (body += d));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      },
    );
    req.on('error', reject);
    req.end(options.body);
  });
}

/** Logs in over plain HTTP: the session cookie and CSRF token. */
export async function apiLogin(
  url: string,
  user: string,
  password: string,
): Promise<{ cookie: string; csrf: string }> {
  const r = await http(`${url}/api/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ user, password }),
  });
  if (r.status !== 200) throw new Error(`login of ${user} failed: ${r.status} ${r.body}`);
  const setCookie = r.headers['set-cookie']?.[0] ?? '';
  return { cookie: setCookie.split(';')[0]!, csrf: (JSON.parse(r.body) as { csrf: string }).csrf };
}

/** Audit log records of a state directory's audit.log. */
export function auditRecords(file: string): Record<string, unknown>[] {
  try {
    return readFileSync(file, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as Record<string, unknown>);
  } catch {
    return [];
  }
}
