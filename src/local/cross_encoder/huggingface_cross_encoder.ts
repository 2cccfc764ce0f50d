import { InvalidOptionError, RerankError } from "../../errors.js";
import { checkNonNegativeInteger, checkOneOf, checkPositiveInteger, checkString } from "../../options.js";
import { planBatches } from "../runtime/batch_planner.js";
import { documentScores } from "../../scorers/chunking.js";
import { type CrossEncoder, type DetailedScore, type ScoreMode, type TextPair } from "../../scorers/cross_encoder.js";
import { type LoadedReranker, loadReranker, modelKey } from "./huggingface_loader.js";
import { DEFAULT_RERANKER_MODEL } from "../loading/load_spec.js";
import type { LocalModelArgs } from "../runtime/local_model_options.js";
import { LocalModelScorer } from "../runtime/local_scoring.js";
import { type EncodedPair, PairEncoder } from "../runtime/pair_encoder.js";
import { batchFeeds } from "../runtime/tensor_feeds.js";

// The sequence-classification family over the shared local runtime (local_scoring.ts: options, model lifecycle,
// load shedding; batch_planner.ts and tensor_feeds.ts: length-sorted padded batches). What is its own: what it
// loads (huggingface_loader.ts, a sequence classifier), pair encoding with windows of long documents, and logits
// to scores.

export interface HuggingFaceCrossEncoderArgs extends LocalModelArgs {
  /**
   * Hub id (transformers.js ONNX layout) or a local model folder.
   * @default "Xenova/bge-reranker-base"
   */
  model?: string;
  /**
   * Tokens per (query, document) pair, special tokens included.
   * @default the model's limit, at most 512
   */
  maxLength?: number;
  /**
   * Tokens the query may keep before the document is cut.
   * @default ¾ of maxLength (as FlagEmbedding)
   */
  maxQueryLength?: number;
  /**
   * `sigmoid`: 0–1 scores; `raw`: logits (two-label models: positive minus negative logit).
   * @default "sigmoid"
   */
  scoreMode?: ScoreMode;
  /**
   * For two-label models, the label that means "relevant": its index or its name in config.json.
   * @default 1
   */
  positiveLabel?: number | string;
}

const OWNER = "HuggingFaceCrossEncoder";

interface Prepared {
  loaded: LoadedReranker;
  encoder: PairEncoder;
  positiveIndex: number;
}

/**
 * A cross-encoder reranker running in-process with transformers.js (ONNX): BGE rerankers, ms-marco MiniLM and any
 * sequence-classification reranker. Pairs are batched by length (sorted, each batch padded to its own longest pair)
 * and scores come back in input order. The model loads lazily, once per process for the same
 * (model, dtype, device, revision), and is shared by every instance and concurrent call.
 *
 * Same name and default model as Python LangChain's `HuggingFaceCrossEncoder`.
 *
 * @example
 * ```ts
 * // network: downloads the model from the Hugging Face hub on first use (or give a local folder)
 * import { HuggingFaceCrossEncoder } from "langchain-rerank/huggingface";
 *
 * const scorer = new HuggingFaceCrossEncoder({ model: "Xenova/ms-marco-MiniLM-L-6-v2" }); // or a local folder
 * const scores = await scorer.score([
 *   ["does coffee raise blood pressure?", "Caffeine can cause a short increase in blood pressure."],
 *   ["does coffee raise blood pressure?", "Espresso is brewed by forcing hot water through coffee."],
 * ]);
 * console.log(scores); // one 0–1 score per pair, in input order: the first one higher
 * ```
 */
export class HuggingFaceCrossEncoder extends LocalModelScorer<LoadedReranker, Prepared> implements CrossEncoder {
  static readonly DEFAULT_MODEL = DEFAULT_RERANKER_MODEL;

  readonly scoreMode: ScoreMode;
  readonly #maxLength: number | undefined;
  readonly #maxQueryLength: number | undefined;
  readonly #positiveLabel: number | string | undefined;

  constructor(fields: HuggingFaceCrossEncoderArgs = {}) {
    super({ owner: OWNER, exampleModel: DEFAULT_RERANKER_MODEL, defaultModel: DEFAULT_RERANKER_MODEL, key: modelKey, load: loadReranker }, fields);
    this.scoreMode = checkOneOf(OWNER, "scoreMode", fields.scoreMode, ["sigmoid", "raw"] as const) ?? "sigmoid";
    this.#maxLength = checkPositiveInteger(OWNER, "maxLength", fields.maxLength);
    this.#maxQueryLength = checkPositiveInteger(OWNER, "maxQueryLength", fields.maxQueryLength);
    if (typeof fields.positiveLabel === "number") checkNonNegativeInteger(OWNER, "positiveLabel", fields.positiveLabel);
    else checkString(OWNER, "positiveLabel", fields.positiveLabel);
    this.#positiveLabel = fields.positiveLabel;
  }

