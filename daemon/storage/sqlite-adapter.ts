// Adapter for the native better-sqlite3 addon, loaded only when the telemetry store opens (so tests of
// everything else never load it).

import { createRequire } from 'node:module';
import type BetterSqlite3 from 'better-sqlite3';

export type Database = BetterSqlite3.Database;

export function openDatabase(file: string): Database {
  const require = createRequire(import.meta.url);
  const Sqlite = require('better-sqlite3') as typeof BetterSqlite3;
  return new Sqlite(file);
}
