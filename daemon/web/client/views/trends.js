// Trends of one tank from the gateway's local history: the level over 24 h / 7 d / 30 d with refill
// periods marked, the litres used per day, and the days of water left at the recent rate.

import { useEffect, useRef, useState } from 'preact/hooks';
import { html, Icon } from '../ui.js';
import { t } from '../strings.js';
import * as f from '../format.js';
import { call } from '../api.js';
import { drawChart } from './chart.js';
import { live } from '../live.js';

/** @typedef {import('../types.js').Trend} Trend */
/** @typedef {import('../types.js').SessionInfo} SessionInfo */
/** @typedef {'24h'|'7d'|'30d'} Range */

const RANGES = /** @type {Range[]} */ (['24h', '7d', '30d']);
const REFRESH_MS = 5 * 60_000;

/** @param {string} name */
function cssColor(name) {
  return getComputedStyle(document.documentElement).getPropertyValue(name).trim() || '#000';
}

/**
 * @param {{session: SessionInfo, tank: string|undefined}} props
 */
export function TrendsView({ session, tank }) {
  const tanks = session.tanks ?? [];
  const id = tank && tanks.some((x) => x.id === tank) ? tank : tanks[0]?.id;
  const info = tanks.find((x) => x.id === id);
  const [range, setRange] = useState(/** @type {Range} */ ('24h'));
  const [trend, setTrend] = useState(/** @type {Trend|null} */ (null));
  const [error, setError] = useState(false);
  const [cursor, setCursor] = useState(/** @type {number|null} */ (null));
  const [reload, setReload] = useState(0);
  /** @type {{current: HTMLDivElement|null}} */
  const chartEl = useRef(null);

  useEffect(() => {
    if (!id) return;
    let cancelled = false;
    setTrend(null);
    setError(false);
    setCursor(null);
    call(`/api/tanks/${encodeURIComponent(id)}/trend?range=${range}`)
      .then((/** @type {Trend} */ tr) => !cancelled && setTrend(tr))
      .catch(() => !cancelled && setError(true));
    const timer = setInterval(() => setReload((n) => n + 1), REFRESH_MS);
    return () => {
      cancelled = true;
      clearInterval(timer);
    };
  }, [id, range, reload]);

  const state = id ? live.tanks.get(id) : undefined;
  useEffect(() => {
    const el = chartEl.current;
    if (!el || !trend || trend.t.length === 0) return;
    /** @type {any} */
    let chart;
    let disposed = false;
    const draw = () =>
      drawChart(el, trend, {
        low: state?.thresholds.lowPct ?? 15,
        high: state?.thresholds.highPct ?? 80,
        onCursor: setCursor,
        colors: {
          line: cssColor('--water'),
          refill: cssColor('--refill'),
          threshold: cssColor('--threshold'),
          grid: cssColor('--grid'),
          text: cssColor('--text'),
        },
      }).then((c) => {
        if (disposed) c.destroy();
        else chart = c;
      });
    void draw();
    const onResize = () => {
      chart?.destroy();
      chart = undefined;
      void draw();
    };
    window.addEventListener('resize', onResize);
    return () => {
      disposed = true;
      window.removeEventListener('resize', onResize);
      chart?.destroy();
    };
  }, [trend]);

  if (!id || !info) return html`<p>${t.noReadingYet}</p>`;
  const name = info.name ?? id;
  const rangeName = t.rangeWords[range];
  const i = cursor;
  const readout =
    trend && i !== null && i >= 0 && i < trend.t.length
      ? trend.pct[i] === null
        ? t.readoutGap(f.dayTime((trend.t[i] ?? 0) * 1000))
        : t.readout(
            f.dayTime((trend.t[i] ?? 0) * 1000),
            f.one(trend.pct[i]),
            f.litres(trend.litres[i]),
            trend.valve[i] === 1,
          )
      : t.tapForValue;
  const maxUse = trend ? Math.max(1, ...trend.daily.map((d) => d.usedLitres)) : 1;

  return html`<div class="trends">
    <h1>${t.trendsTitle}</h1>
    ${
      tanks.length > 1 &&
      html`<nav class="segmented" aria-label=${t.chooseTank}>
        ${tanks.map(
          (x) =>
            html`<a
              class=${`segment ${x.id === id ? 'chosen' : ''}`}
              href=${`#/trends/${x.id}`}
              aria-current=${x.id === id ? 'page' : undefined}
            >
              ${x.name ?? x.id}
            </a>`,
        )}
      </nav>`
    }
    <div class="segmented" role="group" aria-label=${t.range}>
      ${RANGES.map(
        (r) =>
          html`<button
            type="button"
            class=${`segment ${r === range ? 'chosen' : ''}`}
            aria-pressed=${r === range}
            onClick=${() => setRange(r)}
          >
            ${t.ranges[r]}
          </button>`,
      )}
    </div>
    <section class="card" aria-labelledby="chart-title">
      <h2 id="chart-title">${name}</h2>
      <p class="readout" aria-live="polite" data-testid="readout">${readout}</p>
      ${
        error
          ? html`<p>
              ${t.trendFailed}
              <button type="button" class="button secondary" onClick=${() => setReload((n) => n + 1)}>
                ${t.retry}
              </button>
            </p>`
          : !trend
            ? html`<p class="muted">${t.loading}</p>`
            : trend.t.length === 0
              ? html`<p class="muted">${t.noHistory}</p>`
              : html`<div
                    class="chart"
                    ref=${chartEl}
                    role="img"
                    aria-label=${t.chartLabel(name, rangeName)}
                  ></div>
                  <ul class="legend">
                    <li><span class="swatch swatch-line"></span>${t.legendLevel}</li>
                    <li><span class="swatch swatch-refill"></span>${t.legendRefill}</li>
                    <li><span class="swatch swatch-threshold"></span>${t.legendThresholds}</li>
                  </ul>`
      }
    </section>
    ${
      trend &&
      html`<section class="card" aria-labelledby="use-title">
        <h2 id="use-title">${t.usePerDay}</h2>
        <p class="estimate" data-testid="days-left">
          <${Icon} name="drop" />
          ${
            trend.usePerDayLitres === null
              ? t.daysLeftUnknown
              : trend.daysLeft === null
                ? t.daysLeftNone
                : t.daysLeft(t.days(trend.daysLeft), f.litres(trend.usePerDayLitres))
          }
        </p>
        <ul class="bars">
          ${[...trend.daily].reverse().map(
            (d) =>
              html`<li>
                <span class="bar-label">${f.day(d.day)}</span>
                <span class="bar-track"
                  ><span
                    class="use-bar"
                    style=${{ width: `${Math.round((100 * d.usedLitres) / maxUse)}%` }}
                  ></span
                ></span>
                <span class="bar-value"
                  >${t.usedLitres(f.litres(d.usedLitres))}${d.complete ? '' : html`<small>${t.partialDay}</small>`}</span
                >
              </li>`,
          )}
        </ul>
      </section>`
    }
  </div>`;
}
