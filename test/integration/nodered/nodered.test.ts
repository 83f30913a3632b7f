// The committed flows in a real Node-RED (the npm package, headless), with the smart-tank node package
// installed as an integrator installs it, against a real Mosquitto (os-image config) and the daemon on
// the simulated tank; the dashboard driven in Debian's Chromium at a phone viewport.
//  - every flow in flows/ deploys through the admin API and runs without an error or warning;
//  - the editor loads every node of every flow as valid (importable as committed);
//  - the daemon's level reaches "Calculate Percentage" and the gauge; the "Water In" switch opens the
//    simulated valve for an admin and a commanding integrator, and is refused for a viewer (and says why);
//  - the rain hold-off changes the daemon's thresholds and back; the daily report comes out; the Last
//    Will of a killed daemon reaches the alerts flow.
// Screenshots go to test/artifacts/nodered/; with UPDATE_FLOW_IMAGES=1 also to flows/images/ (README).

import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import type { MqttClient } from 'mqtt';
import type { TankStatePayload } from '../../../daemon/telemetry/topics.js';
import { waitFor } from '../../helpers/daemon.js';
import { flowFiles, mergedFlows, type FlowNode } from '../../helpers/flow-files.js';
import { PlaneUnderTest, PREFIX } from '../../helpers/mqtt-plane.js';
import { NodeRedUnderTest, type DebugEvent } from '../../helpers/node-red.js';
import { editorProblems, flowPictures, openEditor } from './editor.js';

const ROOT = new URL('../../..', import.meta.url).pathname;
const ARTIFACTS = join(ROOT, 'test/artifacts/nodered');
const README_IMAGES = join(ROOT, 'flows/images');
const UPDATE_IMAGES = process.env.UPDATE_FLOW_IMAGES === '1';
const NODERED_PASSWORD = 'node-red-pass-1';
const NODE_PACKAGE = '@smart-tank/node-red-contrib-smart-tank';
/** Generous: CI machines are shared and slow (assume 3x what a dev machine needs). */
const LIVE_TIMEOUT_MS = 20_000;
const PAGE_TIMEOUT_MS = 20_000;
/** Each test deploys, drives pages or waits on the daemon: several of the deadlines above. */
const TEST_TIMEOUT_MS = 90_000;
const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
const PHONE = { viewport: { width: 390, height: 844 }, deviceScaleFactor: 3, isMobile: true, hasTouch: true };
/** Node-RED with the paper flow must leave room for the daemon and the OS on a 512 MB Pi Zero 2 W. */
const NODE_RED_RSS_BUDGET_MB = 250;

const PROBES = ['probe-calc', 'probe-rain-state'];

/** Debug nodes the test adds to observe outputs that feed only the dashboard or flow context. */
function instrument(flows: FlowNode[]): FlowNode[] {
  const probe = (id: string, from: string, output: number) => {
    const node = flows.find((n) => n.id === from)!;
    (node.wires as string[][])[output]!.push(id);
    flows.push({
      id,
      type: 'debug',
      z: node.z,
      name: `probe: ${from}`,
      active: true,
      tosidebar: true,
      console: false,
      tostatus: false,
      complete: 'true',
      targetType: 'full',
      x: 600,
      y: 20,
      wires: [],
    });
  };
  probe('probe-calc', 'paper-calc', 0);
  probe('probe-rain-state', 'rain-house', 0);
  return flows;
}

function asUser(flows: FlowNode[], port: number, user: string, password: string): FlowNode[] {
  return flows.map((n) =>
    n.type === 'smart-tank-gateway'
      ? {
          ...n,
          url: `mqtt://127.0.0.1:${port}`,
          protocol: '5',
          user,
          reconnect: 1,
          credentials: { password },
        }
      : n,
  );
}

function debugMessage(e: DebugEvent): Record<string, unknown> {
  return JSON.parse(e.msg) as Record<string, unknown>;
}

