// The fleet service (`smart-tank fleet serve`, as a process, on the folder `provision central-config`
// wrote) subscribed to the 3-node RabbitMQ cluster that the daemon's telemetry reaches through its
// Mosquitto and the hub, scraped by Debian's Prometheus with the generated scrape job: a PromQL query
// returns the tank level the daemon published on MQTT; the fleet page (Chromium) shows the tanks and
// lets a fleet admin command one through the gateway's checked path; a gateway going silent (its daemon
// frozen with SIGSTOP: its broker and bridges stay up) shows offline on the page and in the metrics
// within the documented time (liveness.offlineAfterS, then the page's 1 s view and a scrape).

import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { waitFor } from '../../helpers/daemon.js';
import { PASSWORDS } from '../../helpers/mqtt-plane.js';
import {
  apiLogin,
  auditRecords,
  describeViolations,
  http,
  launchBrowser,
  logIn,
  PHONE,
  screenshot,
  seriousViolations,
  TABLET,
} from '../../helpers/dashboard.js';
import {
  GATEWAY,
  OPERATOR,
  operatorPassword,
  PREFIX,
  VIEWER,
  recorder,
  startFleet,
  startFleetService,
  startPrometheus,
  type Fleet,
  type FleetServiceUnderTest,
  type Recorder,
} from './fleet-fixture.js';

/** A gateway silent this long is offline (the test's config; the default is 180 s). */
const OFFLINE_AFTER_S = 6;
const SCRAPE_INTERVAL_S = 1;
/** The page re-evaluates once a second (VIEW_INTERVAL_MS); the rest is a slow CI machine's margin. */
const DETECTION_MARGIN_S = 6;
const SCRAPE_TIMEOUT_MS = 60_000;
const PAGE_TIMEOUT_MS = 30_000;

let fleet: Fleet;
let service: FleetServiceUnderTest;
let prometheus: Awaited<ReturnType<typeof startPrometheus>>;
let truth: Recorder;
let browser: Browser | undefined;

interface State {
  time: string;
  levelPct: number | null;
}

beforeAll(async () => {
  fleet = await startFleet();
  truth = await recorder({
    host: '127.0.0.1',
    port: fleet.plane.port,
    clientId: 'truth-for-the-fleet',
    clean: false,
    username: 'alice',
    password: PASSWORDS.alice,
  });
  const stamp = new Map<string, number>();
  truth.client.on('message', (topic, payload) => stamp.set(payload.toString(), Date.now()));
  await truth.client.subscribeAsync(`${PREFIX}/${GATEWAY}/tank/+/state`, { qos: 1 });
  (truth as Recorder & { stamp?: Map<string, number> }).stamp = stamp;
  service = await startFleetService(fleet, { offlineAfterS: OFFLINE_AFTER_S, staleAfterS: 60 });

  // The scrape job central-config wrote, pointed at this service and its token.
  const scrape = parse(readFileSync(join(fleet.fleetDir, 'prometheus-scrape.yml'), 'utf8')) as {
    scrape_interval: string;
    authorization: { credentials_file: string };
    static_configs: { targets: string[] }[];
  }[];
  const job = scrape[0]!;
  job.scrape_interval = `${SCRAPE_INTERVAL_S}s`;
  job.authorization.credentials_file = join(fleet.work, 'prometheus.token');
  writeFileSync(job.authorization.credentials_file, readFileSync(join(fleet.fleetDir, 'metrics-token')));
  job.static_configs[0]!.targets = [new URL(service.url).host];
  prometheus = await startPrometheus(fleet.work, { scrape_configs: scrape });
}, 240_000);

afterAll(async () => {
  await browser?.close().catch(() => {});
  await prometheus?.stop();
  await truth?.client.endAsync(true).catch(() => {});
  await service?.stop();
  await fleet?.close();
});

const states = (tank: string): (State & { receivedAt: number })[] => {
  const stamp = (truth as Recorder & { stamp: Map<string, number> }).stamp;
  return truth.log
    .filter((m) => m.topic === `${PREFIX}/${GATEWAY}/tank/${tank}/state`)
    .map((m) => ({ ...(JSON.parse(m.payload) as State), receivedAt: stamp.get(m.payload) ?? 0 }));
};

describe('the fleet service scraped by Prometheus', () => {
  it('returns, through PromQL, the tank level the daemon published on MQTT', async () => {
    const query = `smart_tank_fleet_tank_level_percent{gateway="${GATEWAY}",tank="house"}`;
    let result: Awaited<ReturnType<typeof prometheus.query>>;
    await waitFor(
      () => {
        void prometheus.query(query).then((r) => (result = r));
        return result && result.length === 1 ? true : undefined;
      },
      SCRAPE_TIMEOUT_MS,
      `${query} in Prometheus`,
    );
    const sample = result![0]!;
    expect(sample.metric).toMatchObject({
      job: 'smart-tank-fleet',
      gateway: GATEWAY,
      tank: 'house',
      server: '1',
      site: 'testfarm',
    });
    const [atS, value] = sample.value;
    // The value is the level of a state the daemon published shortly before Prometheus scraped it.
    const published = states('house').filter(
      (s) => s.receivedAt <= atS * 1000 + 1000 && s.receivedAt >= atS * 1000 - 15_000,
    );
    expect(published.map((s) => s.levelPct)).toContain(Number(value));
  });
});

