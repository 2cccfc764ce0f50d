import { InvalidOptionError } from "../../errors.js";
import { CALIBRATION_FORMAT, type Calibration, type CalibrationMap, type CalibrationModel, applyCalibrationMap } from "../../scorers/calibration.js";
import { createPrng } from "../stats/prng.js";
import { CalibrationError, type LabelledScore, checkLabelledScores, fitIsotonic, fitPlatt } from "./fit.js";
import { type CalibrationMeasures, DEFAULT_CALIBRATION_BINS, brierScore, calibrationMeasures } from "./metrics.js";
import { describeValue } from "../../options.js";

// Calibration from judged candidates with an honest measure: queries split (seeded) into a dev part, on which both
// fits are tried and one is chosen by cross-validation over queries, and a held-out part, on which the chosen map
// is measured before and after.

/** A judged candidate of one query: `labelledScores` returns these. */
export interface CalibrationPoint extends LabelledScore {
  queryId: string;
}

export type CalibrationMethod = "platt" | "isotonic";

export interface CalibrateOptions {
  /** Which scorer the scores came from (its `cacheKey`, `modelName`, score mode): written into the calibration. */
  model: CalibrationModel;
  /** The label from which a candidate counted as relevant (TREC DL: 2). */
  relevantLabel: number;
  /**
   * `auto`: the fit with the lower Brier score in cross-validation over the dev queries (Platt on a tie: fewer
   * parameters, no flat steps). @default "auto"
   */
  method?: "auto" | CalibrationMethod;
  /**
   * Platt's feature. @default "logit" for 0–1 scores (score mode sigmoid, or unknown and every score in 0–1), else "score"
   */
  plattInput?: "score" | "logit";
  /** Seed of the query split and of the folds. @default 42 */
  seed?: number;
  /** Share of the queries held out for the before/after measures. @default 0.5 */
  heldOutFraction?: number;
  /** Folds (of dev queries) of the cross-validation that chooses the method. @default 5 */
  folds?: number;
  /** Equal-mass bins of the expected calibration error and the reliability diagram. @default 10 */
  bins?: number;
  /**
   * What the data was (dataset, split, first stage...): recorded in the calibration's `fittedOn`.
   * @default none (`fittedOn` then records the query counts, the split and the seed only)
   */
  fittedOn?: Record<string, unknown>;
}

/** One line of the held-out table. */
export interface CalibrationRow {
  /** `before`: the scores read as probabilities; `base rate`: the dev share of relevant candidates for every one. */
  name: "before" | "base rate" | CalibrationMethod;
  measures: CalibrationMeasures;
  chosen: boolean;
}

export interface CalibrationReport {
  method: CalibrationMethod;
  plattInput: "score" | "logit";
  /** How `before` read the scores: as they are (all in 0–1) or through a sigmoid (read as logits). */
  before: "scores" | "sigmoid of scores";
  seed: number;
  bins: number;
  dev: { queries: number; candidates: number; relevant: number };
  heldOut: { queries: number; candidates: number; relevant: number };
  /**
   * Pooled out-of-fold Brier score of each fit over the dev queries; absent for a fit that failed (see `notes`).
   * Brier rather than log loss: isotonic predicts 0 or 1 at its ends, and one relevant candidate below the lowest
   * relevant score of the training folds would cost it 34.5 in log loss, deciding the choice by itself.
   */
  crossValidation: { folds: number; platt?: number; isotonic?: number };
  rows: CalibrationRow[];
  notes: string[];
}

/** Splits query ids (sorted, then shuffled with the seed) into dev and held-out parts. */
export function splitQueries(queryIds: Iterable<string>, seed: number, heldOutFraction: number): { dev: string[]; heldOut: string[] } {
  if (typeof (queryIds as { [Symbol.iterator]?: unknown } | null | undefined)?.[Symbol.iterator] !== "function" || typeof queryIds === "string") {
    throw new InvalidOptionError(`splitQueries: \`queryIds\` must be an array (or other iterable) of query ids, got ${describeValue(queryIds)}.`);
  }
  const ids = [...new Set(queryIds)].sort();
  if (ids.length < 2) {
    throw new CalibrationError(
      `calibrate: ${ids.length} query; a held-out measure needs at least two. Fit on all of it with fitPlatt or fitIsotonic (nothing is then held out).`,
    );
  }
  const random = createPrng(seed);
  for (let i = ids.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [ids[i], ids[j]] = [ids[j] as string, ids[i] as string];
  }
  const heldOut = Math.min(ids.length - 1, Math.max(1, Math.round(ids.length * heldOutFraction)));
  return { heldOut: ids.slice(0, heldOut), dev: ids.slice(heldOut) };
}

