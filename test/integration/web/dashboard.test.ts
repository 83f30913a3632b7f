// The farmer's dashboard in a real browser (Debian's Chromium through playwright-core) against the daemon
// as a process on the simulated tank, at a phone's viewport (390x844, touch) and a tablet's: a viewer
// reads and cannot change anything; an admin opens the valve and sees the tank refill without reloading;
// a safety refusal shows its reason; CSRF and foreign cookies do nothing; /metrics matches MQTT; every
// view passes axe-core; five wrong passwords lock the web login and the same address's MQTT login.
// Screenshots of every main view go to test/artifacts/web/.

import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../../helpers/daemon.js';
import {
  apiLogin,
  auditRecords,
  dashboardUrl,
  describeViolations,
  http,
  launchBrowser,
  logIn,
  PHONE,
  screenshot,
  seriousViolations,
  swipeUp,
  TABLET,
} from '../../helpers/dashboard.js';
import { collect, login, PASSWORDS, PlaneUnderTest, PREFIX } from '../../helpers/mqtt-plane.js';
import { seedHistory } from '../../helpers/seed-history.mjs';

// What the code evaluated in the page uses (the project's TypeScript has no DOM library).
declare const window: { scrollY: number; notReloaded?: boolean; scrollTo(x: number, y: number): void };
declare const document: {
  querySelector(selector: string): { remove(): void } | null;
  documentElement: { scrollWidth: number };
};

/** Simulated seconds per wall second: the valve's effect shows in seconds, a month of history is seeded. */
const SPEED = 10;
const HISTORY_DAYS = 30;
const UI_TIMEOUT_MS = 15_000;
const METRICS_TOKEN = 'metrics-token-for-the-test-0123456789';

