// The gateways: offline ones first, each with why (its daemon said so, its link to the hub went, or
// nothing came from it for too long) and when it was last heard from; the hubs' links to the central tier.

import { html, Icon } from '../ui.js';
import { t } from '../strings.js';
import { ft } from '../fleet-strings.js';
import { fleet, serviceNow } from '../fleet-live.js';

/** @typedef {import('../fleet-types.js').GatewayRow} GatewayRow */

const SHOWN_ONLINE = 24;

/** @param {GatewayRow} g */
function why(g) {
  const ago = g.lastHeardAtMs === null ? null : t.ago(Math.max(0, (serviceNow() - g.lastHeardAtMs) / 1000));
  if (g.online) return ago ? ft.lastHeard(ago) : '';
  const reason = g.offlineReason ? ft.offlineReason[g.offlineReason] : '';
  return g.offlineReason === 'silent' && ago
    ? `${reason}: ${ft.silentFor(ago)}`
    : ago
      ? `${reason}; ${ft.lastHeard(ago)}`
      : reason;
}

export function GatewayList() {
  const all = [...fleet.gateways.values()].sort(
    (a, b) => Number(a.online) - Number(b.online) || a.id.localeCompare(b.id),
  );
  const offline = all.filter((g) => !g.online);
  const shown = [...offline, ...all.filter((g) => g.online).slice(0, SHOWN_ONLINE)];
  return html`<section class="card" aria-labelledby="gateways-title">
    <h2 id="gateways-title">
      ${ft.gateways} <small class="muted">${ft.offlineGateways(offline.length)}</small>
    </h2>
    <ul class="gateway-list">
      ${shown.map(
        (g) =>
          html`<li
            class=${`gateway-item ${g.online ? 'is-online' : 'is-offline'}`}
            data-testid=${`gateway-${g.id}`}
            data-online=${String(g.online)}
          >
            <${Icon} name=${g.online ? 'check' : 'warning'} />
            <span class="gateway-id">${g.id}</span>
            <span class=${`badge ${g.online ? 'flag-ok' : 'flag-badge flag-offline'}`}
              >${g.online ? ft.online : ft.offline}</span
            >
            <small>${g.server !== null ? `${ft.server(g.server)} · ` : ''}${why(g)}</small>
          </li>`,
      )}
    </ul>
    ${
      fleet.hubs.length > 0 &&
      html`<h3>${ft.hubs}</h3>
        <ul class="gateway-list">
          ${fleet.hubs.map(
            (h) =>
              html`<li
                class=${`gateway-item ${h.up ? 'is-online' : 'is-offline'}`}
                data-testid=${`hub-${h.hub}`}
              >
                <${Icon} name=${h.up ? 'check' : 'warning'} /> ${h.up ? ft.hubUp(h.hub) : ft.hubDown(h.hub)}
              </li>`,
          )}
        </ul>`
    }
  </section>`;
}
