import { InvalidOptionError } from "../errors.js";

/**
 * A cross-encoder reads a (query, text) pair together and returns one relevance score per pair.
 * Same shape as Python LangChain's `BaseCrossEncoder.score(text_pairs)`, async and abortable.
 */
export type TextPair = readonly [query: string, text: string];

export interface CrossEncoderCallOptions {
  /**
   * Stops the work between batches (local) or requests (remote); the promise rejects with the signal's reason.
   * @default none
   */
  signal?: AbortSignal;
}

/** A span of a text in UTF-16 code units, as `text.slice(start, end)` takes it. */
export interface ChunkSpan {
  start: number;
  end: number;
}

/** A window span, within a text of `textLength` characters when given: safe integers with 0 ≤ start ≤ end ≤ length. */
export function isChunkSpan(value: unknown, textLength = Number.POSITIVE_INFINITY): value is ChunkSpan {
  if (value === null || typeof value !== "object") return false;
  const { start, end } = value as { start?: unknown; end?: unknown };
  return (
    Number.isSafeInteger(start) &&
    Number.isSafeInteger(end) &&
    0 <= (start as number) &&
    (start as number) <= (end as number) &&
    (end as number) <= textLength
  );
}

/** A pair's score, and for a long document scored in windows, where its best window lies in the text. */
export interface DetailedScore {
  score: number;
  /** The best-scoring window's span in the pair's text; absent when the text was scored whole (or truncated). */
  chunk?: ChunkSpan;
}

export interface CrossEncoder {
  /** One score per pair, in input order. Higher means more relevant. */
  score(pairs: readonly TextPair[], options?: CrossEncoderCallOptions): Promise<number[]>;
  /**
   * Optional identity for score caches: a stable string naming everything that changes this scorer's scores
   * (model, weights, score mode, truncation, ...) and nothing that does not (batching, concurrency, credentials).
   * Two scorers with the same `cacheKey` must give the same score to the same pair. `CachedCrossEncoder` needs it,
   * or an explicit `namespace`.
   */
  readonly cacheKey?: string;
  /**
   * Optional: which model scores, for people reading a stage history or a log (Python LangChain's
   * `HuggingFaceCrossEncoder.model_name`): a model id, or for a server the model at its URL with secrets masked.
   * `CrossEncoderReranker` names its stage in `metadata.stageScores` after it. Never holds a credential.
   */
  readonly modelName?: string;
  /**
   * Optional: the same scores with details, one per pair in input order. Scorers that split long documents into
   * windows implement it, and `CrossEncoderReranker` uses it when present to record the best window.
   */
  scoreDetailed?(pairs: readonly TextPair[], options?: CrossEncoderCallOptions): Promise<DetailedScore[]>;
}

/**
 * How model outputs become scores.
 * - `sigmoid`: a 0–1 score (sigmoid of the logit; for two-label models, the positive label's softmax probability).
 * - `raw`: the logit itself (for two-label models, positive minus negative logit: the log-odds).
 * Neither is a calibrated probability; thresholds must be chosen per model and per mode.
 */
export type ScoreMode = "sigmoid" | "raw";

export function isCrossEncoder(value: unknown): value is CrossEncoder {
  return typeof (value as CrossEncoder | undefined)?.score === "function";
}

/**
 * Who scores, for names in stage histories and results: the scorer's `modelName` (a model id, a server's masked
 * URL), else a string `model` property, else its class name; undefined for a plain object. A getter that throws
 * counts as absent: naming must not fail a call that already scored.
 */
export function scorerName(scorer: CrossEncoder): string | undefined {
  const named = scorer as { modelName?: unknown; model?: unknown };
  let name: unknown;
  try {
    name = named.modelName ?? named.model;
  } catch {
    name = undefined;
  }
  if (typeof name === "string" && name.length > 0) return name;
  const className = (scorer as object).constructor?.name;
  return className && className !== "Object" ? className : undefined;
}

/**
 * The one check of a scorer's `pairs` argument: an array of `[query, text]` pairs of strings. `where` names the call
 * (`HuggingFaceCrossEncoder.score`). An index loop, not forEach: forEach skips a sparse array's holes, which then got
 * no score, or put later pairs' windows under the wrong pair. `nonEmptyQuery` also refuses a blank query (rerank
 * servers reject one).
 */
export function checkTextPairs(where: string, pairs: unknown, options: { nonEmptyQuery?: boolean } = {}): asserts pairs is readonly TextPair[] {
  if (!Array.isArray(pairs)) throw new InvalidOptionError(`${where} expects an array of [query, text] pairs.`);
  for (let i = 0; i < pairs.length; i++) {
    const pair: unknown = pairs[i];
    if (!Array.isArray(pair) || pair.length !== 2 || typeof pair[0] !== "string" || typeof pair[1] !== "string") {
      throw new InvalidOptionError(
        `${where} expects [query, text] pairs of strings; pair ${i} is ${i in pairs ? "not one" : "a hole (sparse array)"}.`,
      );
    }
    if (options.nonEmptyQuery && pair[0].trim() === "")
      throw new InvalidOptionError(`${where}: pair ${i} has an empty query; rerank servers reject one.`);
  }
}
