// One tank of the fleet: its level drawn as the farmer's dashboard draws it, its state in words, its
// alarms; for a fleet admin, the commands, each asked first and sent to the gateway as the operator's
// own user. The gateway's answer is shown as it came (accepted, or refused with its reason).

import { useState } from 'preact/hooks';
import { html, Icon, Dialog } from '../ui.js';
import { t, alarmName } from '../strings.js';
import * as f from '../format.js';
import { call, ApiError } from '../api.js';
import { TankGraphic } from '../views/tanks.js';
import { ft } from '../fleet-strings.js';
import { fleet } from '../fleet-live.js';
import { Flags, age } from './table.js';

/** @typedef {import('../fleet-types.js').TankRow} TankRow */
/** @typedef {import('../fleet-types.js').CommandAnswer} CommandAnswer */

const HAND_MINUTES = 30;

/**
 * @param {TankRow} r
 * @returns {{id: string, label: string, ask: string, body: Record<string, unknown>}[]}
 */
function commandsFor(r) {
  const name = r.name;
  return [
    {
      id: 'valve-close',
      label: t.closeValve,
      ask: t.ask.valveClose(name, HAND_MINUTES),
      body: { action: 'valve', open: false, minutes: HAND_MINUTES },
    },
    {
      id: 'valve-open',
      label: ft.open30,
      ask: t.ask.valveOpen(name, HAND_MINUTES),
      body: { action: 'valve', open: true, minutes: HAND_MINUTES },
    },
    ...(r.pump === null
      ? []
      : [
          {
            id: 'pump-off',
            label: t.pumpOffButton,
            ask: t.ask.pumpOff(name, HAND_MINUTES),
            body: { action: 'pump', on: false, minutes: HAND_MINUTES },
          },
        ]),
    { id: 'auto', label: t.autoButton, ask: t.ask.auto(name), body: { action: 'mode', mode: 'auto' } },
    { id: 'reset', label: t.resetAlarms, ask: t.ask.reset(name), body: { action: 'reset-alarms' } },
  ];
}

/**
 * @param {{tankKey: string|null, user: {name: string, role: string}, onClose: () => void}} props
 */
export function TankDialog({ tankKey, user, onClose }) {
  const r = tankKey ? fleet.tanks.get(tankKey) : undefined;
  const [asking, setAsking] = useState(/** @type {ReturnType<typeof commandsFor>[number]|null} */ (null));
  const [busy, setBusy] = useState(false);
  const [outcome, setOutcome] = useState(/** @type {{ok: boolean, text: string}|null} */ (null));
  const close = () => {
    setAsking(null);
    setOutcome(null);
    onClose();
  };
  if (!r) return html`<${Dialog} id="tank" title="" open=${false} onClose=${close} />`;
  const current = !r.flags.includes('stale') && !r.flags.includes('offline');

  const send = async () => {
    if (!asking) return;
    setBusy(true);
    try {
      /** @type {CommandAnswer} */
      const a = await call(`/api/fleet/gateways/${encodeURIComponent(r.gateway)}/command`, {
        method: 'POST',
        body: { tank: r.tank, ...asking.body },
        timeoutMs: 60_000,
      });
      setOutcome(
        a.result.startsWith('accepted')
          ? { ok: true, text: t.accepted(a.message ?? a.result) }
          : { ok: false, text: t.refused(a.reason ?? a.result) },
      );
    } catch (err) {
      const e = /** @type {ApiError} */ (err);
      setOutcome({ ok: false, text: e.code === 'no-answer' ? t.noAnswer : e.message });
    } finally {
      setBusy(false);
      setAsking(null);
    }
  };

  return html`<${Dialog} id="tank" title=${ft.tankDialog(r.name, r.gateway)} open=${true} onClose=${close}>
    <div class="sheet-body fleet-tank" data-testid="tank-dialog">
      <div class="tank-body">
        <${TankGraphic}
          id=${`fleet-${r.gateway}-${r.tank}`}
          pct=${r.levelPct}
          low=${r.lowPct}
          high=${r.highPct}
          current=${current}
          label=${t.tankGraphic(r.name, r.levelPct === null ? t.levelUnknown : t.levelPctWords(f.pct(r.levelPct)))}
        />
        <div class="figures">
          <p class=${`big ${current ? '' : 'value-stale'}`}>
            ${r.levelPct === null ? t.levelUnknown : `${f.pct(r.levelPct)} %`}
          </p>
          <p class="litres">${t.ofCapacity(f.litres(r.litres), f.litres(r.capacityLitres))}</p>
          <p><${Flags} row=${r} /></p>
          <p>${current ? r.status : ft.lastKnown(r.status)}</p>
          <p class="muted">${t.updated}: ${f.time(r.time)} (${age(r.receivedAtMs)})</p>
        </div>
      </div>
      <dl class="facts">
        <div>
          <dt>${t.valve}</dt>
          <dd>${r.valve === 'open' ? t.valveOpen : t.valveClosed}</dd>
        </div>
        <div>
          <dt>${t.pump}</dt>
          <dd>${r.pump === null ? t.noPump : r.pump === 'on' ? t.pumpOn : t.pumpOff}</dd>
        </div>
        <div>
          <dt>${t.mode}</dt>
          <dd>${r.mode === 'auto' ? t.modeAuto : t.modeManual}</dd>
        </div>
        <div>
          <dt>${ft.columns.server}</dt>
          <dd>${ft.server(r.server)} · ${ft.site(r.site)}</dd>
        </div>
      </dl>
      ${
        r.alarms.length > 0 &&
        html`<div class="alarms-inline">
          <h3>${t.activeAlarms}</h3>
          <ul>
            ${r.alarms.map((a) => html`<li class="chip"><${Icon} name="warning" /> ${alarmName(a)}</li>`)}
          </ul>
        </div>`
      }
      ${
        outcome &&
        html`<p
          class=${`outcome ${outcome.ok ? 'outcome-ok' : 'outcome-refused'}`}
          role="status"
          data-testid="command-outcome"
        >
          <${Icon} name=${outcome.ok ? 'check' : 'warning'} /> ${outcome.text}
        </p>`
      }
      ${
        user.role === 'admin'
          ? asking
            ? html`<div class="confirm">
                <p class="question">${asking.ask}</p>
                <p class="muted">${ft.commandNote(r.gateway, user.name)}</p>
                <div class="confirm-buttons">
                  <button
                    type="button"
                    class="button secondary"
                    onClick=${() => setAsking(null)}
                    disabled=${busy}
                  >
                    ${t.cancel}
                  </button>
                  <button
                    type="button"
                    class="button primary"
                    onClick=${send}
                    disabled=${busy}
                    data-testid="confirm"
                  >
                    ${busy ? t.sending : t.confirm}
                  </button>
                </div>
              </div>`
            : html`<div class="fleet-commands">
                <h3>${t.controls}</h3>
                ${commandsFor(r).map(
                  (c) =>
                    html`<button
                      type="button"
                      class="button secondary"
                      data-testid=${`command-${c.id}`}
                      onClick=${() => {
                        setOutcome(null);
                        setAsking(c);
                      }}
                    >
                      ${c.label}
                    </button>`,
                )}
              </div>`
          : html`<p class="muted">${ft.viewerNote}</p>`
      }
    </div>
  <//>`;
}
