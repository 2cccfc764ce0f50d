import { InvalidOptionError } from "../../errors.js";
import { checkOneOf, checkString } from "../../options.js";
import type { BatchLimits } from "../runtime/batch_planner.js";
import { aggregateWindows, type ChunkAggregation, WINDOWING_VERSION } from "../../scorers/chunking.js";
import { checkConventions, COLBERT_PRESETS, type ColBERTConventions, resolveConventions } from "./colbert_conventions.js";
import { ColBERTEncoder } from "./colbert_encoder.js";
import { colbertModelKey, type LoadedColBERT, loadColBERT } from "./colbert_loader.js";
import { type CrossEncoder, type CrossEncoderCallOptions, type DetailedScore, type TextPair } from "../../scorers/cross_encoder.js";
import { DocumentVectorStore } from "./document_vector_store.js";
import type { LoadSpec, RerankerDevice, RerankerDtype } from "../loading/load_spec.js";
import { checkMaxQueuedPairs, PairQueue } from "../runtime/load_shedding.js";
import { type LocalModelOptions, localModelSettings } from "../runtime/local_model_options.js";
import { LocalModelScorer, localCacheKey, scoreLocally, windowOptions } from "../runtime/local_scoring.js";
import type { KeyValueStore } from "../../stores/lru_store.js";
import { addStoreStats, emptyStoreStats, storeFromFields, type StoreStats } from "../../stores/store_backed_cache.js";
import { maxSimScores, packWindows, type StoredWindow, VECTOR_PRECISIONS, type VectorPrecision } from "./token_vectors.js";

// The late-interaction scorer composes the scorer layer's parts as the cross-encoder does (device, dtype and batch
// defaults, the shared model lifecycle, load shedding, length-sorted batches). What is its own: documents are
// encoded once into token vectors kept in a store (document_vector_store.ts, token_vectors.ts), a query is encoded
// once per call, and each pair's score is MaxSim over the stored vectors.

export interface ColBERTCrossEncoderArgs extends LocalModelOptions, Partial<ColBERTConventions> {
  /**
   * A ColBERT model folder (PyLate layout with `1_Dense/`, or an ONNX export whose graph ends with the projection)
   * or a hub id whose ONNX export ends with the projection.
   */
  model: string;
  /**
   * Where document vectors are kept: any LangChain `BaseStore<string, Uint8Array>` (`InMemoryStore`,
   * `LocalFileStore`, Redis) to share or persist them.
   * @default a bounded in-memory LruStore of `maxSize` entries
   */
  store?: KeyValueStore<Uint8Array>;
  /** Entries of the default store, one per document (ignored when `store` is given). @default 10000 */
  maxSize?: number;
  /**
   * How stored vectors are packed, per token at dimension d: `float32` 4·d bytes (scores exact), `float16` 2·d
   * (scores within ~2e-3 of float32's at query length 32), `int8` d + 4 (one scale per vector; within ~4e-2).
   * See docs/late-interaction.md.
   * @default "float16"
   */
  precision?: VectorPrecision;
  /** Load shedding: most pairs this instance holds at once; see HuggingFaceCrossEncoder. @default 10000 */
  maxQueuedPairs?: number;
  /** Long documents: most windows per document (1: cut at the document length). @default 1 */
  maxChunksPerDoc?: number;
  /** Tokens shared by consecutive windows. @default 32 */
  chunkOverlap?: number;
  /** How window scores become the document's score. @default "max" */
  chunkAggregation?: ChunkAggregation;
}

/** What `index` did, in distinct texts. */
export interface IndexResult {
  /** Documents encoded and stored now. */
  stored: number;
  /** Documents the store already held (or another call was encoding). */
  alreadyStored: number;
  /**
   * Documents encoded now that the store failed to write (its `mset` rejected, e.g. a `LocalFileStore` whose
   * temporary files another process removed): they are not stored, and `index` them again to store them.
   */
  notStored: number;
}

