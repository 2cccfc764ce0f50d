import { describe, expect, it, vi } from "vitest";
import { InvalidOptionError } from "../../src/errors.js";
import { MIN_INDEXABLE, QuantileSketch } from "../../src/monitor/quantile_sketch.js";

/** The value the sketch promises to approximate: rank ⌊q·(n−1)⌋ of the sorted values. */
const exact = (sorted: readonly number[], q: number) => sorted[Math.floor(q * (sorted.length - 1))]!;

// A deterministic generator (mulberry32), so a failure reproduces.
function random(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const QS = [0, 0.01, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95, 0.99, 1];

describe("QuantileSketch", () => {
  for (const [name, draw] of [
    ["latencies (log-normal, 0.1 ms to seconds)", (r: () => number) => Math.exp(4 * r() - 1 + 2 * r())],
    ["sigmoid scores (0–1, many near 0 and 1)", (r: () => number) => 1 / (1 + Math.exp(-12 * (r() - 0.5)))],
    ["raw logits (both signs, and exact zeros)", (r: () => number) => (r() < 0.05 ? 0 : 16 * r() - 8)],
  ] as const) {
    it(`every quantile of ${name} lies within α·|v| of the exact one`, () => {
      for (const alpha of [0.01, 0.05]) {
        const r = random(7);
        const sketch = new QuantileSketch({ relativeAccuracy: alpha });
        const values = Array.from({ length: 20_000 }, () => draw(r));
        for (const v of values) sketch.add(v);
        const sorted = [...values].sort((a, b) => a - b);
        for (const q of QS) {
          const truth = exact(sorted, q);
          expect(Math.abs(sketch.quantile(q) - truth)).toBeLessThanOrEqual(alpha * Math.abs(truth) + MIN_INDEXABLE);
        }
        expect(sketch.count).toBe(20_000);
        expect(sketch.min).toBe(sorted[0]);
        expect(sketch.max).toBe(sorted.at(-1));
      }
    });
  }

  it("a bucket's representative is within α of both its edges (the bound is tight, not loose)", () => {
    const alpha = 0.02;
    const gamma = (1 + alpha) / (1 - alpha);
    // The two ends of one bucket (γ^9, γ^10]: one representative serves both, within α of each (the exact extremes
    // cannot clamp it here, as both lie in the bucket).
    const low = gamma ** 9 * (1 + 1e-9);
    const high = gamma ** 10;
    const sketch = new QuantileSketch({ relativeAccuracy: alpha });
    for (const v of [low, low, high, high]) sketch.add(v);
    expect(sketch.buckets).toBe(1);
    expect(Math.abs(sketch.quantile(0.25) - low) / low).toBeLessThanOrEqual(alpha + 1e-9);
    expect(Math.abs(sketch.quantile(0.75) - high) / high).toBeLessThanOrEqual(alpha + 1e-9);
    expect(Math.abs(sketch.quantile(0.25) - low) / low).toBeGreaterThan(alpha * 0.99); // the error is α at the edge
  });

  it("memory is bounded: past maxBuckets the smallest magnitudes merge, the upper quantiles stay within α", () => {
    const sketch = new QuantileSketch({ relativeAccuracy: 0.01, maxBuckets: 64 });
    const values = Array.from({ length: 5000 }, (_, i) => 1.01 ** i);
    for (const v of values) sketch.add(v);
    expect(sketch.buckets).toBeLessThanOrEqual(64);
    const sorted = [...values].sort((a, b) => a - b);
    for (const q of [0.99, 1]) expect(Math.abs(sketch.quantile(q) - exact(sorted, q))).toBeLessThanOrEqual(0.01 * exact(sorted, q));
  });

  // Scores spanning 1e-9 to 1e300 (and their negatives) reach ~35,000 keys at α = 0.01: far past maxBuckets.
  const hostile = (r: () => number) => (r() < 0.5 ? -1 : 1) * 10 ** (309 * r() - 9);

  it("past maxBuckets, keeps exactly the buckets of merging the lowest key into the next lowest, whatever the values", () => {
    for (const maxBuckets of [2, 5, 64]) {
      const r = random(3);
      const alpha = 0.01;
      const logGamma = Math.log((1 + alpha) / (1 - alpha));
      const sketch = new QuantileSketch({ relativeAccuracy: alpha, maxBuckets });
      // The definition: a count per key, the lowest merged into the next lowest when one too many.
      const reference = { positive: new Map<number, number>(), negative: new Map<number, number>() };
      for (let i = 0; i < 5000; i++) {
        const value = hostile(r);
        sketch.add(value);
        const store = value > 0 ? reference.positive : reference.negative;
        const key = Math.ceil(Math.log(Math.abs(value)) / logGamma);
        store.set(key, (store.get(key) ?? 0) + 1);
        if (store.size > maxBuckets) {
          const [lowest, next] = [...store.keys()].sort((a, b) => a - b);
          store.set(next!, store.get(next!)! + store.get(lowest!)!);
          store.delete(lowest!);
        }
      }
      expect(sketch.buckets).toBe(reference.positive.size + reference.negative.size);
      const representative = (key: number) => (2 * Math.exp(key * logGamma)) / (1 + Math.exp(logGamma));
      const buckets = [
        ...[...reference.negative.entries()].sort((a, b) => b[0] - a[0]).map(([key, n]) => [-representative(key), n] as const),
        ...[...reference.positive.entries()].sort((a, b) => a[0] - b[0]).map(([key, n]) => [representative(key), n] as const),
      ];
      for (const q of QS) {
        const rank = Math.floor(q * (sketch.count - 1));
        let seen = 0;
        const bucket = buckets.find(([, n]) => (seen += n) > rank)!;
        expect(sketch.quantile(q)).toBe(Math.min(sketch.max, Math.max(sketch.min, bucket[0])));
      }
    }
  });

  it("an add never sorts, however far apart the values (O(log maxBuckets) per add, not a sort of every bucket)", () => {
    const sketch = new QuantileSketch({ relativeAccuracy: 0.01 });
    const r = random(9);
    const values = Array.from({ length: 20_000 }, () => hostile(r));
    const sort = vi.spyOn(Array.prototype, "sort");
    try {
      for (const v of values) sketch.add(v);
      expect(sort).not.toHaveBeenCalled();
    } finally {
      sort.mockRestore();
    }
    expect(sketch.buckets).toBeLessThanOrEqual(2 * 2048);
    const sorted = [...values].sort((a, b) => a - b);
    // The upper quantiles are in the kept buckets: within α of the exact ones.
    for (const q of [0.99, 1]) expect(Math.abs(sketch.quantile(q) - exact(sorted, q))).toBeLessThanOrEqual(0.01 * Math.abs(exact(sorted, q)));
  });

  it("is empty (NaN) before values, ignores non-finite ones, and resets", () => {
    const sketch = new QuantileSketch();
    expect(sketch.quantile(0.5)).toBeNaN();
    sketch.add(Number.NaN);
    sketch.add(Infinity);
    expect(sketch.count).toBe(0);
    sketch.add(3);
    expect(sketch.quantile(0.5)).toBe(3); // clamped to the exact extremes
    expect(sketch.quantiles([0.5, 0.99])).toEqual({ p50: 3, p99: 3 });
    sketch.reset();
    expect(sketch.count).toBe(0);
  });

  it("refuses a relative accuracy outside (0, 1) and a bucket count below 2, naming the option", () => {
    expect(() => new QuantileSketch({ relativeAccuracy: 0 })).toThrow(InvalidOptionError);
    expect(() => new QuantileSketch({ relativeAccuracy: 1.5 })).toThrow(/relativeAccuracy/);
    expect(() => new QuantileSketch({ maxBuckets: 1 })).toThrow(/maxBuckets/);
  });
});