function fit(method: CalibrationMethod, points: readonly LabelledScore[], plattInput: "score" | "logit"): CalibrationMap {
  return method === "platt" ? fitPlatt(points, plattInput) : fitIsotonic(points);
}

const count = (points: readonly CalibrationPoint[]) => ({
  queries: new Set(points.map((p) => p.queryId)).size,
  candidates: points.length,
  relevant: points.filter((p) => p.relevant).length,
});

/** Out-of-fold Brier score of each method over query folds of the dev points; a method that fails on a fold gets none. */
function crossValidate(dev: readonly CalibrationPoint[], folds: number, seed: number, plattInput: "score" | "logit", notes: string[]) {
  const ids = [...new Set(dev.map((p) => p.queryId))].sort();
  const k = Math.min(folds, ids.length);
  if (k < 2) return { folds: k };
  const random = createPrng(seed + 1);
  const fold = new Map(ids.map((id) => [id, Math.floor(random() * 1e9)] as const));
  const order = [...ids].sort((a, b) => (fold.get(a) as number) - (fold.get(b) as number) || (a < b ? -1 : 1));
  const foldOf = new Map(order.map((id, i) => [id, i % k] as const));
  const result: { folds: number; platt?: number; isotonic?: number } = { folds: k };
  for (const method of ["platt", "isotonic"] as const) {
    const predicted: number[] = [];
    const labels: boolean[] = [];
    try {
      for (let f = 0; f < k; f++) {
        const train = dev.filter((p) => foldOf.get(p.queryId) !== f);
        const test = dev.filter((p) => foldOf.get(p.queryId) === f);
        const map = fit(method, train, plattInput);
        for (const p of test) {
          predicted.push(applyCalibrationMap(map, p.score));
          labels.push(p.relevant);
        }
      }
      result[method] = brierScore(predicted, labels);
    } catch (error) {
      if (!(error instanceof CalibrationError)) throw error;
      notes.push(`cross-validation: ${method} failed on a fold: ${error.message}`);
    }
  }
  return result;
}

/**
 * Fits a calibration on judged candidates and measures it on held-out queries: the queries are split with the
 * seed, the method chosen on the dev part (or given), fitted on all of it, and the before/after measures taken
 * on the held-out part. Throws a `CalibrationError` for NaN scores, a dev part with one class only (all relevant,
 * or none), fewer than two queries, or a method that cannot fit (Platt on perfectly separating or constant scores).
 */
