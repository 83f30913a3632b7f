// Schema issues turned into what a person can act on: a wrong type says what was expected and what was
// found ("expected a number, found the text "2000mm""), an unknown key suggests the key meant ("did you
// mean diameterMm?"), a YAML syntax error says the line and, for the usual mistakes, what to do.

import type * as z from './zod.js';

const TYPE_NAMES: Record<string, string> = {
  number: 'a number',
  string: 'text',
  boolean: 'true or false',
  array: 'a list',
  object: 'a map of keys',
  int: 'a whole number',
};

/** How a YAML value reads to a person: `the text "2000mm"`, `the number 123`, `true`, `a list`. */
export function describeValue(v: unknown): string {
  if (v === null) return 'nothing (null)';
  if (Array.isArray(v)) return 'a list';
  switch (typeof v) {
    case 'string':
      return `the text "${v.length > 40 ? `${v.slice(0, 40)}…` : v}"`;
    case 'number':
      return `the number ${v}`;
    case 'boolean':
      return String(v);
    case 'object':
      return 'a map of keys';
    default:
      return typeof v;
  }
}

/** The message for a wrong type: "is required" when missing, else expected vs found, with a hint. */
export function wrongTypeText(expected: string, input: unknown): string {
  if (input === undefined) return 'is required';
  const want = TYPE_NAMES[expected] ?? expected;
  let hint = '';
  if (expected === 'number' && typeof input === 'string' && /^\s*-?\d/.test(input))
    hint = ' (write the number alone: the unit is in the key name, e.g. heightMm: 2000)';
  if (expected === 'boolean' && typeof input === 'string')
    hint = ' (write true or false; yes/no/on/off are text in YAML 1.2)';
  if (expected === 'string' && typeof input === 'number') hint = ' (put it in quotes)';
  return `expected ${want}, found ${describeValue(input)}${hint}`;
}

type Schema = z.core.$ZodType;
interface Def {
  type: string;
  shape?: Record<string, Schema>;
  element?: Schema;
  innerType?: Schema;
  options?: Schema[];
  in?: Schema;
  out?: Schema;
}

/** The keys the schema allows at `path` (all alternatives of unions together). */
export function allowedKeysAt(schema: Schema, path: readonly PropertyKey[]): string[] {
  const keys = new Set<string>();
  const walk = (s: Schema, rest: readonly PropertyKey[]) => {
    const def = (s as unknown as { _zod: { def: Def } })._zod.def;
    switch (def.type) {
      case 'object':
        if (rest.length === 0) for (const k of Object.keys(def.shape ?? {})) keys.add(k);
        else if (typeof rest[0] === 'string' && def.shape?.[rest[0]])
          walk(def.shape[rest[0]]!, rest.slice(1));
        return;
      case 'array':
        if (typeof rest[0] === 'number' && def.element) walk(def.element, rest.slice(1));
        return;
      case 'union':
        for (const o of def.options ?? []) walk(o, rest);
        return;
      case 'pipe':
        if (def.in) walk(def.in, rest);
        return;
      default:
        if (def.innerType) walk(def.innerType, rest);
    }
  };
  walk(schema, path);
  return [...keys];
}

/** The allowed key closest to the unknown one, when it is close enough to be a typo. */
export function didYouMean(unknown: string, allowed: readonly string[]): string | undefined {
  let best: { key: string; d: number } | undefined;
  for (const key of allowed) {
    const d = distance(unknown.toLowerCase(), key.toLowerCase());
    if (!best || d < best.d) best = { key, d };
  }
  if (!best) return undefined;
  return best.d <= Math.max(1, Math.floor(best.key.length / 3)) ? best.key : undefined;
}

function distance(a: string, b: string): number {
  const prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let diag = prev[0]!;
    prev[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const up = prev[j]!;
      prev[j] = Math.min(prev[j]! + 1, prev[j - 1]! + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
      diag = up;
    }
  }
  return prev[b.length]!;
}

/** What to do about the usual YAML mistakes, by the yaml library's error code. */
export const YAML_HINTS: Record<string, string> = {
  TAB_AS_INDENT: 'indent with spaces, not tabs',
  BAD_INDENT: 'the indentation does not line up with the keys around it',
  DUPLICATE_KEY: 'a key is written twice in the same block: keep one',
  MISSING_CHAR: 'a bracket or quote is not closed',
  BLOCK_AS_IMPLICIT_KEY: 'a key is missing its colon, or a value is indented under another value',
  UNEXPECTED_TOKEN: 'check the quotes and the colons on this line',
};
