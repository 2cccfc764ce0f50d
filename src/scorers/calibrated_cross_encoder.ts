import { InvalidOptionError, RerankError } from "../errors.js";
import { describeValue } from "../options.js";
import { type Calibration, applyCalibrationMap, checkCalibration } from "./calibration.js";
import {
  type CrossEncoder,
  type CrossEncoderCallOptions,
  type DetailedScore,
  type TextPair,
  checkTextPairs,
  isCrossEncoder,
} from "./cross_encoder.js";

export interface CalibratedCrossEncoderArgs {
  /** The scorer the calibration was fitted for. */
  model: CrossEncoder;
  /** A calibration, e.g. `JSON.parse` of the file `rerank-eval --calibrate FILE` wrote. */
  calibration: Calibration;
}

const OWNER = "CalibratedCrossEncoder";

/**
 * A CrossEncoder whose scores are calibrated probabilities of relevance: the wrapped scorer's scores through a
 * monotone map fitted on labelled data (`rerank-eval --calibrate`, Platt scaling or isotonic regression). Then
 * `RelevanceThresholdFilter({ threshold: 0.5 })` keeps what is more likely relevant than not, whatever the model.
 *
 * The calibration must have been fitted for this scorer: its `cacheKey` (model, weights, score mode, truncation)
 * or, when it recorded none, its `modelName`, and its score mode; anything else is refused. The map never
 * reverses an order: a higher score never gets a lower probability. Isotonic maps have flat steps, where different
 * scores get the same probability; `CrossEncoderReranker` keeps such ties in first-stage order.
 *
 * @example
 * ```ts
 * import { Document } from "@langchain/core/documents";
 * import { CalibratedCrossEncoder, CrossEncoderReranker, RelevanceThresholdFilter, type TextPair } from "langchain-rerank";
 *
 * // Any CrossEncoder; this one counts shared words, so the example runs offline.
 * const scorer = {
 *   modelName: "word-overlap",
 *   score: async (pairs: readonly TextPair[]) => pairs.map(([q, t]) => q.split(" ").filter((w) => t.includes(w)).length),
 * };
 * // A calibration as rerank-eval --calibrate writes it (here by hand: P = sigmoid(2·score − 3)).
 * const calibration = {
 *   format: "langchain-rerank/calibration@1" as const,
 *   model: { modelName: "word-overlap", scoreMode: null },
 *   relevantLabel: 1,
 *   map: { method: "platt" as const, input: "score" as const, slope: 2, intercept: -3 },
 * };
 * const model = new CalibratedCrossEncoder({ model: scorer, calibration });
 * const filter = new RelevanceThresholdFilter({ reranker: new CrossEncoderReranker({ model, topN: 10 }), threshold: 0.5 });
 * const docs = ["coffee raises blood pressure", "coffee is brewed", "tea"].map((text) => new Document({ pageContent: text }));
 * const kept = await filter.compressDocuments(docs, "does coffee raise blood pressure");
 * console.log(kept.map((d) => d.metadata.relevanceScore)); // [ 0.9933... ]: only the first is more likely relevant than not
 * ```
 */
export class CalibratedCrossEncoder implements CrossEncoder {
  readonly model: CrossEncoder;
  readonly calibration: Calibration;

  constructor(fields: CalibratedCrossEncoderArgs) {
    if (fields === null || typeof fields !== "object") {
      throw new InvalidOptionError(`${OWNER}: pass { model, calibration }, the calibration as rerank-eval --calibrate wrote it.`);
    }
    if (!isCrossEncoder(fields.model)) throw new InvalidOptionError(`${OWNER}: \`model\` must be a CrossEncoder (an object with score(pairs)).`);
    this.model = fields.model;
    this.calibration = checkCalibration(OWNER, fields.calibration);
    checkSameScorer(this.calibration, fields.model);
  }

  /** The wrapped scorer's `modelName`: calibration does not change who scores. */
  get modelName(): string | undefined {
    const name = this.model.modelName;
    return typeof name === "string" ? name : undefined;
  }

