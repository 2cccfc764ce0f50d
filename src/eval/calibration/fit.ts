import { RerankError } from "../../errors.js";
import { type IsotonicMap, type PlattMap, plattFeature } from "../../scorers/calibration.js";

// The two fits of a calibration, each equal to scikit-learn's on the same data (test/eval/calibration/fit_sklearn.test.ts):
// Platt scaling as LogisticRegression(penalty=None), isotonic regression as IsotonicRegression(out_of_bounds="clip").

/** A scored candidate with its judgment, e.g. from `labelledScores`: what thresholds and calibrations are fitted on. */
export interface LabelledScore {
  score: number;
  relevant: boolean;
  /** The query the candidate was retrieved for (`labelledScores` sets it; calibration splits by it). */
  queryId?: string;
}

/** Labelled data that cannot be calibrated (no relevant candidate, NaN scores, labels a fit cannot map): says why. */
export class CalibrationError extends RerankError {
  override name = "CalibrationError";
}

/** Refuses non-finite scores and data with one class only: both fits need relevant and non-relevant candidates. */
export function checkLabelledScores(where: string, points: readonly LabelledScore[]): void {
  if (!Array.isArray(points) || points.length === 0) throw new CalibrationError(`${where}: no labelled scores to fit.`);
  let relevant = 0;
  points.forEach((p, i) => {
    if (typeof p?.score !== "number" || !Number.isFinite(p.score)) {
      throw new CalibrationError(
        `${where}: score ${i} is ${String(p?.score)}; every score must be a finite number (a NaN score cannot be calibrated).`,
      );
    }
    if (p.relevant) relevant += 1;
  });
  if (relevant === 0 || relevant === points.length) {
    throw new CalibrationError(
      `${where}: all ${points.length} candidates are ${relevant === 0 ? "non-relevant" : "relevant"}; a calibration needs both ` +
        "(more queries, a deeper first stage, or another relevance label).",
    );
  }
}

const sigmoid = (z: number) => (z >= 0 ? 1 / (1 + Math.exp(-z)) : Math.exp(z) / (1 + Math.exp(z)));
/** log(1 + e^z) without overflow. */
const softplus = (z: number) => (z > 0 ? z + Math.log1p(Math.exp(-z)) : Math.log1p(Math.exp(z)));

/**
 * Platt scaling: the maximum-likelihood logistic regression of relevance on the score (or its logit), unpenalised.
 * Newton's method on the standardised feature with a backtracking line search, to a gradient of 1e-12 per
 * candidate. Refuses what has no finite, increasing fit: scores that separate the labels perfectly (the slope
 * grows without bound: use isotonic), scores that fall as relevance rises (slope ≤ 0), and constant scores (no
 * slope at all; isotonic maps them to the base rate).
 */
