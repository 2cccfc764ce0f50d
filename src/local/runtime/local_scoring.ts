import { checkCallOptions, checkNonNegativeInteger, checkOneOf, checkPositiveInteger } from "../../options.js";
import { CHUNK_AGGREGATIONS, type ChunkAggregation, WINDOWING_VERSION } from "../../scorers/chunking.js";
import { checkTextPairs, type CrossEncoderCallOptions, type DetailedScore, type TextPair } from "../../scorers/cross_encoder.js";
import type { LoadSpec, RerankerDevice } from "../loading/load_spec.js";
import type { PairQueue } from "./load_shedding.js";
import { ModelLifecycle, type ModelLifecycleArgs } from "./model_lifecycle.js";

/**
 * One scoring call of a local scorer (the cross-encoder and the causal-LM reranker alike): checks the pairs and
 * the call options, honours a signal already aborted, answers `[]` for no pairs without loading, and otherwise runs
 * `work` on the loaded model once the pairs are admitted by the load-shedding queue (admitted by documents, since
 * windows are only known once the model's tokenizer has read them).
 */
export async function scoreLocally<Prepared, Result>(
  owner: string,
  lifecycle: ModelLifecycle<unknown, Prepared>,
  queue: PairQueue,
  pairs: readonly TextPair[],
  options: CrossEncoderCallOptions,
  work: (prepared: Prepared, signal: AbortSignal | undefined) => Promise<Result[]>,
): Promise<Result[]> {
  checkTextPairs(`${owner}.score`, pairs);
  checkCallOptions(owner, options);
  const signal = options.signal;
  signal?.throwIfAborted();
  if (pairs.length === 0) return [];
  return lifecycle.use(
    signal,
    (prepared) => work(prepared, signal),
    () => queue.admit(pairs.length),
  );
}

/**
 * What the local scorers share around their model: the held load (`load`, `dispose`) and the load-shedding queue
 * (`queuedPairs`). A subclass attaches both in its constructor and scores through `scoreLocally`.
 */
export abstract class LocalModelScorer<Prepared> {
  #lifecycle?: ModelLifecycle<unknown, Prepared>;
  #queue?: PairQueue;
  #owner = "";
  #loadedDevice: RerankerDevice | undefined;
  #deviceFallbackReason: string | undefined;
  /** The model id or folder, as given. */
  abstract readonly model: string;
  /** Windows per document: above 1, long documents are scored in windows (`scoreDetailed` reports the best). */
  abstract readonly maxChunksPerDoc: number;
  /** Scores each pair whole (truncated to the model's window). */
  protected abstract scoreWhole(prepared: Prepared, pairs: readonly TextPair[], signal: AbortSignal | undefined): Promise<number[]>;
  /** Scores each pair's windows and reports each document's aggregate and best window. */
  protected abstract scoreWindows(prepared: Prepared, pairs: readonly TextPair[], signal: AbortSignal | undefined): Promise<DetailedScore[]>;

  /** Holds the model through a lifecycle that frees a load with its own `dispose()`, and sheds load with `queue`. */
  protected attachModel<Loaded extends { dispose(): Promise<void>; device: RerankerDevice; deviceFallbackReason?: string }>(
    owner: string,
    model: Omit<ModelLifecycleArgs<Loaded, Prepared>, "free">,
    queue: PairQueue,
  ): void {
    this.#owner = owner;
    const prepare = (loaded: Loaded): Prepared => {
      const prepared = model.prepare(loaded);
      this.#loadedDevice = loaded.device;
      this.#deviceFallbackReason = loaded.deviceFallbackReason;
      return prepared;
    };
    this.#lifecycle = new ModelLifecycle({ ...model, prepare, free: (loaded) => loaded.dispose() }) as ModelLifecycle<unknown, Prepared>;
    this.#queue = queue;
  }

  protected get lifecycle(): ModelLifecycle<unknown, Prepared> {
    return this.#lifecycle!;
  }

  protected get queue(): PairQueue {
    return this.#queue!;
  }

  /**
   * The device the loaded model runs on: `device` itself, or for `"auto"` the one chosen (in browsers "webgpu",
   * else "wasm"; in Node the first GPU device that works, else "cpu"). Undefined until the model loads.
   */
  get loadedDevice(): RerankerDevice | undefined {
    return this.#loadedDevice;
  }