  /** The scorer's identity and the map: calibrated scores are not the scorer's, so a cache keeps them apart. */
  get cacheKey(): string | undefined {
    const key = this.model.cacheKey;
    return typeof key === "string" ? JSON.stringify(["calibrated", this.calibration.map, key]) : undefined;
  }

  /** P(relevant) for one score of the wrapped scorer. */
  probability(score: number): number {
    if (typeof score !== "number" || !Number.isFinite(score))
      throw new RerankError(`${OWNER}: the scorer returned ${describeValue(score)}, not a finite score.`);
    return applyCalibrationMap(this.calibration.map, score);
  }

  async score(pairs: readonly TextPair[], options?: CrossEncoderCallOptions): Promise<number[]> {
    checkTextPairs(`${OWNER}.score`, pairs);
    const scores: unknown = await this.model.score(pairs, options);
    if (!Array.isArray(scores) || scores.length !== pairs.length) {
      throw new RerankError(`${OWNER}: the scorer returned ${Array.isArray(scores) ? scores.length : "no"} scores for ${pairs.length} pairs.`);
    }
    return scores.map((s) => this.probability(s as number));
  }

  /** Calibrated scores with the scorer's best windows, when it reports them (`scoreDetailed`). */
  async scoreDetailed(pairs: readonly TextPair[], options?: CrossEncoderCallOptions): Promise<DetailedScore[]> {
    if (typeof this.model.scoreDetailed !== "function") return (await this.score(pairs, options)).map((score) => ({ score }));
    checkTextPairs(`${OWNER}.scoreDetailed`, pairs);
    const items: unknown = await this.model.scoreDetailed(pairs, options);
    if (!Array.isArray(items) || items.length !== pairs.length) {
      throw new RerankError(`${OWNER}: the scorer returned ${Array.isArray(items) ? items.length : "no"} scores for ${pairs.length} pairs.`);
    }
    return items.map((item: DetailedScore) => ({ ...item, score: this.probability(item?.score) }));
  }
}

/** Refuses a calibration fitted for another model or score mode, saying which. */
function checkSameScorer(calibration: Calibration, scorer: CrossEncoder): void {
  const fitted = calibration.model;
  const mode = (scorer as { scoreMode?: unknown }).scoreMode;
  if (fitted.scoreMode !== null && typeof mode === "string" && mode !== fitted.scoreMode) {
    throw new InvalidOptionError(
      `${OWNER}: the calibration was fitted for score mode "${fitted.scoreMode}", but the scorer scores in "${mode}"; ` +
        "refit it for this mode (rerank-eval --calibrate --score-mode ...) or use the mode it was fitted for.",
    );
  }
  if (fitted.cacheKey !== undefined) {
    if (scorer.cacheKey !== fitted.cacheKey) {
      throw new InvalidOptionError(
        `${OWNER}: the calibration was fitted for another model or score mode (cacheKey ${JSON.stringify(fitted.cacheKey)}), ` +
          `not this scorer (cacheKey ${scorer.cacheKey === undefined ? "none" : JSON.stringify(scorer.cacheKey)}); a score means something else ` +
          "for every model, weights, score mode and truncation: fit a calibration for this one (rerank-eval --calibrate).",
      );
    }
    return;
  }
  if (fitted.modelName === undefined) {
    throw new InvalidOptionError(
      `${OWNER}: the calibration names no model (neither model.cacheKey nor model.modelName), so it cannot be checked against the scorer.`,
    );
  }
  if (scorer.modelName !== fitted.modelName) {
    throw new InvalidOptionError(
      `${OWNER}: the calibration was fitted for another model (${JSON.stringify(fitted.modelName)}), not this scorer ` +
        `(${scorer.modelName === undefined ? "which has no modelName" : JSON.stringify(scorer.modelName)}); fit a calibration for this one (rerank-eval --calibrate).`,
    );
  }
}
