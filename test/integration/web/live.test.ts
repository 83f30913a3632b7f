// The dashboard when things go wrong, in Chromium against the daemon on the simulated tank run 60 times
// faster than real time: the level sensor stops (a fault in the simulator's faults file) and the page
// shows the level as stale, never as current; the alarm reaches a real SMTP server and a webhook
// receiver once when raised and once when cleared, waits while they are down and arrives when they are
// back; an admin acknowledges it; the daemon restarts and the open page shows "reconnecting", then
// recovers by itself, and a restart repeats no notification.

import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../../helpers/daemon.js';
import {
  apiLogin,
  dashboardUrl,
  http,
  launchBrowser,
  logIn,
  PHONE,
  screenshot,
} from '../../helpers/dashboard.js';
import { freePort, PASSWORDS, PlaneUnderTest } from '../../helpers/mqtt-plane.js';
import { SmtpReceiver, WebhookReceiver, type Hook } from '../../helpers/receivers.js';

declare const window: { notReloaded?: boolean };

/** An hour of the daemon's time a minute: the alarm's 5-minute clear delay takes 5 s. */
const SPEED = 60;
const UI_TIMEOUT_MS = 20_000;
/** Long enough for a repeated notice to show up if the daemon sent one per tick or per state. */
const NO_REPEAT_WAIT_MS = 3000;
const STALE = 'Level sensor not responding';

