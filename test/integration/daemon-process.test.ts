// The daemon started as a process (the `npm start` path) on the simulated tank: READY after a safe start,
// retained state on its embedded broker that a separate MQTT client reads, watchdog pings from completed
// ticks, every output safe after SIGTERM, and a crash noticed at the next start.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { connectAsync, type MqttClient } from 'mqtt';
import { afterEach, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { EXAMPLE_CONFIG_FILE } from '../helpers/config.js';
import { startDaemon, tempDir, waitFor, writeConfig, type DaemonProcess } from '../helpers/daemon.js';

const running: DaemonProcess[] = [];
const clients: MqttClient[] = [];
afterEach(async () => {
  for (const c of clients.splice(0)) await c.endAsync(true);
  for (const d of running.splice(0)) {
    if (d.child.exitCode === null) d.child.kill('SIGKILL');
    await d.exited;
    d.notify.close();
  }
});

function configIn(dir: string): string {
  const config = parse(readFileSync(EXAMPLE_CONFIG_FILE, 'utf8')) as Record<string, Record<string, unknown>>;
  config.gateway!.stateDir = join(dir, 'state');
  config.mqtt!.listen = { host: '127.0.0.1', port: 0 };
  config.web = { listen: { host: '127.0.0.1', port: 0 } };
  config.hardware!.sim = { seed: 3, speed: 1, outputStateDir: join(dir, 'outputs') };
  return writeConfig(dir, config);
}

async function start(dir: string, file: string) {
  const d = startDaemon(file, dir);
  running.push(d);
  const ready = await d.waitForLog((l) => l.msg === 'gateway ready');
  const port = Number(String(ready.mqtt).split(':').pop());
  return { d, port };
}

function outputs(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [tank, names] of [
    ['house', ['mains', 'pump']],
    ['farm', ['mains', 'pump']],
  ] as const) {
    for (const n of names) out[`${tank}/${n}`] = readFileSync(join(dir, 'outputs', tank, n, 'value'), 'utf8');
  }
  return out;
}

async function subscribe(port: number) {
  const client = await connectAsync(`mqtt://127.0.0.1:${port}`, {
    clientId: `test-${process.pid}-${Date.now()}`,
  });
  clients.push(client);
  const messages = new Map<string, string>();
  client.on('message', (topic, payload) => messages.set(topic, payload.toString()));
  await client.subscribeAsync('smart-tank/#', { qos: 1 });
  return messages;
}

