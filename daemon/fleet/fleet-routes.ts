// The fleet page's own API (the login, live stream, static files and /metrics are the dashboard's
// routes): the whole fleet view, and a command to one tank of one gateway, sent as the logged-in
// operator through the gateway's checked command path. Admins only; the gateway decides anyway.

import type { AuditEntry } from '../security/audit-log.js';
import { json, problem, type Route } from '../web/http.js';
import type { CommandSender, SendOutcome } from './command-sender.js';
import type { FleetView } from './fleet-view.js';

export interface FleetRouteDeps {
  view(): FleetView;
  sender: Pick<CommandSender, 'send'>;
  /** Gateways the fleet knows (a command to another is refused here, before it travels). */
  knows(gateway: string): boolean;
  audit(entry: AuditEntry): void;
}

const GATEWAY_ID = /^[a-z0-9][a-z0-9_-]{0,31}$/;

export function fleetRoutes(deps: FleetRouteDeps): Route[] {
  return [
    {
      method: 'GET',
      path: '/api/fleet',
      access: 'session',
      handler: () => json(200, deps.view()),
    },
    {
      method: 'POST',
      path: '/api/fleet/gateways/:gateway/command',
      access: 'session',
      handler: async (req) => {
        const s = req.session!;
        const gateway = req.params.gateway!;
        const body = (req.body ?? {}) as Record<string, unknown>;
        const what = `fleet command to ${gateway}: ${String(body.action)} ${String(body.tank)}`;
        if (s.user.role !== 'admin') {
          deps.audit({
            kind: 'command',
            who: s.user.user,
            from: req.address,
            what,
            result: 'refused: not an admin',
          });
          return problem(403, 'forbidden', 'Only a fleet admin may command a tank.');
        }
        if (!GATEWAY_ID.test(gateway) || !deps.knows(gateway))
          return problem(404, 'no-gateway', `The fleet knows no gateway ${gateway}.`);
        if (typeof body !== 'object' || Array.isArray(body))
          return problem(400, 'body', 'The command must be a JSON object.');
        const outcome: SendOutcome = await deps.sender.send(s.user.user, gateway, body);
        deps.audit({
          kind: 'command',
          who: s.user.user,
          from: req.address,
          what,
          result: !outcome.sent
            ? `not sent: ${outcome.problem}`
            : outcome.answer
              ? `${outcome.answer.result}${outcome.answer.reason ? `: ${outcome.answer.reason}` : ''}`
              : 'no answer',
          ...(outcome.sent && outcome.answer ? { detail: { id: outcome.answer.id } } : {}),
        });
        if (!outcome.sent)
          return json(400, {
            error: 'invalid',
            message: outcome.problem,
            ...(outcome.field ? { field: outcome.field } : {}),
          });
        if (!outcome.answer) return json(504, { error: 'no-answer', message: outcome.problem });
        return json(200, outcome.answer);
      },
    },
  ];
}
