// Admin controls: every button on the page becomes a command on the same checked path as MQTT (schema,
// role, signature policy, freshness, unique id, the controller's safety rules, audit), and the page is
// told the answer, including a refusal and its reason. The page makes the command's id, so a retry over
// a weak link (same id) gets the first answer again instead of acting twice.

import type { CommandOrigin, CommandResult } from '../../commands/command-service.js';
import { mayCommand } from '../../security/roles.js';
import { json, problem, type Route } from '../http.js';

export interface CommandRouteDeps {
  submitCommand(origin: CommandOrigin, payload: Buffer): Promise<CommandResult | undefined>;
  tankIds: readonly string[];
  /** Wall-clock ms: the gateway stamps the command as it takes it (a phone's clock may be wrong). */
  now: () => number;
}

/** Answers are kept this long for retries with the same id. */
export const ANSWER_KEPT_MS = 5 * 60_000;
const MAX_KEPT_ANSWERS = 500;
/** Fields the page may send; the gateway adds tank and ts itself. */
const RESERVED_FIELDS = ['tank', 'ts'];

export function commandRoutes(deps: CommandRouteDeps): Route[] {
  const answers = new Map<string, { at: number; status: number; result: CommandResult }>();
  const remember = (key: string, status: number, result: CommandResult) => {
    const now = deps.now();
    answers.set(key, { at: now, status, result });
    if (answers.size > MAX_KEPT_ANSWERS)
      for (const [k, a] of answers)
        if (now - a.at > ANSWER_KEPT_MS || answers.size > MAX_KEPT_ANSWERS) answers.delete(k);
  };

  return [
    {
      method: 'POST',
      path: '/api/tanks/:tank/command',
      access: 'session',
      handler: async (req) => {
        const s = req.session!;
        const tank = req.params.tank!;
        if (!deps.tankIds.includes(tank)) return problem(404, 'tank', `No tank "${tank}".`);
        const body = req.body;
        if (!body || typeof body !== 'object' || Array.isArray(body))
          return problem(400, 'malformed', 'The command must be a JSON object.');
        const fields = body as Record<string, unknown>;
        const reserved = RESERVED_FIELDS.find((f) => f in fields);
        if (reserved) return problem(400, 'malformed', `${reserved}: set by the gateway, not the page`);
        const key = `${s.user.user}\u0000${typeof fields.id === 'string' ? fields.id : ''}`;
        const kept = answers.get(key);
        if (kept && deps.now() - kept.at <= ANSWER_KEPT_MS) return json(kept.status, kept.result);

        const payload = { ...fields, tank, ts: deps.now() };
        const origin: CommandOrigin = {
          user: s.user.user,
          from: `${req.address} (dashboard)`,
          retained: false,
        };
        const result = await deps.submitCommand(origin, Buffer.from(JSON.stringify(payload)));
        if (!result)
          return problem(429, 'rate', 'Too many commands in a minute from this user: wait a moment.');
        const status =
          result.result === 'accepted'
            ? 200
            : !mayCommand(s.user)
              ? 403
              : result.reason?.startsWith('malformed')
                ? 400
                : 409;
        if (result.id) remember(key, status, result);
        return json(status, result);
      },
    },
  ];
}
