// Each tank at a glance: a tank graphic filled to the level, %, litres, the status in words, valve,
// pump, mode (and when a manual override ends), net flow and time to full or empty, the last good
// reading, active alarms. Stale or not-live values are drawn as such, never as current; a missing
// value is a dash, never 0 %.

import { useState } from 'preact/hooks';
import { html, Icon, useInterval } from '../ui.js';
import { t, alarmName } from '../strings.js';
import * as f from '../format.js';
import { live, isCurrent, readingAgeS } from '../live.js';
import { Controls } from './controls.js';

/** @typedef {import('../types.js').TankState} TankState */
/** @typedef {import('../types.js').TankInfo} TankInfo */
/** @typedef {import('../types.js').SessionInfo} SessionInfo */

/** @param {TankState} s @returns {'fault'|'refilling'|'ready'} */
export function statusKind(s) {
  if (s.faults.length > 0) return 'fault';
  return s.valve === 'open' ? 'refilling' : 'ready';
}

/** @param {TankState} s */
export function statusWords(s) {
  const kind = statusKind(s);
  return kind === 'fault'
    ? t.fault(s.faults[0] ?? '')
    : kind === 'refilling'
      ? t.waterRefilling
      : t.waterReady;
}

/**
 * @param {{id: string, pct: number|null, low: number, high: number, current: boolean, label: string}} props
 */
export function TankGraphic({ id, pct, low, high, current, label }) {
  const hatch = `stale-hatch-${id}`;
  const top = 8;
  const bottom = 152;
  const y = (/** @type {number} */ p) => bottom - ((bottom - top) * Math.max(0, Math.min(100, p))) / 100;
  const waterY = pct === null ? bottom : y(pct);
  return html`<svg class="tank-graphic" viewBox="0 0 100 160" role="img" aria-label=${label}>
    <defs>
      <pattern id=${hatch} width="8" height="8" patternUnits="userSpaceOnUse" patternTransform="rotate(45)">
        <rect width="8" height="8" class="stale-bg" />
        <line x1="0" y1="0" x2="0" y2="8" class="stale-line" stroke-width="4" />
      </pattern>
    </defs>
    <rect x="10" y=${top} width="80" height=${bottom - top} rx="8" class="tank-wall" />
    ${
      pct !== null &&
      html`<rect
        x="12"
        y=${waterY}
        width="76"
        height=${Math.max(0, bottom - waterY - 2)}
        rx="6"
        class=${current ? 'water' : 'water-stale'}
        fill=${current ? undefined : `url(#${hatch})`}
      />`
    }
    <line x1="4" x2="96" y1=${y(high)} y2=${y(high)} class="threshold" />
    <line x1="4" x2="96" y1=${y(low)} y2=${y(low)} class="threshold" />
    <text x="94" y=${y(high) - 3} class="threshold-label" text-anchor="end">${high}%</text>
    <text x="94" y=${y(low) - 3} class="threshold-label" text-anchor="end">${low}%</text>
  </svg>`;
}

/**
 * @param {{info: TankInfo, state: TankState|undefined, canCommand: boolean, now: number, onControls: (id: string) => void}} props
 */
