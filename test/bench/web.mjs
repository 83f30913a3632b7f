// `npm run bench web`: the dashboard's budgets, side by side with the same daemon without the dashboard
// (web.enabled: false), both running at once on the same seeded month of history:
//   - RSS added by the dashboard: idle with no browser (<= 6 MB), and with 5 phones streaming (<= 12 MB);
//   - what a phone downloads for the first view, chart code included (<= 100 KB), in Chromium;
//   - server time of a 30-day trend page (<= 200 ms);
//   - control reaction (MQTT command -> answer) and watchdog ping gaps, unaffected while 20 tabs stream
//     and one downloads 30-day trends over and over.

import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createGunzip } from 'node:zlib';
import { SETTLE_MS } from './compare.mjs';

const root = new URL('../..', import.meta.url).pathname;
const require = createRequire(import.meta.url);
const { parse, stringify } = require('yaml');
const CLI = join(root, 'dist/daemon/cli/smart-tank.js');
const EXAMPLE = join(root, 'daemon/config/example.yaml');
const PASSWORD = 'bench-password-1';
const SAMPLE_WINDOW_MS = 10_000;
const STREAMS_PHONES = 5;
const STREAMS_LOAD = 20;
const COMMANDS = 200;
const TREND_REQUESTS = 20;

export async function webBench(report) {
  const children = [];
  const closers = [];
  try {
    await run(report, children, closers);
  } finally {
    for (const c of closers) await c().catch(() => {});
    for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
  }
}

async function run(report, children, closers) {
  const base = mkdtempSync(join(tmpdir(), 'bench-web-'));
  const with_ = await prepare(join(base, 'with'), true);
  const without = await prepare(join(base, 'without'), false);
  const [a, b] = [start(without, children), start(with_, children)];
  await Promise.all([a.ready, b.ready]);
  const url = await b.url();

  // 1. Idle, nobody connected.
  await sleep(SETTLE_MS);
  const idle = await rssSide(a, b);

  // 2. First view, as a phone downloads it (Chromium, empty cache), then the trend page.
  const view = await firstView(url);
  await sleep(3000);

  // 3. Five phones streaming (server-sent events, gzip as a browser asks).
  const cookie = await login(url);
  const phones = [];
  for (let i = 0; i < STREAMS_PHONES; i++) phones.push(stream(url, cookie));
  closers.push(async () => phones.forEach((p) => p.close()));
  await sleep(SETTLE_MS);
  const streaming = await rssSide(a, b);
  const streamedBytes = phones.reduce((n, p) => n + p.bytes(), 0);

  // 4. The 30-day trend page's server time (Server-Timing), and its size.
  const trend = await trendTimes(url, cookie);

  // 5. Control under load: 20 streams and one client downloading 30-day trends without pause.
  const quiet = await reaction(a, 'without the dashboard');
  for (let i = phones.length; i < STREAMS_LOAD; i++) phones.push(stream(url, cookie));
  let loading = true;
  const downloads = (async () => {
    const n = { served: 0, slowedDown: 0 };
    while (loading) {
      const r = await get(`${url}/api/tanks/house/trend?range=30d`, cookie);
      if (r.status === 429) {
        // A well-behaved client waits as told; the limit is what keeps a runaway one from the control loop.
        n.slowedDown++;
        await sleep(Number(r.headers['retry-after'] ?? 1) * 1000);
      } else n.served++;
    }
    return n;
  })();
  const loaded = await reaction(b, `with ${STREAMS_LOAD} streams and 30-day trends downloading`);
  loading = false;
  const trendDownloads = await downloads;

  const data = {
    loadAverage: readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).map(Number),
    rssMb: {
      withoutDashboard: round1(idle.a),
      withDashboardIdle: round1(idle.b),
      addedIdle: round1(idle.b - idle.a),
      withoutDashboardWhileStreaming: round1(streaming.a),
      withDashboard5Streams: round1(streaming.b),
      added5Streams: round1(streaming.b - streaming.a),
    },
    firstViewKb: view,
    trend30d: trend,
    reaction: { withoutDashboard: quiet, withDashboardUnderLoad: { ...loaded, trendDownloads } },
    streamedBytesPerPhonePerMinute: Math.round(
      ((streamedBytes / STREAMS_PHONES) * 60_000) / (SETTLE_MS + 2000),
    ),
  };
  report(
    'web',
    data,
    [
      `  RSS without / with the dashboard, idle        ${data.rssMb.withoutDashboard} / ${data.rssMb.withDashboardIdle} MB: +${data.rssMb.addedIdle} MB (budget 6)`,
      `  RSS with ${STREAMS_PHONES} phones streaming                   ${data.rssMb.withoutDashboardWhileStreaming} / ${data.rssMb.withDashboard5Streams} MB: +${data.rssMb.added5Streams} MB (budget 12)`,
      `  first view (login + tanks), Chromium          ${view.firstView} KB transferred, chart code included: ${view.withChart} KB (budget 100)`,
      `  trend page afterwards                         ${view.trendPage} KB more (uPlot ${view.uplot} KB)`,
      `  30-day trend page, server time                ${trend.computedMs.join(' / ')} ms computed (max ${trend.maxMs}; budget 200), ${trend.cachedRequestMs} ms from the cache, ${trend.kb} KB gzip`,
      `  command -> answer without the dashboard      p50 ${quiet.p50} ms, p99 ${quiet.p99} ms; watchdog max gap ${quiet.watchdogMaxGapMs} ms`,
      `  ... with ${STREAMS_LOAD} streams + 30-day downloads        p50 ${loaded.p50} ms, p99 ${loaded.p99} ms; watchdog max gap ${loaded.watchdogMaxGapMs} ms (${trendDownloads.served} trend pages served, ${trendDownloads.slowedDown} times told to slow down)`,
      `  live stream, one phone                        ~${data.streamedBytesPerPhonePerMinute} bytes a minute (gzip)`,
      `  (load average of the machine during the run: ${data.loadAverage.join(' ')})`,
    ].join('\n'),
  );
}

