import { InvalidOptionError } from "../../errors.js";
import { checkCallOptions, checkFields, checkNonNegativeInteger, checkOneOf, checkPositiveInteger, checkString } from "../../options.js";
import { CHUNK_AGGREGATIONS, type ChunkAggregation, WINDOWING_VERSION } from "../../scorers/chunking.js";
import { checkTextPairs, type CrossEncoderCallOptions, type DetailedScore, type TextPair } from "../../scorers/cross_encoder.js";
import type { LoadSpec, RerankerDevice, RerankerDtype } from "../loading/load_spec.js";
import type { BatchLimits } from "./batch_planner.js";
import { checkMaxQueuedPairs, PairQueue } from "./load_shedding.js";
import { type LocalModelArgs, localModelSettings } from "./local_model_options.js";
import { ModelLifecycle } from "./model_lifecycle.js";

/** What a model family tells the base class: its name in errors, how to ask for a model, and how to load one. */
export interface LocalModelFamily<Loaded> {
  /** The class name, as errors and cache keys name it. */
  owner: string;
  /** A model id for the "options must be an object" message. */
  exampleModel: string;
  /** The model when none is given; without one, `model` is required. */
  defaultModel?: string;
  /** What the "`model` is required" error adds, e.g. `, e.g. "…" or a local folder.` */
  requiredModelHint?: string;
  /** The process-wide key of a load: instances with equal keys share one. */
  key(spec: LoadSpec): Promise<string>;
  /** Loads the model (once per key per process). */
  load(spec: LoadSpec): Promise<Loaded>;
}

/**
 * The base of the local scorers: checks the shared options (`LocalModelArgs`) and keeps them as fields with their
 * defaults, holds the model (loaded once per process, freed by the last `dispose`) and sheds load. A family
 * implements only what differs: what it derives from a load (`prepare`), how it scores, and what else changes a
 * score (`scoreSettings`).
 */
export abstract class LocalModelScorer<
  Loaded extends { dispose(): Promise<void>; device?: RerankerDevice; deviceFallbackReason?: string },
  Prepared,
