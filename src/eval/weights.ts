import { DEFAULT_NORMALIZATION, normalizeValues, weightedMean } from "../compressors/factors.js";
import { InvalidOptionError } from "../errors.js";
import type { EvaluationResult } from "./evaluate.js";
import { type Qrels, parseMetric, queryMetrics } from "./stats/metrics.js";

/** One candidate of a query: its id (for the judgments) and its factor values, normalised as MultiFactorReranker does. */
export interface WeightCandidate {
  docId: string;
  /** A missing (`undefined`) factor leaves the weighted mean, as MultiFactorReranker's `missing: "skip"`. */
  factors: Readonly<Record<string, number | undefined>>;
}

export interface WeightQuery {
  queryId: string;
  /** In first-stage order: ties in the final score keep it. */
  candidates: readonly WeightCandidate[];
  /** All judgments of the query (document id → label), so recall counts relevant documents never retrieved. */
  judgments: ReadonlyMap<string, number>;
}

export interface ChooseWeightsOptions {
  /** The factors to weight; the first is preferred on ties (put relevance first). */
  factors: readonly string[];
  /** The metric maximised on the dev split. @default "ndcg@10" */
  metric?: string;
  /** Binary metrics count a label ≥ this as relevant. @default 1 */
  relThreshold?: number;
  /**
   * `grid`: every weight vector whose weights are multiples of `step` and sum to 1 (66 vectors for 3 factors at 0.1).
   * `coordinate`: from the first factor alone, one factor at a time over 0, step, …, 1, until a round improves nothing.
   * @default "grid"
   */
  method?: "grid" | "coordinate";
  /** Resolution of the weights. @default 0.1 */
  step?: number;
  /** Which split a query belongs to. @default alternate: queries at even positions are dev, odd ones held-out */
  split?: (queryId: string, position: number) => "dev" | "heldOut";
  /** Coordinate search only: most rounds over all factors. @default 10 */
  maxRounds?: number;
}

export interface WeightResult {
  /** Normalised to sum to 1. */
  weights: Record<string, number>;
  /** Mean metric over the dev queries. */
  dev: number;
  /** Mean metric over the held-out queries: the number to report. */
  heldOut: number;
}

export interface WeightsChoice extends WeightResult {
  metric: string;
  method: "grid" | "coordinate";
  /** Each factor alone, for comparison (same splits). */
  baselines: Array<WeightResult & { factor: string }>;
  devQueries: number;
  heldOutQueries: number;
  /** Weight vectors evaluated on dev. */
  evaluated: number;
}

const OWNER = "chooseWeights";

/** Every vector of `k` multiples of 1/`units` summing to 1, the first factor's largest weight first. */
function simplex(k: number, units: number): number[][] {
  if (k === 1) return [[units]];
  const out: number[][] = [];
  for (let first = units; first >= 0; first--) for (const rest of simplex(k - 1, units - first)) out.push([first, ...rest]);
  return out;
}

function normalized(factors: readonly string[], raw: readonly number[]): Record<string, number> {
  const total = raw.reduce((a, b) => a + b, 0);
  return Object.fromEntries(factors.map((f, i) => [f, Math.round(((raw[i] as number) / total) * 1e9) / 1e9]));
}

/**
 * Chooses MultiFactorReranker weights on labelled queries: searches weight vectors (grid or coordinate search) for
 * the best mean `metric` on the dev split and reports them on the held-out split, with each factor alone for
 * comparison. Like `chooseThreshold`, choose on data from the pipeline you will deploy (same reranker, same
 * normalisations): the weights are only as good as the factors' agreement between the splits.
 */
