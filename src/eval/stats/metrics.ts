import { InvalidOptionError } from "../../errors.js";

// IR metrics with trec_eval semantics, so figures computed here match published tables:
// - a run is ranked by score descending, ties broken by document id descending (byte order, as strcmp);
// - unjudged documents are non-relevant;
// - nDCG uses the graded label as gain (not 2^label − 1) and an ideal built from every judged document with
//   label > 0; binary metrics (RR, Recall, Precision, MAP) count label ≥ `relThreshold` as relevant;
// - queries with no judgment above 0 are skipped; judged queries absent from a run are skipped unless asked.

/** Judgments: query id → (document id → graded label). */
export type Qrels = Map<string, Map<string, number>>;

/** One scored document of a run. */
export interface RunEntry {
  docId: string;
  score: number;
}

/** A run: query id → scored documents (any order; `trecOrder` ranks them). */
export type Run = Map<string, RunEntry[]>;

export type MetricName = "ndcg" | "rr" | "recall" | "precision" | "map";

/** A parsed metric such as `ndcg@10`. `k` undefined means the whole ranking. */
export interface MetricSpec {
  name: MetricName;
  k?: number;
  /** The key used in results: the user's spelling, lower-cased (`mrr@10`, `p@5`). */
  label: string;
}

const ALIASES: Record<string, MetricName> = {
  ndcg: "ndcg",
  ndcg_cut: "ndcg",
  rr: "rr",
  mrr: "rr",
  recip_rank: "rr",
  recall: "recall",
  r: "recall",
  precision: "precision",
  p: "precision",
  map: "map",
  map_cut: "map",
};

const METRIC_HELP = "ndcg@k, mrr@k (or rr@k), recall@k, precision@k (or p@k), map@k, with k a positive integer";

/** Parses `ndcg@10`, `MRR@10`, `recall@100`, `p@5`, `map` (no `@k`: the whole ranking). */
export function parseMetric(text: string): MetricSpec {
  const label = text.trim().toLowerCase();
  const match = /^([a-z_]+)(?:@(\d+))?$/.exec(label);
  const name = match ? ALIASES[match[1] as string] : undefined;
  if (!match || name === undefined) {
    throw new InvalidOptionError(`Unknown metric ${JSON.stringify(text)}: expected one of ${METRIC_HELP}.`);
  }
  if (match[2] === undefined) return { name, label };
  const k = Number(match[2]);
  if (!Number.isSafeInteger(k) || k < 1) {
    throw new InvalidOptionError(`Metric ${JSON.stringify(text)}: k must be a positive integer.`);
  }
  return { name, k, label };
}

/** Parses a list of metrics (strings or already parsed); rejects an empty list and duplicate labels. */
export function parseMetrics(metrics: readonly (string | MetricSpec)[]): MetricSpec[] {
  if (metrics.length === 0) throw new InvalidOptionError(`No metrics given: pass at least one of ${METRIC_HELP}.`);
  const specs = metrics.map((m) => (typeof m === "string" ? parseMetric(m) : m));
  const seen = new Set<string>();
  for (const spec of specs) {
    if (seen.has(spec.label)) throw new InvalidOptionError(`Metric ${JSON.stringify(spec.label)} is listed twice.`);
    seen.add(spec.label);
  }
  return specs;
}

/** trec_eval's order: score descending, then document id descending (byte order). Returns document ids. */
export function trecOrder(entries: readonly RunEntry[]): string[] {
  // A NaN score compares as a tie with everything, which leaves the order to the sort algorithm.
  for (const e of entries) {
    if (typeof e?.score !== "number" || !Number.isFinite(e.score)) {
      throw new InvalidOptionError(
        `trecOrder: document ${String(e?.docId)} has the score ${String(e?.score)}, not a finite number; a run ranks by score.`,
      );
    }
  }
  return [...entries].sort((a, b) => b.score - a.score || (a.docId < b.docId ? 1 : a.docId > b.docId ? -1 : 0)).map((e) => e.docId);
}

/** Drops repeated ids, keeping the first (best-ranked) one: a document counts once, as in trec_eval. */
function unique(ranking: readonly string[]): string[] {
  const seen = new Set<string>();
  return ranking.filter((id) => (seen.has(id) ? false : (seen.add(id), true)));
}

export interface MetricOptions {
  /**
   * Binary metrics count a label ≥ this as relevant (trec_eval `-l`). TREC DL uses 2.
   * @default 1
   */
  relThreshold?: number;
}

/**
 * The metrics of one ranked list (best first) against one query's judgments, keyed by metric label.
 * Repeated document ids count once, at their first position.
 */
