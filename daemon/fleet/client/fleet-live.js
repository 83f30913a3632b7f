// The live fleet in the page: one event stream (server-sent events): a snapshot of the whole fleet,
// then once a second only what changed. It says how live it is, like the dashboard's live.js: "live",
// "reconnecting" (resuming from the last event id), "offline" (down for a while), "login" (the session
// ended). Ages are counted on the fleet service's clock (its time comes with every change).

/** @typedef {import('./fleet-types.js').TankRow} TankRow */
/** @typedef {import('./fleet-types.js').GatewayRow} GatewayRow */
/** @typedef {import('./fleet-types.js').FleetView} FleetView */
/** @typedef {import('./fleet-types.js').FleetDelta} FleetDelta */
/** @typedef {'connecting'|'live'|'reconnecting'|'offline'|'login'} Connection */

/** The service pings every 25 s: twice that without anything means the stream is dead. */
const QUIET_LIMIT_MS = 55_000;
const OFFLINE_AFTER_MS = 30_000;
const RETRY_MIN_MS = 1000;
const RETRY_MAX_MS = 15_000;

export const fleet = {
  /** @type {Map<string, TankRow>} by gateway/tank */
  tanks: new Map(),
  /** @type {Map<string, GatewayRow>} */
  gateways: new Map(),
  /** @type {FleetView['counts']} */
  counts: { gateways: 0, online: 0, tanks: 0, offline: 0, fault: 0, low: 0, stale: 0 },
  /** @type {FleetView['hubs']} */
  hubs: [],
  /** The service's clock minus this page's, ms. */
  skewMs: 0,
  /** @type {Connection} */
  connection: /** @type {Connection} */ ('connecting'),
  lastHeardMs: 0,
  downSinceMs: 0,
  /** Bumped on every change. */
  version: 0,
  /** True once the first snapshot arrived. */
  loaded: false,
};

/** Now on the fleet service's clock. */
export function serviceNow() {
  return Date.now() + fleet.skewMs;
}

/** @param {{gateway: string, tank: string}} t */
export const tankKey = (t) => `${t.gateway}/${t.tank}`;

/** @type {Set<() => void>} */
const listeners = new Set();
/** @type {EventSource|undefined} */
let source;
let lastEventId = '';
/** @type {ReturnType<typeof setTimeout>|undefined} */
let retryTimer;
/** @type {ReturnType<typeof setInterval>|undefined} */
let watchdog;
let retryMs = RETRY_MIN_MS;
let onSessionLost = () => {};

/** @param {() => void} fn */
export function subscribe(fn) {
  listeners.add(fn);
  return () => void listeners.delete(fn);
}

function changed() {
  fleet.version++;
  for (const fn of listeners) fn();
}

/** @param {Connection} c */
function setConnection(c) {
  if (fleet.connection === c) return;
  if (c !== 'live' && (fleet.connection === 'live' || fleet.connection === 'connecting'))
    fleet.downSinceMs = Date.now();
  fleet.connection = c;
  changed();
}

/** @param {{onSessionLost: () => void}} options */
export function start(options) {
  onSessionLost = options.onSessionLost;
  open();
  watchdog = setInterval(checkQuiet, 5000);
}

export function stop() {
  clearInterval(watchdog);
  clearTimeout(retryTimer);
  source?.close();
  source = undefined;
}

/** @param {number} atMs */
function clockFrom(atMs) {
  if (atMs > 0) fleet.skewMs = atMs - Date.now();
}

/** @param {FleetView} view */
function applySnapshot(view) {
  fleet.tanks = new Map(view.tanks.map((t) => [tankKey(t), t]));
  fleet.gateways = new Map(view.gateways.map((g) => [g.id, g]));
  fleet.counts = view.counts;
  fleet.hubs = view.hubs;
  clockFrom(view.atMs);
  fleet.loaded = true;
}

/** @param {FleetDelta} d */
function applyDelta(d) {
  for (const t of d.tanks) fleet.tanks.set(tankKey(t), t);
  for (const k of d.tanksGone) fleet.tanks.delete(k);
  for (const g of d.gateways) fleet.gateways.set(g.id, g);
  for (const k of d.gatewaysGone) fleet.gateways.delete(k);
  fleet.counts = d.counts;
  fleet.hubs = d.hubs;
  clockFrom(d.atMs);
}

function open() {
  source?.close();
  const url = lastEventId ? `/api/events?lastEventId=${encodeURIComponent(lastEventId)}` : '/api/events';
  const es = new EventSource(url);
  source = es;
  es.addEventListener('open', () => {
    retryMs = RETRY_MIN_MS;
    fleet.lastHeardMs = Date.now();
    setConnection('live');
  });
  es.addEventListener('snapshot', (e) => {
    applySnapshot(JSON.parse(/** @type {MessageEvent} */ (e).data).view);
    took(e);
  });
  es.addEventListener('delta', (e) => {
    applyDelta(JSON.parse(/** @type {MessageEvent} */ (e).data));
    took(e);
  });
  es.addEventListener('ping', () => (fleet.lastHeardMs = Date.now()));
  es.addEventListener('error', () => {
    if (source !== es) return;
    if (es.readyState === EventSource.CLOSED) void recheck();
    else setConnection(Date.now() - fleet.downSinceMs > OFFLINE_AFTER_MS ? 'offline' : 'reconnecting');
  });
}

/** @param {Event} e */
function took(e) {
  const id = /** @type {MessageEvent} */ (e).lastEventId;
  if (id) lastEventId = id;
  fleet.lastHeardMs = Date.now();
  if (fleet.connection !== 'live') setConnection('live');
  changed();
}

function checkQuiet() {
  if (fleet.connection === 'login') return;
  if (fleet.connection === 'live' && Date.now() - fleet.lastHeardMs > QUIET_LIMIT_MS) {
    setConnection('reconnecting');
    reopenLater();
  } else if (fleet.connection === 'reconnecting' && Date.now() - fleet.downSinceMs > OFFLINE_AFTER_MS) {
    setConnection('offline');
  }
}

async function recheck() {
  source?.close();
  source = undefined;
  try {
    const res = await fetch('/api/session', {
      credentials: 'same-origin',
      cache: 'no-store',
      signal: AbortSignal.timeout(10_000),
    });
    const info = await res.json();
    if (!info.user) {
      setConnection('login');
      onSessionLost();
      return;
    }
  } catch {
    // the service is unreachable: keep trying
  }
  setConnection(Date.now() - fleet.downSinceMs > OFFLINE_AFTER_MS ? 'offline' : 'reconnecting');
  reopenLater();
}

function reopenLater() {
  clearTimeout(retryTimer);
  retryTimer = setTimeout(open, retryMs);
  retryMs = Math.min(RETRY_MAX_MS, retryMs * 2);
}