> {
  #loadedDevice: RerankerDevice | undefined;
  #deviceFallbackReason: string | undefined;
  /** The model id or folder, as given. */
  readonly model: string;
  readonly dtype: RerankerDtype;
  readonly device: RerankerDevice;
  /** Pairs and padded tokens per forward pass, with the device's defaults filled in. */
  readonly batchLimits: BatchLimits;
  readonly maxQueuedPairs: number;
  /** Windows per document: above 1, long documents are scored in windows (`scoreDetailed` reports the best). */
  readonly maxChunksPerDoc: number;
  readonly chunkOverlap: number;
  readonly chunkAggregation: ChunkAggregation;
  /** What loads: model, revision, weights, device and the load options. */
  protected readonly loadSpec: LoadSpec;
  protected readonly lifecycle: ModelLifecycle<Loaded, Prepared>;
  protected readonly queue: PairQueue;
  protected readonly owner: string;

  protected constructor(family: LocalModelFamily<Loaded>, fields: LocalModelArgs & { model?: string }) {
    const owner = family.owner;
    fields = checkFields(owner, fields, `{ model: "${family.exampleModel}" }`);
    const model = checkString(owner, "model", fields.model) ?? family.defaultModel;
    if (model === undefined) throw new InvalidOptionError(`${owner}: \`model\` is required${family.requiredModelHint ?? "."}`);
    this.owner = owner;
    this.model = model;
    const { spec, batchLimits } = localModelSettings(owner, model, fields);
    this.loadSpec = spec;
    this.dtype = spec.dtype;
    this.device = spec.device;
    this.batchLimits = batchLimits;
    this.maxQueuedPairs = checkMaxQueuedPairs(owner, fields.maxQueuedPairs);
    this.maxChunksPerDoc = checkPositiveInteger(owner, "maxChunksPerDoc", fields.maxChunksPerDoc) ?? 1;
    this.chunkOverlap = checkNonNegativeInteger(owner, "chunkOverlap", fields.chunkOverlap) ?? 32;
    this.chunkAggregation = checkOneOf(owner, "chunkAggregation", fields.chunkAggregation, CHUNK_AGGREGATIONS) ?? "max";
    this.queue = new PairQueue(owner, model, this.maxQueuedPairs);
    this.lifecycle = new ModelLifecycle({
      key: () => family.key(spec),
      load: () => family.load(spec),
      free: (loaded) => loaded.dispose(),
      prepare: (loaded) => {
        const prepared = this.prepare(loaded);
        this.#loadedDevice = loaded.device;
        this.#deviceFallbackReason = loaded.deviceFallbackReason;
        return prepared;
      },
    });
  }

  /** What this instance derives from the shared load (an encoder, a label index); a throw fails the call. */
  protected abstract prepare(loaded: Loaded): Prepared;
  /** This family's settings that change a score, beside the load and the windows (for `cacheKey`). */
  protected abstract scoreSettings(): Record<string, unknown>;
  /** Scores each pair whole (truncated to the model's window). */
  protected abstract scoreWhole(prepared: Prepared, pairs: readonly TextPair[], signal: AbortSignal | undefined): Promise<number[]>;
  /** Scores each pair's windows and reports each document's aggregate and best window. */
  protected abstract scoreWindows(prepared: Prepared, pairs: readonly TextPair[], signal: AbortSignal | undefined): Promise<DetailedScore[]>;

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

  /**
   * Everything that changes a score: what loads on which device (kernels differ in the last digits), the family's
   * own settings, and the windows (long-document scoring changes the score of every document that does not fit).
   * Batching and the cache folder are left out: they change speed only.
   */
  get cacheKey(): string {
    const spec = this.loadSpec;
    return JSON.stringify({
      scorer: this.owner,
      model: spec.model,
      revision: spec.revision ?? "main",
      dtype: spec.dtype,
      device: spec.device,
      ...this.scoreSettings(),
      maxChunksPerDoc: this.maxChunksPerDoc,
      chunkOverlap: this.chunkOverlap,
      chunkAggregation: this.chunkAggregation,
      ...(this.maxChunksPerDoc > 1 ? { windowing: WINDOWING_VERSION } : {}),
    });
  }

  /** Loads the model now (it otherwise loads on the first `score`), e.g. to warm up before serving. */
  async load(): Promise<void> {
    await this.lifecycle.acquire();
  }

  /**
   * Releases this instance's hold on the model once its calls in flight have finished (freeing the session under
   * them would fail them); the last holder frees it. A later `score` loads it again.
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
    return this.withModel(pairs, options, (prepared, signal) => this.scoreWhole(prepared, pairs, signal));
  }

  /**
   * Scores with details: with `maxChunksPerDoc` above 1, a document scored in windows reports its best window's
   * span in the text (`chunk`, UTF-16 offsets as `text.slice` takes them). `CrossEncoderReranker` turns it into
   * `metadata.bestChunk`.
   */
  async scoreDetailed(pairs: readonly TextPair[], options: CrossEncoderCallOptions = {}): Promise<DetailedScore[]> {
    if (this.maxChunksPerDoc <= 1) return (await this.score(pairs, options)).map((score) => ({ score }));
    return this.withModel(pairs, options, (prepared, signal) => this.scoreWindows(prepared, pairs, signal));
  }

  /** Checks the pairs and runs `inspect` on the loaded model, outside load shedding (for `encode`, inspection and tests). */
  protected async withLoaded<Result>(pairs: readonly TextPair[], inspect: (prepared: Prepared) => Result): Promise<Result> {
    checkTextPairs(`${this.owner}.score`, pairs);
    return inspect(await this.lifecycle.acquire());
  }

  /**
   * One call on the model: checks the pairs and the call options, honours a signal already aborted, answers `[]`
   * for no pairs without loading, and otherwise runs `work` on the loaded model once the pairs are admitted by the
   * load-shedding queue (admitted by documents, since windows are only known once the tokenizer has read them).
   */
  protected async withModel<Result>(
    pairs: readonly TextPair[],
    options: CrossEncoderCallOptions,
    work: (prepared: Prepared, signal: AbortSignal | undefined) => Promise<Result[]>,
  ): Promise<Result[]> {
    checkTextPairs(`${this.owner}.score`, pairs);
    checkCallOptions(this.owner, options);
    const signal = options.signal;
    signal?.throwIfAborted();
    if (pairs.length === 0) return [];
    return this.lifecycle.use(
      signal,
      (prepared) => work(prepared, signal),
      () => this.queue.admit(pairs.length),
    );
  }
}
