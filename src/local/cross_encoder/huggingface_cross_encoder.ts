import { InvalidOptionError, RerankError } from "../../errors.js";
import { checkNonNegativeInteger, checkOneOf, checkPositiveInteger, checkString } from "../../options.js";
import { type BatchLimits, planBatches } from "../runtime/batch_planner.js";
import { documentScores, type ChunkAggregation } from "../../scorers/chunking.js";
import { checkTextPairs, type CrossEncoder, type DetailedScore, type ScoreMode, type TextPair } from "../../scorers/cross_encoder.js";
import { type LoadedReranker, loadReranker, modelKey } from "./huggingface_loader.js";
import {
  DEFAULT_RERANKER_MODEL,
  type LoadProgressCallback,
  type LoadSpec,
  type RerankerDevice,
  type RerankerDtype,
  type WasmPaths,
} from "../loading/load_spec.js";
import { checkMaxQueuedPairs, PairQueue } from "../runtime/load_shedding.js";
import { type LocalModelOptions, localModelSettings } from "../runtime/local_model_options.js";
import { LocalModelScorer, localCacheKey, windowOptions } from "../runtime/local_scoring.js";
import { type EncodedPair, PairEncoder } from "../runtime/pair_encoder.js";
import { batchFeeds } from "../runtime/tensor_feeds.js";

// The cross-encoder composes the scorer layer's parts (see docs/local-reranker.md, "Inside the local scorer"):
// local_model_options.ts (device, dtype, batch defaults), model_lifecycle.ts (load once per process, dispose after
// its own calls), load_shedding.ts (maxQueuedPairs), batch_planner.ts and tensor_feeds.ts (length-sorted padded
// batches), and huggingface_loader.ts (what it loads: a sequence classifier). What is its own: pair encoding,
// windows of long documents, and logits to scores.

export interface HuggingFaceCrossEncoderArgs extends LocalModelOptions {
  /**
   * Hub id (transformers.js ONNX layout) or a local model folder.
   * @default "Xenova/bge-reranker-base"
   */
  model?: string;
  /**
   * ONNX weights to load.
   * @default "q8" on CPU/WASM (about 2× faster than fp32), "fp32" on GPUs
   */
  dtype?: RerankerDtype;
  /**
   * onnxruntime execution device (`webgpu` where the browser has it).
   * @default "cpu" in Node, "wasm" in browsers
   */
  device?: RerankerDevice;
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
   * Most pairs per forward pass.
   * @default 16 on CPU, 1 on WASM (browsers), 64 on GPUs
   */
  batchSize?: number;
  /**
   * Most padded tokens (pairs × longest pair) per forward pass; no limit when only `batchSize` is given.
   * @default 512 on CPU/WASM, 65536 on GPUs
   */
  maxBatchTokens?: number;
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
  /**
   * Where downloaded models are cached.
   * @default transformers.js's env.cacheDir
   */
  cacheDir?: string;
  /**
   * Never download: load from the cache or a local folder only.
   * @default false
   */
  localFilesOnly?: boolean;
  /**
   * Hub revision (branch, tag or commit).
   * @default "main"
   */
  revision?: string;
  /** Receives transformers.js's load progress events (download progress included). */
  progressCallback?: LoadProgressCallback;
  /**
   * Load shedding: most pairs this instance holds at once (accepted by `score` and not yet scored). A call that
   * would go over it rejects at once with `OverloadedError`, before any work, and nothing else is affected; a
   * call larger than the bound still runs when nothing else is waiting. An aborted call gives its pairs back
   * at once. `Infinity` turns shedding off.
   * @default 10000 (minutes of work on a CPU: callers would have timed out long before the queue drains)
   */
  maxQueuedPairs?: number;
  /**
   * onnxruntime session options, passed through transformers.js, e.g. `{ intraOpNumThreads: 1 }` for a process that
   * shares its cores with others. Instances with different options load separate sessions.
   * @default onnxruntime's defaults
   */
  sessionOptions?: Record<string, unknown>;
  /**
   * Long documents: a document that does not fit beside the query is split into token windows that fill the budget
   * left after the query, at most this many per document (Cohere's v1 name); every window is scored in the same
   * length-sorted batches and the document gets `chunkAggregation` of its windows' scores. Text past the last window
   * is not read. `1` scores the document's first `maxLength` tokens only (truncation).
   * @default 1
   */
  maxChunksPerDoc?: number;
  /** Tokens shared by consecutive windows (whole words, never more than this nor half a window), so a passage cut by one is whole in the next. @default 32 */
  chunkOverlap?: number;
  /**
   * How window scores become the document's score: `max` (the best window: a document is as relevant as its best
   * passage), or `mean` (rewards documents relevant throughout). The best window is reported either way.
   * @default "max"
   */
  chunkAggregation?: ChunkAggregation;
  /**
   * Browsers only: where onnxruntime-web fetches its WASM runtime, as a folder URL (`"/ort/"`) or per file
   * (`{ wasm: wasmUrl }`). onnxruntime-web initializes once per page, so the first load's setting holds.
   * @default beside onnxruntime-web's module, where bundlers such as Vite emit it (never transformers.js's CDN)
   */
  wasmPaths?: WasmPaths;
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
export class HuggingFaceCrossEncoder extends LocalModelScorer<Prepared> implements CrossEncoder {
  static readonly DEFAULT_MODEL = DEFAULT_RERANKER_MODEL;

