import { describe, expect, it } from "vitest";
import { createPrng } from "../../../src/eval/stats/prng.js";
import {
  bootstrapInterval,
  holmBonferroni,
  pairedTTest,
  permutationTest,
  queriesNeeded,
  sampleStandardDeviation,
  winsTiesLosses,
} from "../../../src/eval/stats/significance.js";

// scipy.stats.ttest_rel(a, b) on these vectors (Debian's python3-scipy 1.10.1), so the suite checks the t-test
// without ../shared; significance_scipy.test.ts compares on real runs at test time.
const SCIPY_CASES: { name: string; a: number[]; b: number[]; t: number; p: number }[] = [
  { name: "small", a: [0.5, 0.7, 0.2, 0.9, 0.4, 0.6], b: [0.4, 0.5, 0.3, 0.6, 0.4, 0.2], t: 1.9639610121239315, p: 0.10674552235509217 },
  {
    name: "negative",
    a: [0.1, 0.25, 0.3, 0.05, 0.6, 0.2, 0.15],
    b: [0.3, 0.2, 0.45, 0.25, 0.55, 0.5, 0.2],
    t: -2.247805947796066,
    p: 0.0656388512825877,
  },
  { name: "two queries", a: [1, 0.5], b: [0, 0.25], t: 1.6666666666666667, p: 0.3440417392452613 },
  {
    name: "strong",
    a: [0.9, 0.8, 0.85, 0.95, 0.7, 0.88, 0.91, 0.79, 0.83, 0.86],
    b: [0.5, 0.45, 0.6, 0.52, 0.48, 0.55, 0.41, 0.5, 0.47, 0.53],
    t: 13.115096153915026,
    p: 3.5998448769645034e-7,
  },
];

/** Fisher's randomisation p by brute force: every one of the 2^n sign vectors, ties included. */
function enumerate(d: number[]): number {
  const observed = Math.abs(d.reduce((s, x) => s + x, 0));
  let reaching = 0;
  for (let mask = 0; mask < 2 ** d.length; mask++) {
    const sum = d.reduce((s, x, i) => s + (mask & (1 << i) ? -x : x), 0);
    if (Math.abs(sum) >= observed - 1e-9) reaching += 1;
  }
  return reaching / 2 ** d.length;
}

const zeros = (n: number) => new Array<number>(n).fill(0);

describe("paired t-test", () => {
  it.each(SCIPY_CASES)("equals scipy.stats.ttest_rel on fixed vectors: $name", ({ a, b, t, p }) => {
    const result = pairedTTest(a, b);
    expect(Math.abs(result.statistic - t)).toBeLessThanOrEqual(1e-9 * Math.abs(t));
    expect(Math.abs(result.pValue - p)).toBeLessThanOrEqual(1e-9);
    expect(result.df).toBe(a.length - 1);
  });

  it("gives p = 1 (no NaN) for identical runs and for one query; a constant shift gives t = ±∞, p = 0 as scipy", () => {
    expect(pairedTTest([0.3, 0.5, 0.1], [0.3, 0.5, 0.1])).toEqual({ statistic: 0, df: 2, pValue: 1 });
    expect(pairedTTest([0.9], [0.1])).toEqual({ statistic: 0, df: 0, pValue: 1 });
    expect(pairedTTest([], [])).toEqual({ statistic: 0, df: 0, pValue: 1 });
    expect(pairedTTest([0.5, 0.75, 1], [0.25, 0.5, 0.75])).toEqual({ statistic: Infinity, df: 2, pValue: 0 });
    expect(pairedTTest([0.25, 0.5], [0.5, 0.75]).statistic).toBe(-Infinity);
  });

  it("rejects unpaired or non-finite input, naming the fix", () => {
    expect(() => pairedTTest([1, 2], [1])).toThrow(/2 and 1 values; pair them query by query/);
    expect(() => pairedTTest([1, Number.NaN], [1, 2])).toThrow(/value 1 is the number NaN against the number 2/);
  });
});

describe("randomisation (permutation) test", () => {
  it("is exact by enumeration on a case worked by hand: d = 0.1, 0.2, 0.3 → 2 of 8 sign vectors reach |0.6|", () => {
    expect(permutationTest([0.1, 0.2, 0.3], zeros(3))).toEqual({ pValue: 0.25, exact: true, permutations: 8 });
  });

  it("equals a brute-force enumeration of all 2^n sign flips, ties and repeated values included", () => {
    const random = createPrng(7);
    for (let n = 1; n <= 12; n++) {
      for (let trial = 0; trial < 5; trial++) {
        // Multiples of 1/10 with zeros, so that many sums tie exactly with the observed one.
        const d = Array.from({ length: n }, () => Math.round((random() - 0.4) * 10) / 10);
        const result = permutationTest(d, zeros(n));
        expect(result.exact).toBe(true);
        expect(result.pValue).toBe(enumerate(d));
      }
    }
  });

  it("sampled agrees with exact within its Monte Carlo error, and reruns with a seed agree", () => {
    const random = createPrng(11);
    const d = Array.from({ length: 16 }, () => random() - 0.35);
    const exact = permutationTest(d, zeros(16));
    expect(exact).toMatchObject({ exact: true, permutations: 2 ** 16 });
    const m = 20_000;
    const sampled = permutationTest(d, zeros(16), { maxExactQueries: 10, permutations: m, seed: 3 });
    expect(sampled.exact).toBe(false);
    expect(sampled.permutations).toBe(m);
    const se = Math.sqrt((exact.pValue * (1 - exact.pValue)) / m);
    expect(Math.abs(sampled.pValue - exact.pValue)).toBeLessThan(4 * se + 1 / m);
    expect(permutationTest(d, zeros(16), { maxExactQueries: 10, permutations: m, seed: 3 })).toEqual(sampled);
    expect(permutationTest(d, zeros(16), { maxExactQueries: 10, permutations: m, seed: 4 }).pValue).not.toBe(sampled.pValue);
  });

  it("sampled p is (b + 1)/(m + 1): never 0, even for a shift no flip reaches", () => {
    const d = new Array<number>(40).fill(0.1);
    expect(permutationTest(d, zeros(40), { permutations: 999 }).pValue).toBe(1 / 1000);
  });

  it("identical runs, all ties and one query give p = 1", () => {
    expect(permutationTest([0.2, 0.4], [0.2, 0.4])).toEqual({ pValue: 1, exact: true, permutations: 1 });
    expect(permutationTest([0.7], [0.2])).toEqual({ pValue: 1, exact: true, permutations: 2 });
    expect(permutationTest(new Array(50).fill(0.5), new Array(50).fill(0.5))).toEqual({ pValue: 1, exact: true, permutations: 1 });
  });

  it("rejects a bad option", () => {
    expect(() => permutationTest([1], [0], { permutations: 0 })).toThrow(/`permutations` must be an integer ≥ 1/);
    expect(() => permutationTest([1], [0], { maxExactQueries: 40 })).toThrow(/above 30/);
  });
});

