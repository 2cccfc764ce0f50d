import { RerankError } from "../errors.js";

// Factor arithmetic shared by MultiFactorReranker and the evaluation's weight search, so that weights chosen
// offline mean the same thing online.

/**
 * How a factor's raw values become comparable 0–1 values before weighting, per query:
 * - `minmax`: `(v − min) / (max − min)` over the query's candidates (1 for all when they are equal). Scale-free:
 *   logits, 0–1 scores and BM25 scores all span 0–1, so a weight is the factor's share of the final range.
 * - `sigmoid`: `1 / (1 + e^−v)`, for logits whose absolute level should survive (a weak set stays weak).
 * - `none`: the value as is, for factors already on 0–1 (recency, reciprocal rank, a reliability in 0–1).
 */
export type Normalization = "minmax" | "sigmoid" | "none";
export const NORMALIZATIONS: readonly Normalization[] = ["minmax", "sigmoid", "none"];

/** The built-in factors; any other name is a caller's signal. */
export const BUILTIN_FACTORS = ["relevance", "recency", "firstStageRank", "firstStageScore"] as const;
export type BuiltinFactor = (typeof BUILTIN_FACTORS)[number];

/**
 * Defaults: relevance and first-stage scores come on unknown scales (logits, probabilities, BM25), so min-max per
 * query; recency (`0.5^(age/halfLife)`) and the reciprocal rank (`1/rank`) are already in (0, 1], so as they are.
 * Signals default to `none`: give them on 0–1 or choose a normalisation.
 */
export const DEFAULT_NORMALIZATION: Readonly<Record<BuiltinFactor, Normalization>> = {
  relevance: "minmax",
  recency: "none",
  firstStageRank: "none",
  firstStageScore: "minmax",
};

/** Normalises one factor's values over a query's candidates; `undefined` (missing) stays missing. */
export function normalizeValues(values: readonly (number | undefined)[], how: Normalization): (number | undefined)[] {
  if (how === "none") return [...values];
  if (how === "sigmoid") return values.map((v) => (v === undefined ? undefined : 1 / (1 + Math.exp(-v))));
  let min = Number.POSITIVE_INFINITY;
  let max = Number.NEGATIVE_INFINITY;
  for (const v of values) {
    if (v === undefined) continue;
    if (v < min) min = v;
    if (v > max) max = v;
  }
  const range = max - min;
  return values.map((v) => (v === undefined ? undefined : range > 0 ? (v - min) / range : 1));
}

const MS_PER_DAY = 86_400_000;

/** The recency factor `0.5^(age / halfLife)`: 1 for a document from `now` (or the future), 0.5 one half-life old. */
export function recencyFactor(timestampMs: number, nowMs: number, halfLifeDays: number): number {
  const ageDays = Math.max(0, nowMs - timestampMs) / MS_PER_DAY;
  return 0.5 ** (ageDays / halfLifeDays);
}

/**
 * A metadata date as epoch milliseconds: a valid `Date`, an ISO 8601 string or epoch milliseconds. Anything else is
 * an error naming the document and the field (`describeDocument` names the document).
 */
export function parseTimestamp(value: unknown, where: string, field: string): number {
  let ms: number;
  if (value instanceof Date) ms = value.getTime();
  else if (typeof value === "number") ms = value;
  else if (typeof value === "string") ms = Date.parse(value);
  else ms = Number.NaN;
  if (!Number.isFinite(ms)) {
    const shown = typeof value === "string" ? JSON.stringify(value.slice(0, 60)) : value instanceof Date ? "an invalid Date" : String(value);
    throw new RerankError(`${where}: metadata.${field} is ${shown}, not a date; give a Date, an ISO 8601 string or epoch milliseconds.`);
  }
  return ms;
}

/** The weighted mean of the factors a document has (a skipped factor leaves the denominator too). */
export function weightedMean(factors: Readonly<Record<string, number>>, weights: Readonly<Record<string, number>>): number | undefined {
  let sum = 0;
  let total = 0;
  for (const [name, value] of Object.entries(factors)) {
    const weight = weights[name] ?? 0;
    sum += weight * value;
    total += weight;
  }
  return total > 0 ? sum / total : undefined;
}
