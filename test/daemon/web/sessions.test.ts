import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { silentLogger } from '../../../daemon/log.js';
import { csrfTokenFor, csrfTokenMatches, hashToken, SessionStore } from '../../../daemon/web/sessions.js';
import { tempDir } from '../../helpers/daemon.js';

const MIN = 60_000;
const DAY = 24 * 60 * MIN;

function store(file?: string, start = Date.UTC(2026, 5, 1)) {
  let now = start;
  const s = new SessionStore({
    file,
    policy: { idleMs: 60 * MIN, absoluteMs: 2 * DAY, maxPerUser: 3 },
    now: () => now,
    log: silentLogger,
  });
  return { s, advance: (ms: number) => (now += ms), set: (ms: number) => (now = ms) };
}

describe('dashboard sessions', () => {
  it('a new session resolves by its token; an unknown or overlong token does not', () => {
    const { s } = store();
    const { token, record } = s.create('alice', '10.0.0.2');
    expect(token).toMatch(/^[\w-]{43}$/);
    expect(s.resolve(token)).toBe(record);
    expect(s.resolve('x'.repeat(43))).toBeUndefined();
    expect(s.resolve('a'.repeat(500))).toBeUndefined();
    expect(s.resolve(undefined)).toBeUndefined();
  });

  it('ends after the idle time, and after the absolute time even when in use', () => {
    const { s, advance } = store();
    const idle = s.create('alice', 'a').token;
    const busy = s.create('vic', 'b').token;
    advance(59 * MIN);
    expect(s.resolve(busy)).toBeDefined();
    advance(2 * MIN);
    expect(s.resolve(idle)).toBeUndefined();
    for (let i = 0; i < 48; i++) {
      expect(s.resolve(busy), `hour ${i}`).toBeDefined();
      advance(59 * MIN);
    }
    expect(s.resolve(busy)).toBeUndefined();
  });

  it('keeps at most maxPerUser sessions per user (the least recently used goes)', () => {
    const { s, advance } = store();
    const tokens = [0, 1, 2].map(() => {
      advance(1000);
      return s.create('alice', 'a').token;
    });
    advance(1000);
    s.resolve(tokens[0]);
    s.create('alice', 'a');
    expect(s.resolve(tokens[0])).toBeDefined();
    expect(s.resolve(tokens[1])).toBeUndefined();
    expect(s.resolve(tokens[2])).toBeDefined();
  });

  it('ends the sessions of a removed user', () => {
    const { s } = store();
    const a = s.create('alice', 'a').token;
    const v = s.create('vic', 'b').token;
    s.retain((u) => u === 'vic');
    expect(s.resolve(a)).toBeUndefined();
    expect(s.resolve(v)).toBeDefined();
  });

  it('survives a restart through its file, which holds no usable token', async () => {
    const file = join(tempDir('sessions-'), 'web-sessions.json');
    const first = store(file);
    const { token } = first.s.create('alice', '10.0.0.2');
    await first.s.flush();
    const text = readFileSync(file, 'utf8');
    expect(text).not.toContain(token);
    expect(text).toContain(hashToken(token));
    const second = store(file);
    await second.s.load();
    expect(second.s.resolve(token)?.user).toBe('alice');
    const logout = second.s.destroy(token);
    expect(logout?.user).toBe('alice');
    await second.s.flush();
    const third = store(file);
    await third.s.load();
    expect(third.s.resolve(token)).toBeUndefined();
  });

  it('a clock that went back does not end the sessions (they count from now)', async () => {
    const file = join(tempDir('sessions-'), 'web-sessions.json');
    const first = store(file, Date.UTC(2026, 5, 2));
    const { token } = first.s.create('alice', 'a');
    await first.s.flush();
    const second = store(file, Date.UTC(2026, 5, 1));
    await second.s.load();
    expect(second.s.resolve(token)).toBeDefined();
    second.advance(61 * MIN);
    expect(second.s.resolve(token)).toBeUndefined();
  });

  it('a damaged file costs a login, nothing more', async () => {
    const dir = tempDir('sessions-');
    const file = join(dir, 'web-sessions.json');
    const { writeFileSync } = await import('node:fs');
    writeFileSync(file, '{not json');
    const { s } = store(file);
    await s.load();
    expect(s.size).toBe(0);
  });

  it('writes activity alone at most every 10 minutes', async () => {
    const file = join(tempDir('sessions-'), 'web-sessions.json');
    const { s, advance } = store(file);
    const { token } = s.create('alice', 'a');
    await s.flush();
    const written = () =>
      (JSON.parse(readFileSync(file, 'utf8')) as { sessions: { lastSeenMs: number }[] }).sessions[0]!
        .lastSeenMs;
    const first = written();
    advance(MIN);
    s.resolve(token);
    await new Promise((r) => setTimeout(r, 50));
    expect(written()).toBe(first);
    advance(10 * MIN);
    s.resolve(token);
    await new Promise((r) => setTimeout(r, 50));
    expect(written()).toBeGreaterThan(first);
  });

  it('derives a CSRF token per session: it fits its own session only', () => {
    const { s } = store();
    const a = s.create('alice', 'a').token;
    const b = s.create('alice', 'a').token;
    expect(csrfTokenMatches(a, csrfTokenFor(a))).toBe(true);
    expect(csrfTokenMatches(a, csrfTokenFor(b))).toBe(false);
    expect(csrfTokenMatches(a, undefined)).toBe(false);
    expect(csrfTokenMatches(a, '')).toBe(false);
  });
});