describe("paired bootstrap interval", () => {
  it("is reproducible with a seed, brackets the mean difference and narrows with more queries", () => {
    const random = createPrng(5);
    const a = Array.from({ length: 60 }, () => random());
    const b = a.map((x) => x - 0.05 + (random() - 0.5) * 0.2);
    const interval = bootstrapInterval(a, b, { samples: 2000 });
    expect(bootstrapInterval(a, b, { samples: 2000 })).toEqual(interval);
    const mean = a.reduce((s, x, i) => s + x - (b[i] as number), 0) / a.length;
    expect(interval.lower).toBeLessThan(mean);
    expect(interval.upper).toBeGreaterThan(mean);
    // The percentile interval is close to the normal one: mean ± 1.96 · sd/√n.
    const se = sampleStandardDeviation(a.map((x, i) => x - (b[i] as number))) / Math.sqrt(a.length);
    expect(interval.upper - interval.lower).toBeGreaterThan(2 * 1.96 * se * 0.85);
    expect(interval.upper - interval.lower).toBeLessThan(2 * 1.96 * se * 1.15);
    expect(interval).toMatchObject({ level: 0.95, samples: 2000 });
  });

  it("collapses to the difference for one query or identical runs", () => {
    expect(bootstrapInterval([0.8], [0.3], { samples: 50 })).toMatchObject({ lower: 0.5, upper: 0.5 });
    expect(bootstrapInterval([0.1, 0.2], [0.1, 0.2], { samples: 50 })).toMatchObject({ lower: 0, upper: 0 });
    expect(() => bootstrapInterval([], [])).toThrow(/no queries to resample/);
    expect(() => bootstrapInterval([1], [0], { level: 95 })).toThrow(/`level` must lie strictly between 0 and 1/);
  });
});

describe("Holm–Bonferroni, wins/ties/losses, queries needed", () => {
  it("adjusts p-values step-down, monotone, capped at 1, in the order given", () => {
    // Sorted 0.01, 0.02, 0.03, 0.5 → 4·0.01, max(0.04, 3·0.02), max(0.06, 2·0.03), max(0.06, 1·0.5).
    const adjusted = holmBonferroni([0.03, 0.5, 0.01, 0.02]);
    expect(adjusted.map((p) => Number(p.toFixed(12)))).toEqual([0.06, 0.5, 0.04, 0.06]);
    expect(holmBonferroni([0.4, 0.6])).toEqual([0.8, 0.8]);
    expect(holmBonferroni([])).toEqual([]);
    expect(() => holmBonferroni([1.2])).toThrow(/must lie in \[0, 1\]/);
  });

  it("counts wins, ties (within rounding) and losses", () => {
    expect(winsTiesLosses([0.5, 0.3, 0.1 + 0.2, 0], [0.4, 0.3, 0.3, 1])).toEqual({ wins: 1, ties: 2, losses: 1 });
  });

  it("sizes a golden set from the paired standard deviation: n ≥ ((t_{1−α/2} + t_power) · sd/δ)²", () => {
    // sd = δ/2: t quantiles at n = 5 (df 4: 2.776 + 0.941 = 3.717; 3.717²/4 = 3.45 ≤ 5) but not at n = 4 (4.33 > 4).
    expect(queriesNeeded({ sd: 0.05, difference: 0.1 })).toBe(5);
    // Large n: the normal formula ((1.96 + 0.8416) · 0.2/0.03)² = 348.8, a little more with t quantiles.
    const n = queriesNeeded({ sd: 0.2, difference: -0.03 });
    expect(n).toBeGreaterThanOrEqual(349);
    expect(n).toBeLessThanOrEqual(352);
    expect(queriesNeeded({ sd: 0.2, difference: 0.03, power: 0.9 })).toBeGreaterThan(n);
    expect(() => queriesNeeded({ sd: 0.1, difference: 0 })).toThrow(/`difference` must be a finite non-zero number/);
  });

  it("the generator is seeded: the same seed gives the same sequence, in [0, 1)", () => {
    const a = createPrng(1);
    const b = createPrng(1);
    const xs = Array.from({ length: 1000 }, () => a());
    expect(Array.from({ length: 1000 }, () => b())).toEqual(xs);
    expect(Math.min(...xs)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...xs)).toBeLessThan(1);
    expect(xs.reduce((s, x) => s + x, 0) / xs.length).toBeCloseTo(0.5, 1);
    expect(() => createPrng(-1)).toThrow(/non-negative integer/);
  });
});
