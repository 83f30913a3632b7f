// GET /metrics for Prometheus: readable with the metrics token (Authorization: Bearer, the scraper's
// way) or by a logged-in user of an allowed role (a person in a browser). Never by anyone else.

import { createHash, timingSafeEqual } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type { Role } from '../../security/roles.js';
import { header, problem, text, type Route } from '../http.js';
import { METRICS_CONTENT_TYPE } from '../metrics.js';

export interface MetricsRouteDeps {
  render(): string;
  roles: readonly Role[];
  tokenFile: string | undefined;
}

export function metricsRoutes(deps: MetricsRouteDeps): Route[] {
  let token: { stamp: string; digest: Buffer } | undefined;
  const expectedDigest = async (): Promise<Buffer | undefined> => {
    if (!deps.tokenFile) return undefined;
    // Read each time it may have changed (a rotated token works without a restart); tiny file.
    const content = (await readFile(deps.tokenFile, 'utf8').catch(() => '')).trim();
    if (content.length < 16) return undefined;
    if (token?.stamp !== content) token = { stamp: content, digest: digest(content) };
    return token.digest;
  };

  return [
    {
      method: 'GET',
      path: '/metrics',
      access: 'custom',
      handler: async (req) => {
        const auth = header(req, 'authorization');
        const bearer = auth && /^Bearer\s+(\S+)$/i.exec(auth)?.[1];
        let allowed = false;
        if (bearer) {
          const expected = await expectedDigest();
          allowed = expected !== undefined && timingSafeEqual(expected, digest(bearer));
          if (!allowed) return problem(401, 'token', 'Wrong metrics token.');
        } else if (req.session) {
          allowed = deps.roles.includes(req.session.user.role);
          if (!allowed) return problem(403, 'forbidden', 'Your role may not read the metrics.');
        }
        if (!allowed)
          return {
            status: 401,
            headers: { 'www-authenticate': 'Bearer realm="smart-tank metrics"', 'cache-control': 'no-store' },
            body: 'Metrics need the token (Authorization: Bearer) or a login.\n',
          };
        return text(200, deps.render(), METRICS_CONTENT_TYPE);
      },
    },
  ];
}

function digest(s: string): Buffer {
  return createHash('sha256').update(s).digest();
}
