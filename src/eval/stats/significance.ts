import { InvalidOptionError } from "../../errors.js";
import { checkArray, checkFields, describeValue } from "../../options.js";
import { createPrng } from "./prng.js";
import { studentTQuantile, studentTTwoSided } from "./student_t.js";

// Paired tests over per-query scores, as IR papers (and ranx, trectools) compare two systems on the same queries.
// Every function takes the two systems' per-query values in the same query order, `a` the system tested and `b`
// the baseline, and works on the differences a − b (scipy's `ttest_rel(a, b)` convention).

/** Differences this close to 0 count as ties (two rankings of equal quality can differ by a rounding error). */
export const TIE_TOLERANCE = 1e-12;

/** @default 10_000 */
export const DEFAULT_PERMUTATIONS = 10_000;
/** @default 10_000 */
export const DEFAULT_BOOTSTRAP_SAMPLES = 10_000;
/** The most bootstrap resamples: their means are held in memory (80 MB at this count). */
export const MAX_BOOTSTRAP_SAMPLES = 10_000_000;

/**
 * Whether `alpha` can be a significance level: strictly between 0 and 1, and with the interval's level 1 − α below
 * 1 in floating point (an α under about 1.1e-16, such as 1e-17, makes 1 − α exactly 1).
 */
export function isSignificanceLevel(alpha: unknown): alpha is number {
  return typeof alpha === "number" && alpha > 0 && alpha < 1 && 1 - alpha < 1;
}
/** @default 20 */
export const DEFAULT_MAX_EXACT_QUERIES = 20;
/** @default 42 */
export const DEFAULT_SEED = 42;

/** The differences a − b, checked: equal lengths, finite numbers. */
export function pairedDifferences(a: readonly number[], b: readonly number[], owner = "pairedDifferences"): number[] {
  if (!Array.isArray(a) || !Array.isArray(b)) throw new InvalidOptionError(`${owner}: expected two arrays of per-query values.`);
  if (a.length !== b.length) {
    throw new InvalidOptionError(
      `${owner}: the two systems have ${a.length} and ${b.length} values; pair them query by query (same queries, same order).`,
    );
  }
  return a.map((x, i) => {
    const y = b[i];
    if (typeof x !== "number" || !Number.isFinite(x) || typeof y !== "number" || !Number.isFinite(y)) {
      throw new InvalidOptionError(
        `${owner}: value ${i} is ${describeValue(x)} against ${describeValue(y)}; every per-query value must be a finite number.`,
      );
    }
    return x - y;
  });
}

const mean = (xs: readonly number[]) => xs.reduce((s, x) => s + x, 0) / xs.length;

/** Sample standard deviation (n − 1 in the denominator); 0 for fewer than two values. */
export function sampleStandardDeviation(xs: readonly number[]): number {
  if (xs.length < 2) return 0;
  const m = mean(xs);
  return Math.sqrt(xs.reduce((s, x) => s + (x - m) ** 2, 0) / (xs.length - 1));
}

export interface TTestResult {
  /** t = mean(d) / (sd(d) / √n). 0 when the runs do not differ or only one query is compared; ±Infinity when every difference is the same non-zero value. */
  statistic: number;
  /** n − 1 (0 for one query). */
  df: number;
  /** Two-sided. 1 when the runs do not differ or only one query is compared (scipy gives NaN there). */
  pValue: number;
}

/** The two-sided paired t-test of a against b: equals `scipy.stats.ttest_rel(a, b)` where scipy's is defined. */
export function pairedTTest(a: readonly number[], b: readonly number[]): TTestResult {
  const d = pairedDifferences(a, b, "pairedTTest");
  const n = d.length;
  if (n < 2) return { statistic: 0, df: Math.max(n - 1, 0), pValue: 1 };
  const m = mean(d);
  const variance = d.reduce((s, x) => s + (x - m) ** 2, 0) / (n - 1);
  if (variance === 0) {
    // No spread: identical runs give no evidence (p = 1); a constant shift is certain (scipy: t = ±inf, p = 0).
    return m === 0 ? { statistic: 0, df: n - 1, pValue: 1 } : { statistic: m > 0 ? Infinity : -Infinity, df: n - 1, pValue: 0 };
  }
  const statistic = m / Math.sqrt(variance / n);
  return { statistic, df: n - 1, pValue: studentTTwoSided(statistic, n - 1) };
}

export interface PermutationTestOptions {
  /** Sign flips drawn when the test is not exact. @default 10_000 */
  permutations?: number;
  /** Enumerate all 2^n sign flips when at most this many queries differ. @default 20 */
  maxExactQueries?: number;
  /** Seed of the sampled flips. @default 42 */
  seed?: number;
}

export interface PermutationTestResult {
  /** Two-sided: the share of sign flips whose |sum of differences| reaches the observed one (see `exact`). */
  pValue: number;
  /**
   * True: all 2^n sign flips of the n non-tied differences were enumerated and p = (flips reaching it) / 2^n.
   * False: `permutations` flips were drawn and p = (b + 1)/(m + 1), b the draws reaching it (never 0).
   */
  exact: boolean;
  /** 2^n when exact (1 when nothing differs), else the flips drawn. */
  permutations: number;
}

