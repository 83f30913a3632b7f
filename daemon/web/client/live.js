// The live picture of the gateway in the page: one event stream per tab (server-sent events) bringing
// tank states, tank events and health. It says how live it is: "live", "reconnecting" (a stream dropped:
// the browser, or we, try again and resume from the last event id), "offline" (down for a while). A
// stream that goes quiet past the gateway's ping interval is taken as dead and reopened.

/** @typedef {import('./types.js').TankState} TankState */
/** @typedef {import('./types.js').TankEvent} TankEvent */
/** @typedef {import('./types.js').SystemHealth} SystemHealth */
/** @typedef {'connecting'|'live'|'reconnecting'|'offline'|'login'} Connection */

/** The gateway pings every 25 s: twice that without anything means the stream is dead. */
const QUIET_LIMIT_MS = 55_000;
/** Reconnecting this long without success is "offline". */
const OFFLINE_AFTER_MS = 30_000;
const RETRY_MIN_MS = 1000;
const RETRY_MAX_MS = 15_000;
const RECENT_EVENTS = 50;

export const live = {
  /** @type {Map<string, TankState>} */
  tanks: new Map(),
  /** When each tank's state arrived (this device's clock, ms): ages are counted on the gateway's clock. */
  /** @type {Map<string, number>} */
  receivedAt: new Map(),
  /** @type {SystemHealth|null} */
  system: null,
  /** @type {TankEvent[]} newest first, as they arrived on this page */
  events: [],
  /** @type {Connection} */
  connection: /** @type {Connection} */ ('connecting'),
  /** When the page last heard from the gateway (ms). */
  lastHeardMs: 0,
  /** When the stream dropped (ms), while not live. */
  downSinceMs: 0,
  /** Bumped on every change: views re-render on it. */
  version: 0,
  /** Bumped when the alarm list may have changed (alarm events, snapshots). */
  alarmsVersion: 0,
};

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
/** @type {() => void} */
let onSessionLost = () => {};

/** @param {() => void} fn */
export function subscribe(fn) {
  listeners.add(fn);
  return () => void listeners.delete(fn);
}

function changed() {
  live.version++;
  for (const fn of listeners) fn();
}

/** @param {import('./live.js').Connection} c */
function setConnection(c) {
  if (live.connection === c) return;
  if (c !== 'live' && (live.connection === 'live' || live.connection === 'connecting'))
    live.downSinceMs = Date.now();
  live.connection = c;
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

function open() {
  source?.close();
  const url = lastEventId ? `/api/events?lastEventId=${encodeURIComponent(lastEventId)}` : '/api/events';
  const es = new EventSource(url);
  source = es;
  es.addEventListener('open', () => {
    retryMs = RETRY_MIN_MS;
    heard();
    setConnection('live');
  });
  es.addEventListener('snapshot', (e) => {
    const snap = JSON.parse(/** @type {MessageEvent} */ (e).data);
    live.tanks = new Map(snap.tanks.map((/** @type {TankState} */ s) => [s.tank, s]));
    live.receivedAt = new Map(snap.tanks.map((/** @type {TankState} */ s) => [s.tank, Date.now()]));
    live.system = snap.system;
    live.alarmsVersion++;
    took(e);
  });
  es.addEventListener('state', (e) => {
    const s = /** @type {TankState} */ (JSON.parse(/** @type {MessageEvent} */ (e).data));
    const before = live.tanks.get(s.tank);
    if (
      !before ||
      before.alarms.join() !== s.alarms.join() ||
      (before.acknowledged ?? []).join() !== (s.acknowledged ?? []).join()
    )
      live.alarmsVersion++;
    live.tanks.set(s.tank, s);
    live.receivedAt.set(s.tank, Date.now());
    took(e);
  });
  es.addEventListener('event', (e) => {
    const ev = /** @type {TankEvent} */ (JSON.parse(/** @type {MessageEvent} */ (e).data));
    live.events = [ev, ...live.events].slice(0, RECENT_EVENTS);
    if (ev.type === 'alarm') live.alarmsVersion++;
    took(e);
  });
  es.addEventListener('system', (e) => {
    live.system = JSON.parse(/** @type {MessageEvent} */ (e).data);
    took(e);
  });
  es.addEventListener('ping', () => heard());
  es.addEventListener('error', () => {
    if (source !== es) return;
    if (es.readyState === EventSource.CLOSED) {
      // The browser gave up (the gateway answered with an error, e.g. the session ended): find out why.
      void recheck();
    } else {
      setConnection(
        Date.now() - live.downSinceMs > OFFLINE_AFTER_MS && live.connection !== 'live'
          ? 'offline'
          : 'reconnecting',
      );
    }
  });
}

/** @param {Event} e */
function took(e) {
  const id = /** @type {MessageEvent} */ (e).lastEventId;
  if (id) lastEventId = id;
  heard();
  if (live.connection !== 'live') setConnection('live');
  changed();
}

function heard() {
  live.lastHeardMs = Date.now();
}

function checkQuiet() {
  if (live.connection === 'login') return;
  if (live.connection === 'live' && Date.now() - live.lastHeardMs > QUIET_LIMIT_MS) {
    setConnection('reconnecting');
    reopenLater();
  } else if (live.connection === 'reconnecting' && Date.now() - live.downSinceMs > OFFLINE_AFTER_MS) {
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
    // the gateway is unreachable: keep trying
  }
  setConnection(Date.now() - live.downSinceMs > OFFLINE_AFTER_MS ? 'offline' : 'reconnecting');
  reopenLater();
}

function reopenLater() {
  clearTimeout(retryTimer);
  retryTimer = setTimeout(open, retryMs);
  retryMs = Math.min(RETRY_MAX_MS, retryMs * 2);
}

/**
 * Seconds since the tank's last good reading, on the gateway's clock (the phone's may be wrong): the age
 * the state had when it was sent, plus the time since it arrived.
 * @param {TankState} s
 */
export function readingAgeS(s) {
  if (!s.lastGoodTime) return null;
  const atSend = Date.parse(s.time) - Date.parse(s.lastGoodTime);
  const since = Date.now() - (live.receivedAt.get(s.tank) ?? Date.now());
  return Math.max(0, (atSend + since) / 1000);
}

/** The tank's state is current: a live stream and a usable reading. */
/** @param {TankState|undefined} s */
export function isCurrent(s) {
  return !!s && live.connection === 'live' && (s.quality === 'ok' || s.quality === 'noisy');
}
