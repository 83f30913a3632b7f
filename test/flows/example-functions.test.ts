// The logic written into the committed flows (their function nodes), run by Node-RED's own function node
// in the test helper, exactly as committed: Calculate Percentage, the gateway's answer in the paper flow,
// the alerts (low level with hysteresis, alarms, Last Will), the rain hold-off decision, the daily report.

import { createRequire } from 'node:module';
import { afterEach, describe, expect, it } from 'vitest';
import { flowFiles, type FlowNode } from '../helpers/flow-files.js';
import { helper, record, requireNode, tankState, type Recorded } from './kit.js';

const require = createRequire(import.meta.url);
const functionNode = require('@node-red/nodes/core/function/10-function.js') as (RED: never) => void;
const nodes = new Map(flowFiles().flatMap((f) => f.nodes.map((n) => [n.id, n] as const)));

interface Loaded {
  outputs: Recorded[];
  /** Messages out of a Complete node on the function: it has finished with a message. */
  completed: Recorded;
  send(msg: Record<string, unknown>): void;
  flowContext: FlowContext;
}

/**
 * The function node `id` from the flows, alone on a tab, each output wired to a recorder, and a
 * Complete node that says when it has finished with a message (its outputs are sent by then).
 */
async function load(id: string): Promise<Loaded> {
  const node = nodes.get(id) as FlowNode & { outputs: number };
  expect(node?.type).toBe('function');
  const outs = Array.from({ length: node.outputs }, (_, i) => `out${i}`);
  const at = (i: number) => ({ z: 't', x: 100, y: 40 * (i + 1) });
  await helper.load(functionNode, [
    { id: 't', type: 'tab', label: 'test' },
    { ...node, z: 't', wires: outs.map((o) => [o]) },
    ...outs.map((o, i) => ({ id: o, type: 'helper', ...at(i), wires: [] })),
    { id: 'complete', type: 'complete', scope: [id], uncaught: false, ...at(8), wires: [['completed']] },
    { id: 'completed', type: 'helper', ...at(9), wires: [] },
  ]);
  const outputs = outs.map((o) => record(o));
  const fn = requireNode(id) as unknown as {
    receive(m: Record<string, unknown>): void;
    context(): { flow: FlowContext };
  };
  return {
    outputs,
    completed: record('completed'),
    send: (msg) => fn.receive(msg),
    flowContext: fn.context().flow,
  };
}

interface FlowContext {
  get(key: string): unknown;
  set(key: string, value: unknown): void;
}

/** A message through the function, and what came out of each output (undefined: nothing). */
async function through(f: Loaded, msg: Record<string, unknown>): Promise<unknown[]> {
  const before = f.outputs.map((o) => o.messages.length);
  const marker = `m-${Math.random()}`;
  f.send({ ...msg, marker });
  await f.completed.next((m) => m.marker === marker, 'the function to finish');
  return f.outputs.map((o, i) => o.messages[before[i]!]?.payload as unknown);
}