  /**
   * With `device: "auto"`, why the model fell back to a CPU device ("wasm" in browsers, "cpu" in Node) instead of
   * a GPU, e.g. "navigator.gpu.requestAdapter() found no GPU adapter …", for a page to show. Undefined when a GPU
   * device was used, when a device was named, or until the model loads.
   */
  get deviceFallbackReason(): string | undefined {
    return this.#deviceFallbackReason;
  }

  /** The model id or folder, as given: what `stageScores` names. */
  get modelName(): string {
    return this.model;
  }

  /** Loads the model now (it otherwise loads on the first `score`), e.g. to warm up before serving. */
  async load(): Promise<void> {
    await this.lifecycle.acquire();
  }

  /**
   * Releases this instance's hold on the model once its calls in flight have finished (they complete; freeing the
   * session under them made them fail); the last holder frees it. A later `score` loads it again.
   */
  dispose(): Promise<void> {
    return this.lifecycle.dispose();
  }

  /** Pairs accepted by `score` and not yet scored: what `maxQueuedPairs` bounds. */
  get queuedPairs(): number {
    return this.queue.queuedPairs;
  }

  /** One score per pair, in input order; with windows on, each document's aggregate over its windows. */
  async score(pairs: readonly TextPair[], options: CrossEncoderCallOptions = {}): Promise<number[]> {
    if (this.maxChunksPerDoc > 1) return (await this.scoreDetailed(pairs, options)).map(({ score }) => score);
    return scoreLocally(this.#owner, this.lifecycle, this.queue, pairs, options, (prepared, signal) => this.scoreWhole(prepared, pairs, signal));
  }

  /**
   * Scores with details: with `maxChunksPerDoc` above 1, a document scored in windows reports its best window's
   * span in the text (`chunk`, UTF-16 offsets as `text.slice` takes them). `CrossEncoderReranker` turns it into
   * `metadata.bestChunk`.
   */
  async scoreDetailed(pairs: readonly TextPair[], options: CrossEncoderCallOptions = {}): Promise<DetailedScore[]> {
    if (this.maxChunksPerDoc <= 1) return (await this.score(pairs, options)).map((score) => ({ score }));
    return scoreLocally(this.#owner, this.lifecycle, this.queue, pairs, options, (prepared, signal) => this.scoreWindows(prepared, pairs, signal));
  }
}

/** The long-document options both local scorers take, checked, with their defaults (one window, 32 tokens, max). */
export function windowOptions(
  owner: string,
  fields: { maxChunksPerDoc?: number; chunkOverlap?: number; chunkAggregation?: ChunkAggregation },
): { maxChunksPerDoc: number; chunkOverlap: number; chunkAggregation: ChunkAggregation } {
  return {
    maxChunksPerDoc: checkPositiveInteger(owner, "maxChunksPerDoc", fields.maxChunksPerDoc) ?? 1,
    chunkOverlap: checkNonNegativeInteger(owner, "chunkOverlap", fields.chunkOverlap) ?? 32,
    chunkAggregation: checkOneOf(owner, "chunkAggregation", fields.chunkAggregation, CHUNK_AGGREGATIONS) ?? "max",
  };
}

/**
 * A local scorer's `cacheKey`: what loads on which device, then the scorer's own settings (everything else that
 * changes a score), then its windows (long-document scoring changes the score of every document that does not fit).
 */
export function localCacheKey(
  owner: string,
  spec: Pick<LoadSpec, "model" | "revision" | "dtype" | "device">,
  own: Record<string, unknown>,
  windows: { maxChunksPerDoc: number; chunkOverlap: number; chunkAggregation: ChunkAggregation },
): string {
  return JSON.stringify({
    scorer: owner,
    model: spec.model,
    revision: spec.revision ?? "main",
    dtype: spec.dtype,
    device: spec.device,
    ...own,
    maxChunksPerDoc: windows.maxChunksPerDoc,
    chunkOverlap: windows.chunkOverlap,
    chunkAggregation: windows.chunkAggregation,
    ...(windows.maxChunksPerDoc > 1 ? { windowing: WINDOWING_VERSION } : {}),
  });
}
