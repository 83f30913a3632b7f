// Value types shared by the parts of the config schema.

import * as z from './zod.js';

export const pct = z.number().check(z.gte(0), z.lte(100));
export const positiveMm = z.number().check(z.positive());
export const seconds = z.number().check(z.gte(0));
export const bcmPin = z.number().check(z.int(), z.gte(0), z.lte(27));
export const hhmm = z
  .string()
  .check(z.regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'must be a time of day as HH:MM (24 h)'));
export const id = z
  .string()
  .check(
    z.regex(/^[a-z0-9][a-z0-9_-]{0,31}$/, 'must be 1-32 characters: lower-case letters, digits, - or _'),
  );
