import { InvalidOptionError } from "../../errors.js";
import type { Calibration, CalibrationModel } from "../../scorers/calibration.js";
import { type CalibrateOptions, calibrate } from "../calibration/calibrate.js";
import type { CalibrationSummary } from "../calibration_report.js";
import type { EvaluationResult } from "../evaluate.js";
import { type Reranker, parseRerankerSpec } from "./rerankers.js";
import { labelledScores } from "../threshold.js";

// rerank-eval's --calibrate: fit a calibration of one configuration's scores on half of the judged queries and
// measure it on the other half. Kept out of cli.ts so that file stays about running an evaluation.

export const CALIBRATION_OPTIONS = {
  calibrate: { type: "string" },
  "calibration-method": { type: "string" },
} as const;

export const CALIBRATION_USAGE = `  --calibrate FILE       fit P(relevant) from the scores of the one --reranker (or of the first stage,
                         with none alone) on half of the queries (split with --seed), report ECE, Brier
                         and log loss before/after on the other half, and write the calibration as JSON
  --calibration-method M auto | platt | isotonic (default: auto, the lower cross-validated Brier score)
`;

export interface CalibrationFlags {
  file: string;
  method: "auto" | "platt" | "isotonic";
  /** The --reranker whose scores are calibrated. */
  reranker: string;
}

/** Reads the calibration flags; `rerankers` are the --reranker specs. Throws usage mistakes. */
export function parseCalibrationFlags(
  values: { calibrate?: string; "calibration-method"?: string },
  rerankers: readonly string[],
): CalibrationFlags | undefined {
  const method = values["calibration-method"];
  if (values.calibrate === undefined) {
    if (method !== undefined) throw new InvalidOptionError("--calibration-method goes with --calibrate FILE.");
    return undefined;
  }
  if (method !== undefined && method !== "auto" && method !== "platt" && method !== "isotonic") {
    throw new InvalidOptionError(`--calibration-method must be auto, platt or isotonic, got ${JSON.stringify(method)}.`);
  }
  const scored = rerankers.filter((r) => parseRerankerSpec(r).kind !== "none");
  if (scored.length > 1) {
    throw new InvalidOptionError(
      "--calibrate calibrates one scorer: give one --reranker besides none (or none alone, for the first stage's scores).",
    );
  }
  return { file: values.calibrate, method: (method ?? "auto") as CalibrationFlags["method"], reranker: scored[0] ?? "none" };
}

/** Who produced the calibrated scores: the scorer's identity, or the first stage's description. */
function modelOf(reranker: Reranker, firstStage: string): CalibrationModel {
  if (reranker.kind === "none") return { modelName: `first stage: ${firstStage}`, scoreMode: null };
  const scorer = reranker.scorer;
  return {
    ...(scorer?.cacheKey !== undefined ? { cacheKey: scorer.cacheKey } : {}),
    modelName: scorer?.modelName ?? reranker.name,
    scoreMode: scorer?.scoreMode ?? null,
  };
}

export interface CalibrationRun {
  flags: CalibrationFlags;
  reranker: Reranker;
  result: EvaluationResult;
  relThreshold: number;
  seed: number;
  fittedOn: CalibrateOptions["fittedOn"] & { firstStage: string };
}

/** Fits and measures the calibration: the file's contents and the report's section. */
export function runCalibration(run: CalibrationRun): { calibration: Calibration; summary: CalibrationSummary } {
  const { flags, reranker, result, relThreshold } = run;
  const points = labelledScores(result, reranker.name, relThreshold);
  const { calibration, report } = calibrate(points, {
    model: modelOf(reranker, run.fittedOn.firstStage),
    relevantLabel: relThreshold,
    method: flags.method,
    seed: run.seed,
    fittedOn: { ...run.fittedOn, configuration: reranker.name, unjudged: "not relevant" },
  });
  return { calibration, summary: { ...report, configuration: reranker.name, relevantLabel: relThreshold, file: flags.file } };
}
