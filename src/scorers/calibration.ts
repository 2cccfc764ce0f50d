import { InvalidOptionError } from "../errors.js";
import { describeValue } from "../options.js";
import type { ScoreMode } from "./cross_encoder.js";

// A calibration: a monotone map from one scorer's scores to P(relevant), fitted on labelled data by
// `rerank-eval --calibrate` (or `calibrate` in langchain-rerank/eval) and applied by `CalibratedCrossEncoder`.
// Applying one needs no model runtime and no Node built-in, so it lives beside the CrossEncoder interface.

/** The format tag of a calibration file. */
export const CALIBRATION_FORMAT = "langchain-rerank/calibration@1";

/** Scores in 0–1 are fitted on their logit, clipped to [ε, 1 − ε] first so that 0 and 1 stay finite. */
export const LOGIT_EPSILON = 1e-12;

/**
 * Platt scaling: `P = 1 / (1 + e^−(slope·x + intercept))`, with x the score (`input: "score"`) or, for 0–1
 * scores, its logit (`input: "logit"`). An unpenalised logistic regression, as scikit-learn's
 * `LogisticRegression(penalty=None)`; the slope is positive (a calibration never reverses a ranking).
 */
export interface PlattMap {
  method: "platt";
  input: "score" | "logit";
  slope: number;
  intercept: number;
}

/**
 * Isotonic regression (pool adjacent violators), as scikit-learn's `IsotonicRegression(out_of_bounds="clip")`:
 * P is interpolated linearly between the thresholds `(x[i], y[i])` (x increasing, y non-decreasing) and clipped
 * to `y[0]` below `x[0]` and to the last y above the last x. Flat steps give different scores the same P.
 */
export interface IsotonicMap {
  method: "isotonic";
  x: number[];
  y: number[];
}

export type CalibrationMap = PlattMap | IsotonicMap;

/** Which scorer a calibration was fitted for: its scores mean nothing for another model or score mode. */
export interface CalibrationModel {
  /** The scorer's `cacheKey` (everything that changes its scores), when it has one. */
  cacheKey?: string;
  /** The scorer's `modelName`, or what produced the scores (e.g. a first-stage run). */
  modelName?: string;
  /** The scorer's score mode; null when the scores came from elsewhere (a first stage, Cohere). */
  scoreMode: ScoreMode | null;
}

/** A calibration file, as `rerank-eval --calibrate FILE` writes it. */
export interface Calibration {
  format: typeof CALIBRATION_FORMAT;
  model: CalibrationModel;
  /** Candidates whose label is ≥ this counted as relevant. */
  relevantLabel: number;
  map: CalibrationMap;
  /** The data it was fitted on (dataset, split, queries, seed...): for people, not checked when applied. */
  fittedOn?: Record<string, unknown>;
  /** How the method was chosen, and what the fit measured on held-out queries: for people, not checked. */
  choice?: Record<string, unknown>;
  heldOut?: Record<string, unknown>;
}

/** The feature a Platt map takes: the score, or its clipped logit. */
export function plattFeature(input: "score" | "logit", score: number): number {
  if (input === "score") return score;
  const p = Math.min(1 - LOGIT_EPSILON, Math.max(LOGIT_EPSILON, score));
  return Math.log(p / (1 - p));
}

/** P(relevant) for one score. */
export function applyCalibrationMap(map: CalibrationMap, score: number): number {
  if (map.method === "platt") {
    const z = map.slope * plattFeature(map.input, score) + map.intercept;
    // Two forms, so that neither e^z nor e^−z overflows.
    return z >= 0 ? 1 / (1 + Math.exp(-z)) : Math.exp(z) / (1 + Math.exp(z));
  }
  const { x, y } = map;
  const n = x.length;
  if (n === 1 || score <= (x[0] as number)) return y[0] as number;
  if (score >= (x[n - 1] as number)) return y[n - 1] as number;
  // The last threshold ≤ score, by bisection.
  let lo = 0;
  let hi = n - 1;
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    if ((x[mid] as number) <= score) lo = mid;
    else hi = mid;
  }
  const x0 = x[lo] as number;
  const y0 = y[lo] as number;
  return y0 + ((score - x0) * ((y[hi] as number) - y0)) / ((x[hi] as number) - x0);
}

