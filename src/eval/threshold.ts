import { InvalidOptionError } from "../errors.js";
import type { EvaluationResult } from "./evaluate.js";
import type { LabelledScore } from "./calibration/fit.js";
import { checkRelThreshold, isRelevantLabel } from "./stats/metrics.js";

export type { LabelledScore };

/** Keeping every document with score ≥ `threshold` gives this precision, recall and F1. */
export interface ThresholdPoint {
  threshold: number;
  kept: number;
  precision: number;
  recall: number;
  f1: number;
}

export interface ChooseThresholdOptions {
  /** Also find the lowest threshold whose precision reaches this (0–1), i.e. the most recall at that precision. */
  targetPrecision?: number;
  /**
   * Denominator of recall. Pass the qrels' count to include relevant documents the first stage never retrieved.
   * @default the relevant documents among the points (what a threshold on these candidates can keep at best)
   */
  totalRelevant?: number;
}

export interface ThresholdChoice {
  /** Highest F1 (ties: the higher threshold, which keeps fewer documents). Undefined without relevant points. */
  bestF1?: ThresholdPoint;
  /** Lowest threshold with precision ≥ `targetPrecision`; undefined when asked and never reached, or not asked. */
  atTargetPrecision?: ThresholdPoint;
  /** One point per distinct score, from the highest threshold to the lowest. */
  curve: ThresholdPoint[];
  positives: number;
  negatives: number;
}

/**
 * Sweeps a threshold over the distinct scores (keep score ≥ threshold) and returns the precision/recall curve,
 * the F1-maximising threshold and, when asked, the threshold reaching a target precision. Thresholds depend on
 * the reranker's score mode (sigmoid 0–1 vs raw logits): choose with the mode you will deploy.
 */
export function chooseThreshold(points: readonly LabelledScore[], options: ChooseThresholdOptions = {}): ThresholdChoice {
  const { targetPrecision } = options;
  if (targetPrecision !== undefined && !(targetPrecision >= 0 && targetPrecision <= 1)) {
    throw new InvalidOptionError(`chooseThreshold: \`targetPrecision\` must be between 0 and 1, got ${targetPrecision}.`);
  }
  for (const p of points) {
    if (typeof p.score !== "number" || !Number.isFinite(p.score)) {
      throw new InvalidOptionError(`chooseThreshold: every score must be a finite number, got ${String(p.score)}.`);
    }
  }
  const positives = points.filter((p) => p.relevant).length;
  const negatives = points.length - positives;
  const totalRelevant = options.totalRelevant ?? positives;
  if (!Number.isInteger(totalRelevant) || totalRelevant < positives) {
    throw new InvalidOptionError(`chooseThreshold: \`totalRelevant\` (${totalRelevant}) must be an integer ≥ the relevant points (${positives}).`);
  }
  const sorted = [...points].sort((a, b) => b.score - a.score);
  const curve: ThresholdPoint[] = [];
  let tp = 0;
  let kept = 0;
  for (let i = 0; i < sorted.length;) {
    const threshold = (sorted[i] as LabelledScore).score;
    // Equal scores are kept or dropped together.
    while (i < sorted.length && (sorted[i] as LabelledScore).score === threshold) {
      if ((sorted[i] as LabelledScore).relevant) tp += 1;
      kept += 1;
      i += 1;
    }
    const precision = tp / kept;
    const recall = totalRelevant > 0 ? tp / totalRelevant : 0;
    const f1 = precision + recall > 0 ? (2 * precision * recall) / (precision + recall) : 0;
    curve.push({ threshold, kept, precision, recall, f1 });
  }
  let bestF1: ThresholdPoint | undefined;
  if (positives > 0) for (const point of curve) if (bestF1 === undefined || point.f1 > bestF1.f1) bestF1 = point;
  let atTargetPrecision: ThresholdPoint | undefined;
  if (targetPrecision !== undefined) for (const point of curve) if (point.precision >= targetPrecision) atTargetPrecision = point;
  return { ...(bestF1 ? { bestF1 } : {}), ...(atTargetPrecision ? { atTargetPrecision } : {}), curve, positives, negatives };
}

/**
 * The scored, labelled candidates of one configuration of an evaluation (needs `keepRankings`): a document
 * is relevant when its label ≥ `relThreshold` (default: the evaluation's); unjudged counts as not relevant.
 * Documents the stage gave no score are left out.
 */
export function labelledScores(
  result: EvaluationResult,
  configuration: string,
  relThreshold = result.relThreshold,
): (LabelledScore & { queryId: string })[] {
  checkRelThreshold(relThreshold, "labelledScores");
  if (!result.configurations.some((c) => c.name === configuration)) {
    const known = result.configurations.map((c) => JSON.stringify(c.name)).join(", ");
    throw new InvalidOptionError(`labelledScores: no configuration ${JSON.stringify(configuration)}; the evaluation has ${known}.`);
  }
  const points: (LabelledScore & { queryId: string })[] = [];
  for (const query of result.perQuery) {
    const ranking = query.configurations[configuration]?.ranking;
    if (ranking === undefined) throw new InvalidOptionError("labelledScores: the evaluation kept no rankings; run evaluate with keepRankings: true.");
    for (const doc of ranking)
      if (doc.score !== undefined) points.push({ queryId: query.queryId, score: doc.score, relevant: isRelevantLabel(doc.label, relThreshold) });
  }
  return points;
}