export function chooseWeights(queries: readonly WeightQuery[], options: ChooseWeightsOptions): WeightsChoice {
  const factors = options?.factors;
  if (!Array.isArray(factors) || factors.length === 0 || factors.some((f) => typeof f !== "string" || f === "")) {
    throw new InvalidOptionError(`${OWNER}: \`factors\` must be a non-empty array of factor names, e.g. ["relevance", "firstStageRank"].`);
  }
  if (new Set(factors).size !== factors.length) throw new InvalidOptionError(`${OWNER}: \`factors\` names a factor twice.`);
  const spec = parseMetric(options.metric ?? "ndcg@10");
  const relThreshold = options.relThreshold ?? 1;
  const method = options.method ?? "grid";
  if (method !== "grid" && method !== "coordinate")
    throw new InvalidOptionError(`${OWNER}: \`method\` must be "grid" or "coordinate", got ${JSON.stringify(method)}.`);
  const step = options.step ?? 0.1;
  const units = Math.round(1 / step);
  if (!(step > 0 && step <= 1) || Math.abs(units * step - 1) > 1e-9) {
    throw new InvalidOptionError(`${OWNER}: \`step\` must divide 1 (e.g. 0.1, 0.05, 0.25), got ${step}.`);
  }
  const maxRounds = options.maxRounds ?? 10;
  const split = options.split ?? ((_: string, position: number) => (position % 2 === 0 ? "dev" : "heldOut"));
  const dev: WeightQuery[] = [];
  const heldOut: WeightQuery[] = [];
  queries.forEach((q, i) => {
    for (const c of q.candidates) {
      for (const [name, v] of Object.entries(c.factors)) {
        if (v !== undefined && !Number.isFinite(v))
          throw new InvalidOptionError(`${OWNER}: query ${q.queryId}, document ${c.docId}: factor ${name} is ${v}, not finite.`);
      }
    }
    const side = split(q.queryId, i);
    if (side === "dev") dev.push(q);
    else if (side === "heldOut") heldOut.push(q);
    else throw new InvalidOptionError(`${OWNER}: \`split\` returned ${JSON.stringify(side)} for query ${q.queryId}; return "dev" or "heldOut".`);
  });
  if (dev.length === 0 || heldOut.length === 0) {
    throw new InvalidOptionError(`${OWNER}: need queries in both splits, got ${dev.length} dev and ${heldOut.length} held-out.`);
  }

  const meanMetric = (set: readonly WeightQuery[], weights: Record<string, number>): number => {
    let sum = 0;
    for (const q of set) {
      const ranked = q.candidates
        .map((c, position) => ({ c, position, score: weightedMean(present(c.factors, factors), weights) ?? Number.NEGATIVE_INFINITY }))
        .sort((a, b) => b.score - a.score || a.position - b.position)
        .map(({ c }) => c.docId);
      sum += queryMetrics(ranked, q.judgments, [spec], { relThreshold })[spec.label] as number;
    }
    return sum / set.length;
  };

  let evaluated = 0;
  let best: { raw: number[]; dev: number } | undefined;
  const consider = (raw: number[]): boolean => {
    if (raw.every((w) => w === 0)) return false;
    evaluated += 1;
    const score = meanMetric(dev, normalized(factors, raw));
    if (best === undefined || score > best.dev + 1e-12) {
      best = { raw: [...raw], dev: score };
      return true;
    }
    return false;
  };
  if (method === "grid") {
    for (const raw of simplex(factors.length, units)) consider(raw);
  } else {
    const current = factors.map((_, i) => (i === 0 ? units : 0));
    consider(current);
    for (let round = 0; round < maxRounds; round++) {
      let improved = false;
      for (let f = 0; f < factors.length; f++) {
        for (let u = 0; u <= units; u++) {
          const trial = (best as { raw: number[] }).raw.slice();
          trial[f] = u;
          if (consider(trial)) improved = true;
        }
      }
      if (!improved) break;
    }
  }
  const chosen = normalized(factors, (best as { raw: number[] }).raw);
  const baselines = factors.map((factor) => {
    const weights = Object.fromEntries(factors.map((f) => [f, f === factor ? 1 : 0]));
    return { factor, weights, dev: meanMetric(dev, weights), heldOut: meanMetric(heldOut, weights) };
  });
  return {
    metric: spec.label,
    method,
    weights: chosen,
    dev: (best as { dev: number }).dev,
    heldOut: meanMetric(heldOut, chosen),
    baselines,
    devQueries: dev.length,
    heldOutQueries: heldOut.length,
    evaluated,
  };
}

