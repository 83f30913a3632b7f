import { describe, expect, it } from 'vitest';
import { Debounced, median, plausible, RatioWindow, smooth, Window } from '../../../daemon/level/filters.js';

describe('filters', () => {
  it('median of odd and even windows, input untouched', () => {
    const values = [5, 1, 9, 3, 7];
    expect(median(values)).toBe(5);
    expect(values).toEqual([5, 1, 9, 3, 7]);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([42])).toBe(42);
  });

  it('smoothing follows its time constant independent of the sample rate', () => {
    // After one time constant, 63.2% of a step, whether sampled every second or every ten.
    let a: number | undefined = 0;
    for (let i = 0; i < 100; i++) a = smooth(a, 100, 1000, 100);
    let b: number | undefined = 0;
    for (let i = 0; i < 10; i++) b = smooth(b, 100, 10_000, 100);
    expect(a).toBeCloseTo(63.2, 0);
    expect(b).toBeCloseTo(63.2, 0);
    expect(smooth(undefined, 7, 1000, 100)).toBe(7);
  });

  it('plausibility: a jump beyond the threshold is a spike unless enough time passed for water to get there', () => {
    expect(plausible(undefined, 5000, 0, 100, 60)).toBe(true);
    expect(plausible(1000, 1090, 2000, 100, 60)).toBe(true);
    expect(plausible(1000, 1400, 2000, 100, 60)).toBe(false);
    // Five silent minutes at up to 60 mm/min: 300 mm more is possible.
    expect(plausible(1000, 1400, 300_000, 100, 60)).toBe(true);
    expect(plausible(1000, 1500, 300_000, 100, 60)).toBe(false);
  });

  it('window, ratio window and debounce', () => {
    const w = new Window(3);
    [1, 2, 3, 4].forEach((x) => w.push(x));
    expect(w.items).toEqual([2, 3, 4]);
    const r = new RatioWindow(4);
    [true, false, false, false, false].forEach((x) => r.push(x));
    expect(r.ratio).toBe(0);
    r.push(true);
    expect(r.ratio).toBe(0.25);
    const d = new Debounced(3);
    expect(d.push(true)).toBe(true);
    expect(d.push(false)).toBe(true);
    expect(d.push(false)).toBe(true);
    expect(d.push(true)).toBe(true);
    expect(d.push(false)).toBe(true);
    expect(d.push(false)).toBe(true);
    expect(d.push(false)).toBe(false);
  });
});