async function prepare(dir, web) {
  mkdirSync(dir, { recursive: true });
  const config = parse(readFileSync(EXAMPLE, 'utf8'));
  config.gateway.stateDir = join(dir, 'state');
  config.mqtt.listen = { host: '127.0.0.1', port: 0 };
  config.mqtt.users = {
    passwordFile: join(dir, 'passwd'),
    aclFile: join(dir, 'acl'),
    hmacKeysFile: join(dir, 'keys'),
  };
  config.mqtt.commands = { perUserPerMinute: 100_000 };
  config.web = { enabled: web, listen: { host: '127.0.0.1', port: 0 } };
  const file = join(dir, 'config.yaml');
  writeFileSync(file, stringify(config));
  const r = spawnSync(
    process.execPath,
    [CLI, 'user', 'add', 'alice', '--role', 'admin', '--password-stdin', '--config', file],
    {
      input: `${PASSWORD}\n`,
      encoding: 'utf8',
    },
  );
  if (r.status !== 0) throw new Error(`user add: ${r.stderr}`);
  const { parseConfig } = await import(new URL('dist/daemon/config/load.js', `file://${root}`).href);
  const { seedHistory } = await import(new URL('test/helpers/seed-history.mjs', `file://${root}`).href);
  await seedHistory(parseConfig(readFileSync(file, 'utf8'), file), { days: 30 });
  return { dir, file };
}

function start(setup, children) {
  const notify = notifySocket(setup.dir);
  const child = spawn(process.execPath, [CLI, 'run', '--config', setup.file], {
    stdio: ['ignore', 'ignore', 'pipe'],
    env: { ...process.env, NOTIFY_SOCKET: notify.path, WATCHDOG_USEC: '1000000' },
  });
  children.push(child);
  let log = '';
  child.stderr.on('data', (d) => (log += d));
  const line = (msg) =>
    waitFor(
      () =>
        log
          .split('\n')
          .map(tryJson)
          .find((l) => l?.msg === msg),
      30_000,
      msg,
    );
  const ready = line('gateway ready');
  const mqttPort = ready.then((l) => Number(String(l.mqtt).split(':').pop()));
  mqttPort.catch(() => {}); // a failed start is reported through `ready`
  return {
    child,
    notify,
    ready,
    mqttPort,
    url: () => line('dashboard listening').then((l) => `http://${l.host}:${l.port}`),
  };
}

