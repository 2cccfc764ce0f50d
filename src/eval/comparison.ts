import { InvalidOptionError } from "../errors.js";
import type { EvaluationResult } from "./evaluate.js";
import { type Qrels, type Run, type RunEntry, evaluateRun, parseMetrics, trecOrder } from "./stats/metrics.js";
import {
  DEFAULT_BOOTSTRAP_SAMPLES,
  DEFAULT_MAX_EXACT_QUERIES,
  DEFAULT_PERMUTATIONS,
  DEFAULT_SEED,
  type BootstrapInterval,
  type PermutationTestResult,
  type TTestResult,
  bootstrapInterval,
  holmBonferroni,
  pairedTTest,
  permutationTest,
  sampleStandardDeviation,
  winsTiesLosses,
} from "./stats/significance.js";

// Per-query comparison of systems against a baseline: queries aligned by id, every measure tested, the whole
// family of (system, measure) comparisons corrected together with Holm–Bonferroni.

/** Query id → measure label → value. A value that is missing or not finite means "undefined for this query". */
export type PerQueryValues = ReadonlyMap<string, Readonly<Record<string, number | undefined>>>;

export interface CompareOptions {
  /** Significance level of the markers; the interval's level is 1 − alpha. @default 0.05 */
  alpha?: number;
  /** Seed of the bootstrap and of the sampled randomisation test. @default 42 */
  seed?: number;
  /** Sign flips drawn when the randomisation test is not exact. @default 10_000 */
  permutations?: number;
  /** Enumerate all 2^n sign flips when at most this many queries differ. @default 20 */
  maxExactQueries?: number;
  /** Bootstrap resamples. @default 10_000 */
  bootstrapSamples?: number;
}

export interface MeasureComparison {
  measure: string;
  /** Queries compared for this measure (those where it is defined in both runs). */
  queries: number;
  baselineMean: number;
  mean: number;
  /** mean − baselineMean, over the compared queries. */
  difference: number;
  /** Standard deviation of the per-query differences (n − 1): what `queriesNeeded` takes. */
  sdDifference: number;
  /** Paired percentile bootstrap interval of the mean difference, at level 1 − alpha. */
  interval: BootstrapInterval;
  tTest: TTestResult;
  permutation: PermutationTestResult;
  /** Holm–Bonferroni adjusted p-values, over every comparison of the family. */
  holm: { tTest: number; permutation: number };
  wins: number;
  ties: number;
  losses: number;
  /** "better"/"worse" when the Holm-adjusted randomisation p-value is below alpha, else null. */
  significant: "better" | "worse" | null;
  /** Queries left out of this measure because it is undefined there. */
  undefinedFor: string[];
  /** Per-query differences (system − baseline), in query order. */
  differences: { queryId: string; difference: number }[];
}

export interface Comparison {
  baseline: string;
  name: string;
  /** Queries in either run. */
  queries: number;
  /** Queries one run has no value for at all: they count as 0 for every measure (trec_eval `-c`). */
  missingFromBaseline: string[];
  missingFromRun: string[];
  measures: MeasureComparison[];
}

export interface ComparisonSet {
  baseline: string;
  alpha: number;
  /** How p-values were corrected for the family of comparisons. */
  correction: "holm-bonferroni";
  /** The number of (system, measure) comparisons corrected together. */
  family: number;
  /** What sets `significant`. */
  markerTest: "randomisation";
  seed: number;
  permutations: number;
  maxExactQueries: number;
  bootstrapSamples: number;
  comparisons: Comparison[];
}

interface Checked {
  alpha: number;
  seed: number;
  permutations: number;
  maxExactQueries: number;
  bootstrapSamples: number;
}

function checkOptions(owner: string, options: CompareOptions): Checked {
  const alpha = options.alpha ?? 0.05;
  if (typeof alpha !== "number" || !(alpha > 0 && alpha < 1)) {
    throw new InvalidOptionError(`${owner}: \`alpha\` must lie strictly between 0 and 1 (0.05 is usual), got ${String(alpha)}.`);
  }
  const count = (name: keyof CompareOptions, value: unknown, fallback: number, min: number) => {
    if (value === undefined) return fallback;
    if (typeof value !== "number" || !Number.isSafeInteger(value) || value < min) {
      throw new InvalidOptionError(`${owner}: \`${name}\` must be an integer ≥ ${min}, got ${String(value)}.`);
    }
    return value;
  };
  return {
    alpha,
    seed: count("seed", options.seed, DEFAULT_SEED, 0),
    permutations: count("permutations", options.permutations, DEFAULT_PERMUTATIONS, 1),
    maxExactQueries: count("maxExactQueries", options.maxExactQueries, DEFAULT_MAX_EXACT_QUERIES, 0),
    bootstrapSamples: count("bootstrapSamples", options.bootstrapSamples, DEFAULT_BOOTSTRAP_SAMPLES, 2),
  };
}

