// The fleet's state from at-least-once delivery: repeated and older copies never replace a newer state,
// malformed messages are refused with a reason and change nothing, commands' answers are handed out.

import { describe, expect, it } from 'vitest';
import { FleetState, parseFleetTopic } from '../../../daemon/fleet/fleet-state.js';
import { health, T0, tankState } from './fleet-fixtures.js';

const P = 'smart-tank';
const stateTopic = `${P}/farm-gw-01/tank/house/state`;

describe('fleet topics', () => {
  it('are parsed from the daemon contract, and anything else is not ours', () => {
    expect(parseFleetTopic(P, stateTopic)).toEqual({ kind: 'state', gateway: 'farm-gw-01', tank: 'house' });
    expect(parseFleetTopic(P, `${P}/g/status`)).toEqual({ kind: 'status', gateway: 'g' });
    expect(parseFleetTopic(P, `${P}/g/result/olivia`)).toEqual({
      kind: 'result',
      gateway: 'g',
      user: 'olivia',
    });
    expect(parseFleetTopic(P, 'fleet-hub/server-3/bridge')).toEqual({ kind: 'hub', hub: 'server-3' });
    for (const t of [
      `${P}/g/tank/house`,
      `other/g/status`,
      `${P}/g/tank/h/state/x`,
      `${P}/g/status/x`,
      `${P}/g h/status`,
    ])
      expect(parseFleetTopic(P, t), t).toBeUndefined();
  });
});

describe('FleetState', () => {
  it('keeps the newest state of a tank: a repeated or older copy is counted, not applied', () => {
    const s = new FleetState(P);
    const first = JSON.stringify(tankState({ atMs: T0, levelPct: 40 }));
    const second = JSON.stringify(tankState({ atMs: T0 + 10_000, levelPct: 42 }));
    expect(s.ingest(stateTopic, first, 1000).outcome).toBe('applied');
    expect(s.ingest(stateTopic, second, 2000).outcome).toBe('applied');
    expect(s.ingest(stateTopic, first, 3000).outcome).toBe('duplicate');
    expect(s.ingest(stateTopic, second, 4000).outcome).toBe('duplicate');
    const g = s.gateways.get('farm-gw-01')!;
    expect(g.tanks.get('house')!.state.levelPct).toBe(42);
    // A late copy is no sign of life: the gateway was last heard with its newest message.
    expect(g.lastHeardMs).toBe(2000);
    expect(s.counters).toMatchObject({ messages: 4, applied: 2, duplicates: 2 });
  });

  it('refuses malformed payloads with the field at fault, and keeps what it had', () => {
    const s = new FleetState(P);
    s.ingest(stateTopic, JSON.stringify(tankState({ levelPct: 40 })), 1000);
    const bad = [
      'not json',
      JSON.stringify({ ...tankState({ atMs: T0 + 1 }), levelPct: 'high' }),
      JSON.stringify({ ...tankState({ atMs: T0 + 1 }), time: 'yesterday' }),
      JSON.stringify({ ...tankState({ atMs: T0 + 1 }), thresholds: undefined }),
    ];
    for (const b of bad) {
      const r = s.ingest(stateTopic, b, 2000);
      expect(r.outcome, b).toBe('invalid');
    }
    expect((s.ingest(stateTopic, bad[1]!, 2000) as { problem: string }).problem).toMatch(/levelPct/);
    expect(s.gateways.get('farm-gw-01')!.tanks.get('house')!.state.levelPct).toBe(40);
    expect(s.ingest(`${P}/farm-gw-01/status`, 'maybe', 3000).outcome).toBe('invalid');
    expect(s.counters.invalid).toBe(bad.length + 2);
  });

  it('takes newer fields of a newer daemon as they are', () => {
    const s = new FleetState(P);
    s.ingest(stateTopic, JSON.stringify({ ...tankState(), futureField: { x: 1 } }), 1000);
    expect(s.gateways.get('farm-gw-01')!.tanks.get('house')!.state).toMatchObject({ futureField: { x: 1 } });
  });

  it('recognises a repeated event and hands out command answers', () => {
    const s = new FleetState(P);
    s.ingest(stateTopic, JSON.stringify(tankState()), 1000);
    const ev = JSON.stringify({
      time: new Date(T0).toISOString(),
      timeSynced: true,
      tank: 'house',
      type: 'valve',
      open: true,
    });
    const topic = `${P}/farm-gw-01/tank/house/event`;
    expect(s.ingest(topic, ev, 1000).outcome).toBe('applied');
    expect(s.ingest(topic, ev, 1100).outcome).toBe('duplicate');
    const a = s.ingest(
      `${P}/farm-gw-01/result/olivia`,
      JSON.stringify({ id: 'fleet-1', result: 'accepted' }),
      1200,
    );
    expect(a).toEqual({
      outcome: 'answer',
      gateway: 'farm-gw-01',
      user: 'olivia',
      answer: { id: 'fleet-1', result: 'accepted' },
    });
  });

  it('survives a restart through its snapshot', () => {
    const s = new FleetState(P);
    s.ingest(stateTopic, JSON.stringify(tankState()), 1000);
    s.ingest(`${P}/farm-gw-01/system`, JSON.stringify(health()), 1000);
    s.ingest(`${P}/farm-gw-01/status`, 'online', 1000);
    s.ingest('fleet-hub/server-1/bridge', '1', 1000);
    const copy = new FleetState(P);
    copy.restore(JSON.parse(JSON.stringify(s.toSnapshot())));
    expect(copy.toSnapshot()).toEqual(s.toSnapshot());
    // and a state it had is still the newest: its repeat is a duplicate
    expect(copy.ingest(stateTopic, JSON.stringify(tankState()), 2000).outcome).toBe('duplicate');
  });
});
