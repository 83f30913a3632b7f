// The fleet page: the farmer's dashboard's login (its LoginView, the same password file format and
// lockout), then the fleet: a summary that filters, the tanks (sortable, grouped by VPN server or site,
// the ones needing attention first), the gateways and hubs, and a tank's own sheet with its commands.
// The view, filter, grouping and search are kept in the address (#/attention/server?q=...).

import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { html, Icon, useInterval } from './ui.js';
import { t } from './strings.js';
import * as api from './api.js';
import { setTimeZone } from './format.js';
import { LoginView } from './views/login.js';
import { ft } from './fleet-strings.js';
import * as live from './fleet-live.js';
import { fleet, subscribe } from './fleet-live.js';
import { Summary } from './fleet-views/summary.js';
import { TankTable } from './fleet-views/table.js';
import { GatewayList } from './fleet-views/gateways.js';
import { TankDialog } from './fleet-views/tank.js';

/** @typedef {import('./types.js').SessionInfo} SessionInfo */
/** @typedef {import('./fleet-types.js').Filter} Filter */
/** @typedef {import('./fleet-types.js').Grouping} Grouping */

const FILTERS = ['attention', 'all', 'offline', 'fault', 'low', 'stale'];
const GROUPINGS = ['server', 'site', 'none'];

/** @returns {{filter: Filter, grouping: Grouping, search: string}} */
function fromHash() {
  const [path = '', query = ''] = location.hash.replace(/^#\/?/, '').split('?');
  const [filter = 'attention', grouping = 'server'] = path.split('/');
  return {
    filter: /** @type {Filter} */ (FILTERS.includes(filter) ? filter : 'attention'),
    grouping: /** @type {Grouping} */ (GROUPINGS.includes(grouping) ? grouping : 'server'),
    search: new URLSearchParams(query).get('q') ?? '',
  };
}

/** @param {{filter: Filter, grouping: Grouping, search: string}} w */
function toHash(w) {
  const q = w.search ? `?q=${encodeURIComponent(w.search)}` : '';
  history.replaceState(null, '', `#/${w.filter}/${w.grouping}${q}`);
}

function connectionLabel() {
  switch (fleet.connection) {
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

/** @param {{session: SessionInfo, onLogout: () => void}} props */
function Fleet({ session, onLogout }) {
  const [, setVersion] = useState(0);
  const [where, setWhere] = useState(fromHash());
  const [open, setOpen] = useState(/** @type {string|null} */ (null));
  useEffect(() => subscribe(() => setVersion((v) => v + 1)), []);
  useEffect(() => {
    const onHash = () => setWhere(fromHash());
    addEventListener('hashchange', onHash);
    return () => removeEventListener('hashchange', onHash);
  }, []);
  // Ages ("3 s ago") move on even when nothing changes.
  useInterval(5000, () => setVersion((v) => v + 1));
  /** @param {Partial<typeof where>} change */
  const update = (change) => {
    const w = { ...where, ...change };
    setWhere(w);
    toHash(w);
  };
  const user = session.user ?? { name: '', role: 'viewer' };
  return html`<div class="shell fleet-shell">
    <a class="skip" href="#main">${t.skipToContent}</a>
    <header class="topbar">
      <span class="topbar-title">${session.gateway?.name ?? ft.appName}</span>
      <span class=${`pill pill-${fleet.connection}`} data-testid="connection" role="status">
        <span class="dot" aria-hidden="true"></span>${connectionLabel()}
      </span>
      <button type="button" class="button secondary topbar-logout" onClick=${onLogout} aria-label=${t.logOut}>
        <${Icon} name="logout" /> <span>${t.logOut}</span>
      </button>
    </header>
    ${
      fleet.connection !== 'live' &&
      fleet.connection !== 'connecting' &&
      html`<div class=${`banner banner-${fleet.connection}`} role="status">
        <${Icon} name="refresh" />
        <span>${fleet.connection === 'offline' ? t.offlineBanner(null) : t.reconnecting}</span>
      </div>`
    }
    <main id="main" class="page fleet-page" tabindex="-1">
      <h1 class="visually-hidden">${session.gateway?.name ?? ft.appName}</h1>
      <${Summary} filter=${where.filter} onFilter=${(/** @type {Filter} */ filter) => update({ filter })} />
      <section class="card fleet-controls" aria-label=${ft.filters}>
        <div class="segmented" role="group" aria-label=${ft.filters}>
          ${[
            ['attention', ft.filterAttention],
            ['all', ft.filterAll],
          ].map(
            ([id, label]) =>
              html`<button
                type="button"
                class=${`segment ${where.filter === id ? 'chosen' : ''}`}
                aria-pressed=${where.filter === id ? 'true' : 'false'}
                data-testid=${`filter-${id}`}
                onClick=${() => update({ filter: /** @type {Filter} */ (id) })}
              >
                ${label}
              </button>`,
          )}
        </div>
        <div class="fleet-find">
          <label for="fleet-search">${ft.search}</label>
          <input
            id="fleet-search"
            type="search"
            value=${where.search}
            autocomplete="off"
            spellcheck="false"
            onInput=${(/** @type {InputEvent} */ e) => update({ search: /** @type {HTMLInputElement} */ (e.currentTarget).value })}
          />
          <label for="fleet-group">${ft.groupBy}</label>
          <select
            id="fleet-group"
            value=${where.grouping}
            onChange=${(/** @type {Event} */ e) => update({ grouping: /** @type {Grouping} */ (/** @type {HTMLSelectElement} */ (e.currentTarget).value) })}
          >
            <option value="server">${ft.groupServer}</option>
            <option value="site">${ft.groupSite}</option>
            <option value="none">${ft.groupNone}</option>
          </select>
        </div>
      </section>
      <${TankTable}
        filter=${where.filter}
        search=${where.search}
        grouping=${where.grouping}
        onOpen=${setOpen}
      />
      <${GatewayList} />
      <p class="muted small">${t.signedInAs(user.name, user.role)}</p>
    </main>
    <${TankDialog} tankKey=${open} user=${user} onClose=${() => setOpen(null)} />
  </div>`;
}

/** @param {{initial: SessionInfo}} props */
function App({ initial }) {
  const [session, setSession] = useState(/** @type {SessionInfo} */ (initial));
  const [note, setNote] = useState(/** @type {string|null} */ (null));
  useEffect(() => {
    if (!session.user) return;
    api.setCsrf(session.csrf ?? '');
    if (session.gateway?.timezone) setTimeZone(session.gateway.timezone);
    live.start({
      onSessionLost: () => {
        live.stop();
        setNote(t.sessionEnded);
        void api.session().then(setSession, () => setSession({ ...session, user: null }));
      },
    });
    return () => live.stop();
  }, [session.user?.name, session.csrf]);
  useEffect(() => {
    document.title = session.gateway?.name ?? ft.appName;
  }, [session.gateway?.name]);

  if (!session.user)
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
  const logout = async () => {
    live.stop();
    await api.logout().catch(() => {});
    setSession(await api.session().catch(() => ({ user: null })));
  };
  return html`<${Fleet} session=${session} onLogout=${logout} />`;
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
