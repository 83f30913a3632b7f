// The fleet page's decisions, as plain functions (no DOM, no imports: unit-tested by vitest): which
// rows a filter and a search keep, in which order, in which groups.

/** @typedef {import('./fleet-types.js').TankRow} TankRow */
/** @typedef {import('./fleet-types.js').Filter} Filter */
/** @typedef {import('./fleet-types.js').Grouping} Grouping */
/** @typedef {import('./fleet-types.js').SortKey} SortKey */

/** @type {Record<string, number>} */
const FLAG_RANK = { offline: 0, fault: 1, low: 2, stale: 3 };

/** @param {TankRow} t */
export function rank(t) {
  return Math.min(4, ...t.flags.map((f) => FLAG_RANK[f] ?? 4));
}

/**
 * @param {TankRow[]} rows
 * @param {Filter} filter
 * @param {string} search  words matched against gateway, tank, name, server and site
 */
export function filterRows(rows, filter, search) {
  const words = search.toLowerCase().split(/\s+/).filter(Boolean);
  return rows.filter((t) => {
    if (filter === 'attention' && t.flags.length === 0) return false;
    if (filter !== 'attention' && filter !== 'all' && !t.flags.includes(filter)) return false;
    if (words.length === 0) return true;
    const text = `${t.gateway} ${t.tank} ${t.name} server ${t.server ?? ''} ${t.site ?? ''}`.toLowerCase();
    return words.every((w) => text.includes(w));
  });
}

/**
 * @param {TankRow} a
 * @param {TankRow} b
 */
const byName = (a, b) => a.gateway.localeCompare(b.gateway) || a.tank.localeCompare(b.tank);

/** @type {Record<SortKey, (a: TankRow, b: TankRow) => number>} */
const COMPARE = {
  attention: (a, b) => rank(a) - rank(b) || (a.levelPct ?? -1) - (b.levelPct ?? -1) || byName(a, b),
  gateway: byName,
  server: (a, b) => (a.server ?? 99) - (b.server ?? 99) || byName(a, b),
  site: (a, b) => (a.site ?? '').localeCompare(b.site ?? '') || byName(a, b),
  // Unknown levels first: a tank whose level nobody knows needs a look as much as an empty one.
  level: (a, b) => (a.levelPct ?? -1) - (b.levelPct ?? -1) || byName(a, b),
  status: (a, b) => a.status.localeCompare(b.status) || byName(a, b),
  updated: (a, b) => a.receivedAtMs - b.receivedAtMs || byName(a, b),
};

/**
 * @param {TankRow[]} rows
 * @param {SortKey} key
 * @param {'asc'|'desc'} direction
 */
export function sortRows(rows, key, direction) {
  const c = COMPARE[key];
  const sorted = [...rows].sort(c);
  return direction === 'desc' ? sorted.reverse() : sorted;
}

/**
 * Groups in their first row's order (so the groups follow the sort).
 * @param {TankRow[]} rows
 * @param {Grouping} grouping
 * @returns {{key: string, server: number|null, site: string|null, rows: TankRow[]}[]}
 */
export function groupRows(rows, grouping) {
  if (grouping === 'none') return [{ key: 'all', server: null, site: null, rows }];
  /** @type {Map<string, {key: string, server: number|null, site: string|null, rows: TankRow[]}>} */
  const groups = new Map();
  for (const t of rows) {
    const key = grouping === 'server' ? `${t.site ?? ''}#${t.server ?? ''}` : (t.site ?? '');
    let g = groups.get(key);
    if (!g) {
      g = { key, server: grouping === 'server' ? t.server : null, site: t.site, rows: [] };
      groups.set(key, g);
    }
    g.rows.push(t);
  }
  return [...groups.values()];
}

/**
 * Counts of flags in some rows.
 * @param {TankRow[]} rows
 */
export function flagCounts(rows) {
  const c = { offline: 0, fault: 0, low: 0, stale: 0 };
  for (const t of rows) for (const f of t.flags) c[f]++;
  return c;
}
