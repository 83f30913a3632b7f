// Building a command from a Node-RED message: pure. The result is checked against the daemon's own
// command schema before anything is sent, so a malformed command is an error in the flow (naming the
// field), not a round trip; it is signed (HMAC-SHA256, daemon/security/hmac.ts) when a key is set.

import { randomBytes } from 'node:crypto';
import { commandSchema, signCommand, type CommandMessage } from './contract.js';
import type { NodeMessage } from './red.js';

export const COMMAND_ACTIONS = ['valve', 'pump', 'mode', 'thresholds', 'reset-alarms', 'msg'] as const;
/** `msg`: msg.payload is the whole command (action and its fields). */
export type CommandAction = (typeof COMMAND_ACTIONS)[number];

export interface CommandSettings {
  /** Default tank (msg.tank overrides). */
  tank: string;
  action: CommandAction;
  /** How long a manual valve/pump/mode lasts, when the message does not say. */
  minutes?: number;
}

export interface CommandClock {
  nowMs(): number;
  newId(): string;
}

export const systemCommandClock: CommandClock = {
  nowMs: () => Date.now(),
  // 8-64 characters of [A-Za-z0-9_.:-]: the daemon's id rule.
  newId: () => `nr-${Date.now().toString(36)}-${randomBytes(6).toString('hex')}`,
};

export type Built = { ok: true; command: CommandMessage } | { ok: false; error: string };

type Fields = Record<string, unknown>;

function isFields(v: unknown): v is Fields {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** The action's own fields from msg.payload (a boolean or string for the simple cases). */
function actionFields(settings: CommandSettings, payload: unknown): Fields | string {
  const { action } = settings;
  switch (action) {
    case 'valve':
      if (typeof payload === 'boolean') return { open: payload };
      if (isFields(payload)) return payload;
      return 'valve: msg.payload must be true (open), false (close) or {open, minutes}';
    case 'pump':
      if (typeof payload === 'boolean') return { on: payload };
      if (isFields(payload)) return payload;
      return 'pump: msg.payload must be true (on), false (off) or {on, minutes}';
    case 'mode':
      if (payload === 'auto' || payload === 'manual') return { mode: payload };
      if (isFields(payload)) return payload;
      return 'mode: msg.payload must be "auto", "manual" or {mode, minutes}';
    case 'thresholds':
      if (isFields(payload)) return payload;
      return 'thresholds: msg.payload must be {lowPct, highPct}';
    case 'reset-alarms':
      return {};
    case 'msg':
      if (isFields(payload) && typeof payload.action === 'string') return payload;
      return 'msg.payload must be a command object with an action (valve, pump, mode, thresholds, reset-alarms)';
  }
}

function takesMinutes(fields: Fields): boolean {
  return (
    fields.action === 'valve' ||
    fields.action === 'pump' ||
    (fields.action === 'mode' && fields.mode === 'manual')
  );
}

export function buildCommand(
  settings: CommandSettings,
  msg: NodeMessage,
  clock: CommandClock,
  hmacKey?: Buffer,
): Built {
  const fields = actionFields(settings, msg.payload);
  if (typeof fields === 'string') return { ok: false, error: fields };
  const tank = typeof msg.tank === 'string' && msg.tank ? msg.tank : settings.tank;
  if (!tank) return { ok: false, error: 'no tank: set one in the node or in msg.tank' };
  const command: Fields = {
    id: clock.newId(),
    ts: clock.nowMs(),
    tank,
    ...(settings.action === 'msg' ? {} : { action: settings.action }),
    ...fields,
  };
  delete command.sig;
  if (command.minutes === undefined && settings.minutes !== undefined && takesMinutes(command))
    command.minutes = settings.minutes;
  const parsed = commandSchema.safeParse(command);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const where =
      issue.code === 'unrecognized_keys'
        ? `${issue.keys.join(', ')}: unknown field`
        : issue.path.map(String).join('.');
    return {
      ok: false,
      error: `not a valid command: ${where}${issue.code === 'unrecognized_keys' ? '' : `: ${issue.message}`}`,
    };
  }
  const built = parsed.data;
  if (hmacKey) built.sig = signCommand(built as unknown as Record<string, unknown>, hmacKey);
  return { ok: true, command: built };
}
