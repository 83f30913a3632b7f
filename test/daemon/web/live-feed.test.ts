import { describe, expect, it } from 'vitest';
import { LiveFeed, parseEventId } from '../../../daemon/web/live-feed.js';
import type { SystemHealth, TankStatePayload } from '../../../daemon/telemetry/topics.js';

const state = (tank: string, levelPct: number) => ({ tank, levelPct }) as unknown as TankStatePayload;

describe('the live feed', () => {
  it('a tab without an id gets a snapshot of every tank and the health', () => {
    const feed = new LiveFeed(8, 'boot1');
    feed.publishState(state('house', 50));
    feed.publishState(state('farm', 40));
    feed.publishState(state('house', 51));
    feed.publishSystem({ gateway: 'g' } as SystemHealth);
    const r = feed.resume(undefined);
    expect(r).toEqual({
      snapshot: { id: 'boot1.4', tanks: [state('house', 51), state('farm', 40)], system: { gateway: 'g' } },
    });
  });

  it('a tab that reconnects gets exactly what it missed, in order', () => {
    const feed = new LiveFeed(8, 'boot1');
    for (let i = 0; i < 5; i++) feed.publishState(state('house', i));
    const r = feed.resume('boot1.2');
    expect('entries' in r && r.entries.map((e) => [e.id, e.kind, JSON.parse(e.data).levelPct])).toEqual([
      ['boot1.3', 'state', 2],
      ['boot1.4', 'state', 3],
      ['boot1.5', 'state', 4],
    ]);
    expect(feed.resume('boot1.5')).toEqual({ entries: [] });
  });

  it('a gap longer than the ring, another boot or a future id gets a snapshot', () => {
    const feed = new LiveFeed(4, 'boot1');
    for (let i = 0; i < 10; i++) feed.publishState(state('house', i));
    expect('entries' in feed.resume('boot1.6')).toBe(true);
    expect('snapshot' in feed.resume('boot1.5')).toBe(true);
    expect('snapshot' in feed.resume('boot0.9')).toBe(true);
    expect('snapshot' in feed.resume('boot1.99')).toBe(true);
    expect('snapshot' in feed.resume('garbage')).toBe(true);
  });

  it('listeners get every entry as it is published, until they unsubscribe', () => {
    const feed = new LiveFeed(4, 'b');
    const seen: string[] = [];
    const off = feed.subscribe((e) => seen.push(`${e.kind}:${e.id}`));
    feed.publishState(state('house', 1));
    feed.publishEvent({ tank: 'house' } as never);
    off();
    feed.publishState(state('house', 2));
    expect(seen).toEqual(['state:b.1', 'event:b.2']);
  });

  it('parses event ids strictly', () => {
    expect(parseEventId('abc_-1.42')).toEqual({ bootId: 'abc_-1', seq: 42 });
    for (const bad of ['', '42', 'a.b', 'a.1.2', 'a'.repeat(40) + '.1', 'a.-1'])
      expect(parseEventId(bad)).toBeUndefined();
  });
});
