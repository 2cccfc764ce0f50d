import { InvalidOptionError } from "../../errors.js";

// How well probabilities match outcomes: expected calibration error over equal-mass bins (with the reliability
// diagram it is read from), the Brier score and the log loss.

/** Log loss clips probabilities to [ε, 1 − ε], as scikit-learn's `log_loss(eps=1e-15)` does: a 0 or 1 stays finite. */
export const LOG_LOSS_EPSILON = 1e-15;

/** The default bin count of the expected calibration error and the reliability diagram. */
export const DEFAULT_CALIBRATION_BINS = 10;

/** One bin of a reliability diagram: its candidates' mean predicted probability against the share relevant. */
export interface ReliabilityBin {
  count: number;
  /** Mean predicted probability in the bin. */
  meanPredicted: number;
  /** Share of the bin's candidates that are relevant. */
  observed: number;
  lower: number;
  upper: number;
}

/** Calibration measures of one set of probabilities. */
export interface CalibrationMeasures {
  /** Expected calibration error: Σ over bins of (share of candidates) · |mean predicted − observed|. */
  ece: number;
  /** Mean of (p − y)². */
  brier: number;
  /** Mean of −(y·ln p + (1 − y)·ln(1 − p)), p clipped to [1e-15, 1 − 1e-15]. */
  logLoss: number;
  bins: ReliabilityBin[];
}

function check(where: string, probabilities: readonly number[], relevant: readonly boolean[]): void {
  if (probabilities.length !== relevant.length) {
    throw new InvalidOptionError(`${where}: ${probabilities.length} probabilities for ${relevant.length} labels; give one per candidate.`);
  }
  if (probabilities.length === 0) throw new InvalidOptionError(`${where}: no candidates.`);
  probabilities.forEach((p, i) => {
    if (typeof p !== "number" || !(p >= 0 && p <= 1))
      throw new InvalidOptionError(`${where}: probability ${i} is ${String(p)}, not a number in 0–1.`);
  });
}

/**
 * The reliability diagram's bins, equal-mass: candidates sorted by probability and cut into `bins` runs of
 * ⌈n/bins⌉ or ⌊n/bins⌋ (the longer ones first, as numpy's array_split), except that equal probabilities are never
 * split: a cut inside a run of ties moves to its end. So a constant predictor has one bin, and there are at most
 * `bins` bins (fewer with many ties).
 */
export function reliabilityBins(probabilities: readonly number[], relevant: readonly boolean[], bins = DEFAULT_CALIBRATION_BINS): ReliabilityBin[] {
  check("reliabilityBins", probabilities, relevant);
  if (!Number.isSafeInteger(bins) || bins < 1)
    throw new InvalidOptionError(`reliabilityBins: \`bins\` must be a positive integer, got ${String(bins)}.`);
  const n = probabilities.length;
  const order = probabilities.map((_, i) => i).sort((a, b) => (probabilities[a] as number) - (probabilities[b] as number) || a - b);
  const base = Math.floor(n / bins);
  const longer = n % bins;
  const result: ReliabilityBin[] = [];
  let start = 0;
  for (let b = 0, target = 0; b < bins && start < n; b++) {
    target += base + (b < longer ? 1 : 0);
    if (target <= start) continue;
    let end = Math.min(target, n);
    while (end < n && probabilities[order[end] as number] === probabilities[order[end - 1] as number]) end += 1;
    let sumP = 0;
    let hits = 0;
    for (let k = start; k < end; k++) {
      const i = order[k] as number;
      sumP += probabilities[i] as number;
      if (relevant[i]) hits += 1;
    }
    const count = end - start;
    result.push({
      count,
      meanPredicted: sumP / count,
      observed: hits / count,
      lower: probabilities[order[start] as number] as number,
      upper: probabilities[order[end - 1] as number] as number,
    });
    start = end;
  }
  return result;
}

/** Expected calibration error over equal-mass bins (`reliabilityBins`): 0 for perfectly calibrated bins. */
export function expectedCalibrationError(probabilities: readonly number[], relevant: readonly boolean[], bins = DEFAULT_CALIBRATION_BINS): number {
  return eceOf(reliabilityBins(probabilities, relevant, bins));
}

function eceOf(bins: readonly ReliabilityBin[]): number {
  const n = bins.reduce((s, bin) => s + bin.count, 0);
  return bins.reduce((s, bin) => s + (bin.count / n) * Math.abs(bin.meanPredicted - bin.observed), 0);
}

/** The Brier score: mean squared difference between probability and outcome (0 perfect; 0.25 for always 0.5). */
export function brierScore(probabilities: readonly number[], relevant: readonly boolean[]): number {
  check("brierScore", probabilities, relevant);
  return probabilities.reduce((s, p, i) => s + (p - (relevant[i] ? 1 : 0)) ** 2, 0) / probabilities.length;
}

/** The log loss (cross-entropy, natural log), probabilities clipped to [1e-15, 1 − 1e-15]. */
export function logLoss(probabilities: readonly number[], relevant: readonly boolean[]): number {
  check("logLoss", probabilities, relevant);
  const clip = (p: number) => Math.min(1 - LOG_LOSS_EPSILON, Math.max(LOG_LOSS_EPSILON, p));
  return -probabilities.reduce((s, p, i) => s + (relevant[i] ? Math.log(clip(p)) : Math.log(1 - clip(p))), 0) / probabilities.length;
}

/** ECE, Brier, log loss and the reliability bins of one set of probabilities. */
export function calibrationMeasures(
  probabilities: readonly number[],
  relevant: readonly boolean[],
  bins = DEFAULT_CALIBRATION_BINS,
): CalibrationMeasures {
  const reliability = reliabilityBins(probabilities, relevant, bins);
  return {
    ece: eceOf(reliability),
    brier: brierScore(probabilities, relevant),
    logLoss: logLoss(probabilities, relevant),
    bins: reliability,
  };
}