const defined = (v: number | undefined): v is number => typeof v === "number" && Number.isFinite(v);

/** One run against the baseline, every measure, before the family correction (holm and significant unset). */
function compareOne(
  baselineName: string,
  baseline: PerQueryValues,
  name: string,
  run: PerQueryValues,
  measures: readonly string[],
  o: Checked,
): Comparison {
  const queryIds = [...baseline.keys(), ...[...run.keys()].filter((q) => !baseline.has(q))];
  if (queryIds.length === 0) throw new InvalidOptionError(`compare ${name} with ${baselineName}: neither has any query.`);
  const missingFromBaseline = queryIds.filter((q) => !baseline.has(q));
  const missingFromRun = queryIds.filter((q) => !run.has(q));
  const value = (values: PerQueryValues, q: string, m: string) => (values.has(q) ? values.get(q)?.[m] : 0);
  const perMeasure = measures.map((measure): MeasureComparison => {
    const ids: string[] = [];
    const a: number[] = [];
    const b: number[] = [];
    const undefinedFor: string[] = [];
    for (const q of queryIds) {
      const x = value(run, q, measure);
      const y = value(baseline, q, measure);
      if (defined(x) && defined(y)) {
        ids.push(q);
        a.push(x);
        b.push(y);
      } else undefinedFor.push(q);
    }
    if (a.length === 0) {
      throw new InvalidOptionError(`compare ${name} with ${baselineName}: ${measure} is defined for no query of both; check the measure's name.`);
    }
    const mean = (xs: number[]) => xs.reduce((s, x) => s + x, 0) / xs.length;
    const differences = ids.map((queryId, i) => ({ queryId, difference: (a[i] as number) - (b[i] as number) }));
    return {
      measure,
      queries: a.length,
      baselineMean: mean(b),
      mean: mean(a),
      difference: mean(differences.map((d) => d.difference)),
      sdDifference: sampleStandardDeviation(differences.map((d) => d.difference)),
      interval: bootstrapInterval(a, b, { samples: o.bootstrapSamples, level: 1 - o.alpha, seed: o.seed }),
      tTest: pairedTTest(a, b),
      permutation: permutationTest(a, b, { permutations: o.permutations, maxExactQueries: o.maxExactQueries, seed: o.seed }),
      holm: { tTest: Number.NaN, permutation: Number.NaN },
      ...winsTiesLosses(a, b),
      significant: null,
      undefinedFor,
      differences,
    };
  });
  return { baseline: baselineName, name, queries: queryIds.length, missingFromBaseline, missingFromRun, measures: perMeasure };
}

/**
 * Compares each run with the baseline, query by query, on every measure: mean difference with a paired
 * bootstrap interval, paired t-test, Fisher randomisation test, wins/ties/losses, and Holm–Bonferroni adjusted
 * p-values over all runs × measures. A query one run lacks counts as 0 (trec_eval `-c`); a measure undefined
 * for a query in either run leaves that query out of that measure.
 */
export function compareAll(
  baseline: { name: string; perQuery: PerQueryValues },
  runs: readonly { name: string; perQuery: PerQueryValues }[],
  measures: readonly string[],
  options: CompareOptions = {},
): ComparisonSet {
  const o = checkOptions("compare", options);
  if (measures.length === 0) throw new InvalidOptionError("compare: no measures given; pass at least one, e.g. ndcg@10.");
  const comparisons = runs.map((r) => compareOne(baseline.name, baseline.perQuery, r.name, r.perQuery, measures, o));
  const all = comparisons.flatMap((c) => c.measures);
  const holmT = holmBonferroni(all.map((m) => m.tTest.pValue));
  const holmP = holmBonferroni(all.map((m) => m.permutation.pValue));
  all.forEach((m, i) => {
    m.holm = { tTest: holmT[i] as number, permutation: holmP[i] as number };
    m.significant = (holmP[i] as number) < o.alpha && m.difference !== 0 ? (m.difference > 0 ? "better" : "worse") : null;
  });
  return {
    baseline: baseline.name,
    alpha: o.alpha,
    correction: "holm-bonferroni",
    family: all.length,
    markerTest: "randomisation",
    seed: o.seed,
    permutations: o.permutations,
    maxExactQueries: o.maxExactQueries,
    bootstrapSamples: o.bootstrapSamples,
    comparisons,
  };
}