describe('the dashboard when the sensor stops, the mail server is down and the daemon restarts', () => {
  let plane: PlaneUnderTest;
  let url: string;
  let browser: Browser;
  let page: Page;
  let smtp: SmtpReceiver;
  let hook: WebhookReceiver;
  let faultsFile: string;

  beforeAll(async () => {
    const [smtpPort, hookPort, webPort] = [await freePort(), await freePort(), await freePort()];
    smtp = new SmtpReceiver(smtpPort);
    hook = new WebhookReceiver(hookPort);
    await Promise.all([smtp.start(), hook.start()]);
    plane = new PlaneUnderTest('embedded', {
      speed: SPEED,
      configure: (config) => {
        faultsFile = join(plane.dir, 'sim-faults');
        (config.hardware!.sim as Record<string, unknown>).faultsFile = faultsFile;
        // A fixed port: the page reconnects to the same address after the restart.
        config.web = { ...config.web, listen: [{ host: '127.0.0.1', port: webPort }] };
        config.notify = {
          email: {
            host: '127.0.0.1',
            port: smtpPort,
            requireTls: false,
            from: 'Farm tank <tank@farm.example>',
          },
          recipients: [
            { email: 'farmer@farm.example' },
            {
              name: 'phone',
              user: 'alice',
              webhook: { url: `http://127.0.0.1:${hookPort}/hook`, format: 'json' },
            },
          ],
          // 30 s of the daemon's time is half a second here.
          retry: { initialS: 30, maxS: 240 },
          dashboardUrl: `http://127.0.0.1:${webPort}/`,
        };
      },
    });
    [browser] = await Promise.all([launchBrowser(), plane.start()]);
    url = await dashboardUrl(plane.daemon);
    const context = await browser.newContext(PHONE);
    page = await context.newPage();
    page.setDefaultTimeout(UI_TIMEOUT_MS);
    await logIn(page, url, 'alice', PASSWORDS.alice!);
    await house().getByTestId('level').waitFor();
    await page.evaluate(() => (window.notReloaded = true));
  });

  afterAll(async () => {
    await browser?.close();
    await plane?.close();
    await smtp?.stop();
    await hook?.stop();
  });

  const house = () => page.locator('[data-tank=house]');
  const raisedMails = () =>
    smtp.mails.filter((m) => /House greywater tank: Level sensor not responding\./.test(m.text));
  const clearedMails = () =>
    smtp.mails.filter((m) =>
      /Cleared .* House greywater tank: Level sensor not responding is over/.test(m.text),
    );
  const hookItems = (active: boolean) =>
    hook.hooks.flatMap((h: Hook) =>
      ((h.json as { items?: { tank: string; alarm: string; active: boolean }[] }).items ?? []).filter(
        (i) => i.tank === 'house' && i.alarm === 'sensor-stale' && i.active === active,
      ),
    );
  const sensorStops = () => writeFileSync(faultsFile, 'ultrasonic-dropout:house\n');
  const sensorWorks = () => rmSync(faultsFile, { force: true });

  it('a stopped sensor shows as stale, not as a current value; the alarm is mailed and posted once', async () => {
    expect(await house().getByTestId('stale-note').count()).toBe(0);
    sensorStops();
    await house().getByText('STALE', { exact: true }).waitFor();
    await expect
      .poll(() => house().getByTestId('stale-note').textContent())
      .toMatch(/^Not current: last good reading \d\d:\d\d/);
    expect(await house().locator('.value-stale').count()).toBe(1);
    await expect.poll(() => house().getByTestId('status').textContent()).toMatch(/Fault: /);
    await screenshot(page, 'admin-phone-tanks-stale');

    await waitFor(
      () => (raisedMails().length > 0 && hookItems(true).length > 0 ? true : undefined),
      UI_TIMEOUT_MS,
      'the alarm by mail and webhook',
    );
    const mail = raisedMails()[0]!;
    expect(mail.to).toEqual(['farmer@farm.example']);
    expect(mail.subject).toMatch(
      new RegExp(`^(House greywater tank: ${STALE}|Demo farm gateway: \\d+ notices)$`),
    );
    expect(mail.text).toContain(`Dashboard: ${url}/`);
    expect(hook.hooks[0]!.json).toMatchObject({
      title: `House greywater tank: ${STALE}`,
      gateway: 'farm-gw-01',
    });

    // The alarm stands: states keep coming (heartbeats, levels of the other tank), no notice is repeated.
    await new Promise((r) => setTimeout(r, NO_REPEAT_WAIT_MS));
    expect(raisedMails()).toHaveLength(1);
    expect(hookItems(true)).toHaveLength(1);
  });

  it('an admin acknowledges the alarm: it stays listed, marked acknowledged, until it clears', async () => {
    await page.getByRole('link', { name: /Alarms/ }).click();
    const item = page.locator('[data-alarm="house/sensor-stale"]');
    await item.waitFor();
    await item.getByRole('button', { name: 'Acknowledge' }).click();
    await item.getByRole('button', { name: 'Yes, do it' }).click();
    await expect.poll(() => page.getByTestId('outcome').textContent()).toMatch(/Done: /);
    await item.getByText('Acknowledged: stays listed until its cause is gone.').waitFor();
    await screenshot(page, 'admin-phone-alarms-acknowledged');
    await page.getByRole('link', { name: /Tanks/ }).click();
  });

  it('the alarm clears once the sensor is back: one more notice on each channel', async () => {
    sensorWorks();
    await waitFor(
      () => (clearedMails().length > 0 && hookItems(false).length > 0 ? true : undefined),
      UI_TIMEOUT_MS,
      'the clear notice',
    );
    await expect.poll(() => house().getByTestId('stale-note').count()).toBe(0);
    await new Promise((r) => setTimeout(r, NO_REPEAT_WAIT_MS));
    expect(clearedMails()).toHaveLength(1);
    expect(hookItems(false)).toHaveLength(1);
    expect(raisedMails()).toHaveLength(1);
  });

  it('while the mail server and the webhook are down the notice waits, and arrives when they are back', async () => {
    await Promise.all([smtp.stop(), hook.stop()]);
    sensorStops();
    await plane.daemon.waitForLog(
      (l) => l.msg === 'notification send failed; kept in the queue' && l.recipient === 'farmer@farm.example',
      UI_TIMEOUT_MS,
      'a failed send',
    );
    const admin = await apiLogin(url, 'alice', PASSWORDS.alice!);
    const metrics = await http(`${url}/metrics`, { headers: { cookie: admin.cookie } });
    expect(metrics.body).toMatch(/^smart_tank_notifications_queued\{gateway="farm-gw-01"\} [1-9]/m);
    expect(raisedMails()).toHaveLength(1);

    await Promise.all([smtp.start(), hook.start()]);
    await waitFor(
      () => (raisedMails().length === 2 && hookItems(true).length === 2 ? true : undefined),
      UI_TIMEOUT_MS,
      'the waiting notice',
    );
  });

  it('the daemon restarts: the page shows "reconnecting", then recovers by itself; nothing is notified twice', async () => {
    await page.getByRole('link', { name: /Tanks/ }).click();
    await house().getByTestId('level').waitFor();
    const pill = page.getByTestId('connection');
    expect(await pill.textContent()).toBe('Live');
    const stopping = plane.stopDaemon();
    await expect.poll(() => pill.textContent(), { timeout: UI_TIMEOUT_MS }).toBe('Reconnecting');
    await page.getByTestId('connection-banner').waitFor();
    expect(await page.getByTestId('connection-banner').textContent()).toMatch(
      /Reconnecting… The values shown are from/,
    );
    expect(await house().getByText('STALE', { exact: true }).count()).toBe(1);
    await screenshot(page, 'admin-phone-reconnecting');
    await stopping;

    await plane.startDaemon();
    await expect.poll(() => pill.textContent(), { timeout: UI_TIMEOUT_MS }).toBe('Live');
    expect(await page.getByTestId('connection-banner').count()).toBe(0);
    expect(await page.evaluate(() => window.notReloaded)).toBe(true);
    // The alarm still stands after the restart (the sensor is still off): it was told, it is not told again.
    await new Promise((r) => setTimeout(r, NO_REPEAT_WAIT_MS));
    expect(raisedMails()).toHaveLength(2);
    expect(hookItems(true)).toHaveLength(2);
    sensorWorks();
  });
});