function present(values: Readonly<Record<string, number | undefined>>, factors: readonly string[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const f of factors) {
    const v = values[f];
    if (v !== undefined) out[f] = v;
  }
  return out;
}

export interface WeightQueriesOptions {
  /** The configuration without a compressor (the first stage alone). */
  firstStage: string;
  /** The reranker's configuration; it must have kept every candidate (the CLI's rerankers do). */
  reranker: string;
}

/**
 * Factor values per candidate from an `evaluate` result (with `keepRankings`), normalised with MultiFactorReranker's
 * defaults: `relevance` (the reranker's score, min-max per query), `firstStageRank` (1/rank) and `firstStageScore`
 * (the first stage's score, min-max per query; missing when the first stage gave none).
 */
export function weightQueriesFromEvaluation(result: EvaluationResult, qrels: Qrels, options: WeightQueriesOptions): WeightQuery[] {
  for (const name of [options.firstStage, options.reranker]) {
    if (!result.configurations.some((c) => c.name === name)) {
      throw new InvalidOptionError(
        `weightQueriesFromEvaluation: no configuration ${JSON.stringify(name)}; the evaluation has ${result.configurations.map((c) => JSON.stringify(c.name)).join(", ")}.`,
      );
    }
  }
  return result.perQuery.map((query) => {
    const first = query.configurations[options.firstStage]?.ranking;
    const reranked = query.configurations[options.reranker]?.ranking;
    if (first === undefined || reranked === undefined)
      throw new InvalidOptionError("weightQueriesFromEvaluation: the evaluation kept no rankings; run evaluate with keepRankings: true.");
    const relevanceById = new Map(reranked.map((r) => [r.docId, r.score]));
    const relevance = normalizeValues(
      first.map((d) => relevanceById.get(d.docId)),
      DEFAULT_NORMALIZATION.relevance,
    );
    const firstScore = normalizeValues(
      first.map((d) => d.score),
      DEFAULT_NORMALIZATION.firstStageScore,
    );
    return {
      queryId: query.queryId,
      judgments: qrels.get(query.queryId) ?? new Map(),
      candidates: first.map((d, i) => ({
        docId: d.docId,
        factors: { relevance: relevance[i], firstStageRank: 1 / (i + 1), firstStageScore: firstScore[i] },
      })),
    };
  });
}

/** The chosen weights and, per split, the metric with them and with each factor alone. */
export function formatWeightsChoice(choice: WeightsChoice, reranker: string): string {
  const fmt = (x: number) => x.toFixed(4);
  const weights = (w: Record<string, number>) =>
    Object.entries(w)
      .map(([f, v]) => `${f} ${v.toFixed(2)}`)
      .join(", ");
  const rows = [
    ["chosen", weights(choice.weights), fmt(choice.dev), fmt(choice.heldOut)],
    ...choice.baselines.map((b) => [`${b.factor} alone`, weights(b.weights), fmt(b.dev), fmt(b.heldOut)]),
  ];
  const widths = [0, 1].map((c) => Math.max(...rows.map((r) => (r[c] as string).length)));
  const line = (r: string[]) => `${(r[0] as string).padEnd(widths[0] as number)}  ${(r[1] as string).padEnd(widths[1] as number)}  ${r[2]}  ${r[3]}`;
  return [
    "",
    `MultiFactorReranker weights for ${reranker} (${choice.method} search on ${choice.metric}; ${choice.devQueries} dev / ${choice.heldOutQueries} held-out queries, alternating):`,
    line(["", "weights", "dev".padEnd(6), "held-out"]),
    ...rows.map(line),
    `Report the held-out column. Factors as MultiFactorReranker computes them: relevance and firstStageScore min-max per query, firstStageRank = 1/rank.`,
    "",
  ].join("\n");
}