describe(
  'the flows in Node-RED, with Mosquitto, the daemon and Chromium',
  { timeout: TEST_TIMEOUT_MS },
  () => {
    let plane: PlaneUnderTest;
    let nodeRed: NodeRedUnderTest;
    let browser: Browser;
    let phone: BrowserContext;
    let watcher: MqttClient;
    let states: TankStatePayload[];
    const flows = instrument(mergedFlows());
    const memory: Record<string, { minMb: number; maxMb: number }> = {};
    /** How long Node-RED's memory is sampled for each figure of the README (measured, not asserted). */
    const RSS_WINDOW_MS = 2000;

    async function deployAs(user: string, password: string, only?: string): Promise<number> {
      const from = nodeRed.debug.length;
      const statusFrom = nodeRed.statuses.length;
      const chosen = only ? mergedFlows(flowFiles().filter((f) => f.file === only)) : flows;
      await nodeRed.deploy(asUser(chosen, plane.port, user, password));
      // Live: the paper flow's tank node shows the daemon's state again.
      await waitFor(
        () =>
          nodeRed.statuses
            .slice(statusFrom)
            .find((s) => s.id === 'paper-house' && s.fill === 'green' && /% Water is/.test(s.text ?? '')),
        LIVE_TIMEOUT_MS,
        `the paper flow live as ${user}`,
      );
      return from;
    }

    /** An artifact at the device's resolution; for the README, the same page at CSS pixels (small PNGs). */
    async function shot(page: Page, name: string, readme = false): Promise<void> {
      await page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true });
      if (readme && UPDATE_IMAGES)
        await page.screenshot({ path: join(README_IMAGES, `${name}.png`), fullPage: true, scale: 'css' });
    }

    beforeAll(async () => {
      mkdirSync(ARTIFACTS, { recursive: true });
      if (UPDATE_IMAGES) mkdirSync(README_IMAGES, { recursive: true });
      plane = new PlaneUnderTest('mosquitto', {
        users: [{ name: 'nodered', role: 'integrator', password: NODERED_PASSWORD, canCommand: true }],
        configure: (config) => {
          // Several openings in a row by different users: no minimum closed time between them.
          const house = (config.tanks as unknown as { id: string; control: Record<string, unknown> }[])[0]!;
          house.control.minValveClosedS = 0;
        },
      });
      [nodeRed, browser] = await Promise.all([
        plane.start().then(() => new NodeRedUnderTest().start()),
        chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS }),
      ]);
      memory.noFlows = await nodeRed.sampleRssMb(RSS_WINDOW_MS);
      phone = await browser.newContext(PHONE);
      watcher = await plane.client('alice');
      states = [];
      watcher.on('message', (_topic, payload) =>
        states.push(JSON.parse(payload.toString()) as TankStatePayload),
      );
      await watcher.subscribeAsync(`${PREFIX}/tank/house/state`, { qos: 1 });
      await waitFor(() => states[0], LIVE_TIMEOUT_MS, 'the house state');
    }, 90_000);

    afterAll(async () => {
      writeFileSync(join(ARTIFACTS, 'memory.json'), JSON.stringify(memory, null, 2) + '\n');
      await browser?.close();
      await nodeRed?.stop();
      await plane?.close();
    });

    it('deploys every flow in flows/: no node reports an error or a warning, the smart-tank nodes are live', async () => {
      await deployAs('nodered', NODERED_PASSWORD, 'paper-tank.json');
      memory.paperFlow = await nodeRed.sampleRssMb(RSS_WINDOW_MS);
      const page = await phone.newPage();
      await page.goto(`${nodeRed.url}/dashboard/tank`);
      await page
        .locator('#nrdb-ui-widget-paper-gauge .nrdb-ui-gauge-tank--fglabel')
        .waitFor({ timeout: PAGE_TIMEOUT_MS });
      memory.paperFlowWithPhoneOnDashboard = await nodeRed.sampleRssMb(RSS_WINDOW_MS);
      await page.close();

      const from = await deployAs('nodered', NODERED_PASSWORD);
      const smartTankNodes = flows.filter((n) => ['smart-tank-tank', 'smart-tank-health'].includes(n.type));
      await waitFor(
        () =>
          smartTankNodes.every((n) => {
            const s = nodeRed.latestStatuses().get(n.id);
            return s && (s.fill === 'green' || s.fill === 'blue') && s.shape === 'dot';
          }) || undefined,
        LIVE_TIMEOUT_MS,
        'every tank and health node green or blue (connected, with data)',
      );
      memory.allFlows = await nodeRed.sampleRssMb(RSS_WINDOW_MS);
      expect(nodeRed.problems(from)).toEqual([]);
      // Dashboard widgets show their own state as a colour (a switch that is off is a red ring): only
      // the flows' own nodes and the smart-tank nodes are held to "no red, no yellow".
      const ours = new Set(flows.filter((n) => !n.type.startsWith('ui-')).map((n) => n.id));
      const alarming = [...nodeRed.latestStatuses().values()].filter(
        (s) => ours.has(s.id) && (s.fill === 'red' || s.fill === 'yellow'),
      );
      expect(alarming).toEqual([]);
      expect(nodeRed.log.filter((l) => /\[(error|warn)\] \[/.test(l))).toEqual([]);
    });

    it("the flows are in the editor's Import > Examples menu, as committed", async () => {
      const base = `${nodeRed.url}/library/examples/flows`;
      const modules = (await (await fetch(`${base}/`)).json()) as string[];
      expect(modules).toContain(NODE_PACKAGE);
      for (const f of flowFiles()) {
        const name = f.file.replace(/\.json$/, '');
        const served = (await (await fetch(`${base}/${NODE_PACKAGE}/${name}`)).json()) as unknown;
        expect(served, name).toEqual(f.nodes);
      }
    });

    it('the editor loads every node of every flow as valid, of a known type', async () => {
      const editor = await openEditor(browser, nodeRed.url, PAGE_TIMEOUT_MS);
      expect(await editorProblems(editor)).toEqual([]);
      // Each flow as the editor draws it, for the flows' README (the test's probes left out).
      const tabs = flows.filter((n) => n.type === 'tab').map((n) => n.id);
      await flowPictures(editor, tabs, PROBES, (tab, png) => {
        writeFileSync(join(ARTIFACTS, `flow-${tab}.png`), png);
        if (UPDATE_IMAGES) writeFileSync(join(README_IMAGES, `flow-${tab}.png`), png);
      });
      await editor.close();
    });

    it('the daemon\'s level reaches the paper flow\'s "Calculate Percentage" output', async () => {
      const event = await waitFor(
        () => nodeRed.debug.find((d) => d.id === 'probe-calc'),
        LIVE_TIMEOUT_MS,
        'a message out of Calculate Percentage',
      );
      const out = debugMessage(event);
      const state = states.find((s) => s.time === out.time);
      expect(state, `a house state published at ${String(out.time)}`).toBeDefined();
      expect(out).toMatchObject({
        payload: Math.round(state!.displayPct!),
        topic: 'house',
        quality: state!.quality,
      });
      expect(out.payload).toBeGreaterThan(0);
    });

    it('the dashboard page opens on a phone and shows the level and the status text', async () => {
      const page = await phone.newPage();
      await page.goto(`${nodeRed.url}/dashboard/tank`);
      const level = page.locator('#nrdb-ui-widget-paper-gauge .nrdb-ui-gauge-tank--fglabel');
      await level.waitFor({ timeout: PAGE_TIMEOUT_MS });
      // The gauge shows the daemon's smoothed level (within the rounding and one publish of movement).
      const shownPct = async () => Number((await level.textContent())?.trim().replace('%', ''));
      await expect
        .poll(async () => Math.abs((await shownPct()) - states.at(-1)!.displayPct!), {
          timeout: PAGE_TIMEOUT_MS,
        })
        .toBeLessThanOrEqual(1);
      const latest = states.at(-1)!;
      const status = page.locator('#nrdb-ui-widget-paper-status .nrdb-ui-text-value');
      await expect.poll(async () => status.textContent(), { timeout: PAGE_TIMEOUT_MS }).toBe(latest.status);
      await expect
        .poll(async () => page.locator('#nrdb-ui-widget-paper-online .nrdb-ui-text-value').textContent(), {
          timeout: PAGE_TIMEOUT_MS,
        })
        .toBe('online');
      await shot(page, 'paper-tank-phone');
      await page.close();
    });

    async function waterIn(page: Page, expectText: RegExp): Promise<string> {
      const answer = page.locator('#nrdb-ui-widget-paper-answer-text .nrdb-ui-text-value');
      const before = (await answer.textContent()) ?? '';
      await page.locator('#nrdb-ui-widget-paper-water-in input[type=checkbox]').click();
      await expect.poll(async () => answer.textContent(), { timeout: PAGE_TIMEOUT_MS }).not.toBe(before);
      const text = (await answer.textContent()) ?? '';
      expect(text).toMatch(expectText);
      return text;
    }

    async function openPaperPage(): Promise<Page> {
      const page = await phone.newPage();
      await page.goto(`${nodeRed.url}/dashboard/tank`);
      await page
        .locator('#nrdb-ui-widget-paper-water-in input[type=checkbox]')
        .waitFor({ timeout: PAGE_TIMEOUT_MS });
      await expect
        .poll(async () => page.locator('#nrdb-ui-widget-paper-status .nrdb-ui-text-value').textContent(), {
          timeout: PAGE_TIMEOUT_MS,
        })
        .toMatch(/^Water is/);
      return page;
    }

    it('"Water In" opens and closes the simulated valve as a commanding integrator (the flow\'s user)', async () => {
      const page = await openPaperPage();
      expect(plane.output('house', 'mains')).toBe('0');
      await waterIn(page, /^Accepted: fill valve open by hand/);
      await waitFor(
        () => plane.output('house', 'mains') === '1' || undefined,
        LIVE_TIMEOUT_MS,
        'the valve to open',
      );
      await expect
        .poll(async () => page.locator('#nrdb-ui-widget-paper-status .nrdb-ui-text-value').textContent(), {
          timeout: PAGE_TIMEOUT_MS,
        })
        .toBe('Water is refilling');
      await shot(page, 'paper-tank-refilling', true);
      await waterIn(page, /^Accepted: fill valve closed by hand/);
      await waitFor(
        () => plane.output('house', 'mains') === '0' || undefined,
        LIVE_TIMEOUT_MS,
        'the valve to close',
      );
      await page.close();
    });

    it('the rain hold-off example lowers the refill thresholds through the command path, and restores them', async () => {
      const from = nodeRed.debug.length;
      await nodeRed.inject('rain-forecast-wet');
      await waitFor(
        () => states.find((s) => s.thresholds.lowPct === 10 && s.thresholds.highPct === 40),
        LIVE_TIMEOUT_MS,
        'the daemon holding off (thresholds 10/40 %)',
      );
      const answer = await waitFor(
        () => nodeRed.debug.slice(from).find((d) => d.id === 'rain-log'),
        LIVE_TIMEOUT_MS,
        'the answer',
      );
      expect(answer.msg).toMatch(/^Accepted: thresholds 15\/80% -> 10\/40%/);
      await waitFor(
        () =>
          nodeRed.debug.slice(from).find((d) => {
            if (d.id !== 'probe-rain-state') return false;
            const t = (debugMessage(d).payload as TankStatePayload).thresholds;
            return t.lowPct === 10 && t.highPct === 40;
          }),
        LIVE_TIMEOUT_MS,
        'the flow seeing the new thresholds in the tank state',
      );
      await nodeRed.inject('rain-forecast-dry');
      await waitFor(
        () =>
          states.at(-1)?.thresholds.lowPct === 15 && states.at(-1)?.thresholds.highPct === 80
            ? true
            : undefined,
        LIVE_TIMEOUT_MS,
        'the thresholds back to 15/80 %',
      );
      expect(nodeRed.problems(from)).toEqual([]);
    });

    it('the daily-use example reports each tank, on the dashboard too', async () => {
      const from = nodeRed.debug.length;
      await nodeRed.inject('daily-now');
      const report = await waitFor(
        () => nodeRed.debug.slice(from).find((d) => d.id === 'daily-log'),
        LIVE_TIMEOUT_MS,
        'the daily report',
      );
      const rows = JSON.parse(report.msg) as Record<string, unknown>[];
      expect(rows.map((r) => [r.tank, r.name]).sort()).toEqual([
        ['farm', 'On-farm tank'],
        ['house', 'House greywater tank'],
      ]);
      for (const row of rows) {
        expect(row).toMatchObject({
          date: new Date().toLocaleDateString('en-CA'),
          usedLitres: expect.any(Number),
          filledLitres: expect.any(Number),
          lowestPct: expect.any(Number),
          highestPct: expect.any(Number),
        });
      }
      const page = await phone.newPage();
      await page.goto(`${nodeRed.url}/dashboard/daily-use`);
      await expect
        .poll(async () => page.locator('#nrdb-ui-widget-daily-table').textContent(), {
          timeout: PAGE_TIMEOUT_MS,
        })
        .toContain('farm');
      await shot(page, 'daily-use-phone', true);
      await page.close();
    });

    it('a viewer as the flow\'s user: "Water In" is refused, the page says why, the valve stays closed', async () => {
      await deployAs('vic', 'viewer-password-1');
      const page = await openPaperPage();
      await waterIn(page, /^Refused: user vic \(role viewer\) may not send commands$/);
      expect(plane.output('house', 'mains')).toBe('0');
      await shot(page, 'paper-tank-refused', true);
      await page.close();
    });

    it('an admin as the flow\'s user: "Water In" opens the valve', async () => {
      await deployAs('alice', 'alice-password-1');
      const page = await openPaperPage();
      await waterIn(page, /^Accepted: fill valve open by hand/);
      await waitFor(
        () => plane.output('house', 'mains') === '1' || undefined,
        LIVE_TIMEOUT_MS,
        'the valve to open',
      );
      await page.close();
    });

    it("the alerts example hears the gateway's Last Will when the daemon dies", async () => {
      const from = nodeRed.debug.length;
      await plane.stopDaemon('SIGKILL');
      const alert = await waitFor(
        () => nodeRed.debug.slice(from).find((d) => d.id === 'alerts-notify'),
        LIVE_TIMEOUT_MS,
        'the offline alert',
      );
      expect(debugMessage(alert)).toMatchObject({
        topic: 'Smart tank: farm-gw-01',
        payload: 'Gateway farm-gw-01 is offline',
        severity: 'alarm',
      });
      await waitFor(
        () => nodeRed.latestStatuses().get('paper-health')?.text === 'gateway offline' || undefined,
        LIVE_TIMEOUT_MS,
        'the health node showing offline',
      );
      expect(nodeRed.rssMb()).toBeLessThan(NODE_RED_RSS_BUDGET_MB);
    });
  },
);