function TankCard({ info, state: s, canCommand, now, onControls }) {
  const name = info.name ?? info.tank;
  const headingId = `tank-${info.tank}`;
  if (!s) {
    return html`<section class="card tank" aria-labelledby=${headingId}>
      <h2 id=${headingId}>${name}</h2>
      <p class="muted">${t.noReadingYet}</p>
    </section>`;
  }
  const current = isCurrent(s);
  const kind = statusKind(s);
  const pctText = s.levelPct === null ? t.levelUnknown : `${f.pct(s.levelPct)} %`;
  const flow = s.netFlowLitresPerMin;
  const flowText =
    flow === null || Math.abs(flow) < 0.05
      ? t.flowSteady
      : flow > 0
        ? t.flowRising(f.one(flow))
        : t.flowFalling(f.one(-flow));
  const eta =
    s.minutesToFull !== null && s.valve === 'open'
      ? t.fullIn(t.durationMin(s.minutesToFull))
      : flow !== null && flow < -0.05 && s.litres !== null
        ? t.emptyIn(t.durationMin(s.litres / -flow))
        : null;
  const notCurrentWhy = !current
    ? live.connection !== 'live'
      ? t.notLiveExplain
      : t.staleExplain(s.lastGoodTime ? f.timeWithAge(s.lastGoodTime, readingAgeS(s)) : null)
    : null;
  const acknowledged = new Set(s.acknowledged ?? []);

  return html`<section
    class=${`card tank ${current ? '' : 'not-current'}`}
    aria-labelledby=${headingId}
    data-tank=${info.tank}
  >
    <h2 id=${headingId}>${name}</h2>
    <p class=${`status status-${kind}`} data-testid="status">
      <${Icon} name=${kind === 'fault' ? 'warning' : kind === 'refilling' ? 'up' : 'check'} />
      <span>${statusWords(s)}</span>
    </p>
    <div class="tank-body">
      <${TankGraphic}
        id=${info.tank}
        pct=${s.displayPct ?? s.levelPct}
        low=${s.thresholds.lowPct}
        high=${s.thresholds.highPct}
        current=${current}
        label=${t.tankGraphic(name, s.levelPct === null ? t.noReadingYet : t.levelPctWords(f.pct(s.levelPct)))}
      />
      <div class="figures">
        <p class="big" data-testid="level">
          <span class=${current ? '' : 'value-stale'}>${pctText}</span>
          ${!current && html`<span class="badge badge-stale">${t.stale}</span>`}
        </p>
        <p class="litres">
          ${s.litres === null ? t.litresUnknown(f.litres(s.capacityLitres)) : t.ofCapacity(f.litres(s.litres), f.litres(s.capacityLitres))}
        </p>
        ${notCurrentWhy && html`<p class="stale-note" data-testid="stale-note"><strong>${notCurrentWhy}</strong></p>`}
        ${current && html`<p class="flow">${flowText}${eta ? html`<br />${eta}` : null}</p>`}
      </div>
    </div>
    <dl class="facts">
      <div>
        <dt>${t.valve}</dt>
        <dd data-testid="valve">${s.valve === 'open' ? t.valveOpen : t.valveClosed}</dd>
      </div>
      <div>
        <dt>${t.pump}</dt>
        <dd>${s.pump === null ? t.noPump : s.pump === 'on' ? t.pumpOn : t.pumpOff}</dd>
      </div>
      <div>
        <dt>${t.mode}</dt>
        <dd data-testid="mode">
          ${s.mode === 'auto' ? t.modeAuto : t.modeManual}
          ${s.mode === 'manual' && s.manualUntil ? html`<br /><small>${t.manualUntil(f.time(s.manualUntil))}</small>` : null}
        </dd>
      </div>
      <div>
        <dt>${t.lastReading}</dt>
        <dd>${f.timeWithAge(s.lastGoodTime, readingAgeS(s))}</dd>
      </div>
    </dl>
    <p class="muted small">
      ${t.thresholdsLine(s.thresholds.lowPct, s.thresholds.highPct)}${s.holding ? html`<br />${t.holding(s.holding)}` : null}
    </p>
    ${
      s.alarms.length > 0 &&
      html`<div class="alarms-inline">
        <h3>${t.activeAlarms}</h3>
        <ul>
          ${s.alarms.map(
            (a) =>
              html`<li class="chip">
                <${Icon} name="warning" />
                ${alarmName(a)}${acknowledged.has(a) ? html` <em>(${t.acknowledged})</em>` : null}
              </li>`,
          )}
        </ul>
      </div>`
    }
    <div class="card-actions">
      <a class="button secondary" href=${`#/trends/${info.tank}`}><${Icon} name="trend" /> ${t.showTrend}</a>
      ${
        canCommand &&
        html`<button type="button" class="button primary" onClick=${() => onControls(info.tank)}>
          <${Icon} name="hand" /> ${t.controls}
        </button>`
      }
    </div>
  </section>`;
}

/**
 * @param {{session: SessionInfo}} props
 */
export function TanksView({ session }) {
  const [, setTick] = useState(0);
  const [controlsFor, setControlsFor] = useState(/** @type {string|null} */ (null));
  useInterval(10_000, () => setTick((n) => n + 1));
  const now = Date.now();
  const tanks = (session.tanks ?? []).map((x) => ({ ...x, tank: x.id }));
  const canCommand = session.user?.canCommand === true;
  const selected = tanks.find((x) => x.tank === controlsFor);
  return html`<div class="tanks">
    ${tanks.map(
      (info) =>
        html`<${TankCard}
          key=${info.tank}
          info=${info}
          state=${live.tanks.get(info.tank)}
          canCommand=${canCommand}
          now=${now}
          onControls=${setControlsFor}
        />`,
    )}
    ${
      canCommand &&
      selected &&
      html`<${Controls}
        info=${selected}
        state=${live.tanks.get(selected.tank)}
        onClose=${() => setControlsFor(null)}
      />`
    }
  </div>`;
}
