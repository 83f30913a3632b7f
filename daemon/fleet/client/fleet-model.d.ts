// Types of fleet-model.js for the server-side tests (the page itself is checked from its JSDoc).

import type { TankView, TankFlag } from '../fleet-view.js';

export type Filter = 'attention' | 'all' | TankFlag;
export type Grouping = 'server' | 'site' | 'none';
export type SortKey = 'attention' | 'gateway' | 'server' | 'site' | 'level' | 'status' | 'updated';

export function rank(t: TankView): number;
export function filterRows(rows: TankView[], filter: Filter, search: string): TankView[];
export function sortRows(rows: TankView[], key: SortKey, direction: 'asc' | 'desc'): TankView[];
export function groupRows(
  rows: TankView[],
  grouping: Grouping,
): { key: string; server: number | null; site: string | null; rows: TankView[] }[];
export function flagCounts(rows: TankView[]): Record<TankFlag, number>;