const OWNER = "ColBERTCrossEncoder";
/** Documents `index` encodes and stores per step. */
const INDEX_SLICE = 256;
const CONVENTION_KEYS = [
  "queryPrefix",
  "documentPrefix",
  "queryLength",
  "documentLength",
  "doQueryExpansion",
  "attendToExpansionTokens",
  "skiplistWords",
] as const;

interface Prepared {
  loaded: LoadedColBERT;
  encoder: ColBERTEncoder;
  conventions: ColBERTConventions;
}

/**
 * A late-interaction (ColBERT) reranker running in-process with transformers.js: answerai-colbert-small-v1,
 * colbertv2.0, jina-colbert-v2 or any PyLate checkpoint exported to ONNX. A document is encoded once into one
 * unit vector per token and kept in a store; a query is encoded per call, and each (query, document) scores by
 * MaxSim, the sum over the query's vectors of the best dot product with the document's (PyLate's `colbert_scores`).
 * With the documents stored ahead of time (`index`), reranking 100 candidates costs one short query pass.
 *
 * Scores are raw MaxSim sums (up to the query length, e.g. 32), comparable across documents of one query.
 *
 * @example
 * ```ts
 * // network: downloads a ColBERT checkpoint's ONNX export from the Hugging Face hub
 * import { CrossEncoderReranker } from "langchain-rerank";
 * import { ColBERTCrossEncoder } from "langchain-rerank/huggingface";
 *
 * const scorer = new ColBERTCrossEncoder({ model: "answerdotai/answerai-colbert-small-v1" }); // or a local ColBERT folder
 * await scorer.index(["Caffeine can raise blood pressure for a short time.", "Espresso is brewed under pressure."]);
 * const reranker = new CrossEncoderReranker({ model: scorer, topN: 1 });
 * ```
 */
export class ColBERTCrossEncoder extends LocalModelScorer<Prepared> implements CrossEncoder {
  readonly model: string;
  readonly dtype: RerankerDtype;
  readonly device: RerankerDevice;
  readonly precision: VectorPrecision;
  readonly batchLimits: BatchLimits;
  readonly maxQueuedPairs: number;
  readonly maxChunksPerDoc: number;
  readonly chunkOverlap: number;
  readonly chunkAggregation: ChunkAggregation;
  /** The store of document vectors (the default LruStore unless one was given). */
  readonly store: KeyValueStore<Uint8Array>;
  readonly #vectors: DocumentVectorStore;
  readonly #scoringStats = emptyStoreStats();
  readonly #indexingStats = emptyStoreStats();
  readonly #overrides: Partial<ColBERTConventions>;
  readonly #spec: LoadSpec;
  #identity?: { loaded: LoadedColBERT; key: Promise<string> };