describe('daemon process on the simulated tank', () => {
  it('reaches READY, publishes retained state to another client, pings the watchdog, and stops safe on SIGTERM', async () => {
    const dir = tempDir('daemon-');
    const { d, port } = await start(dir, configIn(dir));

    await waitFor(() => d.notify.messages.find((m) => m.startsWith('READY=1')), 5000, 'READY=1');
    expect(d.notify.messages.find((m) => m.startsWith('READY=1'))).toMatch(
      /^READY=1\nSTATUS=house \d+% (ready|refilling); farm \d+% (ready|refilling)$/,
    );

    const messages = await subscribe(port);
    const house = await waitFor(
      () => messages.get('smart-tank/farm-gw-01/tank/house/state'),
      5000,
      'retained house state',
    );
    const state = JSON.parse(house);
    expect(state).toMatchObject({
      tank: 'house',
      valve: 'closed',
      mode: 'auto',
      status: 'Water is ready to use',
      quality: 'ok',
    });
    expect(state.levelPct).toBeGreaterThan(40);
    expect(state.capacityLitres).toBe(2001);
    await waitFor(() => messages.get('smart-tank/farm-gw-01/tank/farm/state'), 5000, 'retained farm state');
    await waitFor(() => messages.get('smart-tank/farm-gw-01/status') === 'online', 5000, 'status online');
    const system = JSON.parse(
      await waitFor(() => messages.get('smart-tank/farm-gw-01/system'), 5000, 'system health'),
    );
    expect(system).toMatchObject({
      gateway: 'farm-gw-01',
      memUsedPct: expect.any(Number),
      daemonRssMb: expect.any(Number),
    });

    // Watchdog pings come from completed ticks (WATCHDOG_USEC=2 s: a ping at least every second tick).
    await waitFor(
      () => d.notify.messages.filter((m) => m === 'WATCHDOG=1').length >= 2,
      8000,
      'two watchdog pings',
    );

    // The house pump runs (water available) before the stop...
    await waitFor(() => outputs(dir)['house/pump'] === '1', 5000, 'house pump on');

    d.child.kill('SIGTERM');
    expect(await d.exited).toBe(0);
    expect(d.notify.messages.some((m) => m.startsWith('STOPPING=1'))).toBe(true);
    // ...and every output is off after it.
    expect(outputs(dir)).toEqual({
      'house/mains': '0',
      'house/pump': '0',
      'farm/mains': '0',
      'farm/pump': '0',
    });
    const saved = JSON.parse(readFileSync(join(dir, 'state', 'state.json'), 'utf8'));
    expect(saved.clean).toBe(true);
    expect(d.logs.some((l) => l.msg === 'gateway stopped' && l.reason === 'SIGTERM')).toBe(true);
    expect(d.logs.filter((l) => l.level === 'error')).toEqual([]);
  });

  it('after a crash (SIGKILL) the next start raises unclean-restart; after a clean stop it does not', async () => {
    const dir = tempDir('daemon-');
    const file = configIn(dir);
    const first = await start(dir, file);
    await waitFor(() => first.d.notify.messages.find((m) => m.startsWith('READY=1')), 5000, 'READY');
    first.d.child.kill('SIGKILL');
    await first.d.exited;

    const second = await start(dir, file);
    expect(
      second.d.logs.some((l) => l.msg === 'previous run did not stop cleanly (crash or power cut)'),
    ).toBe(true);
    const messages = await subscribe(second.port);
    const state = JSON.parse(
      await waitFor(() => messages.get('smart-tank/farm-gw-01/tank/house/state'), 5000, 'state'),
    );
    expect(state.alarms).toContain('unclean-restart');
    second.d.child.kill('SIGTERM');
    expect(await second.d.exited).toBe(0);

    const third = await start(dir, file);
    expect(third.d.logs.some((l) => l.msg === 'previous run did not stop cleanly (crash or power cut)')).toBe(
      false,
    );
  });

  it('keeps controlling when its log reader goes away (a closed pipe, a restarted journal)', async () => {
    const dir = tempDir('daemon-');
    const { d, port } = await start(dir, configIn(dir));
    // Close the reading end of its stderr: every later log line fails with EPIPE.
    d.child.stderr!.destroy();
    await new Promise((r) => setTimeout(r, 3000));
    expect(d.child.exitCode).toBeNull();
    // Still publishing: the retained state's time is recent.
    const messages = await subscribe(port);
    const state = JSON.parse(
      await waitFor(() => messages.get('smart-tank/farm-gw-01/tank/house/state'), 5000, 'state'),
    );
    expect(Date.now() - Date.parse(state.time)).toBeLessThan(310_000);
    const stat = readFileSync(`/proc/${d.child.pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // utime + stime in clock ticks (100 Hz): a daemon looping on EPIPE burns a core; this one idles.
    expect(Number(fields[11]) + Number(fields[12])).toBeLessThan(300);
    d.child.kill('SIGTERM');
    expect(await d.exited).toBe(0);
    expect(outputs(dir)).toEqual({
      'house/mains': '0',
      'house/pump': '0',
      'farm/mains': '0',
      'farm/pump': '0',
    });
  });

  it('refuses to start on an invalid config, naming the key, with exit code 1', async () => {
    const dir = tempDir('daemon-');
    const config = parse(readFileSync(EXAMPLE_CONFIG_FILE, 'utf8')) as {
      tanks: { control: Record<string, unknown> }[];
    };
    config.tanks[0]!.control.lowPct = 90;
    const d = startDaemon(writeConfig(dir, config), dir);
    running.push(d);
    expect(await d.exited).toBe(1);
    expect(d.stderr.join('\n')).toMatch(
      /tanks\[0\]\.control\.lowPct: lowPct \(90%\) must be below highPct \(80%\)/,
    );
  });
});
