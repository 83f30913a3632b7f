// The gateway's health, as in the source paper: CPU load, memory, CPU temperature, uptime, SD card, the
// VPN tunnel (with its handshake age), the MQTT outbox; for admins the recent audit log and whether its
// hash chain holds. And who is logged in, with the logout button.

import { useEffect, useState } from 'preact/hooks';
import { html, Icon } from '../ui.js';
import { t } from '../strings.js';
import * as f from '../format.js';
import { call } from '../api.js';
import { live } from '../live.js';

/** @typedef {import('../types.js').SessionInfo} SessionInfo */
/** @typedef {import('../types.js').AuditRecord} AuditRecord */
/** @typedef {import('../types.js').ChainStatus} ChainStatus */

/**
 * @param {{label: string, value: string, note?: string|null, warn?: boolean, testid?: string}} props
 */
function Tile({ label, value, note, warn, testid }) {
  return html`<div class=${`tile ${warn ? 'tile-warn' : ''}`} data-testid=${testid}>
    <dt>${label}</dt>
    <dd>
      ${warn ? html`<${Icon} name="warning" /> ` : null}${value}${note ? html`<small>${note}</small>` : null}
    </dd>
  </div>`;
}

/**
 * @param {{session: SessionInfo, onLogout: () => void}} props
 */
export function GatewayView({ session, onLogout }) {
  const s = live.system;
  const isAdmin = session.user?.role === 'admin';
  const [audit, setAudit] = useState(/** @type {{chain: ChainStatus, entries: AuditRecord[]}|null} */ (null));
  const [auditFailed, setAuditFailed] = useState(false);

  useEffect(() => {
    if (!isAdmin) return;
    let cancelled = false;
    call('/api/audit?limit=30')
      .then((a) => !cancelled && setAudit(a))
      .catch(() => !cancelled && setAuditFailed(true));
    return () => {
      cancelled = true;
    };
  }, [isAdmin, s?.audit?.seq]);

  const vpn = s?.vpn;
  const throttling = s?.throttling;
  return html`<div class="gateway">
    <h1>${session.gateway?.name ?? t.gatewayTitle}</h1>
    <section class="card" aria-labelledby="health-title">
      <h2 id="health-title">${t.health}</h2>
      ${
        !s
          ? html`<p class="muted">${t.healthWaiting}</p>`
          : html`<dl class="tiles">
              <${Tile} label=${t.cpuLoad} value=${f.one(s.load1)} />
              <${Tile} label=${t.cpuBusy} value=${`${f.pct(s.cpuPct)} %`} />
              <${Tile}
                label=${t.memory}
                value=${`${f.pct(s.memUsedPct)} %`}
                note=${t.memoryAvailable(f.size(s.memAvailableMb))}
              />
              <${Tile}
                label=${t.temperature}
                value=${s.cpuTemperatureC === null ? t.unknown : `${f.one(s.cpuTemperatureC)} °C`}
                warn=${s.cpuTemperatureC !== null && s.cpuTemperatureC >= 75}
              />
              <${Tile} label=${t.uptime} value=${f.duration(s.uptimeS)} />
              <${Tile}
                label=${t.sdCard}
                value=${s.rootFsFreeMb === undefined ? t.unknown : f.size(s.rootFsFreeMb)}
                warn=${s.rootFsUsedPct !== undefined && s.rootFsUsedPct >= 90}
              />
              <${Tile}
                testid="vpn"
                label=${t.vpn}
                value=${vpn ? (t.vpnStates[vpn.state] ?? vpn.state) : t.vpnNone}
                note=${vpn && vpn.handshakeAgeS !== null ? t.handshake(t.ago(vpn.handshakeAgeS)) : (vpn?.address ?? null)}
                warn=${!!vpn && vpn.state !== 'up'}
              />
              <${Tile}
                label=${t.outbox}
                value=${f.litres(s.outboxMessages ?? 0)}
                warn=${(s.outboxMessages ?? 0) > 0}
              />
              <${Tile} label=${t.daemonMemory} value=${f.size(s.daemonRssMb)} />
              ${
                throttling &&
                html`<${Tile}
                  label=${t.throttled}
                  value=${throttling.underVoltageNow ? t.underVoltage : throttling.throttledNow ? t.throttledNow : t.powerOk}
                  warn=${throttling.underVoltageNow || throttling.throttledNow}
                />`
              }
            </dl>`
      }
      <p class="muted small">${t.updated}: ${s ? f.timeAgo(s.time, Date.now()) : t.unknown}</p>
    </section>
    ${
      isAdmin &&
      html`<section class="card" aria-labelledby="audit-title">
        <h2 id="audit-title">${t.audit}</h2>
        ${auditFailed && html`<p>${t.auditFailed}</p>`}
        ${
          audit &&
          html`<p class=${`chain ${audit.chain.ok ? 'chain-ok' : 'chain-broken'}`} data-testid="audit-chain">
              <${Icon} name=${audit.chain.ok ? 'check' : 'warning'} />
              ${
                audit.chain.ok || !audit.chain.problem
                  ? t.auditIntact(audit.chain.lines)
                  : t.auditBroken(audit.chain.problem.line, audit.chain.problem.reason)
              }
            </p>
            ${
              audit.entries.length === 0
                ? html`<p class="muted">${t.auditEmpty}</p>`
                : html`<ol class="audit">
                    ${audit.entries.map(
                      (e) =>
                        html`<li>
                          <p class="audit-head">
                            <span class="when">${f.time(e.time)}</span><strong>${e.who}</strong
                            ><span class="muted">${e.from}</span>
                          </p>
                          <p>${e.what}: ${e.result}</p>
                        </li>`,
                    )}
                  </ol>`
            }`
        }
      </section>`
    }
    <section class="card" aria-labelledby="me-title">
      <h2 id="me-title">${session.user ? t.signedInAs(session.user.name, session.user.role) : ''}</h2>
      <button type="button" class="button secondary" onClick=${onLogout}>
        <${Icon} name="logout" /> ${t.logOut}
      </button>
      <p class="muted small">${t.version(session.version ?? '')}</p>
    </section>
  </div>`;
}
