// The level chart (uPlot, loaded the first time a chart is shown). Made for a thumb: a tap puts the
// cursor on the nearest point and the value is written above the chart, not in a tooltip over it; a
// vertical swipe scrolls the page (touch-action: pan-y; no drag-to-zoom). Refill periods are shaded and
// hatched, the refill thresholds dashed.

import * as f from '../format.js';

/** @typedef {import('../types.js').Trend} Trend */

/** @type {Promise<any>|undefined} */
let loading;

export function loadUplot() {
  loading ??= import('uplot').then((m) => m.default);
  return loading;
}

/**
 * @param {HTMLElement} el
 * @param {Trend} trend
 * @param {{low: number, high: number, onCursor: (i: number|null) => void, colors: {line: string, refill: string, threshold: string, grid: string, text: string}}} o
 */
export async function drawChart(el, trend, o) {
  const uPlot = await loadUplot();
  el.textContent = '';
  const width = Math.max(280, el.clientWidth);
  const height = Math.round(Math.min(320, Math.max(200, width * 0.6)));
  /** @type {CanvasPattern|null|undefined} */
  let hatch;
  const opts = {
    width,
    height,
    legend: { show: false },
    cursor: {
      drag: { x: false, y: false, setScale: false },
      points: { size: 12, fill: o.colors.line },
      y: false,
    },
    // Splits and labels in the gateway's time zone (the farm's), not the phone's.
    tzDate: (/** @type {number} */ ts) => uPlot.tzDate(new Date(ts * 1000), f.zone()),
    scales: { x: { time: true, range: [trend.fromMs / 1000, trend.toMs / 1000] }, y: { range: [0, 100] } },
    axes: [
      {
        stroke: o.colors.text,
        grid: { stroke: o.colors.grid },
        ticks: { stroke: o.colors.grid },
        font: '14px system-ui, sans-serif',
        space: 70,
        values: (/** @type {any} */ _u, /** @type {number[]} */ splits) =>
          splits.map((s) => (trend.range === '24h' ? f.clockTime(s * 1000) : f.shortDay(s * 1000))),
      },
      {
        stroke: o.colors.text,
        grid: { stroke: o.colors.grid },
        ticks: { stroke: o.colors.grid },
        values: (/** @type {any} */ _u, /** @type {number[]} */ v) => v.map((x) => `${x}%`),
        font: '14px system-ui, sans-serif',
        size: 52,
      },
    ],
    series: [{}, { stroke: o.colors.line, width: 3, spanGaps: false, points: { show: false } }],
    hooks: {
      drawAxes: [
        (/** @type {any} */ u) => {
          const ctx = u.ctx;
          hatch ??= hatchPattern(ctx, o.colors.refill);
          ctx.save();
          for (const [s, e] of trend.refills) {
            const x0 = u.valToPos(s, 'x', true);
            const x1 = Math.max(x0 + 2, u.valToPos(e, 'x', true));
            ctx.fillStyle = hatch ?? o.colors.refill;
            ctx.fillRect(x0, u.bbox.top, x1 - x0, u.bbox.height);
          }
          ctx.setLineDash([8, 6]);
          ctx.strokeStyle = o.colors.threshold;
          ctx.lineWidth = 2;
          for (const level of [o.low, o.high]) {
            const y = u.valToPos(level, 'y', true);
            ctx.beginPath();
            ctx.moveTo(u.bbox.left, y);
            ctx.lineTo(u.bbox.left + u.bbox.width, y);
            ctx.stroke();
          }
          ctx.restore();
        },
      ],
      // The value read stays when the finger lifts or the pointer leaves (no flicker back to nothing).
      setCursor: [
        (/** @type {any} */ u) => {
          if (u.cursor.idx !== null && u.cursor.idx !== undefined) o.onCursor(u.cursor.idx);
        },
      ],
    },
  };
  const chart = new uPlot(opts, [trend.t, trend.pct], el);
  const over = /** @type {HTMLElement|null} */ (el.querySelector('.u-over'));
  if (over) {
    over.style.touchAction = 'pan-y';
    // A tap (no movement) places the cursor; uPlot follows the mouse, not fingers.
    /** @type {{x: number, y: number}|null} */
    let down = null;
    over.addEventListener(
      'pointerdown',
      (e) => (down = e.pointerType === 'mouse' ? null : { x: e.clientX, y: e.clientY }),
    );
    over.addEventListener('pointerup', (e) => {
      if (!down || Math.hypot(e.clientX - down.x, e.clientY - down.y) > 10) return;
      const rect = over.getBoundingClientRect();
      chart.setCursor({ left: e.clientX - rect.left, top: e.clientY - rect.top });
      down = null;
    });
  }
  return chart;
}

/** @param {CanvasRenderingContext2D} target @param {string} color */
function hatchPattern(target, color) {
  const c = document.createElement('canvas');
  c.width = c.height = 10;
  const ctx = c.getContext('2d');
  if (!ctx) return null;
  ctx.fillStyle = color;
  ctx.fillRect(0, 0, 10, 10);
  ctx.strokeStyle = 'rgba(0,0,0,0.25)';
  ctx.lineWidth = 2;
  ctx.beginPath();
  ctx.moveTo(0, 10);
  ctx.lineTo(10, 0);
  ctx.stroke();
  return target.createPattern(c, 'repeat');
}