/** A count option: undefined for its default, else a safe integer in [min, max]. */
export function checkCount(owner: string, name: string, value: unknown, fallback: number, min = 1, max = Number.MAX_SAFE_INTEGER): number {
  if (value === undefined) return fallback;
  if (typeof value !== "number" || !Number.isSafeInteger(value) || value < min || value > max) {
    const range = max === Number.MAX_SAFE_INTEGER ? `≥ ${min}` : `from ${min} to ${max.toLocaleString("en-US")}`;
    throw new InvalidOptionError(`${owner}: \`${name}\` must be an integer ${range}, got ${describeValue(value)}.`);
  }
  return value;
}

/**
 * Fisher's randomisation test, paired: under "no difference" each query's difference is as likely to have either
 * sign, so the observed |Σ d| is compared with the |Σ ±d| of every (exact) or of sampled (seeded) sign flips.
 * Tied queries (|d| ≤ 1e-12) cannot change the sum and are left out of the enumeration.
 */
export function permutationTest(a: readonly number[], b: readonly number[], options: PermutationTestOptions = {}): PermutationTestResult {
  const owner = "permutationTest";
  const permutations = checkCount(owner, "permutations", options.permutations, DEFAULT_PERMUTATIONS);
  const maxExact = checkCount(owner, "maxExactQueries", options.maxExactQueries, DEFAULT_MAX_EXACT_QUERIES, 0);
  const seed = checkCount(owner, "seed", options.seed, DEFAULT_SEED, 0);
  if (maxExact > 30) throw new InvalidOptionError(`${owner}: \`maxExactQueries\` above 30 would enumerate over 2^30 flips; sample instead.`);
  const d = pairedDifferences(a, b, owner).filter((x) => Math.abs(x) > TIE_TOLERANCE);
  const n = d.length;
  if (n === 0) return { pValue: 1, exact: true, permutations: 1 };
  const absolute = d.map(Math.abs);
  // Sums within a relative 1e-9 of the observed one are the same sum (rounding), so they count as reaching it.
  const target = Math.abs(d.reduce((s, x) => s + x, 0)) - 1e-9 * absolute.reduce((s, x) => s + x, 0);
  if (n <= maxExact) {
    // remaining[i] = Σ_{j ≥ i} |d_j|: prunes subtrees that all reach, or all miss, the target.
    const remaining = new Array<number>(n + 1).fill(0);
    for (let i = n - 1; i >= 0; i--) remaining[i] = (remaining[i + 1] as number) + (absolute[i] as number);
    const count = (i: number, sum: number): number => {
      const rest = remaining[i] as number;
      if (Math.abs(sum) - rest >= target) return 2 ** (n - i);
      if (Math.abs(sum) + rest < target) return 0;
      const x = d[i] as number;
      return count(i + 1, sum + x) + count(i + 1, sum - x);
    };
    // The statistic is symmetric in the sign of the whole vector: fix the first sign, double the count.
    const reaching = 2 * count(1, d[0] as number);
    return { pValue: reaching / 2 ** n, exact: true, permutations: 2 ** n };
  }
  const random = createPrng(seed);
  let reaching = 0;
  for (let p = 0; p < permutations; p++) {
    let sum = 0;
    for (let i = 0; i < n; i++) sum += random() < 0.5 ? (d[i] as number) : -(d[i] as number);
    if (Math.abs(sum) >= target) reaching += 1;
  }
  return { pValue: (reaching + 1) / (permutations + 1), exact: false, permutations };
}

export interface BootstrapOptions {
  /** Resamples of the queries. @default 10_000 */
  samples?: number;
  /** Coverage of the interval. @default 0.95 */
  level?: number;
  /**
   * Seed of the resampling, so the interval is reproducible.
   * @default 42
   */
  seed?: number;
}

export interface BootstrapInterval {
  lower: number;
  upper: number;
  level: number;
  samples: number;
}

/**
 * A paired percentile bootstrap interval for the mean difference: `samples` times, draw the queries with
 * replacement (seeded), take the mean of their differences; the interval spans the (1 − level)/2 and
 * (1 + level)/2 quantiles of those means (linear interpolation between order statistics, numpy's default).
 */
