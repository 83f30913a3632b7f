// Alarms: the active ones (an admin acknowledges them: a checked, audited command; an acknowledged alarm
// stays listed until its condition clears) and the recent history of what happened to the tanks.

import { useEffect, useState } from 'preact/hooks';
import { html, Icon } from '../ui.js';
import { t, alarmName } from '../strings.js';
import * as f from '../format.js';
import { call } from '../api.js';
import { live } from '../live.js';
import { ask } from './controls.js';

/** @typedef {import('../types.js').ActiveAlarm} ActiveAlarm */
/** @typedef {import('../types.js').TankEvent} TankEvent */
/** @typedef {import('../types.js').SessionInfo} SessionInfo */

/** @param {TankEvent} e */
export function eventWords(e) {
  switch (e.type) {
    case 'alarm':
      return t.eventAlarm(alarmName(e.alarm), e.active);
    case 'valve':
      return t.eventValve(e.open, e.reason);
    case 'pump':
      return t.eventPump(e.on, e.reason);
    case 'mode':
      return t.eventMode(e.mode, e.reason);
    case 'fill-completed':
      return t.eventFill(f.litres(e.litres), f.pct(e.minutes));
  }
}

/**
 * @param {{session: SessionInfo}} props
 */
export function AlarmsView({ session }) {
  const [data, setData] = useState(/** @type {{active: ActiveAlarm[], recent: TankEvent[]}|null} */ (null));
  const [failed, setFailed] = useState(false);
  const [asking, setAsking] = useState(/** @type {ActiveAlarm|null} */ (null));
  const [outcome, setOutcome] = useState(/** @type {{ok: boolean, text: string}|null} */ (null));
  const [busy, setBusy] = useState(false);
  const canCommand = session.user?.canCommand === true;
  const tankName = (/** @type {string} */ id) => session.tanks?.find((x) => x.id === id)?.name ?? id;

  useEffect(() => {
    let cancelled = false;
    call('/api/alarms')
      .then((d) => {
        if (!cancelled) {
          setData(d);
          setFailed(false);
        }
      })
      .catch(() => !cancelled && setFailed(true));
    return () => {
      cancelled = true;
    };
  }, [live.alarmsVersion]);

  const acknowledge = async () => {
    if (!asking) return;
    setBusy(true);
    const result = await ask(asking.tank, { action: 'ack-alarm', alarm: asking.alarm });
    setBusy(false);
    setAsking(null);
    setOutcome(result);
  };

  return html`<div class="alarms">
    <h1>${t.alarmsTitle}</h1>
    <div role="status" aria-live="polite">
      ${
        outcome &&
        html`<p class=${`outcome ${outcome.ok ? 'outcome-ok' : 'outcome-refused'}`} data-testid="outcome">
          <${Icon} name=${outcome.ok ? 'check' : 'warning'} /> <span>${outcome.text}</span>
        </p>`
      }
    </div>
    <section class="card" aria-labelledby="active-title">
      <h2 id="active-title">${t.activeAlarms}</h2>
      ${failed && html`<p>${t.trendFailed}</p>`}
      ${data && data.active.length === 0 && html`<p class="all-well"><${Icon} name="check" /> ${t.noActiveAlarms}</p>`}
      <ul class="alarm-list">
        ${data?.active.map(
          (a) =>
            html`<li
              class=${`alarm-item severity-${a.severity ?? 'warning'}`}
              data-alarm=${`${a.tank}/${a.alarm}`}
            >
              <p class="alarm-head">
                <${Icon} name="warning" />
                <strong
                  >${t.severity[/** @type {'info'|'warning'|'alarm'} */ (a.severity ?? 'warning')] ?? ''}</strong
                >
                <span>${tankName(a.tank)}: ${alarmName(a.alarm)}</span>
              </p>
              ${a.message && html`<p>${a.message}</p>`}
              <p class="muted small">${a.since ? t.since(f.time(a.since)) : ''}</p>
              ${
                a.acknowledged
                  ? html`<p class="badge badge-ack">${t.acknowledgedNote}</p>`
                  : canCommand &&
                    html`${
                      asking === a
                        ? html`<div class="confirm" role="group" aria-label=${t.acknowledge}>
                            <p class="question">${t.ask.ack(tankName(a.tank), alarmName(a.alarm))}</p>
                            <div class="confirm-buttons">
                              <button
                                type="button"
                                class="button primary"
                                disabled=${busy}
                                onClick=${acknowledge}
                              >
                                ${busy ? t.sending : t.confirm}
                              </button>
                              <button
                                type="button"
                                class="button secondary"
                                disabled=${busy}
                                onClick=${() => setAsking(null)}
                              >
                                ${t.cancel}
                              </button>
                            </div>
                          </div>`
                        : html`<button
                            type="button"
                            class="button secondary"
                            onClick=${() => (setOutcome(null), setAsking(a))}
                          >
                            ${t.acknowledge}
                          </button>`
                    }`
              }
            </li>`,
        )}
      </ul>
    </section>
    <section class="card" aria-labelledby="history-title">
      <h2 id="history-title">${t.recentHistory}</h2>
      ${data && data.recent.length === 0 && html`<p class="muted">${t.noHistoryEvents}</p>`}
      <ol class="history">
        ${data?.recent.map(
          (e) =>
            html`<li class=${e.type === 'alarm' ? `history-alarm ${e.active ? 'raised' : 'cleared'}` : ''}>
              <span class="when">${f.time(e.time)}</span>
              <span class="what"><strong>${tankName(e.tank)}</strong>: ${eventWords(e)}</span>
            </li>`,
        )}
      </ol>
    </section>
  </div>`;
}