describe('the dashboard in Chromium', () => {
  let plane: PlaneUnderTest;
  let url: string;
  let browser: Browser;
  const contexts: BrowserContext[] = [];

  beforeAll(async () => {
    plane = new PlaneUnderTest('embedded', {
      speed: SPEED,
      configure: (config) => {
        const tokenFile = join(plane.dir, 'metrics.token');
        writeFileSync(tokenFile, METRICS_TOKEN + '\n');
        config.web = { ...config.web, metrics: { tokenFile, roles: ['admin'] } };
      },
      prepare: async (config, raw) => {
        const { finalLevelPct } = await seedHistory(config, { days: HISTORY_DAYS });
        // The live tank goes on near where the history ends (the tests need the house between 35 and 70 %).
        for (const tank of raw.tanks as unknown as { id: string; sim?: Record<string, unknown> }[])
          tank.sim = {
            ...tank.sim,
            initialLevelPct: Math.min(70, Math.max(35, Math.round(finalLevelPct[tank.id] ?? 50))),
          };
      },
    });
    [browser] = await Promise.all([launchBrowser(), plane.start()]);
    url = await dashboardUrl(plane.daemon);
  });

  afterAll(async () => {
    for (const c of contexts) await c.close().catch(() => {});
    await browser?.close();
    await plane?.close();
  });

  async function newPage(options = PHONE): Promise<Page> {
    const context = await browser.newContext(options);
    contexts.push(context);
    const page = await context.newPage();
    page.setDefaultTimeout(UI_TIMEOUT_MS);
    return page;
  }

  const house = (page: Page) => page.locator('[data-tank=house]');

  it('a viewer sees the level, the status and the trend, and no controls; the API refuses it a change (403, audited)', async () => {
    const page = await newPage();
    await logIn(page, url, 'vic', PASSWORDS.vic!);
    await expect
      .poll(() => house(page).getByTestId('level').textContent(), { timeout: UI_TIMEOUT_MS })
      .toMatch(/\d+ %/);
    await expect(house(page).getByTestId('status').textContent()).resolves.toMatch(
      /Water is (ready to use|refilling)/,
    );
    expect(await page.getByRole('button', { name: 'Controls' }).count()).toBe(0);

    // The trend: a tap reads a value above the chart; a vertical swipe on the chart scrolls the page.
    await page.getByRole('link', { name: 'Trend' }).first().click();
    const chart = page.locator('.chart canvas');
    await chart.waitFor();
    const readout = page.getByTestId('readout');
    expect(await readout.textContent()).toBe('Tap the chart to read a value.');
    const box = (await page.locator('.chart .u-over').boundingBox())!;
    await page.touchscreen.tap(box.x + box.width * 0.6, box.y + box.height / 2);
    await expect.poll(() => readout.textContent()).toMatch(/\d+(\.\d)? % \([\d,]+ L\)/);
    const reading = await readout.textContent();
    const before = await page.evaluate(() => window.scrollY);
    await swipeUp(page, box.x + box.width / 2, box.y + box.height - 10, 200);
    await expect.poll(() => page.evaluate(() => window.scrollY)).toBeGreaterThan(before + 100);
    expect(await readout.textContent(), 'a swipe is not a tap: the value read stays').toBe(reading);
    await expect(page.getByTestId('days-left').textContent()).resolves.toMatch(
      /of water left at the recent use/,
    );
    // A week: the refills of the seeded history are marked.
    await page.getByRole('button', { name: '7 days' }).click();
    await expect.poll(() => page.getByTestId('readout').textContent()).toBe('Tap the chart to read a value.');
    await page.locator('.chart canvas').waitFor();
    await page.evaluate(() => window.scrollTo(0, 0));
    await screenshot(page, 'viewer-phone-trends-7d');

    // The viewer's own session asking to open the valve: refused by the command path, and audited.
    const answer = await page.evaluate(async () => {
      const s = (await (await fetch('/api/session')).json()) as { csrf: string };
      const r = await fetch('/api/tanks/house/command', {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-csrf-token': s.csrf },
        body: JSON.stringify({ id: 'viewer-try-0001', action: 'valve', open: true, minutes: 5 }),
      });
      return { status: r.status, body: (await r.json()) as { result: string; reason: string } };
    });
    expect(answer.status).toBe(403);
    expect(answer.body).toMatchObject({
      result: 'refused',
      reason: expect.stringMatching(/vic .*viewer.* may not/),
    });
    await waitFor(
      () =>
        auditRecords(plane.auditFile).find(
          (r) => r.who === 'vic' && r.kind === 'command' && String(r.result).startsWith('refused'),
        ),
      UI_TIMEOUT_MS,
      'the refused command in the audit log',
    );
    expect(plane.output('house', 'mains')).toBe('0');
  });

  it('an admin opens the valve: the tank refills and the page shows "Water is refilling" without a reload; audited', async () => {
    const page = await newPage();
    await logIn(page, url, 'alice', PASSWORDS.alice!);
    await house(page).getByTestId('level').waitFor();
    await page.evaluate(() => (window.notReloaded = true));
    const litresBefore = await stateLitres();

    await house(page).getByRole('button', { name: 'Controls' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByText('15 min').click();
    await dialog.getByRole('button', { name: 'Open valve' }).click();
    await expect(
      dialog.getByText('Open the fill valve of House greywater tank for 15 min?').count(),
    ).resolves.toBe(1);
    await dialog.getByRole('button', { name: 'Yes, do it' }).click();
    await expect
      .poll(() => dialog.getByTestId('outcome').textContent())
      .toMatch(/Done: fill valve open by hand/);
    await dialog.getByRole('button', { name: 'Close' }).first().click();

    await house(page).getByTestId('status').getByText('Water is refilling').waitFor();
    expect(await house(page).getByTestId('valve').textContent()).toBe('Open');
    expect(await page.evaluate(() => window.notReloaded)).toBe(true);
    expect(plane.output('house', 'mains')).toBe('1');
    // The simulated tank fills: more litres than before, by the page's own live state.
    await expect
      .poll(() => stateLitres(), { timeout: UI_TIMEOUT_MS, interval: 500 })
      .toBeGreaterThan(litresBefore + 3);
    const entry = await waitFor(
      () =>
        auditRecords(plane.auditFile).find(
          (r) => r.who === 'alice' && String(r.what).startsWith('valve open for 15 min tank=house'),
        ),
      UI_TIMEOUT_MS,
      'the valve command in the audit log',
    );
    expect(entry).toMatchObject({
      kind: 'command',
      from: '127.0.0.1 (dashboard)',
      result: expect.stringMatching(/^accepted/),
    });
    await screenshot(page, 'admin-phone-tanks-refilling');

    async function stateLitres(): Promise<number> {
      return page.evaluate(async () => {
        const r = (await (await fetch('/api/tanks')).json()) as { tanks: { tank: string; litres: number }[] };
        return r.tanks.find((x) => x.tank === 'house')!.litres;
      });
    }
  });

  it('a manual open refused by a safety rule shows the reason', async () => {
    const page = await newPage();
    await logIn(page, url, 'alice', PASSWORDS.alice!);
    await house(page).getByRole('button', { name: 'Controls' }).click();
    const dialog = page.getByRole('dialog');
    // Stop refilling at 30 %: the tank (35 % or more) is then above the high threshold.
    const high = dialog.getByRole('spinbutton', { name: 'Stop refill at (%)' });
    await high.fill('30');
    await dialog.getByRole('button', { name: 'Save thresholds' }).click();
    await dialog.getByRole('button', { name: 'Yes, do it' }).click();
    await expect
      .poll(() => dialog.getByTestId('outcome').textContent())
      .toMatch(/Done: thresholds .* -> 15\/30%/);
    await dialog.getByRole('button', { name: 'Open valve' }).click();
    await dialog.getByRole('button', { name: 'Yes, do it' }).click();
    await expect
      .poll(() => dialog.getByTestId('outcome').textContent())
      .toMatch(/Refused by the gateway: level \d+% is at or above the high threshold \(30%\)/);
    await screenshot(page, 'admin-phone-controls-refused');
    // Back to the farm's thresholds.
    await high.fill('80');
    await dialog.getByRole('button', { name: 'Save thresholds' }).click();
    await dialog.getByRole('button', { name: 'Yes, do it' }).click();
    await expect.poll(() => dialog.getByTestId('outcome').textContent()).toMatch(/-> 15\/80%/);
    await dialog.getByRole('button', { name: 'Automatic' }).click();
    await dialog.getByRole('button', { name: 'Yes, do it' }).click();
    await expect.poll(() => dialog.getByTestId('outcome').textContent()).toMatch(/Done: automatic control/);
  });

  it('a change without the CSRF token is refused; a cookie from another session does nothing', async () => {
    const page = await newPage();
    await logIn(page, url, 'alice', PASSWORDS.alice!);
    await house(page).getByTestId('level').waitFor();
    const noToken = await page.evaluate(async () => {
      const r = await fetch('/api/tanks/house/command', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ id: 'no-csrf-token-01', action: 'valve', open: true }),
      });
      return { status: r.status, body: (await r.json()) as { error: string } };
    });
    expect(noToken).toEqual({ status: 403, body: expect.objectContaining({ error: 'csrf' }) });
    expect(auditRecords(plane.auditFile).some((r) => JSON.stringify(r).includes('no-csrf-token-01'))).toBe(
      false,
    );

    // The viewer's cookie with the admin's CSRF token: still the viewer, and the token does not fit.
    const vic = await apiLogin(url, 'vic', PASSWORDS.vic!);
    const alice = await apiLogin(url, 'alice', PASSWORDS.alice!);
    const mixed = await http(`${url}/api/tanks/house/command`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', cookie: vic.cookie, 'x-csrf-token': alice.csrf },
      body: JSON.stringify({ id: 'mixed-session-01', action: 'valve', open: true }),
    });
    expect(mixed.status).toBe(403);
    expect(JSON.parse(mixed.body)).toMatchObject({ error: 'csrf' });

    // A made-up cookie, and the cookie of a session that logged out: no session at all.
    const stranger = await newPage();
    await stranger.context().addCookies([{ name: 'tank-session', value: 'made-up-session-token-0000', url }]);
    await stranger.goto(`${url}/`);
    await stranger.locator('#user').waitFor();
    const ended = await apiLogin(url, 'alice', PASSWORDS.alice!);
    await http(`${url}/api/logout`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', cookie: ended.cookie, 'x-csrf-token': ended.csrf },
      body: '{}',
    });
    for (const cookie of ['tank-session=made-up-session-token-0000', ended.cookie]) {
      expect((await http(`${url}/api/tanks`, { headers: { cookie } })).status).toBe(401);
      const post = await http(`${url}/api/tanks/house/command`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', cookie, 'x-csrf-token': ended.csrf },
        body: JSON.stringify({ id: 'ended-session-01', action: 'valve', open: true }),
      });
      expect(post.status).toBe(401);
    }
  });

  it('/metrics is Prometheus text format and its level is the MQTT state', async () => {
    expect((await http(`${url}/metrics`)).status).toBe(401);
    expect(
      (await http(`${url}/metrics`, { headers: { authorization: 'Bearer wrong-token-0123456789' } })).status,
    ).toBe(401);
    const scrape = async () => {
      const r = await http(`${url}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } });
      expect(r.status).toBe(200);
      expect(r.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
      return r.body;
    };
    const first = await scrape();
    const check = spawnSync('promtool', ['check', 'metrics'], { input: first, encoding: 'utf8' });
    expect(check.error, 'promtool is missing: apt-get install -y prometheus').toBeUndefined();
    expect(check.status, `${check.stdout}${check.stderr}`).toBe(0);

    const client = await plane.client('vic');
    const states = await collect(client, `${PREFIX}/tank/house/state`);
    const retained = await states.next(() => true, UI_TIMEOUT_MS, 'the retained house state');
    const mqttLevel = (JSON.parse(retained.payload) as { levelPct: number }).levelPct;
    const second = await scrape();
    const levels = [first, second].map((text) => metric(text, 'smart_tank_level_percent', { tank: 'house' }));
    expect(levels).toContain(mqttLevel);
    expect(metric(second, 'smart_tank_valve_open', { tank: 'house' })).toBe(0);
    expect(metric(second, 'smart_tank_capacity_litres', { tank: 'farm' })).toBe(45018);
    expect(metric(second, 'smart_tank_control_tick_duration_seconds_count', {})).toBeGreaterThan(0);
    expect(metric(second, 'process_resident_memory_bytes', {})).toBeGreaterThan(10e6);
  });

  it('every view passes axe-core (no serious or critical violation), phone and tablet; screenshots of each', async () => {
    const views = ['tanks', 'trends/house', 'alarms', 'gateway'];
    for (const [device, options] of [
      ['phone', PHONE],
      ['tablet', TABLET],
    ] as const) {
      for (const user of ['vic', 'alice']) {
        const role = user === 'vic' ? 'viewer' : 'admin';
        const page = await newPage(options);
        await page.goto(`${url}/`);
        await page.locator('#user').waitFor();
        // axe-core on every view for both roles on the phone, and for the admin (every control) on the tablet.
        const checkAxe = device === 'phone' || role === 'admin';
        if (user === 'vic') {
          expect(describeViolations(await seriousViolations(page)), `login, ${device}`).toBe('');
          await screenshot(page, `login-${device}`);
        }
        await logIn(page, url, user, PASSWORDS[user]!);
        await house(page).getByTestId('level').waitFor();
        for (const view of views) {
          await page.goto(`${url}/#/${view}`);
          await page.locator('main h1').first().waitFor();
          if (view.startsWith('trends')) await page.locator('.chart canvas').waitFor();
          if (view === 'alarms') await page.locator('#history-title').waitFor();
          if (view === 'gateway') await page.locator('.tiles').waitFor();
          if (view === 'gateway' && role === 'admin') await page.getByTestId('audit-chain').waitFor();
          await page.waitForTimeout(150); // layout settles (chart drawn)
          if (checkAxe)
            expect(describeViolations(await seriousViolations(page)), `${view}, ${role}, ${device}`).toBe('');
          await screenshot(page, `${role}-${device}-${view.replace('/', '-')}`);
        }
        if (role === 'admin') {
          await page.goto(`${url}/#/tanks`);
          await house(page).getByRole('button', { name: 'Controls' }).click();
          await page.getByRole('dialog').getByRole('button', { name: 'Open valve' }).waitFor();
          expect(describeViolations(await seriousViolations(page)), `controls, ${device}`).toBe('');
          await screenshot(page, `admin-${device}-controls`);
        }
        await page.context().close();
      }
    }
    // Narrowest phones (320 px): nothing wider than the screen.
    const narrow = await newPage({ ...PHONE, viewport: { width: 320, height: 640 } });
    await logIn(narrow, url, 'alice', PASSWORDS.alice!);
    await house(narrow).getByTestId('level').waitFor();
    for (const view of views) {
      await narrow.goto(`${url}/#/${view}`);
      await narrow.locator('main h1').first().waitFor();
      await narrow.waitForTimeout(150);
      expect(await narrow.evaluate(() => document.documentElement.scrollWidth), view).toBeLessThanOrEqual(
        320,
      );
      await screenshot(narrow, `admin-320-${view.replace('/', '-')}`);
    }
  }, 120_000);

  it("five wrong passwords lock the dashboard login, and the same address's MQTT login", async () => {
    const page = await newPage();
    await page.goto(`${url}/`);
    for (let i = 0; i < 5; i++) {
      await page.fill('#user', 'alice');
      await page.fill('#password', `wrong-password-${i}`);
      await page.click('button[type=submit]');
      await expect
        .poll(() => page.getByTestId('login-error').textContent())
        .toMatch(/Wrong user name or password/);
      await page.evaluate(() => document.querySelector('[data-testid=login-error]')?.remove());
    }
    await page.fill('#user', 'alice');
    await page.fill('#password', PASSWORDS.alice!);
    await page.click('button[type=submit]');
    await expect.poll(() => page.getByTestId('login-error').textContent()).toMatch(/Too many failed logins/);
    await screenshot(page, 'login-phone-locked');
    // The same address knocking on the MQTT door, even as another user with the right password.
    expect(
      login({
        host: '127.0.0.1',
        port: plane.port,
        user: 'vic',
        password: PASSWORDS.vic!,
        from: '127.0.0.1',
      }),
    ).toBe('refused');
    const lockout = await waitFor(
      () => auditRecords(plane.auditFile).find((r) => r.kind === 'lockout'),
      UI_TIMEOUT_MS,
      'the lockout in the audit log',
    );
    expect(lockout).toMatchObject({ who: 'alice', from: '127.0.0.1', what: 'dashboard login' });
    expect(
      auditRecords(plane.auditFile).filter((r) => r.kind === 'login-failed' && r.what === 'dashboard login'),
    ).toHaveLength(5);
    expect(readFileSync(plane.auditFile, 'utf8')).not.toContain('wrong-password');
  });
});

/** The value of one sample in Prometheus text, by name and labels (a subset). */
function metric(text: string, name: string, labels: Record<string, string>): number | undefined {
  for (const line of text.split('\n')) {
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{([^}]*)\})? (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const have = Object.fromEntries(
      [...(m[3] ?? '').matchAll(/([a-zA-Z_]\w*)="((?:[^"\\]|\\.)*)"/g)].map((x) => [x[1], x[2]]),
    );
    if (Object.entries(labels).every(([k, v]) => have[k] === v)) return Number(m[4]);
  }
  return undefined;
}