const finite = (v: unknown): v is number => typeof v === "number" && Number.isFinite(v);

/** The map checked: monotone, finite, probabilities in 0–1. Throws naming what is wrong. */
export function checkCalibrationMap(owner: string, map: unknown): CalibrationMap {
  const m = map as { method?: unknown; input?: unknown; slope?: unknown; intercept?: unknown; x?: unknown; y?: unknown } | null;
  if (m === null || typeof m !== "object")
    throw new InvalidOptionError(`${owner}: the calibration's \`map\` must be an object, got ${describeValue(map)}.`);
  if (m.method === "platt") {
    if (m.input !== "score" && m.input !== "logit") throw new InvalidOptionError(`${owner}: a Platt map's \`input\` must be "score" or "logit".`);
    if (!finite(m.slope) || !(m.slope > 0) || !finite(m.intercept)) {
      throw new InvalidOptionError(
        `${owner}: a Platt map needs a finite positive \`slope\` and a finite \`intercept\` (a slope ≤ 0 would not be monotone).`,
      );
    }
    return { method: "platt", input: m.input, slope: m.slope, intercept: m.intercept };
  }
  if (m.method === "isotonic") {
    const x = m.x as unknown[];
    const y = m.y as unknown[];
    if (!Array.isArray(x) || !Array.isArray(y) || x.length === 0 || x.length !== y.length) {
      throw new InvalidOptionError(`${owner}: an isotonic map needs arrays \`x\` and \`y\` of the same, non-zero length.`);
    }
    for (let i = 0; i < x.length; i++) {
      const [xi, yi] = [x[i], y[i]];
      if (!finite(xi) || !finite(yi) || yi < 0 || yi > 1) {
        throw new InvalidOptionError(`${owner}: isotonic threshold ${i} must be a finite score and a probability in 0–1.`);
      }
      if (i > 0 && (!(xi > (x[i - 1] as number)) || yi < (y[i - 1] as number))) {
        throw new InvalidOptionError(`${owner}: an isotonic map's \`x\` must increase and its \`y\` never decrease (threshold ${i} does not).`);
      }
    }
    return { method: "isotonic", x: [...(x as number[])], y: [...(y as number[])] };
  }
  throw new InvalidOptionError(`${owner}: the calibration's \`map.method\` must be "platt" or "isotonic", got ${describeValue(m.method)}.`);
}

/**
 * A calibration (a parsed calibration file) checked: the format tag, the model it was fitted for and a valid map.
 * Returns a copy; extra fields (`fittedOn`, `choice`, `heldOut`) are kept as they are.
 */
export function checkCalibration(owner: string, value: unknown): Calibration {
  const c = value as Partial<Calibration> | null;
  if (c === null || typeof c !== "object") {
    throw new InvalidOptionError(
      `${owner}: \`calibration\` must be a calibration object (JSON.parse of a file rerank-eval --calibrate wrote), got ${describeValue(value)}.`,
    );
  }
  if (c.format !== CALIBRATION_FORMAT) {
    throw new InvalidOptionError(
      `${owner}: not a calibration (format ${describeValue(c.format)}; expected "${CALIBRATION_FORMAT}", as rerank-eval --calibrate writes).`,
    );
  }
  const model = c.model as Partial<CalibrationModel> | undefined;
  if (model === null || typeof model !== "object" || (model.scoreMode !== null && model.scoreMode !== "sigmoid" && model.scoreMode !== "raw")) {
    throw new InvalidOptionError(
      `${owner}: the calibration's \`model\` must say which scorer it was fitted for ({ cacheKey?, modelName?, scoreMode }).`,
    );
  }
  for (const key of ["cacheKey", "modelName"] as const) {
    if (model[key] !== undefined && typeof model[key] !== "string")
      throw new InvalidOptionError(`${owner}: the calibration's \`model.${key}\` must be a string.`);
  }
  if (!Number.isSafeInteger(c.relevantLabel)) throw new InvalidOptionError(`${owner}: the calibration's \`relevantLabel\` must be an integer label.`);
  return { ...(c as Calibration), model: { ...model } as CalibrationModel, map: checkCalibrationMap(owner, c.map) };
}