/** A configuration's per-query values from an evaluation. */
export function configurationValues(result: EvaluationResult, name: string): PerQueryValues {
  if (!result.configurations.some((c) => c.name === name)) {
    throw new InvalidOptionError(
      `No configuration named ${JSON.stringify(name)}: expected one of ${result.configurations.map((c) => JSON.stringify(c.name)).join(", ")}.`,
    );
  }
  return new Map(
    result.perQuery.flatMap((q) => {
      const values = q.configurations[name];
      return values ? [[q.queryId, values.metrics] as const] : [];
    }),
  );
}

/** Every configuration of an evaluation against one of them (default: the first), on every metric. */
export function compareConfigurations(result: EvaluationResult, options: CompareOptions & { baseline?: string } = {}): ComparisonSet {
  const baseline = options.baseline ?? (result.configurations[0]?.name as string);
  const base = { name: baseline, perQuery: configurationValues(result, baseline) };
  const others = result.configurations
    .filter((c) => c.name !== baseline)
    .map((c) => ({ name: c.name, perQuery: configurationValues(result, c.name) }));
  return compareAll(base, others, result.metrics, options);
}

/** The first `depth` entries of each query in trec_eval order (the candidates a first stage of that depth gives). */
export function cutRun(run: Run, depth: number): Run {
  return new Map(
    [...run].map(([q, entries]) => {
      const byId = new Map(entries.map((e) => [e.docId, e]));
      return [
        q,
        trecOrder(entries)
          .slice(0, depth)
          .map((id) => byId.get(id) as RunEntry),
      ];
    }),
  );
}

export interface CompareRunsOptions extends CompareOptions {
  /** Measures such as `ndcg@10`. */
  measures: readonly string[];
  /** Binary measures count a label ≥ this as relevant. @default 1 (TREC DL: 2) */
  relThreshold?: number;
  /** Keep each query's first `depth` documents of both runs. @default all */
  depth?: number;
  /** Names in the result. @default "baseline" and "run" */
  names?: { baseline?: string; run?: string };
}

/**
 * Compares two TREC runs on the same qrels, query by query: every judged query counts, a query missing from a
 * run scores 0 on it (trec_eval `-c`; `missingFromBaseline`/`missingFromRun` list them).
 *
 * @example
 * ```ts
 * import { compareRuns, type Qrels, type Run } from "langchain-rerank/eval";
 *
 * // Runs and qrels usually come from files (`loadTrecRun`, `loadQrels`); here three queries are written out.
 * const qrels: Qrels = new Map(["q1", "q2", "q3"].map((q) => [q, new Map([[`${q}-good`, 2]])]));
 * const ranked = (good: number): Run =>
 *   new Map([...qrels.keys()].map((q, i) => [q, [{ docId: `${q}-bad`, score: 2 }, { docId: `${q}-good`, score: i < good ? 3 : 1 }]]));
 * const { comparisons } = compareRuns(ranked(0), ranked(3), qrels, { measures: ["ndcg@10"], relThreshold: 2 });
 * const [ndcg] = comparisons[0]!.measures;
 * console.log(ndcg?.difference, ndcg?.wins); // 0.36907024642854247 3 (also: interval, tTest, permutation, holm)
 * ```
 */
export function compareRuns(baseline: Run, run: Run, qrels: Qrels, options: CompareRunsOptions): ComparisonSet {
  const specs = parseMetrics(options.measures);
  const cut = (r: Run) => (options.depth === undefined ? r : cutRun(r, options.depth));
  const opts = { ...(options.relThreshold !== undefined ? { relThreshold: options.relThreshold } : {}), completeQueries: true };
  const base = evaluateRun(cut(baseline), qrels, specs, opts);
  const other = evaluateRun(cut(run), qrels, specs, opts);
  const set = compareAll(
    { name: options.names?.baseline ?? "baseline", perQuery: base.perQuery },
    [{ name: options.names?.run ?? "run", perQuery: other.perQuery }],
    specs.map((s) => s.label),
    options,
  );
  const [comparison] = set.comparisons as [Comparison];
  comparison.missingFromBaseline = base.skipped.missingFromRun;
  comparison.missingFromRun = other.skipped.missingFromRun;
  return set;
}