export function bootstrapInterval(a: readonly number[], b: readonly number[], options: BootstrapOptions = {}): BootstrapInterval {
  const owner = "bootstrapInterval";
  const samples = checkCount(owner, "samples", options.samples, DEFAULT_BOOTSTRAP_SAMPLES, 2, MAX_BOOTSTRAP_SAMPLES);
  const seed = checkCount(owner, "seed", options.seed, DEFAULT_SEED, 0);
  const level = options.level ?? 0.95;
  if (typeof level !== "number" || !(level > 0 && level < 1)) {
    throw new InvalidOptionError(`${owner}: \`level\` must lie strictly between 0 and 1 (0.95 for a 95% interval), got ${describeValue(level)}.`);
  }
  const d = pairedDifferences(a, b, owner);
  const n = d.length;
  if (n === 0) throw new InvalidOptionError(`${owner}: no queries to resample.`);
  const random = createPrng(seed);
  const means = new Float64Array(samples);
  for (let s = 0; s < samples; s++) {
    let sum = 0;
    for (let i = 0; i < n; i++) sum += d[Math.floor(random() * n)] as number;
    means[s] = sum / n;
  }
  means.sort();
  const quantile = (q: number) => {
    const h = (samples - 1) * q;
    const lo = Math.floor(h);
    const hi = Math.min(lo + 1, samples - 1);
    return (means[lo] as number) + (h - lo) * ((means[hi] as number) - (means[lo] as number));
  };
  return { lower: quantile((1 - level) / 2), upper: quantile((1 + level) / 2), level, samples };
}

/**
 * Holm–Bonferroni adjusted p-values, in the order given: sorted ascending, the i-th smallest (from 0) becomes
 * max over j ≤ i of min(1, (m − j) · p_(j)). Rejecting where adjusted p < α controls the family-wise error at α.
 */
export function holmBonferroni(pValues: readonly number[]): number[] {
  checkArray("holmBonferroni", "pValues", pValues, "p-values");
  const m = pValues.length;
  for (const p of pValues) {
    if (typeof p !== "number" || !(p >= 0 && p <= 1))
      throw new InvalidOptionError(`holmBonferroni: every p-value must lie in [0, 1], got ${describeValue(p)}.`);
  }
  const order = pValues.map((p, i) => [p, i] as const).sort((x, y) => x[0] - y[0] || x[1] - y[1]);
  const adjusted = new Array<number>(m);
  let running = 0;
  order.forEach(([p, i], rank) => {
    running = Math.max(running, Math.min(1, (m - rank) * p));
    adjusted[i] = running;
  });
  return adjusted;
}

/** Queries where a beats b, ties (|a − b| ≤ 1e-12) and losses. */
export function winsTiesLosses(a: readonly number[], b: readonly number[]): { wins: number; ties: number; losses: number } {
  const d = pairedDifferences(a, b, "winsTiesLosses");
  const wins = d.filter((x) => x > TIE_TOLERANCE).length;
  const losses = d.filter((x) => x < -TIE_TOLERANCE).length;
  return { wins, ties: d.length - wins - losses, losses };
}

export interface QueriesNeededOptions {
  /** Standard deviation of the per-query differences (from a pilot comparison: `sdDifference`). */
  sd: number;
  /** The mean difference to detect. */
  difference: number;
  /** Two-sided level of the paired t-test. @default 0.05 */
  alpha?: number;
  /** Probability of detecting the difference when it is real. @default 0.8 */
  power?: number;
}

/**
 * Queries a golden set needs for a two-sided paired t-test at `alpha` to detect a mean difference with probability
 * `power`: the smallest n with n ≥ ((t_{1−α/2, n−1} + t_{power, n−1}) · sd / difference)², the usual
 * approximation of the paired t-test's power (the normal-theory n = ((z_{1−α/2} + z_{power}) · sd / δ)², with t
 * quantiles for small n).
 */
export function queriesNeeded(options: QueriesNeededOptions): number {
  options = checkFields("queriesNeeded", options, "{ sd: 0.2, difference: 0.02 }", "queriesNeeded({ sd: 0.2, difference: 0.02 })");
  const { sd, difference } = options;
  const alpha = options.alpha ?? 0.05;
  const power = options.power ?? 0.8;
  if (!(sd >= 0) || !Number.isFinite(sd))
    throw new InvalidOptionError(`queriesNeeded: \`sd\` must be a finite number ≥ 0, got ${describeValue(sd)}.`);
  if (!(Math.abs(difference) > 0) || !Number.isFinite(difference)) {
    throw new InvalidOptionError(`queriesNeeded: \`difference\` must be a finite non-zero number, got ${describeValue(difference)}.`);
  }
  if (!(alpha > 0 && alpha < 1)) throw new InvalidOptionError(`queriesNeeded: \`alpha\` must lie in (0, 1), got ${describeValue(alpha)}.`);
  if (!(power > 0 && power < 1)) throw new InvalidOptionError(`queriesNeeded: \`power\` must lie in (0, 1), got ${describeValue(power)}.`);
  if (sd === 0) return 2;
  const effect = sd / Math.abs(difference);
  const needed = (n: number) => Math.ceil(((studentTQuantile(1 - alpha / 2, n - 1) + studentTQuantile(power, n - 1)) * effect) ** 2);
  // n − needed(n) grows with n: double until it is ≥ 0, then bisect for the smallest such n.
  let hi = 2;
  while (hi < needed(hi)) hi *= 2;
  let lo = hi === 2 ? 1 : hi / 2; // lo fails (or is below 2), hi passes
  while (hi - lo > 1) {
    const mid = Math.floor((lo + hi) / 2);
    if (mid >= needed(mid)) hi = mid;
    else lo = mid;
  }
  return hi;
}
