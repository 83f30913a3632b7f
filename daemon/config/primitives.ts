// Value types shared by the parts of the config schema.

import { z } from 'zod';

export const pct = z.number().min(0).max(100);
export const positiveMm = z.number().positive();
export const seconds = z.number().min(0);
export const bcmPin = z.number().int().min(0).max(27);
export const hhmm = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'must be a time of day as HH:MM (24 h)');
export const id = z
  .string()
  .regex(/^[a-z0-9][a-z0-9_-]{0,31}$/, 'must be 1-32 characters: lower-case letters, digits, - or _');
