// An admin's controls for one tank: fill valve, pump, automatic/manual, refill thresholds, clearing the
// refill lockouts. Every action asks first, then goes to the gateway's checked command path and shows
// its answer — a refusal with the gateway's reason (a safety rule, the role, the clock).

import { useState } from 'preact/hooks';
import { html, Dialog, Icon } from '../ui.js';
import { t } from '../strings.js';
import { sendCommand } from '../api.js';

/** @typedef {import('../types.js').TankState} TankState */
/** @typedef {import('../types.js').TankInfo} TankInfo */
/** @typedef {{question: string, command: Record<string, unknown>}} Pending */
/** @typedef {{ok: boolean, text: string}} Outcome */

const MINUTE_CHOICES = [15, 30, 60, 120];
const THRESHOLD_STEP = 5;

/**
 * Asks the gateway and puts its answer in words.
 * @param {string} tank
 * @param {Record<string, unknown>} command
 * @returns {Promise<Outcome>}
 */
export async function ask(tank, command) {
  try {
    const { status, result } = await sendCommand(tank, command);
    if (result.result === 'accepted') return { ok: true, text: t.accepted(result.message ?? '') };
    if (status === 403) return { ok: false, text: `${t.notAllowed} (${result.reason ?? ''})` };
    if (status === 429) return { ok: false, text: t.tooMany };
    // The controller says "refused: ..." itself: the page says it once.
    return { ok: false, text: t.refused((result.reason ?? `HTTP ${status}`).replace(/^refused:\s*/, '')) };
  } catch {
    return { ok: false, text: t.noAnswer };
  }
}

/**
 * @param {{info: TankInfo, state: TankState|undefined, onClose: () => void}} props
 */
