// Shared pieces of the page: the `html` template tag (htm bound to Preact, no build step), icons drawn
// inline (no icon font, no download), and a modal dialog.

import { h } from 'preact';
import { useEffect, useRef } from 'preact/hooks';
import htm from 'htm';
import { t } from './strings.js';

export const html = htm.bind(h);

/** @type {Record<string, string>} SVG path data, 24x24 */
const ICONS = {
  tank: 'M5 4h14v16a1 1 0 0 1-1 1H6a1 1 0 0 1-1-1zM5 11h14',
  trend: 'M3 17l6-6 4 4 8-8M15 7h6v6',
  bell: 'M6 16V11a6 6 0 0 1 12 0v5l2 2H4zM10 20a2 2 0 0 0 4 0',
  gateway: 'M4 5h16v6H4zM4 13h16v6H4zM8 8h.01M8 16h.01',
  up: 'M12 19V5M6 11l6-6 6 6',
  check: 'M5 12l5 5 9-10',
  warning: 'M12 3l10 18H2zM12 10v5M12 18h.01',
  refresh: 'M20 11a8 8 0 1 0-2.3 5.7M20 5v6h-6',
  pause: 'M8 5v14M16 5v14',
  logout: 'M15 4h4v16h-4M10 8l-4 4 4 4M6 12h11',
  close: 'M6 6l12 12M18 6L6 18',
  minus: 'M5 12h14',
  plus: 'M12 5v14M5 12h14',
  hand: 'M8 13V5a1.5 1.5 0 0 1 3 0v6M11 11V4a1.5 1.5 0 0 1 3 0v7M14 11V5a1.5 1.5 0 0 1 3 0v8a7 7 0 0 1-12 4l-2.5-4a1.5 1.5 0 0 1 2.5-1.6L8 13',
  drop: 'M12 3c4 5 6 8 6 11a6 6 0 0 1-12 0c0-3 2-6 6-11z',
};

/**
 * @param {{name: string, label?: string}} props
 */
export function Icon({ name, label }) {
  return html`<svg
    class="icon"
    viewBox="0 0 24 24"
    width="24"
    height="24"
    aria-hidden=${label ? undefined : 'true'}
    role=${label ? 'img' : undefined}
    aria-label=${label}
    focusable="false"
  >
    <path
      d=${ICONS[name] ?? ''}
      fill="none"
      stroke="currentColor"
      stroke-width="2.2"
      stroke-linecap="round"
      stroke-linejoin="round"
    />
  </svg>`;
}

/**
 * A modal dialog (the platform's <dialog>: focus kept inside, Escape closes it).
 * @param {{title: string, open: boolean, onClose: () => void, children?: any, id: string}} props
 */
export function Dialog({ title, open, onClose, children, id }) {
  /** @type {{current: HTMLDialogElement|null}} */
  const ref = useRef(null);
  useEffect(() => {
    const d = ref.current;
    if (!d) return;
    if (open && !d.open) d.showModal();
    if (!open && d.open) d.close();
  }, [open]);
  return html`<dialog
    ref=${ref}
    class="sheet"
    aria-labelledby=${`${id}-title`}
    onClose=${onClose}
    onCancel=${onClose}
  >
    <div class="sheet-head">
      <h2 id=${`${id}-title`}>${title}</h2>
      <button type="button" class="icon-button" onClick=${onClose} aria-label=${t.close}>
        <${Icon} name="close" />
      </button>
    </div>
    ${open ? children : null}
  </dialog>`;
}

/**
 * Re-renders every `ms` (relative times such as "3 min ago").
 * @param {number} ms
 * @param {() => void} tick
 */
export function useInterval(ms, tick) {
  useEffect(() => {
    const id = setInterval(tick, ms);
    return () => clearInterval(id);
  }, [ms]);
}