  readonly model: string;
  readonly dtype: RerankerDtype;
  readonly device: RerankerDevice;
  readonly scoreMode: ScoreMode;
  readonly batchLimits: BatchLimits;
  readonly maxQueuedPairs: number;
  readonly maxChunksPerDoc: number;
  readonly chunkOverlap: number;
  readonly chunkAggregation: ChunkAggregation;
  readonly #spec: LoadSpec;
  private readonly maxLengthOption: number | undefined;
  private readonly maxQueryLengthOption: number | undefined;
  private readonly positiveLabel: number | string | undefined;

  constructor(fields: HuggingFaceCrossEncoderArgs = {}) {
    super();
    if (typeof fields !== "object" || fields === null || Array.isArray(fields)) {
      throw new InvalidOptionError(`${OWNER}: options must be an object such as { model: "Xenova/bge-reranker-base" }.`);
    }
    this.model = checkString(OWNER, "model", fields.model) ?? HuggingFaceCrossEncoder.DEFAULT_MODEL;
    const { spec, batchLimits } = localModelSettings(OWNER, this.model, fields);
    this.#spec = spec;
    this.device = spec.device;
    this.dtype = spec.dtype;
    this.batchLimits = batchLimits;
    this.scoreMode = checkOneOf(OWNER, "scoreMode", fields.scoreMode, ["sigmoid", "raw"] as const) ?? "sigmoid";
    this.maxLengthOption = checkPositiveInteger(OWNER, "maxLength", fields.maxLength);
    this.maxQueryLengthOption = checkPositiveInteger(OWNER, "maxQueryLength", fields.maxQueryLength);
    if (typeof fields.positiveLabel === "number") checkNonNegativeInteger(OWNER, "positiveLabel", fields.positiveLabel);
    else checkString(OWNER, "positiveLabel", fields.positiveLabel);
    this.positiveLabel = fields.positiveLabel;
    this.maxQueuedPairs = checkMaxQueuedPairs(OWNER, fields.maxQueuedPairs);
    const queue = new PairQueue(OWNER, this.model, this.maxQueuedPairs);
    ({
      maxChunksPerDoc: this.maxChunksPerDoc,
      chunkOverlap: this.chunkOverlap,
      chunkAggregation: this.chunkAggregation,
    } = windowOptions(OWNER, fields));
    this.attachModel(
      OWNER,
      {
        key: () => modelKey(spec),
        load: () => loadReranker(spec),
        prepare: (loaded) => this.prepare(loaded),
      },
      queue,
    );
  }

