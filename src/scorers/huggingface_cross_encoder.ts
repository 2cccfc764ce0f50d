import type { Tensor } from "@huggingface/transformers";
import { InvalidOptionError, OverloadedError, RerankError } from "../errors.js";
import { abortable } from "../cancellation.js";
import {
  checkBoolean,
  checkCallOptions,
  checkFunction,
  checkNonNegativeInteger,
  checkOneOf,
  checkPositiveInteger,
  checkString,
  describeValue,
} from "../options.js";
import { type BatchLimits, CPU_BATCH_LIMITS, GPU_BATCH_LIMITS, planBatches, WASM_BATCH_LIMITS } from "./batch_planner.js";
import { aggregateWindows, CHUNK_AGGREGATIONS, type ChunkAggregation, WINDOWING_VERSION } from "./chunking.js";
import type { CrossEncoder, CrossEncoderCallOptions, DetailedScore, ScoreMode, TextPair } from "./cross_encoder.js";
import {
  DTYPE_FILES,
  type LoadedReranker,
  type LoadProgressCallback,
  type LoadSpec,
  loadReranker,
  modelKey,
  RERANKER_DEVICES,
  type RerankerDevice,
  type RerankerDtype,
  type WasmPaths,
} from "./huggingface_loader.js";
import { DEFAULT_DEVICE } from "./model_files.js";
import { acquireModel, releaseModel } from "./model_registry.js";
import { type EncodedPair, PairEncoder } from "./pair_encoder.js";