describe('a gateway going silent', () => {
  let page: Page;

  it('is online on the fleet page first', async () => {
    browser = await launchBrowser();
    page = await (await browser.newContext(TABLET)).newPage();
    await logIn(page, service.url, OPERATOR, operatorPassword(fleet, OPERATOR));
    await page.getByTestId(`gateway-${GATEWAY}`).waitFor({ timeout: PAGE_TIMEOUT_MS });
    await expect.poll(() => page.getByTestId(`gateway-${GATEWAY}`).getAttribute('data-online')).toBe('true');
    await screenshot(page, 'fleet-online');
  });

  it("lets a fleet admin command a tank: the gateway's checked path answers, on the page", async () => {
    await page.getByTestId('filter-all').click();
    await page.locator(`[data-testid="tank-${GATEWAY}-house"] .row-open`).click();
    await page.getByTestId('command-auto').click();
    await page.getByTestId('confirm').click();
    const outcome = page.getByTestId('command-outcome');
    await outcome.waitFor({ timeout: PAGE_TIMEOUT_MS });
    expect(await outcome.textContent()).toMatch(/Done/);
    await screenshot(page, 'fleet-command');
    // The gateway's own audit log has it, as the operator's command (written as it answers).
    await waitFor(
      () =>
        auditRecords(fleet.plane.auditFile).some(
          (a) =>
            a.who === OPERATOR &&
            String((a.detail as { id?: string } | undefined)?.id).startsWith('fleet-') &&
            String(a.result).startsWith('accepted'),
        ) || undefined,
      PAGE_TIMEOUT_MS,
      `${OPERATOR}'s command in the gateway's audit log`,
    );
    await page.keyboard.press('Escape');
  });

  it('refuses a command from a fleet viewer before it travels', async () => {
    const { cookie, csrf } = await apiLogin(service.url, VIEWER, operatorPassword(fleet, VIEWER));
    const r = await http(`${service.url}/api/fleet/gateways/${GATEWAY}/command`, {
      method: 'POST',
      headers: { cookie, 'x-csrf-token': csrf, 'content-type': 'application/json' },
      body: JSON.stringify({ tank: 'house', action: 'mode', mode: 'auto' }),
    });
    expect(r.status).toBe(403);
  });

  it('is usable on a phone and passes axe-core', async () => {
    const phone = await (await browser!.newContext(PHONE)).newPage();
    await logIn(phone, service.url, VIEWER, operatorPassword(fleet, VIEWER));
    await phone.getByTestId(`gateway-${GATEWAY}`).waitFor({ timeout: PAGE_TIMEOUT_MS });
    await phone.getByTestId('filter-all').click();
    await phone.getByTestId(`tank-${GATEWAY}-house`).waitFor({ timeout: PAGE_TIMEOUT_MS });
    await screenshot(phone, 'fleet-phone');
    const violations = await seriousViolations(phone);
    expect(violations, describeViolations(violations)).toEqual([]);
    await phone.close();
  });

  it('shows offline on the page and in the metrics within the documented time', async () => {
    const frozenAt = Date.now();
    fleet.plane.daemon.child.kill('SIGSTOP');
    try {
      await page
        .locator(`[data-testid="gateway-${GATEWAY}"][data-online="false"]`)
        .waitFor({ timeout: (OFFLINE_AFTER_S + DETECTION_MARGIN_S) * 1000 });
      const pageS = (Date.now() - frozenAt) / 1000;
      let down = false;
      await waitFor(
        () => {
          void prometheus
            .query(`smart_tank_fleet_gateway_up{gateway="${GATEWAY}"}`)
            .then((r) => (down = r?.[0]?.value[1] === '0'));
          return down || undefined;
        },
        (OFFLINE_AFTER_S + SCRAPE_INTERVAL_S + DETECTION_MARGIN_S) * 1000,
        'gateway_up 0 in Prometheus',
      );
      const metricsS = (Date.now() - frozenAt) / 1000;
      console.log(
        `silent gateway offline after ${pageS.toFixed(1)} s on the page, ${metricsS.toFixed(1)} s in Prometheus (offlineAfterS ${OFFLINE_AFTER_S})`,
      );
      // It is the silence rule that caught it (not a will or a bridge going down): not before its time.
      expect(pageS).toBeGreaterThanOrEqual(OFFLINE_AFTER_S - 2);
      expect(await page.getByTestId(`gateway-${GATEWAY}`).textContent()).toMatch(/silent/i);
      // Its tanks' statuses are no longer claimed as current.
      const statuses = await page.locator(`[data-testid^="tank-${GATEWAY}-"] .row-status`).allTextContents();
      expect(statuses.length).toBeGreaterThan(0);
      for (const s of statuses) expect(s).toMatch(/^Last known: /);
      await screenshot(page, 'fleet-gateway-offline');
    } finally {
      fleet.plane.daemon.child.kill('SIGCONT');
    }
    await page
      .locator(`[data-testid="gateway-${GATEWAY}"][data-online="true"]`)
      .waitFor({ timeout: PAGE_TIMEOUT_MS });
  });
});
