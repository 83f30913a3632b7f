// The listeners with real sockets on loopback: security headers on every answer, no page for a client
// outside the allowed networks, bounded bodies; and the listener rules as a pure decision.

import { afterEach, describe, expect, it } from 'vitest';
import { webSchema } from '../../../daemon/config/web-schema.js';
import { silentLogger } from '../../../daemon/log.js';
import { json } from '../../../daemon/web/http.js';
import { AddressSet, listenHostProblem, normalizeAddress } from '../../../daemon/web/networks.js';
import { listenDecision, WebServer } from '../../../daemon/web/server.js';
import { http } from '../../helpers/dashboard.js';

const servers: WebServer[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) await s.stop();
});

async function serve(web: Record<string, unknown>) {
  const seen: unknown[] = [];
  const server = new WebServer({
    web: webSchema.parse({ listen: [{ host: '127.0.0.1', port: 0 }], ...web }),
    app: async (req) => {
      seen.push(req.body);
      return json(200, { path: req.path, address: req.address });
    },
    users: { userCount: 0, refresh: async () => {} },
    log: silentLogger,
  });
  servers.push(server);
  await server.start();
  return { url: `http://127.0.0.1:${server.listening[0]!.port}`, seen };
}

describe('dashboard server', () => {
  it('sends the security headers: CSP without inline script, no framing, no sniffing, no referrer', async () => {
    const { url } = await serve({});
    const r = await http(`${url}/x%20y`);
    expect(r.status).toBe(200);
    expect(JSON.parse(r.body)).toEqual({ path: '/x y', address: '127.0.0.1' });
    expect(r.headers['content-security-policy']).toMatch(/default-src 'none'; script-src 'self';/);
    expect(r.headers['content-security-policy']).toMatch(/frame-ancestors 'none'/);
    expect(r.headers['content-security-policy']).not.toMatch(/unsafe-inline|unsafe-eval/);
    expect(r.headers['x-frame-options']).toBe('DENY');
    expect(r.headers['x-content-type-options']).toBe('nosniff');
    expect(r.headers['referrer-policy']).toBe('no-referrer');
  });

  it('a client outside the allowed networks gets no page', async () => {
    const { url, seen } = await serve({ allowClients: ['10.0.0.0/8'] });
    const r = await http(`${url}/`);
    expect(r).toMatchObject({ status: 403, body: 'Forbidden\n' });
    expect(seen).toHaveLength(0);
  });

  it('parses JSON bodies, refuses bad JSON (400) and bodies over 16 KB (413)', async () => {
    const { url, seen } = await serve({});
    const post = (body: string) =>
      http(`${url}/p`, { method: 'POST', headers: { 'content-type': 'application/json' }, body }).catch(
        (err: Error) => ({ status: -1, body: err.message }),
      );
    expect((await post('{"a":1}')).status).toBe(200);
    expect(seen).toEqual([{ a: 1 }]);
    expect((await post('{"a":')).status).toBe(400);
    const big = await post(JSON.stringify({ a: 'x'.repeat(20_000) }));
    expect([413, -1]).toContain(big.status);
    expect(seen).toHaveLength(1);
  });

  it('opens loopback always, anything else only once a user exists', () => {
    expect(listenDecision('127.0.0.1', 0)).toEqual({ open: true });
    expect(listenDecision('::1', 0)).toEqual({ open: true });
    expect(listenDecision('10.99.0.3', 0)).toMatchObject({
      open: false,
      reason: expect.stringMatching(/no user/),
    });
    expect(listenDecision('10.99.0.3', 1)).toEqual({ open: true });
  });
});

describe('dashboard networks', () => {
  it('listen addresses: loopback, LAN and tunnel ranges; never public, wildcard or a name', () => {
    for (const ok of [
      '127.0.0.1',
      'localhost',
      '10.99.0.3',
      '192.168.1.20',
      '172.20.0.1',
      '100.64.3.3',
      'fd00::3',
      '::1',
    ])
      expect(listenHostProblem(ok), ok).toBeUndefined();
    expect(listenHostProblem('203.0.113.9')).toMatch(/public \(WAN\) address/);
    expect(listenHostProblem('0.0.0.0')).toMatch(/wildcard/);
    expect(listenHostProblem('::')).toMatch(/wildcard/);
    expect(listenHostProblem('tank.example')).toMatch(/not a name/);
  });

  it('client ranges match IPv4-mapped IPv6 addresses as IPv4', () => {
    const set = new AddressSet(['10.0.0.0/8', 'fd00::/8']);
    expect(set.has('::ffff:10.1.2.3')).toBe(true);
    expect(set.has('10.1.2.3')).toBe(true);
    expect(set.has('fd12::1')).toBe(true);
    expect(set.has('11.0.0.1')).toBe(false);
    expect(set.has('not an address')).toBe(false);
    expect(normalizeAddress('fe80::1%eth0')).toBe('fe80::1');
    expect(() => new AddressSet(['10.0.0.0/33'])).toThrow(/prefix length/);
  });

  it('the config refuses a WAN listen address and a bad client range, naming the key', () => {
    const r = webSchema.safeParse({ listen: [{ host: '8.8.8.8' }], allowClients: ['10.0.0.0/99'] });
    expect(r.success).toBe(false);
    const paths = r.error!.issues.map((i) => i.path.join('.'));
    expect(paths).toEqual(['listen.0.host', 'allowClients.0']);
  });
});