export interface HuggingFaceCrossEncoderArgs {
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
  maxBatchSize?: number;
  /**
   * Most padded tokens (pairs × longest pair) per forward pass; no limit when only `maxBatchSize` is given.
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
/** Default load-shedding bound: see `maxQueuedPairs`. */
export const DEFAULT_MAX_QUEUED_PAIRS = 10_000;
const GPU_DEVICES: readonly RerankerDevice[] = ["cuda", "dml", "webgpu"];

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
 * import { HuggingFaceCrossEncoder } from "langchain-rerank/huggingface";
 *
 * const scorer = new HuggingFaceCrossEncoder({ model: "Xenova/ms-marco-MiniLM-L-6-v2" }); // or a local folder
 * const scores = await scorer.score([
 *   ["does coffee raise blood pressure?", "Caffeine can cause a short increase in blood pressure."],
 *   ["does coffee raise blood pressure?", "Espresso is brewed by forcing hot water through coffee."],
 * ]); // one 0–1 score per pair, in input order: the first one higher
 * ```
 */
export class HuggingFaceCrossEncoder implements CrossEncoder {
  static readonly DEFAULT_MODEL = "Xenova/bge-reranker-base";

  readonly model: string;
  readonly dtype: RerankerDtype;
  readonly device: RerankerDevice;
  readonly scoreMode: ScoreMode;
  readonly batchLimits: BatchLimits;
  readonly maxQueuedPairs: number;
  readonly maxChunksPerDoc: number;
  readonly chunkOverlap: number;
  readonly chunkAggregation: ChunkAggregation;
  private readonly spec: LoadSpec;
  /** Pairs accepted by `score` and not yet scored (or given back by an abort). */
  #queuedPairs = 0;
  /**
   * Calls between admission and the end of their work, by the load they use (a generation ends at each `dispose`):
   * `dispose` waits for its own generation's calls only, so calls made after it cannot postpone it forever.
   */
  #generation = 0;
  #activeCalls = new Map<number, { calls: number; idle: (() => void)[] }>();
  /** The registry key of the model this instance holds, set when it loads. */
  private key: string | undefined;
  private readonly maxLengthOption: number | undefined;
  private readonly maxQueryLengthOption: number | undefined;
  private readonly positiveLabel: number | string | undefined;
  private prepared: Promise<Prepared> | undefined;

  constructor(options: HuggingFaceCrossEncoderArgs = {}) {
    if (typeof options !== "object" || options === null || Array.isArray(options)) {
      throw new InvalidOptionError(`${OWNER}: options must be an object such as { model: "Xenova/bge-reranker-base" }.`);
    }
    this.model = checkString(OWNER, "model", options.model) ?? HuggingFaceCrossEncoder.DEFAULT_MODEL;
    this.device = checkOneOf(OWNER, "device", options.device, RERANKER_DEVICES) ?? DEFAULT_DEVICE;
    const gpu = GPU_DEVICES.includes(this.device);
    this.dtype = checkOneOf(OWNER, "dtype", options.dtype, Object.keys(DTYPE_FILES) as RerankerDtype[]) ?? (gpu ? "fp32" : "q8");
    this.scoreMode = checkOneOf(OWNER, "scoreMode", options.scoreMode, ["sigmoid", "raw"] as const) ?? "sigmoid";
    this.maxLengthOption = checkPositiveInteger(OWNER, "maxLength", options.maxLength);
    this.maxQueryLengthOption = checkPositiveInteger(OWNER, "maxQueryLength", options.maxQueryLength);
    const defaults = gpu ? GPU_BATCH_LIMITS : this.device === "wasm" ? WASM_BATCH_LIMITS : CPU_BATCH_LIMITS;
    const maxBatchSize = checkPositiveInteger(OWNER, "maxBatchSize", options.maxBatchSize);
    const maxBatchTokens = checkPositiveInteger(OWNER, "maxBatchTokens", options.maxBatchTokens);
    this.batchLimits = {
      maxBatchSize: maxBatchSize ?? defaults.maxBatchSize,
      // A pair count chosen alone means fixed-size (sorted) batches, not the default token budget.
      maxBatchTokens: maxBatchTokens ?? (maxBatchSize !== undefined ? Number.POSITIVE_INFINITY : defaults.maxBatchTokens),
    };
    if (typeof options.positiveLabel === "number") checkNonNegativeInteger(OWNER, "positiveLabel", options.positiveLabel);
    else checkString(OWNER, "positiveLabel", options.positiveLabel);
    this.positiveLabel = options.positiveLabel;
    const maxQueuedPairs = options.maxQueuedPairs;
    if (maxQueuedPairs !== undefined && maxQueuedPairs !== Number.POSITIVE_INFINITY && !(Number.isInteger(maxQueuedPairs) && maxQueuedPairs >= 1)) {
      throw new InvalidOptionError(`${OWNER}: \`maxQueuedPairs\` must be a positive integer or Infinity, got ${describeValue(maxQueuedPairs)}.`);
    }
    this.maxQueuedPairs = maxQueuedPairs ?? DEFAULT_MAX_QUEUED_PAIRS;
    this.maxChunksPerDoc = checkPositiveInteger(OWNER, "maxChunksPerDoc", options.maxChunksPerDoc) ?? 1;
    this.chunkOverlap = checkNonNegativeInteger(OWNER, "chunkOverlap", options.chunkOverlap) ?? 32;
    this.chunkAggregation = checkOneOf(OWNER, "chunkAggregation", options.chunkAggregation, CHUNK_AGGREGATIONS) ?? "max";
    this.spec = {
      model: this.model,
      dtype: this.dtype,
      device: this.device,
      revision: checkString(OWNER, "revision", options.revision),
      cacheDir: checkString(OWNER, "cacheDir", options.cacheDir),
      localFilesOnly: checkBoolean(OWNER, "localFilesOnly", options.localFilesOnly),
      progressCallback: checkFunction<LoadProgressCallback>(OWNER, "progressCallback", options.progressCallback),
      ...(options.sessionOptions !== undefined ? { sessionOptions: checkSessionOptions(options.sessionOptions) } : {}),
      wasmPaths: checkWasmPaths(options.wasmPaths),
    };
  }

  /**
   * Everything that changes a score: model, revision, weights (dtype), device (kernels differ in the last digits),
   * score mode, truncation and the positive label. Batching and the cache folder are left out: they change speed only.
   */
  /** The model id or folder, as given: what `stageScores` names. */
  get modelName(): string {
    return this.model;
  }

  get cacheKey(): string {
    return JSON.stringify({
      scorer: OWNER,
      model: this.model,
      revision: this.spec.revision ?? "main",
      dtype: this.dtype,
      device: this.device,
      scoreMode: this.scoreMode,
      maxLength: this.maxLengthOption ?? null,
      maxQueryLength: this.maxQueryLengthOption ?? null,
      positiveLabel: this.positiveLabel ?? null,
      // Long-document scoring changes the score of every document that does not fit.
      maxChunksPerDoc: this.maxChunksPerDoc,
      chunkOverlap: this.chunkOverlap,
      chunkAggregation: this.chunkAggregation,
      ...(this.maxChunksPerDoc > 1 ? { windowing: WINDOWING_VERSION } : {}),
    });
  }

  /** Loads the model now (it otherwise loads on the first `score`), e.g. to warm up before serving. */
  async load(): Promise<void> {
    await this.acquire();
  }

  /**
   * Releases this instance's hold on the model once its calls in flight have finished (they complete; freeing the
   * session under them made them fail); the last holder frees it. A later `score` loads it again.
   */
  async dispose(): Promise<void> {
    const prepared = this.prepared;
    if (prepared === undefined) return;
    this.prepared = undefined;
    const generation = this.#generation++;
    try {
      await prepared;
    } catch {
      return; // a failed load holds nothing
    }
    const active = this.#activeCalls.get(generation);
    if (active !== undefined) await new Promise<void>((resolve) => active.idle.push(resolve));
    if (this.key !== undefined) await releaseModel(this.key);
  }

  /**
   * Token ids of each pair after truncation, exactly as `score` sees them without windows (for inspection and
   * tests); with `maxChunksPerDoc` above 1, a long document is scored in windows instead.
   */
  async encode(pairs: readonly TextPair[]): Promise<EncodedPair[]> {
    checkPairs(pairs);
    const { encoder } = await this.acquire();
    return encoder.encodePairs(pairs);
  }

  /** Pairs accepted by `score` and not yet scored: what `maxQueuedPairs` bounds (for monitoring). */
  get queuedPairs(): number {
    return this.#queuedPairs;
  }

  async score(pairs: readonly TextPair[], options: CrossEncoderCallOptions = {}): Promise<number[]> {
    if (this.maxChunksPerDoc > 1) return (await this.scoreDetailed(pairs, options)).map(({ score }) => score);
    checkPairs(pairs);
    checkCallOptions(OWNER, options);
    options.signal?.throwIfAborted();
    if (pairs.length === 0) return [];
    const signal = options.signal;
    const prepared = await this.admitted(pairs.length, signal, () => this.acquire());
    try {
      return await this.run(prepared.value, prepared.value.encoder.encodePairs(pairs), signal);
    } finally {
      prepared.release();
    }
  }

  /**
   * Scores with details: with `maxChunksPerDoc` above 1, a document scored in windows reports its best window's
   * span in the text (`chunk`, UTF-16 offsets as `text.slice` takes them). `CrossEncoderReranker` turns it into
   * `metadata.bestChunk`.
   */
  async scoreDetailed(pairs: readonly TextPair[], options: CrossEncoderCallOptions = {}): Promise<DetailedScore[]> {
    if (this.maxChunksPerDoc <= 1) return (await this.score(pairs, options)).map((score) => ({ score }));
    checkPairs(pairs);
    checkCallOptions(OWNER, options);
    const signal = options.signal;
    signal?.throwIfAborted();
    if (pairs.length === 0) return [];
    // Admitted by documents, as `score` is: the windows are only known once the model's tokenizer has read them.
    const prepared = await this.admitted(pairs.length, signal, () => this.acquire());
    try {
      const { encoded, pairOf, spans } = prepared.value.encoder.encodeWindows(pairs, { maxChunks: this.maxChunksPerDoc, overlap: this.chunkOverlap });
      const windowScores = await this.run(prepared.value, encoded, signal);
      const perPair: number[][] = pairs.map(() => []);
      const firstWindow = new Array<number>(pairs.length);
      pairOf.forEach((pairIndex, window) => {
        if (perPair[pairIndex]!.length === 0) firstWindow[pairIndex] = window;
        perPair[pairIndex]!.push(windowScores[window]!);
      });
      return perPair.map((scores, pairIndex) => {
        const { score, best } = aggregateWindows(scores, this.chunkAggregation);
        const span = spans[firstWindow[pairIndex]! + best];
        return span === undefined ? { score } : { score, chunk: { ...span } };
      });
    } finally {
      prepared.release();
    }
  }

  /**
   * Admits `count` pairs (or rejects at once with `OverloadedError`), then waits for the model, abortably. The
   * caller must `release()` when its work ends, however it ends.
   */
  private async admitted<T>(count: number, signal: AbortSignal | undefined, ready: () => Promise<T>): Promise<{ value: T; release: () => void }> {
    this.admit(count);
    // `ready()` below runs in this same tick, so the call uses this generation's load.
    const generation = this.#generation;
    const active = this.#activeCalls.get(generation) ?? { calls: 0, idle: [] };
    this.#activeCalls.set(generation, active);
    active.calls += 1;
    let released = false;
    const release = () => {
      if (released) return;
      released = true;
      this.#queuedPairs -= count;
      active.calls -= 1;
      if (active.calls === 0) {
        this.#activeCalls.delete(generation);
        for (const resolve of active.idle.splice(0)) resolve();
      }
    };
    try {
      const value = await abortable(ready(), signal);
      signal?.throwIfAborted();
      return { value, release };
    } catch (error) {
      release();
      throw error;
    }
  }

  /** Takes the call's pairs into the queue, or rejects it at once when that would exceed `maxQueuedPairs`. */
  private admit(count: number): void {
    const queued = this.#queuedPairs;
    if (queued > 0 && queued + count > this.maxQueuedPairs) {
      throw new OverloadedError(
        `${OWNER} is overloaded: ${queued} pairs are waiting for "${this.model}" and this call adds ${count}, over maxQueuedPairs (${this.maxQueuedPairs}). ` +
          "Retry later with backoff, spread the load over more processes, or raise maxQueuedPairs.",
        { queuedPairs: queued, requestedPairs: count, maxQueuedPairs: this.maxQueuedPairs },
      );
    }
    this.#queuedPairs = queued + count;
  }

  /** Scores encoded pairs in length-sorted batches; scores come back in the pairs' order. */
  private async run(
    { loaded, encoder, positiveIndex }: Prepared,
    encoded: readonly EncodedPair[],
    signal: AbortSignal | undefined,
  ): Promise<number[]> {
    const scores = new Array<number>(encoded.length);
    for (const batch of planBatches(
      encoded.map((pair) => pair.inputIds.length),
      this.batchLimits,
    )) {
      signal?.throwIfAborted();
      const logits = await loaded.forward(batchFeeds(loaded, encoder.padTokenId, encoded, batch), signal);
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

  private acquire(): Promise<Prepared> {
    if (this.prepared === undefined) {
      const attempt = this.loadAndPrepare();
      this.prepared = attempt;
      // A failed load is not cached: the next call tries again.
      attempt.catch(() => {
        if (this.prepared === attempt) this.prepared = undefined;
      });
    }
    return this.prepared;
  }

  private async loadAndPrepare(): Promise<Prepared> {
    const key = await modelKey(this.spec);
    this.key = key;
    const loaded = await acquireModel(
      key,
      () => loadReranker(this.spec),
      (model) => model.dispose(),
    );
    try {
      return this.prepare(loaded);
    } catch (error) {
      await releaseModel(key);
      throw error;
    }
  }

  private prepare(loaded: LoadedReranker): Prepared {
    const maxLength = this.maxLengthOption ?? loaded.maxLength;
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

function checkSessionOptions(value: unknown): Record<string, unknown> {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new InvalidOptionError(
      `${OWNER}: sessionOptions must be an object of onnxruntime session options such as { intraOpNumThreads: 1 }, got ${Array.isArray(value) ? "an array" : String(value)}.`,
    );
  }
  return value as Record<string, unknown>;
}

function checkWasmPaths(value: unknown): WasmPaths | undefined {
  if (value === undefined || (typeof value === "string" && value.length > 0)) return value;
  const files = value as Record<string, unknown>;
  const isFiles =
    typeof value === "object" &&
    value !== null &&
    !Array.isArray(value) &&
    Object.entries(files).every(([k, v]) => (k === "wasm" || k === "mjs") && typeof v === "string" && v.length > 0);
  if (!isFiles) {
    throw new InvalidOptionError(
      `${OWNER}: \`wasmPaths\` must be a folder URL such as "/ort/" or { wasm?: string, mjs?: string }, got ${JSON.stringify(value) ?? typeof value}.`,
    );
  }
  return value as WasmPaths;
}

function checkPairs(pairs: readonly TextPair[]): void {
  if (!Array.isArray(pairs)) throw new InvalidOptionError(`${OWNER}.score expects an array of [query, text] pairs.`);
  // An index loop, not forEach: forEach skips the holes of a sparse array, which then failed deep in batching.
  for (let i = 0; i < pairs.length; i++) {
    const pair: unknown = pairs[i];
    if (!(i in pairs)) throw new InvalidOptionError(`${OWNER}.score expects [query, text] pairs of strings; pair ${i} is a hole (sparse array).`);
    if (!Array.isArray(pair) || pair.length !== 2 || typeof pair[0] !== "string" || typeof pair[1] !== "string") {
      throw new InvalidOptionError(`${OWNER}.score expects [query, text] pairs of strings; pair ${i} is not one.`);
    }
  }
}

/** Pads the batch's pairs to its own longest pair (right padding, attention mask 0 on pads). */
function batchFeeds(loaded: LoadedReranker, padTokenId: number, encoded: readonly EncodedPair[], batch: readonly number[]): Record<string, Tensor> {
  const width = Math.max(...batch.map((i) => encoded[i]!.inputIds.length));
  const size = batch.length * width;
  const inputIds = new BigInt64Array(size).fill(BigInt(padTokenId));
  const attentionMask = new BigInt64Array(size);
  const tokenTypeIds = new BigInt64Array(size);
  batch.forEach((pairIndex, row) => {
    const { inputIds: ids, tokenTypeIds: types } = encoded[pairIndex]!;
    const offset = row * width;
    for (let j = 0; j < ids.length; j++) {
      inputIds[offset + j] = BigInt(ids[j]!);
      attentionMask[offset + j] = 1n;
      tokenTypeIds[offset + j] = BigInt(types[j]!);
    }
  });
  const dims = [batch.length, width];
  const { TensorClass } = loaded;
  const feeds: Record<string, Tensor> = {
    input_ids: new TensorClass("int64", inputIds, dims),
    attention_mask: new TensorClass("int64", attentionMask, dims),
  };
  if (loaded.inputNames.includes("token_type_ids")) feeds.token_type_ids = new TensorClass("int64", tokenTypeIds, dims);
  return feeds;
}
