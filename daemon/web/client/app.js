// The dashboard page: who is logged in, which view is shown (the address's #fragment, so the back button
// and a bookmark work), the live connection's state, and the thumb-reachable tab bar.

import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { html, Icon } from './ui.js';
import { t } from './strings.js';
import * as api from './api.js';
import { setTimeZone } from './format.js';
import * as liveFeed from './live.js';
import { live, subscribe } from './live.js';
import { LoginView } from './views/login.js';
import { TanksView } from './views/tanks.js';
import { TrendsView } from './views/trends.js';
import { AlarmsView } from './views/alarms.js';
import { GatewayView } from './views/gateway.js';
import * as f from './format.js';

/** @typedef {import('./types.js').SessionInfo} SessionInfo */

/** @returns {{view: string, arg: string|undefined}} */
function route() {
  const [, view = 'tanks', arg] = location.hash.replace(/^#/, '').split('/');
  return { view: ['tanks', 'trends', 'alarms', 'gateway'].includes(view) ? view : 'tanks', arg };
}

function useLive() {
  const [, setVersion] = useState(0);
  useEffect(() => subscribe(() => setVersion(live.version)), []);
}

function ConnectionBanner() {
  if (live.connection === 'live' || live.connection === 'login') return null;
  const since = live.lastHeardMs ? f.time(live.lastHeardMs) : null;
  const text =
    live.connection === 'connecting'
      ? t.connecting
      : live.connection === 'offline'
        ? t.offlineBanner(since)
        : t.notLiveBanner(since);
  return html`<div class=${`banner banner-${live.connection}`} role="status" data-testid="connection-banner">
    <${Icon} name="refresh" /> <span>${text}</span>
  </div>`;
}

/**
 * @param {{view: string}} props
 */
function Tabs({ view }) {
  const active = [...live.tanks.values()].reduce((n, s) => n + s.alarms.length, 0);
  const tab = (
    /** @type {string} */ id,
    /** @type {string} */ icon,
    /** @type {string} */ label,
    /** @type {any} */ extra = null,
  ) =>
    html`<li>
      <a
        href=${`#/${id}`}
        class=${`tab ${view === id ? 'current' : ''}`}
        aria-current=${view === id ? 'page' : undefined}
      >
        <${Icon} name=${icon} />
        <span>${label}</span>
        ${extra}
      </a>
    </li>`;
  return html`<nav class="tabs" aria-label="Views">
    <ul>
      ${tab('tanks', 'tank', t.navTanks)} ${tab('trends', 'trend', t.navTrends)}
      ${tab('alarms', 'bell', t.navAlarms, active > 0 ? html`<span class="count" aria-label=${t.alarmsBadge(active)}>${active}</span>` : null)}
      ${tab('gateway', 'gateway', t.navGateway)}
    </ul>
  </nav>`;
}

function connectionLabel() {
  switch (live.connection) {
    case 'live':
      return t.live;
    case 'offline':
      return t.offline;
    case 'reconnecting':
      return t.reconnectingShort;
    default:
      return t.connectingShort;
  }
}

/**
 * @param {{initial: SessionInfo}} props
 */
function App({ initial }) {
  const [session, setSession] = useState(/** @type {SessionInfo} */ (initial));
  const [note, setNote] = useState(/** @type {string|null} */ (null));
  const [where, setWhere] = useState(route());
  useLive();

  useEffect(() => {
    const onHash = () => {
      setWhere(route());
      window.scrollTo(0, 0);
    };
    addEventListener('hashchange', onHash);
    return () => removeEventListener('hashchange', onHash);
  }, []);

  useEffect(() => {
    if (!session.user) return;
    api.setCsrf(session.csrf ?? '');
    if (session.gateway?.timezone) setTimeZone(session.gateway.timezone);
    liveFeed.start({
      onSessionLost: () => {
        liveFeed.stop();
        setNote(t.sessionEnded);
        void api.session().then(setSession, () => setSession({ ...session, user: null }));
      },
    });
    return () => liveFeed.stop();
  }, [session.user?.name, session.csrf]);

  useEffect(() => {
    document.title = session.gateway?.name ? `${session.gateway.name} · ${t.appName}` : t.appName;
  }, [session.gateway?.name]);

  if (!session.user) {
    return html`<main id="main" class="page page-login">
      <${LoginView}
        info=${session}
        note=${note}
        onLoggedIn=${(/** @type {SessionInfo} */ s) => {
          setNote(null);
          setSession(s);
        }}
      />
    </main>`;
  }

  const logout = async () => {
    liveFeed.stop();
    await api.logout().catch(() => {});
    setSession(await api.session().catch(() => ({ user: null })));
  };

  const { view, arg } = where;
  return html`<div class="shell">
    <a class="skip" href="#main">${t.skipToContent}</a>
    <header class="topbar">
      <span class="topbar-title">${session.gateway?.name ?? t.appName}</span>
      <span class=${`pill pill-${live.connection}`} data-testid="connection" role="status">
        <span class="dot" aria-hidden="true"></span>${connectionLabel()}
      </span>
    </header>
    <${ConnectionBanner} />
    <main id="main" class="page" tabindex="-1">
      ${
        view === 'tanks' &&
        html`<h1 class="visually-hidden">${t.navTanks}</h1>
          <${TanksView} session=${session} />`
      }
      ${view === 'trends' && html`<${TrendsView} session=${session} tank=${arg} />`}
      ${view === 'alarms' && html`<${AlarmsView} session=${session} />`}
      ${view === 'gateway' && html`<${GatewayView} session=${session} onLogout=${logout} />`}
    </main>
    <${Tabs} view=${view} />
  </div>`;
}

async function boot() {
  const root = document.getElementById('app');
  if (!root) return;
  /** @type {SessionInfo} */
  let info;
  try {
    info = await api.session();
  } catch {
    info = { user: null };
  }
  root.textContent = '';
  render(html`<${App} initial=${info} />`, root);
}

void boot();
