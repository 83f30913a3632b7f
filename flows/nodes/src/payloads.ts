// Parsing the gateway's telemetry payloads into the daemon's own types. The field tables are typed
// against the contract: a field added to or removed from TankStatePayload or SystemHealth in the daemon
// is a compile error here until the table follows.

import type {
  CommandResult,
  ControlEvent,
  GatewayStatus,
  SystemHealth,
  TankEventPayload,
  TankStatePayload,
} from './contract.js';

type Check = (v: unknown) => boolean;
interface Field {
  check: Check;
  /** What the check wants, for the error message. */
  want: string;
  optional?: boolean;
}

const isString: Check = (v) => typeof v === 'string';
const isNumber: Check = (v) => typeof v === 'number' && Number.isFinite(v);
const isBoolean: Check = (v) => typeof v === 'boolean';
const orNull =
  (check: Check): Check =>
  (v) =>
    v === null || check(v);
const oneOf =
  (...values: unknown[]): Check =>
  (v) =>
    values.includes(v);
const isStringArray: Check = (v) => Array.isArray(v) && v.every(isString);
const isObject: Check = (v) => typeof v === 'object' && v !== null && !Array.isArray(v);

const str: Field = { check: isString, want: 'a string' };
const num: Field = { check: isNumber, want: 'a number' };
const numOrNull: Field = { check: orNull(isNumber), want: 'a number or null' };
const bool: Field = { check: isBoolean, want: 'true or false' };
const optional = (f: Field): Field => ({ ...f, optional: true });

const TANK_STATE_FIELDS: { [K in keyof Required<TankStatePayload>]: Field } = {
  time: str,
  timeSynced: bool,
  tank: str,
  name: optional(str),
  levelPct: numOrNull,
  litres: numOrNull,
  capacityLitres: num,
  displayPct: numOrNull,
  quality: str,
  // Newer fields (the dashboard's): optional on the wire.
  problem: optional(str),
  lastGoodTime: optional(str),
  valve: { check: oneOf('open', 'closed'), want: '"open" or "closed"' },
  pump: { check: oneOf('on', 'off', null), want: '"on", "off" or null' },
  mode: { check: oneOf('auto', 'manual'), want: '"auto" or "manual"' },
  status: str,
  faults: { check: isStringArray, want: 'a list of strings' },
  alarms: { check: isStringArray, want: 'a list of alarm kinds' },
  // Older daemons did not send it: optional on the wire, typed all the same.
  acknowledged: optional({ check: isStringArray, want: 'a list of alarm kinds' }),
  probes: { check: isObject, want: 'an object' },
  thresholds: {
    check: (v) => isObject(v) && isNumber((v as Record<string, unknown>).lowPct),
    want: '{lowPct, highPct, source}',
  },
  netFlowLitresPerMin: numOrNull,
  minutesToFull: numOrNull,
  manualUntil: optional(str),
  holding: optional(str),
};

const SYSTEM_FIELDS: { [K in keyof Required<SystemHealth>]: Field } = {
  time: str,
  timeSynced: bool,
  gateway: str,
  uptimeS: num,
  daemonUptimeS: num,
  load1: num,
  cpuPct: num,
  memUsedPct: num,
  memAvailableMb: num,
  daemonRssMb: num,
  cpuTemperatureC: numOrNull,
  stateBytesWritten: num,
  outboxMessages: optional(num),
  audit: optional({ check: isObject, want: 'an object' }),
  vpn: optional({ check: isObject, want: 'an object' }),
};

const COMMAND_RESULT_FIELDS: { [K in keyof Required<CommandResult>]: Field } = {
  id: { check: orNull(isString), want: 'a string or null' },
  tank: optional(str),
  action: optional(str),
  result: { check: oneOf('accepted', 'refused'), want: '"accepted" or "refused"' },
  reason: optional(str),
  message: optional(str),
  time: str,
};

/** Every kind of tank event the daemon sends (compile-checked against ControlEvent['type']). */
export const TANK_EVENT_TYPES = Object.keys({
  valve: true,
  pump: true,
  alarm: true,
  mode: true,
  'fill-completed': true,
} satisfies Record<ControlEvent['type'], true>) as ControlEvent['type'][];

export type Parsed<T> = { ok: true; value: T } | { ok: false; error: string };

function parseJson(payload: Buffer | string): Parsed<Record<string, unknown>> {
  let value: unknown;
  try {
    value = JSON.parse(payload.toString());
  } catch {
    return { ok: false, error: 'not JSON' };
  }
  if (!isObject(value)) return { ok: false, error: 'not a JSON object' };
  return { ok: true, value: value as Record<string, unknown> };
}

function checkFields<T>(payload: Buffer | string, fields: Record<string, Field>, what: string): Parsed<T> {
  const parsed = parseJson(payload);
  if (!parsed.ok) return { ok: false, error: `${what}: ${parsed.error}` };
  const problems: string[] = [];
  for (const [key, field] of Object.entries(fields)) {
    const v = parsed.value[key];
    if (v === undefined && field.optional) continue;
    if (v === undefined) problems.push(`${key}: missing`);
    else if (!field.check(v)) problems.push(`${key}: expected ${field.want}`);
  }
  if (problems.length) return { ok: false, error: `${what}: ${problems.join('; ')}` };
  return { ok: true, value: parsed.value as T };
}

export function parseTankState(payload: Buffer | string): Parsed<TankStatePayload> {
  return checkFields<TankStatePayload>(payload, TANK_STATE_FIELDS, 'not a tank state');
}

export function parseSystemHealth(payload: Buffer | string): Parsed<SystemHealth> {
  return checkFields<SystemHealth>(payload, SYSTEM_FIELDS, 'not a gateway health report');
}

export function parseTankEvent(payload: Buffer | string): Parsed<TankEventPayload> {
  const parsed = checkFields<TankEventPayload>(
    payload,
    { time: str, timeSynced: bool, tank: str, type: str },
    'not a tank event',
  );
  if (!parsed.ok) return parsed;
  if (!(TANK_EVENT_TYPES as string[]).includes(parsed.value.type))
    return { ok: false, error: `not a tank event: type: unknown event type "${parsed.value.type}"` };
  return parsed;
}

export function parseGatewayStatus(payload: Buffer | string): Parsed<GatewayStatus> {
  const text = payload.toString();
  return text === 'online' || text === 'offline'
    ? { ok: true, value: text }
    : { ok: false, error: `not a gateway status: "${text.slice(0, 40)}" (want online or offline)` };
}

export function parseCommandResult(payload: Buffer | string): Parsed<CommandResult> {
  return checkFields<CommandResult>(payload, COMMAND_RESULT_FIELDS, 'not a command answer');
}