describe("the flows' function nodes", () => {
  afterEach(async () => {
    await helper.unload();
  });

  it('Calculate Percentage: the smoothed level, rounded, for the gauge; nothing without a usable level', async () => {
    const f = await load('paper-calc');
    expect(await through(f, { payload: tankState({ displayPct: 54.6, levelPct: 55.2 }) })).toEqual([55]);
    expect(f.outputs[0]!.messages[0]).toMatchObject({ topic: 'house', quality: 'ok' });
    expect(await through(f, { payload: tankState({ displayPct: null, levelPct: 31.4 }) })).toEqual([31]);
    expect(
      await through(f, { payload: tankState({ displayPct: null, levelPct: null, quality: 'stale' }) }),
    ).toEqual([undefined]);
  });

  it("the paper flow's answer text: accepted, refused (once, and the switch set back), not done", async () => {
    const f = await load('paper-answer');
    f.flowContext.set('valveOpen', false);
    expect(
      await through(f, {
        payload: { id: 'a', result: 'accepted', message: 'fill valve open by hand until auto resumes' },
      }),
    ).toEqual(['Accepted: fill valve open by hand until auto resumes', undefined]);
    expect(
      await through(f, {
        payload: {
          id: 'b',
          result: 'refused',
          reason: 'refused: level 82% is at or above the high threshold (80%)',
        },
      }),
    ).toEqual(['Refused: level 82% is at or above the high threshold (80%)', false]);
    expect(
      await through(f, { payload: { result: 'refused' }, error: { code: 'refused', message: 'x' } }),
    ).toEqual([undefined, undefined]);
    expect(
      await through(f, {
        payload: true,
        error: { code: 'no-answer', message: 'no answer to valve open within 10 s' },
      }),
    ).toEqual(['Not done: no answer to valve open within 10 s', false]);
  });

  it('Low level: one alert going below 20 %, one coming back at 25 %, nothing in between', async () => {
    const f = await load('alerts-low');
    const level = (pct: number) => ({
      payload: tankState({ displayPct: pct, litres: pct * 20 }),
      tank: 'house',
    });
    expect(await through(f, level(30))).toEqual([undefined]);
    expect(await through(f, level(19))).toEqual(['House greywater tank is low: 19% (380 L)']);
    expect(f.outputs[0]!.messages[0]).toMatchObject({
      topic: 'Smart tank: House greywater tank',
      severity: 'warning',
    });
    expect(await through(f, level(18))).toEqual([undefined]);
    expect(await through(f, level(23))).toEqual([undefined]);
    expect(await through(f, level(25))).toEqual(['House greywater tank is back at 25% (500 L)']);
    expect(await through(f, level(26))).toEqual([undefined]);
  });

  it("Alarm raised or cleared: the gateway's warnings and alarms, not its notices or other events", async () => {
    const f = await load('alerts-alarm');
    const base = { time: new Date().toISOString(), timeSynced: true, tank: 'farm' };
    const alarm = (active: boolean, severity: string) => ({
      payload: {
        ...base,
        type: 'alarm',
        alarm: 'leak',
        active,
        severity,
        message: 'outflow 12 L/h in quiet hours',
      },
    });
    expect(await through(f, alarm(true, 'alarm'))).toEqual(['farm: outflow 12 L/h in quiet hours']);
    expect(f.outputs[0]!.messages[0]).toMatchObject({ severity: 'alarm', topic: 'Smart tank: farm' });
    expect(await through(f, alarm(false, 'alarm'))).toEqual(['farm: leak cleared']);
    expect(await through(f, alarm(true, 'info'))).toEqual([undefined]);
    expect(
      await through(f, {
        payload: { ...base, type: 'valve', open: true, reason: 'below low', safety: false },
      }),
    ).toEqual([undefined]);
  });

  it('Gateway offline: the Last Will alerts once, coming back alerts once', async () => {
    const f = await load('alerts-offline');
    const status = (payload: string) => ({ topic: 'smart-tank/farm-gw-01/status', payload });
    expect(await through(f, status('online'))).toEqual([undefined]);
    expect(await through(f, status('offline'))).toEqual(['Gateway farm-gw-01 is offline']);
    expect(await through(f, status('offline'))).toEqual([undefined]);
    expect(await through(f, status('online'))).toEqual(['Gateway farm-gw-01 is back online']);
  });

  it('Hold off refilling?: rain lowers the thresholds, a dry forecast restores them, no repeats', async () => {
    const f = await load('rain-decide');
    const forecast = (rainMm: number) => ({ topic: 'forecast', payload: { rainMm, hours: 24 } });
    f.flowContext.set('thresholds', { lowPct: 15, highPct: 80 });
    expect(await through(f, forecast(12))).toEqual([{ lowPct: 10, highPct: 40 }]);
    expect(await through(f, forecast(2))).toEqual([undefined]);
    f.flowContext.set('thresholds', { lowPct: 10, highPct: 40 });
    expect(await through(f, forecast(8))).toEqual([undefined]);
    expect(await through(f, forecast(0))).toEqual([{ lowPct: 15, highPct: 80 }]);
  });

  it('the daily report: used = start - now + filled from mains, per tank, then a new day', async () => {
    const track = await load('daily-track');
    const state = (litres: number, levelPct: number) => ({
      tank: 'house',
      payload: tankState({ litres, levelPct }),
    });
    await through(track, state(1000, 50));
    await through(track, state(900, 45));
    await through(track, {
      tank: 'house',
      event: 'fill-completed',
      payload: { type: 'fill-completed', litres: 100, minutes: 9 },
    });
    await through(track, state(950, 47.5));
    const days = track.flowContext.get('days');
    await helper.unload();

    const report = await load('daily-report');
    report.flowContext.set('days', days);
    const [table, rows] = await through(report, { payload: Date.now() });
    const row = {
      date: new Date().toLocaleDateString('en-CA'),
      tank: 'house',
      name: 'House greywater tank',
      usedLitres: 150,
      filledLitres: 100,
      lowestPct: 45,
      highestPct: 50,
      levelPct: '45-50',
    };
    expect(rows).toEqual([expect.objectContaining(row)]);
    expect(table).toEqual([expect.objectContaining(row)]);
    // The next day starts where this one ended.
    expect(report.flowContext.get('days')).toMatchObject({ house: { startLitres: 950, filledLitres: 0 } });
  });
});