async function rssSide(a, b) {
  const sa = [];
  const sb = [];
  const until = Date.now() + SAMPLE_WINDOW_MS;
  while (Date.now() < until) {
    sa.push(rssMb(a.child.pid));
    sb.push(rssMb(b.child.pid));
    await sleep(500);
  }
  return { a: median(sa), b: median(sb) };
}

/** Bytes on the wire (encoded) for the login page, the tanks view after login, and the trend page. */
async function firstView(url) {
  const { chromium } = require('playwright-core');
  const browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu'],
  });
  try {
    const context = await browser.newContext({
      viewport: { width: 390, height: 844 },
      isMobile: true,
      hasTouch: true,
    });
    const page = await context.newPage();
    const cdp = await context.newCDPSession(page);
    await cdp.send('Network.enable');
    await cdp.send('Network.setCacheDisabled', { cacheDisabled: false });
    const bytes = new Map();
    cdp.on('Network.responseReceived', (e) =>
      bytes.set(e.requestId, { url: e.response.url, n: bytes.get(e.requestId)?.n ?? 0 }),
    );
    cdp.on('Network.dataReceived', (e) => {
      const b = bytes.get(e.requestId) ?? { url: '', n: 0 };
      b.n += e.encodedDataLength;
      bytes.set(e.requestId, b);
    });
    cdp.on('Network.loadingFinished', (e) => {
      const b = bytes.get(e.requestId) ?? { url: '', n: 0 };
      b.n = Math.max(b.n, e.encodedDataLength);
      bytes.set(e.requestId, b);
    });
    const total = () => [...bytes.values()].reduce((n, b) => n + b.n, 0);
    await page.goto(`${url}/`);
    await page.waitForSelector('#user');
    await page.fill('#user', 'alice');
    await page.fill('#password', PASSWORD);
    await page.click('button[type=submit]');
    await page.waitForSelector('[data-tank=house] [data-testid=level]');
    await page.waitForTimeout(500);
    const firstView = total();
    await page.goto(`${url}/#/trends/house`);
    await page.waitForSelector('.chart canvas');
    await page.waitForTimeout(500);
    const all = total();
    const uplot = [...bytes.values()]
      .filter((b) => b.url.includes('/vendor/uplot.'))
      .reduce((n, b) => n + b.n, 0);
    return {
      firstView: kb(firstView),
      withChart: kb(firstView + uplot),
      trendPage: kb(all - firstView),
      uplot: kb(uplot),
    };
  } finally {
    await browser.close();
  }
}

/** Server time of 30-day trend pages computed afresh (each tank), and of one served from the cache. */
async function trendTimes(url, cookie) {
  const computed = [];
  let cachedMs = 0;
  let size = 0;
  for (const tank of ['house', 'farm']) {
    for (let i = 0; i < TREND_REQUESTS / 2; i++) {
      const t0 = performance.now();
      const r = await get(`${url}/api/tanks/${tank}/trend?range=30d`, cookie);
      const timing = r.headers['server-timing'] ?? '';
      if (timing.includes('desc="miss"')) computed.push(Number(/trend;dur=([\d.]+)/.exec(timing)?.[1]));
      else cachedMs = Math.max(cachedMs, performance.now() - t0);
      size = r.bytes;
    }
  }
  computed.sort((x, y) => x - y);
  return {
    computedMs: computed.map(round1),
    maxMs: round1(computed.at(-1)),
    cachedRequestMs: round1(cachedMs),
    kb: kb(size),
  };
}