export function queryMetrics(
  ranking: readonly string[],
  judgments: ReadonlyMap<string, number>,
  metrics: readonly MetricSpec[],
  options: MetricOptions = {},
): Record<string, number> {
  const relThreshold = checkRelThreshold(options.relThreshold);
  const docs = unique(ranking);
  let numRel = 0;
  const positive: number[] = [];
  for (const label of judgments.values()) {
    if (label >= relThreshold) numRel += 1;
    if (label > 0) positive.push(label);
  }
  positive.sort((a, b) => b - a);

  const out: Record<string, number> = {};
  for (const spec of metrics) {
    const depth = spec.k ?? docs.length;
    const top = docs.slice(0, depth);
    // An unjudged document is never relevant, even when relThreshold ≤ 0 would admit a label of 0 (trec_eval `-l 0`).
    const isRel = (id: string) => isRelevantLabel(judgments.get(id), relThreshold);
    switch (spec.name) {
      case "ndcg": {
        let dcg = 0;
        top.forEach((id, i) => {
          const gain = judgments.get(id) ?? 0;
          if (gain > 0) dcg += gain / Math.log2(i + 2);
        });
        let ideal = 0;
        positive.slice(0, spec.k ?? positive.length).forEach((gain, i) => (ideal += gain / Math.log2(i + 2)));
        out[spec.label] = ideal > 0 ? dcg / ideal : 0;
        break;
      }
      case "rr": {
        const first = top.findIndex(isRel);
        out[spec.label] = first < 0 ? 0 : 1 / (first + 1);
        break;
      }
      case "recall": {
        out[spec.label] = numRel > 0 ? top.filter(isRel).length / numRel : 0;
        break;
      }
      case "precision": {
        // trec_eval's P@k divides by k even when fewer documents were retrieved.
        const denominator = spec.k ?? top.length;
        out[spec.label] = denominator > 0 ? top.filter(isRel).length / denominator : 0;
        break;
      }
      case "map": {
        // Average precision cut at k, divided by every relevant document (trec_eval map_cut), not min(k, R).
        let hits = 0;
        let sum = 0;
        top.forEach((id, i) => {
          if (isRel(id)) sum += ++hits / (i + 1);
        });
        out[spec.label] = numRel > 0 ? sum / numRel : 0;
        break;
      }
    }
  }
  return out;
}

/** `relThreshold` checked: a finite number (NaN would silently make nothing relevant), default 1. */
export function checkRelThreshold(value: unknown, owner = "queryMetrics"): number {
  if (value === undefined) return 1;
  if (typeof value !== "number" || !Number.isFinite(value)) {
    throw new InvalidOptionError(
      `${owner}: \`relThreshold\` must be a finite number (a relevance label such as 1, or 2 for TREC DL), got ${String(value)}.`,
    );
  }
  return value;
}

/** Relevant for binary metrics: judged, with a label ≥ relThreshold. Unjudged documents never are. */
export function isRelevantLabel(label: number | undefined, relThreshold: number): boolean {
  return label !== undefined && label >= relThreshold;
}

/** True when trec_eval would evaluate the query: at least one judgment above 0. */
export function hasRelevantJudgment(judgments: ReadonlyMap<string, number> | undefined): boolean {
  if (judgments === undefined) return false;
  for (const label of judgments.values()) if (label > 0) return true;
  return false;
}

/** Per-metric arithmetic means over the given per-query values (0 for every metric when there are none). */
export function meanMetrics(perQuery: Iterable<Record<string, number>>, metrics: readonly MetricSpec[]): Record<string, number> {
  const sums: Record<string, number> = Object.fromEntries(metrics.map((m) => [m.label, 0]));
  let count = 0;
  for (const values of perQuery) {
    count += 1;
    for (const m of metrics) sums[m.label] = (sums[m.label] ?? 0) + (values[m.label] ?? 0);
  }
  return Object.fromEntries(metrics.map((m) => [m.label, count > 0 ? (sums[m.label] ?? 0) / count : 0]));
}

export interface EvaluateRunOptions extends MetricOptions {
  /**
   * Count judged queries missing from the run as 0 (trec_eval `-c`).
   * @default false (they are skipped)
   */
  completeQueries?: boolean;
}

export interface RunEvaluation {
  metrics: MetricSpec[];
  /** Mean of each metric over the evaluated queries. */
  mean: Record<string, number>;
  /** Each evaluated query's values, in qrels order. */
  perQuery: Map<string, Record<string, number>>;
  /** Run queries without a relevant judgment (not evaluated), and judged queries missing from the run. */
  skipped: { unjudged: string[]; missingFromRun: string[] };
}

/** Scores a whole TREC run against qrels, as `trec_eval -m ...` would (with `-c` when `completeQueries`). */
export function evaluateRun(run: Run, qrels: Qrels, metrics: readonly (string | MetricSpec)[], options: EvaluateRunOptions = {}): RunEvaluation {
  const specs = parseMetrics(metrics);
  checkRelThreshold(options.relThreshold, "evaluateRun");
  const perQuery = new Map<string, Record<string, number>>();
  const missingFromRun: string[] = [];
  for (const [queryId, judgments] of qrels) {
    if (!hasRelevantJudgment(judgments)) continue;
    const entries = run.get(queryId);
    if (entries === undefined) {
      missingFromRun.push(queryId);
      if (!options.completeQueries) continue;
    }
    perQuery.set(queryId, queryMetrics(trecOrder(entries ?? []), judgments, specs, options));
  }
  const unjudged = [...run.keys()].filter((q) => !hasRelevantJudgment(qrels.get(q)));
  return { metrics: specs, mean: meanMetrics(perQuery.values(), specs), perQuery, skipped: { unjudged, missingFromRun } };
}