export function calibrate(points: readonly CalibrationPoint[], options: CalibrateOptions): { calibration: Calibration; report: CalibrationReport } {
  if (options === null || typeof options !== "object" || options.model === null || typeof options.model !== "object") {
    throw new InvalidOptionError("calibrate: pass options with `model` (the scorer's identity) and `relevantLabel`.");
  }
  const seed = options.seed ?? 42;
  const heldOutFraction = options.heldOutFraction ?? 0.5;
  if (!(heldOutFraction > 0 && heldOutFraction < 1))
    throw new InvalidOptionError(`calibrate: \`heldOutFraction\` must be in (0, 1), got ${heldOutFraction}.`);
  const bins = options.bins ?? DEFAULT_CALIBRATION_BINS;
  const folds = options.folds ?? 5;
  if (!Number.isSafeInteger(folds) || folds < 1) throw new InvalidOptionError(`calibrate: \`folds\` must be a positive integer, got ${folds}.`);
  points.forEach((p, i) => {
    if (typeof p?.score !== "number" || !Number.isFinite(p.score)) {
      throw new CalibrationError(
        `calibrate: score ${i} (query ${String(p?.queryId)}) is ${String(p?.score)}; a NaN or infinite score cannot be calibrated.`,
      );
    }
  });
  const split = splitQueries(
    points.map((p) => p.queryId),
    seed,
    heldOutFraction,
  );
  const devIds = new Set(split.dev);
  const dev = points.filter((p) => devIds.has(p.queryId));
  const heldOut = points.filter((p) => !devIds.has(p.queryId));
  checkLabelledScores(`calibrate (the ${split.dev.length} dev queries)`, dev);
  const inUnitRange = points.every((p) => p.score >= 0 && p.score <= 1);
  const scoreMode = options.model.scoreMode;
  const plattInput = options.plattInput ?? (scoreMode === "sigmoid" || (scoreMode === null && inUnitRange) ? "logit" : "score");
  const notes: string[] = [];
  const crossValidation = crossValidate(dev, folds, seed, plattInput, notes);
  // Both fits on all dev queries, for the held-out table; the chosen one is the calibration.
  const maps: Partial<Record<CalibrationMethod, CalibrationMap>> = {};
  for (const method of ["platt", "isotonic"] as const) {
    try {
      maps[method] = fit(method, dev, plattInput);
    } catch (error) {
      if (!(error instanceof CalibrationError) || options.method === method) throw error;
      notes.push(`${method}: ${error.message}`);
    }
  }
  let method: CalibrationMethod;
  if (options.method === "platt" || options.method === "isotonic") method = options.method;
  else if (maps.platt === undefined) method = "isotonic";
  else if (crossValidation.isotonic !== undefined && (crossValidation.platt === undefined || crossValidation.isotonic < crossValidation.platt)) {
    method = "isotonic";
  } else method = "platt";
  const map = maps[method] as CalibrationMap;

  const labels = heldOut.map((p) => p.relevant);
  const rate = dev.filter((p) => p.relevant).length / dev.length;
  const sigmoid = (s: number) => 1 / (1 + Math.exp(-s));
  const rows: CalibrationRow[] = [
    {
      name: "before",
      measures: calibrationMeasures(
        heldOut.map((p) => (inUnitRange ? p.score : sigmoid(p.score))),
        labels,
        bins,
      ),
      chosen: false,
    },
    {
      name: "base rate",
      measures: calibrationMeasures(
        heldOut.map(() => rate),
        labels,
        bins,
      ),
      chosen: false,
    },
    ...(["platt", "isotonic"] as const).flatMap((m) => {
      const fitted = maps[m];
      if (fitted === undefined) return [];
      return [
        {
          name: m,
          measures: calibrationMeasures(
            heldOut.map((p) => applyCalibrationMap(fitted, p.score)),
            labels,
            bins,
          ),
          chosen: m === method,
        },
      ];
    }),
  ];
  const report: CalibrationReport = {
    method,
    plattInput,
    before: inUnitRange ? "scores" : "sigmoid of scores",
    seed,
    bins,
    dev: count(dev),
    heldOut: count(heldOut),
    crossValidation,
    rows,
    notes,
  };
  const measured = (row: CalibrationRow | undefined) => row && { ece: row.measures.ece, brier: row.measures.brier, logLoss: row.measures.logLoss };
  const calibration: Calibration = {
    format: CALIBRATION_FORMAT,
    model: { ...options.model },
    relevantLabel: options.relevantLabel,
    map,
    fittedOn: {
      ...options.fittedOn,
      seed,
      heldOutFraction,
      devQueries: report.dev.queries,
      devCandidates: report.dev.candidates,
      devRelevant: report.dev.relevant,
    },
    choice: {
      method,
      rule:
        options.method === undefined || options.method === "auto"
          ? `lower pooled out-of-fold Brier score over ${crossValidation.folds} folds of dev queries (Platt on a tie)`
          : "given",
      crossValidatedBrier: { platt: crossValidation.platt ?? null, isotonic: crossValidation.isotonic ?? null },
    },
    heldOut: {
      ...report.heldOut,
      bins,
      before: measured(rows[0]),
      after: measured(rows.find((r) => r.chosen)),
    },
  };
  return { calibration, report };
}
