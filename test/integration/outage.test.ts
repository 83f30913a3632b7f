// No telemetry lost: with Mosquitto stopped for a simulated day, every tank event and state change the
// daemon produced meanwhile arrives afterwards, in order, with its original timestamp. (The daemon runs
// on the simulated tank an hour per real second: a day passes in 24 s.)

import { afterAll, describe, expect, it } from 'vitest';
import { waitFor } from '../helpers/daemon.js';
import { collect, PlaneUnderTest, PREFIX } from '../helpers/mqtt-plane.js';

const SPEED = 3600;
const DAY_REAL_MS = (86_400 / SPEED) * 1000;
/** The events of the outage day must span at least this much simulated time (a redelivery spans minutes). */
const ORIGINAL_TIMES_SPREAD_MS = 6 * 3_600_000;

/** The daemon's log messages that correspond one to one to published tank events. */
function eventOfLog(l: Record<string, unknown>): string | undefined {
  const msg = String(l.msg);
  const tank = String(l.tank);
  if (msg === 'fill valve opened') return `${tank} valve open`;
  if (msg === 'fill valve closed') return `${tank} valve closed`;
  if (msg === 'pump on') return `${tank} pump on`;
  if (msg === 'pump off') return `${tank} pump off`;
  if (msg.startsWith('alarm raised: ')) return `${tank} alarm ${msg.slice(14)} on`;
  if (msg.startsWith('alarm cleared: ')) return `${tank} alarm ${msg.slice(15)} off`;
  if (msg === 'fill completed') return `${tank} fill-completed`;
  return undefined;
}

function eventOfPayload(p: Record<string, unknown>): string | undefined {
  const tank = String(p.tank);
  switch (p.type) {
    case 'valve':
      return `${tank} valve ${p.open ? 'open' : 'closed'}`;
    case 'pump':
      return `${tank} pump ${p.on ? 'on' : 'off'}`;
    case 'alarm':
      return `${tank} alarm ${String(p.alarm)} ${p.active ? 'on' : 'off'}`;
    case 'fill-completed':
      return `${tank} fill-completed`;
    default:
      return undefined;
  }
}

describe('telemetry through a broker outage', () => {
  let plane: PlaneUnderTest;
  afterAll(async () => {
    await plane?.close();
  });

  it('every event and state change of a day without the broker arrives afterwards, in order', async () => {
    plane = await new PlaneUnderTest('mosquitto', {
      speed: SPEED,
      configure: (config) => {
        const tanks = config.tanks as unknown as {
          level: { ultrasonic: Record<string, unknown>; filter?: Record<string, unknown> };
          sim: Record<string, unknown>;
        }[];
        for (const t of tanks) {
          // 20 s samples in simulated time are ~6 ms of real time at this speed.
          t.level.ultrasonic.sampleIntervalMs = 20_000;
          t.level.filter = { ...t.level.filter, staleAfterS: 150 };
        }
        // The house tank uses enough water to refill during the day.
        tanks[0]!.sim = { ...tanks[0]!.sim, initialLevelPct: 22, useLitresPerDay: 1600 };
      },
    }).start();

    // A persistent session (clean: false, QoS 1): Mosquitto keeps it across its restart and queues for it
    // whatever is published before the subscriber is back.
    const observer = {
      clientId: `outage-observer-${process.pid}`,
      clean: false,
      protocolVersion: 4 as const,
    };
    const before = await plane.client('alice', observer);
    await collect(before, `${PREFIX}/tank/#`);
    await before.endAsync();
    await plane.stopMosquitto();
    const outageStart = plane.daemon.logs.length;
    await new Promise((r) => setTimeout(r, DAY_REAL_MS));
    const outageEnd = plane.daemon.logs.length;
    const missed = plane.daemon.logs
      .slice(outageStart, outageEnd)
      .map(eventOfLog)
      .filter((e): e is string => e !== undefined);
    expect(missed.length, 'events during the outage').toBeGreaterThanOrEqual(4);
    expect(missed).toContain('house valve open');

    // The broker comes back; the observer's session was kept, so nothing it subscribed to is missed.
    await plane.startMosquitto();
    const drainedAt = plane.daemon.logs.length;
    const after = await plane.client('alice', observer);
    const received = await collect(after, `${PREFIX}/tank/#`);
    const drained = await waitFor(
      () => plane.daemon.logs.slice(Math.min(outageEnd, drainedAt)).find((l) => l.msg === 'outbox sent'),
      20_000,
      'the outbox to be sent',
    );
    expect(Number(drained.messages)).toBeGreaterThan(missed.length);
    // Give the broker a moment to deliver the last of the backlog.
    await waitFor(
      () => received.messages.length >= Number(drained.messages) || undefined,
      10_000,
      'the backlog',
    );

    const events = received.messages
      .filter((m) => m.topic.endsWith('/event'))
      .map((m) => JSON.parse(m.payload) as Record<string, unknown>);
    const sequence = events.map(eventOfPayload).filter((e): e is string => e !== undefined);
    // The day's events arrive as one unbroken run, in the order they happened.
    const start = sequence.indexOf(missed[0]!);
    expect(start, `first missed event ${missed[0]} among ${sequence.join(', ')}`).toBeGreaterThanOrEqual(0);
    expect(sequence.slice(start, start + missed.length)).toEqual(missed);
    // With their original timestamps, which only go forward. Sent again within a second of real time (an
    // hour of simulated time), they would all carry the redelivery's time: spread over hours, they are the
    // originals. (How they spread over the day depends on when the simulated tanks happen to switch.)
    const times = events.map((e) => Date.parse(String(e.time)));
    for (let i = 1; i < times.length; i++) expect(times[i]!).toBeGreaterThanOrEqual(times[i - 1]!);
    expect(times[times.length - 1]! - times[0]!).toBeGreaterThan(ORIGINAL_TIMES_SPREAD_MS);

    // Every state published during the day arrives too, in time order per tank.
    for (const tank of ['house', 'farm']) {
      const states = received.messages
        .filter((m) => m.topic === `${PREFIX}/tank/${tank}/state`)
        .map((m) => Date.parse(String((JSON.parse(m.payload) as { time: string }).time)));
      expect(states.length, `${tank} states`).toBeGreaterThan(5);
      // (Re-subscribing delivers the retained latest state once more: equal times are that copy.)
      for (let i = 1; i < states.length; i++) expect(states[i]!).toBeGreaterThanOrEqual(states[i - 1]!);
      expect(new Set(states).size).toBeGreaterThan(5);
    }
    await waitFor(
      () => plane.daemon.logs.some((l) => l.msg === 'MQTT reconnected') || undefined,
      5000,
      'reconnect',
    );
  }, 120_000);
});
