// The fleet at a glance: gateways online, and the tanks by what needs attention. Each count is a
// button that shows those tanks.

import { html } from '../ui.js';
import { ft } from '../fleet-strings.js';
import { fleet } from '../fleet-live.js';

/** @typedef {import('../fleet-types.js').Filter} Filter */

const FLAGS = /** @type {const} */ (['offline', 'fault', 'low', 'stale']);

/** @param {{filter: Filter, onFilter: (f: Filter) => void}} props */
export function Summary({ filter, onFilter }) {
  const c = fleet.counts;
  return html`<section class="card fleet-summary" aria-labelledby="summary-title">
    <h2 id="summary-title" class="visually-hidden">${ft.summary}</h2>
    <p class="fleet-online" data-testid="gateways-online">
      <strong>${ft.gatewaysOnline(c.online, c.gateways)}</strong> · ${ft.tanksKnown(c.tanks)}
    </p>
    <ul class="flag-tiles">
      ${FLAGS.map(
        (f) =>
          html`<li>
            <button
              type="button"
              class=${`flag-tile tile-${f} ${c[f] > 0 ? 'some' : 'none'}`}
              aria-pressed=${filter === f ? 'true' : 'false'}
              data-testid=${`count-${f}`}
              onClick=${() => onFilter(filter === f ? 'attention' : f)}
            >
              <span class="flag-count">${c[f]}</span>
              <span class="flag-name">${ft.flagNames[f]}</span>
              <small>${ft.flagHelp[f]}</small>
            </button>
          </li>`,
      )}
    </ul>
  </section>`;
}