export function Controls({ info, state, onClose }) {
  const name = info.name ?? info.tank;
  const choices = [
    ...new Set([...MINUTE_CHOICES.filter((m) => m < info.manualMaxMinutes), info.manualMaxMinutes]),
  ];
  const [minutes, setMinutes] = useState(choices.includes(30) ? 30 : (choices[0] ?? 30));
  const [low, setLow] = useState(state?.thresholds.lowPct ?? 15);
  const [high, setHigh] = useState(state?.thresholds.highPct ?? 80);
  const [pending, setPending] = useState(/** @type {Pending|null} */ (null));
  const [sending, setSending] = useState(false);
  const [outcome, setOutcome] = useState(/** @type {Outcome|null} */ (null));

  /** @param {string} question @param {Record<string, unknown>} command */
  const propose = (question, command) => {
    setOutcome(null);
    setPending({ question, command });
  };
  const confirm = async () => {
    if (!pending) return;
    setSending(true);
    const result = await ask(info.tank, pending.command);
    setSending(false);
    setPending(null);
    setOutcome(result);
  };

  const actions = html`
    <fieldset class="choices">
      <legend>${t.forMinutes}</legend>
      ${choices.map(
        (m) =>
          html`<label class=${`choice ${m === minutes ? 'chosen' : ''}`}>
            <input
              type="radio"
              name="minutes"
              value=${m}
              checked=${m === minutes}
              onChange=${() => setMinutes(m)}
            />
            <span>${t.minutes(m)}</span>
          </label>`,
      )}
    </fieldset>
    <p class="muted small">${t.manualNote(info.manualMaxMinutes)}</p>
    <div class="control-row">
      <h3>${t.valve}: ${state ? (state.valve === 'open' ? t.valveOpen : t.valveClosed) : t.unknown}</h3>
      <button
        type="button"
        class="button primary"
        onClick=${() => propose(t.ask.valveOpen(name, minutes), { action: 'valve', open: true, minutes })}
      >
        ${t.openValve}
      </button>
      <button
        type="button"
        class="button secondary"
        onClick=${() => propose(t.ask.valveClose(name, minutes), { action: 'valve', open: false, minutes })}
      >
        ${t.closeValve}
      </button>
    </div>
    ${
      info.hasPump &&
      html`<div class="control-row">
        <h3>${t.pump}: ${state?.pump === 'on' ? t.pumpOn : t.pumpOff}</h3>
        <button
          type="button"
          class="button primary"
          onClick=${() => propose(t.ask.pumpOn(name, minutes), { action: 'pump', on: true, minutes })}
        >
          ${t.pumpOnButton}
        </button>
        <button
          type="button"
          class="button secondary"
          onClick=${() => propose(t.ask.pumpOff(name, minutes), { action: 'pump', on: false, minutes })}
        >
          ${t.pumpOffButton}
        </button>
      </div>`
    }
    <div class="control-row">
      <h3>${t.mode}: ${state?.mode === 'manual' ? t.modeManual : t.modeAuto}</h3>
      <button
        type="button"
        class="button primary"
        onClick=${() => propose(t.ask.auto(name), { action: 'mode', mode: 'auto' })}
      >
        ${t.autoButton}
      </button>
      <button
        type="button"
        class="button secondary"
        onClick=${() => propose(t.ask.manual(name, minutes), { action: 'mode', mode: 'manual', minutes })}
      >
        ${t.manualButton}
      </button>
    </div>
    <div class="control-row">
      <h3>${t.thresholds}</h3>
      <${Stepper}
        id=${`low-${info.tank}`}
        label=${t.lowThreshold}
        value=${low}
        min=${info.criticalPct}
        max=${95}
        onChange=${setLow}
      />
      <${Stepper}
        id=${`high-${info.tank}`}
        label=${t.highThreshold}
        value=${high}
        min=${5}
        max=${95}
        onChange=${setHigh}
      />
      <button
        type="button"
        class="button primary"
        onClick=${() =>
          low < high
            ? propose(t.ask.thresholds(name, low, high), { action: 'thresholds', lowPct: low, highPct: high })
            : setOutcome({ ok: false, text: t.thresholdsInvalid })}
      >
        ${t.saveThresholds}
      </button>
    </div>
    <div class="control-row">
      <button
        type="button"
        class="button secondary"
        onClick=${() => propose(t.ask.reset(name), { action: 'reset-alarms' })}
      >
        ${t.resetAlarms}
      </button>
    </div>
  `;

  return html`<${Dialog} id="controls" title=${t.controlsTitle(name)} open=${true} onClose=${onClose}>
    <div class="sheet-body">
      <div role="status" aria-live="polite" class="outcome-area">
        ${
          outcome &&
          html`<p class=${`outcome ${outcome.ok ? 'outcome-ok' : 'outcome-refused'}`} data-testid="outcome">
            <${Icon} name=${outcome.ok ? 'check' : 'warning'} /> <span>${outcome.text}</span>
          </p>`
        }
      </div>
      ${
        pending
          ? html`<div class="confirm" role="group" aria-labelledby="confirm-q">
              <p id="confirm-q" class="question">${pending.question}</p>
              <div class="confirm-buttons">
                <button type="button" class="button primary" disabled=${sending} onClick=${confirm}>
                  ${sending ? t.sending : t.confirm}
                </button>
                <button
                  type="button"
                  class="button secondary"
                  disabled=${sending}
                  onClick=${() => setPending(null)}
                >
                  ${t.cancel}
                </button>
              </div>
            </div>`
          : actions
      }
    </div>
  <//>`;
}

/**
 * A number with large − and + buttons (a thumb hits them; the keyboard can type).
 * @param {{id: string, label: string, value: number, min: number, max: number, onChange: (v: number) => void}} props
 */
function Stepper({ id, label, value, min, max, onChange }) {
  const clamp = (/** @type {number} */ v) => Math.max(min, Math.min(max, Math.round(v)));
  return html`<div class="stepper">
    <label for=${id}>${label}</label>
    <div class="stepper-row">
      <button
        type="button"
        class="icon-button"
        aria-label=${t.lower(label)}
        onClick=${() => onChange(clamp(value - THRESHOLD_STEP))}
      >
        <${Icon} name="minus" />
      </button>
      <input
        id=${id}
        type="number"
        inputmode="numeric"
        min=${min}
        max=${max}
        value=${value}
        onInput=${(/** @type {Event} */ e) => {
          const v = Number(/** @type {HTMLInputElement} */ (e.currentTarget).value);
          if (Number.isFinite(v)) onChange(clamp(v));
        }}
      />
      <button
        type="button"
        class="icon-button"
        aria-label=${t.raise(label)}
        onClick=${() => onChange(clamp(value + THRESHOLD_STEP))}
      >
        <${Icon} name="plus" />
      </button>
    </div>
  </div>`;
}
