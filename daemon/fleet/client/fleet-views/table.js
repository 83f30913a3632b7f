// The tanks of the fleet as a sortable table, grouped by VPN server or site: the ones needing attention
// first by default. Each row says in words (and a badge, never colour alone) whether the tank is low,
// in fault, stale or offline; a tap opens the tank (and, for a fleet admin, its commands). Long lists
// are shown a page at a time: a phone need not draw 5,000 rows.

import { useState } from 'preact/hooks';
import { html } from '../ui.js';
import { t } from '../strings.js';
import * as f from '../format.js';
import { ft } from '../fleet-strings.js';
import { filterRows, groupRows, sortRows, rank } from '../fleet-model.js';
import { fleet, serviceNow, tankKey } from '../fleet-live.js';

/** @typedef {import('../fleet-types.js').TankRow} TankRow */
/** @typedef {import('../fleet-types.js').Filter} Filter */
/** @typedef {import('../fleet-types.js').Grouping} Grouping */
/** @typedef {import('../fleet-types.js').SortKey} SortKey */

const PAGE_ROWS = 100;

/** @param {number} ms */
export function age(ms) {
  const s = Math.max(0, (serviceNow() - ms) / 1000);
  return s < 5 ? ft.justNow : ft.ageOf(t.ago(s));
}

/** @param {{row: TankRow}} props */
export function Flags({ row }) {
  if (row.flags.length === 0) return html`<span class="badge flag-ok">${ft.ok}</span>`;
  return row.flags.map(
    (fl) => html`<span class=${`badge flag-badge flag-${fl}`}>${ft.flagNames[fl]}</span> `,
  );
}

/**
 * @param {{filter: Filter, search: string, grouping: Grouping, onOpen: (key: string) => void}} props
 */
export function TankTable({ filter, search, grouping, onOpen }) {
  const [sort, setSort] = useState(
    /** @type {{key: SortKey, dir: 'asc'|'desc'}} */ ({ key: 'attention', dir: 'asc' }),
  );
  const [limit, setLimit] = useState(PAGE_ROWS);
  const rows = sortRows(filterRows([...fleet.tanks.values()], filter, search), sort.key, sort.dir);
  const shown = rows.slice(0, limit);
  const groups = groupRows(shown, grouping);

  /** @param {SortKey} key @param {string} label @param {string} [cls] */
  const th = (key, label, cls = '') => {
    const current = sort.key === key;
    return html`<th
      scope="col"
      class=${cls}
      aria-sort=${current ? (sort.dir === 'asc' ? 'ascending' : 'descending') : 'none'}
    >
      <button
        type="button"
        class="sort"
        aria-label=${ft.sortBy(label)}
        data-testid=${`sort-${key}`}
        onClick=${() => setSort(current ? { key, dir: sort.dir === 'asc' ? 'desc' : 'asc' } : { key, dir: 'asc' })}
      >
        ${label}<span aria-hidden="true">${current ? (sort.dir === 'asc' ? ' ▲' : ' ▼') : ''}</span>
      </button>
    </th>`;
  };

  if (!fleet.loaded) return html`<p class="card" role="status">${ft.waiting}</p>`;
  if (rows.length === 0)
    return html`<p class="card all-well" role="status" data-testid="no-rows">
      ${filter === 'attention' && !search ? ft.allWell : ft.noneMatch}
    </p>`;

  return html`<div class="fleet-table-wrap">
    <table class="fleet-table" data-testid="tank-table">
      <thead>
        <tr>
          ${th('gateway', ft.columns.tank)} ${th('server', ft.columns.server, 'wide-only')}
          ${th('site', ft.columns.site, 'wide-only')} ${th('level', ft.columns.level, 'num')}
          ${th('attention', ft.columns.status)} ${th('updated', ft.columns.updated, 'wide-only')}
        </tr>
      </thead>
      ${groups.map(
        (g) =>
          html`<tbody>
            ${
              grouping !== 'none' &&
              html`<tr class="group-head">
                <th colspan="6" scope="rowgroup">
                  ${ft.groupHead(
                    grouping === 'server' ? `${ft.site(g.site)} · ${ft.server(g.server)}` : ft.site(g.site),
                    g.rows.length,
                    g.rows.filter((r) => r.flags.length > 0).length,
                  )}
                </th>
              </tr>`
            }
            ${g.rows.map(
              (r) =>
                html`<tr
                  class=${`tank-row rank-${rank(r)}`}
                  data-testid=${`tank-${r.gateway}-${r.tank}`}
                  data-flags=${r.flags.join(' ')}
                >
                  <th scope="row">
                    <button type="button" class="row-open" onClick=${() => onOpen(tankKey(r))}>
                      <span class="row-name">${r.name}</span>
                      <span class="row-gateway">${r.gateway}</span>
                    </button>
                  </th>
                  <td class="wide-only">${r.server ?? '—'}</td>
                  <td class="wide-only">${r.site ?? '—'}</td>
                  <td class=${`num ${notCurrent(r) ? 'value-stale' : ''}`}>
                    ${r.levelPct === null ? t.levelUnknown : `${f.pct(r.levelPct)} %`}
                    <small class="row-litres">${f.litres(r.litres)} L</small>
                  </td>
                  <td>
                    <${Flags} row=${r} />
                    <span class="row-status">${notCurrent(r) ? ft.lastKnown(r.status) : r.status}</span>
                  </td>
                  <td class="wide-only">${age(r.receivedAtMs)}</td>
                </tr>`,
            )}
          </tbody>`,
      )}
    </table>
    <p class="muted" role="status">${ft.shown(shown.length, rows.length)}</p>
    ${
      rows.length > limit &&
      html`<button type="button" class="button secondary" onClick=${() => setLimit(limit + PAGE_ROWS)}>
        ${ft.showMore(Math.min(PAGE_ROWS, rows.length - limit))}
      </button>`
    }
  </div>`;
}

/** A row whose values may no longer be true: its tank is stale or its gateway offline. */
export function notCurrent(/** @type {{ flags: string[] }} */ r) {
  return r.flags.includes('stale') || r.flags.includes('offline');
}