  /**
   * Everything that changes a score: model, revision, weights (dtype), device (kernels differ in the last digits),
   * score mode, truncation and the positive label. Batching and the cache folder are left out: they change speed only.
   */
  get cacheKey(): string {
    return localCacheKey(
      OWNER,
      this.#spec,
      {
        scoreMode: this.scoreMode,
        maxLength: this.maxLengthOption ?? null,
        maxQueryLength: this.maxQueryLengthOption ?? null,
        positiveLabel: this.positiveLabel ?? null,
      },
      this,
    );
  }

  /**
   * Token ids of each pair after truncation, exactly as `score` sees them without windows (for inspection and
   * tests); with `maxChunksPerDoc` above 1, a long document is scored in windows instead.
   */
  async encode(pairs: readonly TextPair[]): Promise<EncodedPair[]> {
    checkTextPairs(`${OWNER}.score`, pairs);
    const { encoder } = await this.lifecycle.acquire();
    return encoder.encodePairs(pairs);
  }

  protected scoreWhole(prepared: Prepared, pairs: readonly TextPair[], signal: AbortSignal | undefined): Promise<number[]> {
    return this.run(prepared, prepared.encoder.encodePairs(pairs), signal);
  }

  protected async scoreWindows(prepared: Prepared, pairs: readonly TextPair[], signal: AbortSignal | undefined): Promise<DetailedScore[]> {
    const { encoded, pairOf, spans } = prepared.encoder.encodeWindows(pairs, { maxChunks: this.maxChunksPerDoc, overlap: this.chunkOverlap });
    const windowScores = await this.run(prepared, encoded, signal);
    return documentScores(pairs.length, pairOf, spans, windowScores, this.chunkAggregation);
  }

  /** Scores encoded pairs in length-sorted batches; scores come back in the pairs' order. */
  private async run(
    { loaded, encoder, positiveIndex }: Prepared,
    encoded: readonly EncodedPair[],
    signal: AbortSignal | undefined,
  ): Promise<number[]> {
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
        scores[pairIndex] = this.toScore(data, row, labels, positiveIndex);
      });
    }
    return scores;
  }

  private toScore(data: Float32Array, row: number, labels: number, positiveIndex: number): number {
    let logit: number;
    if (labels === 1) logit = data[row]!;
    else if (labels === 2) logit = data[row * 2 + positiveIndex]! - data[row * 2 + 1 - positiveIndex]!;
    else throw new RerankError(`${OWNER}: "${this.model}" outputs ${labels} logits per pair; a reranker outputs 1 (or 2: negative, positive).`);
    return this.scoreMode === "raw" ? logit : 1 / (1 + Math.exp(-logit));
  }

  private prepare(loaded: LoadedReranker): Prepared {
    const maxLength = this.maxLengthOption ?? Math.min(512, loaded.maxLength);
    if (maxLength > loaded.maxLength) {
      throw new InvalidOptionError(`${OWNER}: maxLength ${maxLength} exceeds "${this.model}"'s limit of ${loaded.maxLength} tokens per pair.`);
    }
    const maxQueryLength = this.maxQueryLengthOption ?? Math.floor((maxLength * 3) / 4);
    const encoder = new PairEncoder(loaded.tokenizer, { maxLength, maxQueryLength }, loaded.template);
    return { loaded, encoder, positiveIndex: this.positiveIndex(loaded) };
  }

  private positiveIndex(loaded: LoadedReranker): number {
    const labels = Object.entries(loaded.config.id2label ?? {});
    if (this.positiveLabel === undefined) return 1;
    if (typeof this.positiveLabel === "number") {
      if (this.positiveLabel > 1) throw new InvalidOptionError(`${OWNER}: positiveLabel ${this.positiveLabel} must be 0 or 1 for a two-label model.`);
      return this.positiveLabel;
    }
    const found = labels.find(([, name]) => name === this.positiveLabel);
    if (found === undefined) {
      throw new InvalidOptionError(
        `${OWNER}: positiveLabel "${this.positiveLabel}" is not a label of "${this.model}" (labels: ${labels.map(([, n]) => n).join(", ") || "none"}).`,
      );
    }
    return Number(found[0]);
  }
}