  constructor(fields: ColBERTCrossEncoderArgs) {
    super();
    if (typeof fields !== "object" || fields === null || Array.isArray(fields)) {
      throw new InvalidOptionError(`${OWNER}: options must be an object such as { model: "answerdotai/answerai-colbert-small-v1" }.`);
    }
    const model = checkString(OWNER, "model", fields.model);
    if (model === undefined) throw new InvalidOptionError(`${OWNER}: \`model\` is required: a ColBERT model folder or hub id.`);
    this.model = model;
    const { spec, batchLimits } = localModelSettings(OWNER, model, fields);
    this.dtype = spec.dtype;
    this.device = spec.device;
    this.#spec = spec;
    this.batchLimits = batchLimits;
    this.precision = checkOneOf(OWNER, "precision", fields.precision, VECTOR_PRECISIONS) ?? "float16";
    ({
      maxChunksPerDoc: this.maxChunksPerDoc,
      chunkOverlap: this.chunkOverlap,
      chunkAggregation: this.chunkAggregation,
    } = windowOptions(OWNER, fields));
    const overrides: Partial<ColBERTConventions> = {};
    for (const key of CONVENTION_KEYS) if (fields[key] !== undefined) (overrides as Record<string, unknown>)[key] = fields[key];
    checkConventions(OWNER, overrides);
    this.#overrides = overrides;
    this.store = storeFromFields(OWNER, fields);
    this.#vectors = new DocumentVectorStore(this.store, OWNER);
    this.maxQueuedPairs = checkMaxQueuedPairs(OWNER, fields.maxQueuedPairs);
    this.attachModel(
      OWNER,
      { key: () => colbertModelKey(spec), load: () => loadColBERT(spec), prepare: (loaded) => this.#prepare(loaded) },
      new PairQueue(OWNER, model, this.maxQueuedPairs),
    );
  }

  /** Everything that changes a score: model, weights, device, conventions given as options, precision, windows. */
  get cacheKey(): string {
    return localCacheKey(
      OWNER,
      this.#spec,
      {
        conventions: this.#overrides,
        precision: this.precision,
      },
      this,
    );
  }

  /**
   * Document-vector lookups of `score` and `scoreDetailed` so far: `hits` read from the store (or encoded by a
   * concurrent call), `misses` encoded, `failedWrites` encoded but not stored. `index` counts apart (`indexStats`).
   */
  get storeStats(): StoreStats {
    return { ...this.#scoringStats };
  }

  /** The same counts for `index` calls: `misses` are documents it encoded, `hits` those already stored. */
  get indexStats(): StoreStats {
    return { ...this.#indexingStats };
  }

  /** The conventions in effect (options over the folder's config over the preset over PyLate's defaults); loads the model. */
  async conventions(): Promise<ColBERTConventions> {
    return (await this.lifecycle.acquire()).conventions;
  }

  /**
   * Encodes and stores documents ahead of time (when they are added to a vector store, say), so the first query
   * that reads them costs only its own pass. Takes texts or LangChain documents; texts already stored are skipped.
   */
  async index(documents: readonly (string | { pageContent: string })[], options: CrossEncoderCallOptions = {}): Promise<IndexResult> {
    if (!Array.isArray(documents)) throw new InvalidOptionError(`${OWNER}.index: pass an array of texts or documents.`);
    const texts = documents.map((d, i) => {
      const text = typeof d === "string" ? d : d?.pageContent;
      if (typeof text !== "string")
        throw new InvalidOptionError(`${OWNER}.index: item ${i} is neither a string nor a document with a pageContent string.`);
      return text;
    });
    const unique = [...new Set(texts)];
    const stats = emptyStoreStats();
    // Admitted like scoring, one "pair" per text, so indexing a corpus beside live traffic is shed the same way.
    await scoreLocally(
      OWNER,
      this.lifecycle,
      this.queue,
      unique.map((t) => ["", t] as const),
      options,
      async (prepared, signal) => {
        // In slices, so a large corpus is stored as it goes (an abort keeps what was stored) and its vectors are
        // never all in memory at once.
        try {
          for (let start = 0; start < unique.length; start += INDEX_SLICE) {
            signal?.throwIfAborted();
            await this.#windowsOf(prepared, unique.slice(start, start + INDEX_SLICE), signal, stats);
          }
        } finally {
          addStoreStats(this.#indexingStats, stats);
        }
        return [];
      },
    );
    // This call's own counts: a concurrent call's encodes are not this call's stores.
    return { stored: stats.misses - stats.failedWrites, alreadyStored: stats.hits, notStored: stats.failedWrites };
  }

  protected async scoreWhole(prepared: Prepared, pairs: readonly TextPair[], signal: AbortSignal | undefined): Promise<number[]> {
    return (await this.#maxSims(prepared, pairs, signal)).map(({ score }) => score);
  }

  protected scoreWindows(prepared: Prepared, pairs: readonly TextPair[], signal: AbortSignal | undefined): Promise<DetailedScore[]> {
    return this.#maxSims(prepared, pairs, signal);
  }

  /** Each pair's MaxSim over its document's windows (aggregated, with the best window's span). */
  async #maxSims(prepared: Prepared, pairs: readonly TextPair[], signal: AbortSignal | undefined): Promise<DetailedScore[]> {
    // Each query's documents, once each: one MaxSim per query over all their windows.
    const textsOf = new Map<string, Set<string>>();
    for (const [query, text] of pairs) (textsOf.get(query) ?? textsOf.set(query, new Set()).get(query)!).add(text);
    const queries = [...textsOf.keys()];
    const documents = [...new Set(pairs.map(([, text]) => text))];
    const [queryVectors, windows] = await Promise.all([
      prepared.encoder.encode(
        queries.map((q) => prepared.encoder.query(q)),
        this.batchLimits,
        signal,
      ),
      this.#windowsOf(prepared, documents, signal),
    ]);
    const windowsOf = new Map(documents.map((d, i) => [d, windows[i]!]));
    const dim = prepared.encoder.dim;
    const windowScores = new Map<string, Map<string, number[]>>();
    for (const [i, query] of queries.entries()) {
      const texts = [...textsOf.get(query)!];
      const q = queryVectors[i]!;
      const flat = await maxSimScores(
        q,
        q.length / dim,
        texts.flatMap((text) => windowsOf.get(text)!.map((w) => w.vectors)),
        prepared.loaded.matmul,
      );
      let next = 0;
      windowScores.set(query, new Map(texts.map((text) => [text, flat.slice(next, (next += windowsOf.get(text)!.length))])));
    }
    return pairs.map(([query, text]) => {
      const { score, best } = aggregateWindows(windowScores.get(query)!.get(text)!, this.chunkAggregation);
      const span = windowsOf.get(text)![best]!.span;
      return span === undefined ? { score } : { score, chunk: { ...span } };
    });
  }

  /** The texts' stored windows, encoding (and storing) those the store lacks; `indexing` counts an index() call's. */
  async #windowsOf(prepared: Prepared, texts: readonly string[], signal: AbortSignal | undefined, indexing?: StoreStats): Promise<StoredWindow[][]> {
    const { encoder } = prepared;
    const identity = await this.#storeIdentity(prepared);
    const shape = {
      dim: encoder.dim,
      precision: this.precision,
      maxTokens: prepared.conventions.documentLength,
      maxWindows: this.maxChunksPerDoc,
    };
    return this.#vectors.windowsOf(
      identity,
      shape,
      texts,
      async (missing, encodeSignal) => {
        const pieces = new Map<string, number[]>();
        const perText = missing.map((text) => encoder.document(text, this.maxChunksPerDoc, this.chunkOverlap, pieces));
        const flat = perText.flat();
        const vectors = await encoder.encode(
          flat.map((w) => w.input),
          this.batchLimits,
          encodeSignal,
        );
        let next = 0;
        return perText.map((ws) => {
          const packed = ws.map(({ span }) => {
            const data = vectors[next++]!;
            return { span, data, count: data.length / encoder.dim };
          });
          return packWindows(packed, encoder.dim, this.precision);
        });
      },
      // Indexing is done when the vectors are stored; scoring is done when they are known.
      indexing === undefined ? { stats: this.#scoringStats, awaitWrites: false, signal } : { stats: indexing, awaitWrites: true, signal },
    );
  }

  /**
   * What a stored document's vectors depend on: the load (model, revision, dtype, device), the weights themselves
   * (a folder re-exported in place gets new keys), the document side of the conventions, precision and windows.
   */
  #storeIdentity({ loaded, conventions }: Prepared): Promise<string> {
    if (this.#identity?.loaded !== loaded) {
      const key = colbertModelKey(this.#spec).then((model) =>
        JSON.stringify({
          scorer: OWNER,
          model,
          weights: loaded.weightsFingerprint,
          documentPrefix: conventions.documentPrefix,
          documentLength: conventions.documentLength,
          skiplistWords: conventions.skiplistWords,
          precision: this.precision,
          windows: this.maxChunksPerDoc > 1 ? [this.maxChunksPerDoc, this.chunkOverlap, WINDOWING_VERSION] : null,
        }),
      );
      this.#identity = { loaded, key };
    }
    return this.#identity.key;
  }

  #prepare(loaded: LoadedColBERT): Prepared {
    const conventions = resolveConventions(COLBERT_PRESETS[this.model] ?? {}, loaded.folderConventions, this.#overrides);
    return { loaded, encoder: new ColBERTEncoder(this.model, loaded, conventions), conventions };
  }
}