export function fitPlatt(points: readonly LabelledScore[], input: "score" | "logit" = "score"): PlattMap {
  const where = "fitPlatt";
  checkLabelledScores(where, points);
  const x = points.map((p) => plattFeature(input, p.score));
  const y = points.map((p) => (p.relevant ? 1 : 0));
  const n = x.length;
  let maxNegative = Number.NEGATIVE_INFINITY;
  let minPositive = Number.POSITIVE_INFINITY;
  x.forEach((v, i) => {
    if (y[i] === 1) minPositive = Math.min(minPositive, v);
    else maxNegative = Math.max(maxNegative, v);
  });
  if (points.every((p) => p.score === points[0]?.score)) {
    throw new CalibrationError(
      `${where}: every score is ${points[0]?.score}, so there is no slope to fit; isotonic regression maps a constant score to the base rate.`,
    );
  }
  if (maxNegative <= minPositive) {
    throw new CalibrationError(
      `${where}: the scores separate relevant from non-relevant candidates perfectly (every relevant one scores ≥ every other), ` +
        "so the logistic fit has no finite slope; use isotonic regression, or fit on more labels.",
    );
  }
  const mean = x.reduce((s, v) => s + v, 0) / n;
  const sd = Math.sqrt(x.reduce((s, v) => s + (v - mean) ** 2, 0) / n);
  const z = x.map((v) => (v - mean) / sd);
  // Negative log-likelihood of (w, b) on the standardised feature.
  const loss = (w: number, b: number) => z.reduce((s, zi, i) => s + softplus(w * zi + b) - (y[i] as number) * (w * zi + b), 0);
  const rate = y.reduce((s: number, v) => s + v, 0) / n;
  let w = 0;
  let b = Math.log(rate / (1 - rate));
  let current = loss(w, b);
  for (let iteration = 0; iteration < 200; iteration++) {
    let gw = 0;
    let gb = 0;
    let hww = 0;
    let hwb = 0;
    let hbb = 0;
    z.forEach((zi, i) => {
      const p = sigmoid(w * zi + b);
      const r = p - (y[i] as number);
      const v = p * (1 - p);
      gw += r * zi;
      gb += r;
      hww += v * zi * zi;
      hwb += v * zi;
      hbb += v;
    });
    if (Math.max(Math.abs(gw), Math.abs(gb)) < 1e-12 * n) break;
    const det = hww * hbb - hwb * hwb;
    if (!(det > 0)) break;
    const dw = (hbb * gw - hwb * gb) / det;
    const db = (hww * gb - hwb * gw) / det;
    // Backtrack only on a real increase: near the optimum the loss no longer resolves the change, and the full step is right.
    let step = 1;
    const tolerance = 1e-12 * Math.max(1, Math.abs(current));
    let next = loss(w - dw, b - db);
    while (!(next <= current + tolerance) && step > 1e-10) {
      step /= 2;
      next = loss(w - step * dw, b - step * db);
    }
    if (!(next <= current + tolerance)) break;
    w -= step * dw;
    b -= step * db;
    current = Math.min(current, next);
    if (Math.max(Math.abs(step * dw), Math.abs(step * db)) < 1e-15 * Math.max(1, Math.abs(w), Math.abs(b))) break;
  }
  const slope = w / sd;
  const intercept = b - (w * mean) / sd;
  if (!(slope > 0) || !Number.isFinite(slope) || !Number.isFinite(intercept)) {
    throw new CalibrationError(
      `${where}: the fitted slope is ${slope.toPrecision(3)}: on these labels relevance does not rise with the score, so no increasing ` +
        "calibration fits (a model with random weights does this; a calibration of it would only say the base rate).",
    );
  }
  return { method: "platt", input, slope, intercept };
}

/** Scores closer than this are one score, as scikit-learn's `_make_unique` (float64 resolution) merges them. */
const SAME_SCORE = 1e-15;

/**
 * Isotonic regression as scikit-learn's `IsotonicRegression(increasing=True, out_of_bounds="clip")`: candidates
 * sorted by score (then label), equal scores pooled into their mean, pool adjacent violators, and the thresholds
 * kept where the fitted value changes (plus the first and the last). Applied by linear interpolation.
 */
export function fitIsotonic(points: readonly LabelledScore[]): IsotonicMap {
  checkLabelledScores("fitIsotonic", points);
  const sorted = [...points].sort((a, b) => a.score - b.score || Number(a.relevant) - Number(b.relevant));
  // Unique scores, each with its weight (candidates) and mean label.
  const xs: number[] = [];
  const means: number[] = [];
  const weights: number[] = [];
  let currentX = (sorted[0] as LabelledScore).score;
  let sumY = 0;
  let weight = 0;
  for (const p of sorted) {
    if (p.score - currentX >= SAME_SCORE) {
      xs.push(currentX);
      means.push(sumY / weight);
      weights.push(weight);
      currentX = p.score;
      sumY = 0;
      weight = 0;
    }
    sumY += p.relevant ? 1 : 0;
    weight += 1;
  }
  xs.push(currentX);
  means.push(sumY / weight);
  weights.push(weight);
  // Pool adjacent violators: a stack of blocks (weighted mean, weight, unique scores covered).
  const blocks: { mean: number; weight: number; count: number }[] = [];
  means.forEach((m, i) => {
    let block = { mean: m, weight: weights[i] as number, count: 1 };
    while (blocks.length > 0 && (blocks[blocks.length - 1] as { mean: number }).mean >= block.mean) {
      const previous = blocks.pop() as { mean: number; weight: number; count: number };
      const total = previous.weight + block.weight;
      block = { mean: (previous.mean * previous.weight + block.mean * block.weight) / total, weight: total, count: previous.count + block.count };
    }
    blocks.push(block);
  });
  const fitted = blocks.flatMap((block) => new Array<number>(block.count).fill(block.mean));
  // Keep the first and last threshold, and any whose value differs from a neighbour's.
  const x: number[] = [];
  const y: number[] = [];
  fitted.forEach((v, i) => {
    const keep = i === 0 || i === fitted.length - 1 || v !== fitted[i - 1] || v !== fitted[i + 1];
    if (keep) {
      x.push(xs[i] as number);
      y.push(v);
    }
  });
  return { method: "isotonic", x, y };
}