  /** Beside the load and windows: score mode, truncation and the positive label. */
  protected scoreSettings(): Record<string, unknown> {
    return {
      scoreMode: this.scoreMode,
      maxLength: this.#maxLength ?? null,
      maxQueryLength: this.#maxQueryLength ?? null,
      positiveLabel: this.#positiveLabel ?? null,
    };
  }

  /**
   * Token ids of each pair after truncation, exactly as `score` sees them without windows (for inspection and
   * tests); with `maxChunksPerDoc` above 1, a long document is scored in windows instead.
   */
  encode(pairs: readonly TextPair[]): Promise<EncodedPair[]> {
    return this.withLoaded(pairs, ({ encoder }) => encoder.encodePairs(pairs));
  }

  protected scoreWhole(prepared: Prepared, pairs: readonly TextPair[], signal: AbortSignal | undefined): Promise<number[]> {
    return this.#run(prepared, prepared.encoder.encodePairs(pairs), signal);
  }

  protected async scoreWindows(prepared: Prepared, pairs: readonly TextPair[], signal: AbortSignal | undefined): Promise<DetailedScore[]> {
    const { encoded, pairOf, spans } = prepared.encoder.encodeWindows(pairs, { maxChunks: this.maxChunksPerDoc, overlap: this.chunkOverlap });
    const windowScores = await this.#run(prepared, encoded, signal);
    return documentScores(pairs.length, pairOf, spans, windowScores, this.chunkAggregation);
  }

  /** Scores encoded pairs in length-sorted batches; scores come back in the pairs' order. */
  async #run({ loaded, encoder, positiveIndex }: Prepared, encoded: readonly EncodedPair[], signal: AbortSignal | undefined): Promise<number[]> {
    const scores = new Array<number>(encoded.length);
    const feedOptions = { TensorClass: loaded.TensorClass, inputNames: loaded.inputNames, padTokenId: encoder.padTokenId };
    for (const batch of planBatches(
      encoded.map((pair) => pair.inputIds.length),
      this.batchLimits,
    )) {
      signal?.throwIfAborted();
      const logits = await loaded.forward(batchFeeds(encoded, batch, feedOptions), signal);
      const labels = logits.dims[1] ?? 1;
      const data = logits.data as Float32Array;
      batch.forEach((pairIndex, row) => {
        scores[pairIndex] = this.#toScore(data, row, labels, positiveIndex);
      });
    }
    return scores;
  }

  #toScore(data: Float32Array, row: number, labels: number, positiveIndex: number): number {
    let logit: number;
    if (labels === 1) logit = data[row]!;
    else if (labels === 2) logit = data[row * 2 + positiveIndex]! - data[row * 2 + 1 - positiveIndex]!;
    else throw new RerankError(`${OWNER}: "${this.model}" outputs ${labels} logits per pair; a reranker outputs 1 (or 2: negative, positive).`);
    return this.scoreMode === "raw" ? logit : 1 / (1 + Math.exp(-logit));
  }

  protected prepare(loaded: LoadedReranker): Prepared {
    const maxLength = this.#maxLength ?? Math.min(512, loaded.maxLength);
    if (maxLength > loaded.maxLength) {
      throw new InvalidOptionError(`${OWNER}: maxLength ${maxLength} exceeds "${this.model}"'s limit of ${loaded.maxLength} tokens per pair.`);
    }
    const maxQueryLength = this.#maxQueryLength ?? Math.floor((maxLength * 3) / 4);
    const encoder = new PairEncoder(loaded.tokenizer, { maxLength, maxQueryLength }, loaded.template);
    return { loaded, encoder, positiveIndex: this.#positiveIndex(loaded) };
  }

  #positiveIndex(loaded: LoadedReranker): number {
    const labels = Object.entries(loaded.config.id2label ?? {});
    if (this.#positiveLabel === undefined) return 1;
    if (typeof this.#positiveLabel === "number") {
      if (this.#positiveLabel > 1)
        throw new InvalidOptionError(`${OWNER}: positiveLabel ${this.#positiveLabel} must be 0 or 1 for a two-label model.`);
      return this.#positiveLabel;
    }
    const found = labels.find(([, name]) => name === this.#positiveLabel);
    if (found === undefined) {
      throw new InvalidOptionError(
        `${OWNER}: positiveLabel "${this.#positiveLabel}" is not a label of "${this.model}" (labels: ${labels.map(([, n]) => n).join(", ") || "none"}).`,
      );
    }
    return Number(found[0]);
  }
}