/** MQTT command -> answer times for one daemon, and the largest gap between its watchdog pings. */
async function reaction(d, label) {
  const mqtt = require('mqtt');
  const port = await d.mqttPort;
  const client = await mqtt.connectAsync(`mqtt://127.0.0.1:${port}`, {
    username: 'alice',
    password: PASSWORD,
  });
  client.stream.setNoDelay?.(true);
  const pending = new Map();
  client.on('message', (_t, p) => {
    const r = JSON.parse(p.toString());
    pending.get(r.id)?.(r);
  });
  await client.subscribeAsync('smart-tank/farm-gw-01/result/alice', { qos: 1 });
  const ask = async (id, mode) => {
    const answered = new Promise((resolve) => pending.set(id, resolve));
    await client.publishAsync(
      'smart-tank/farm-gw-01/command/alice',
      JSON.stringify({ id, ts: Date.now(), tank: 'house', action: 'mode', mode, minutes: 5 }),
      { qos: 1 },
    );
    return Promise.race([answered, sleep(3000).then(() => undefined)]);
  };
  for (let i = 0; !(await ask(`warm-${process.pid}-${label.length}-${i}`, 'auto')); i++)
    if (i > 10) throw new Error(`the daemon (${label}) does not answer commands`);
  const watchFrom = d.notify.watchdogAt.length;
  const latencies = [];
  for (let i = 0; i < COMMANDS; i++) {
    const t0 = performance.now();
    const r = await ask(`b-${process.pid}-${label.length}-${i}`, i % 2 ? 'auto' : 'manual');
    if (!r || r.result !== 'accepted') throw new Error(`command ${i} (${label}): ${JSON.stringify(r)}`);
    latencies.push(performance.now() - t0);
    await sleep(20);
  }
  await client.endAsync();
  latencies.sort((x, y) => x - y);
  const pings = d.notify.watchdogAt.slice(watchFrom);
  const gaps = pings.slice(1).map((t, i) => t - pings[i]);
  const pct = (p) =>
    round2(latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))]);
  return { p50: pct(50), p99: pct(99), watchdogMaxGapMs: Math.round(Math.max(0, ...gaps)) };
}

async function login(url) {
  const r = await post(`${url}/api/login`, { user: 'alice', password: PASSWORD });
  if (r.status !== 200) throw new Error(`login: ${r.status}`);
  return r.headers['set-cookie'][0].split(';')[0];
}

/** One live stream, as a browser tab opens it (gzip); counts the bytes on the wire. */
function stream(url, cookie) {
  let bytes = 0;
  const req = request(
    `${url}/api/events`,
    { headers: { cookie, accept: 'text/event-stream', 'accept-encoding': 'gzip' } },
    (res) => {
      res.on('data', (d) => (bytes += d.length));
      res.pipe(createGunzip()).resume();
    },
  );
  req.on('error', () => {});
  req.end();
  return { close: () => req.destroy(), bytes: () => bytes };
}

function get(url, cookie) {
  return new Promise((resolve, reject) => {
    const req = request(url, { headers: { cookie, 'accept-encoding': 'gzip' } }, (res) => {
      let bytes = 0;
      res.on('data', (d) => (bytes += d.length));
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, bytes }));
    });
    req.on('error', reject);
    req.end();
  });
}

function post(url, body) {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'POST', headers: { 'content-type': 'application/json' } }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers }));
    });
    req.on('error', reject);
    req.end(JSON.stringify(body));
  });
}

function notifySocket(dir) {
  const unix = require('unix-dgram');
  const path = join(dir, 'notify.sock');
  const watchdogAt = [];
  const socket = unix.createSocket('unix_dgram', (buf) => {
    if (buf.toString().split('\n').includes('WATCHDOG=1')) watchdogAt.push(performance.now());
  });
  socket.bind(path);
  return { path, watchdogAt, close: () => socket.close() };
}

function rssMb(pid) {
  return Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))[1]) / 1024;
}
function tryJson(l) {
  try {
    return JSON.parse(l);
  } catch {
    return undefined;
  }
}
async function waitFor(probe, timeoutMs, what) {
  const start = Date.now();
  for (;;) {
    const v = probe();
    if (v !== undefined) return v;
    if (Date.now() - start > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}
function sleep(ms) {
  return new Promise((r) => setTimeout(r, ms));
}
function median(xs) {
  const s = [...xs].sort((x, y) => x - y);
  return s[Math.floor(s.length / 2)];
}
function kb(n) {
  return Math.round((n / 1024) * 10) / 10;
}
function round1(x) {
  return Math.round(x * 10) / 10;
}
function round2(x) {
  return Math.round(x * 100) / 100;
}
