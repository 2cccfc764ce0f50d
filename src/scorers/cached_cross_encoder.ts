import { InvalidOptionError, RerankError } from "../errors.js";
import { abortable } from "../cancellation.js";
import { checkString } from "../options.js";
import {
  type ChunkSpan,
  checkTextPairs,
  type CrossEncoder,
  type CrossEncoderCallOptions,
  type DetailedScore,
  type TextPair,
  isChunkSpan,
  isCrossEncoder,
} from "./cross_encoder.js";
import type { KeyValueStore } from "../stores/lru_store.js";
import { emptyStoreStats, StoreBackedCache, storeFromFields, type StoreStats } from "../stores/store_backed_cache.js";

export interface CachedCrossEncoderArgs {
  /** The scorer whose scores are cached: local or remote, any `CrossEncoder` (`model`, as in `CrossEncoderReranker`). */
  model: CrossEncoder;
  /**
   * Where scores live: any LangChain `BaseStore<string, number>` (or an object with its `mget`/`mset`).
   * @default a new `LruStore` holding `maxSize` entries
   */
  store?: KeyValueStore<number>;
  /**
   * Entries in the default store (ignored when `store` is given): one per score, and a second for a document scored
   * in long-document windows (its best window), so 10,000 entries hold 5,000–10,000 scores. @default 10000
   */
  maxSize?: number;
  /**
   * Part of every key. Required when the scorer has no `cacheKey` (then it must name the scorer's identity: model,
   * score mode, truncation...); otherwise optional, e.g. to keep two applications' entries apart in a shared store.
   * @default the scorer's `cacheKey` alone
   */
  namespace?: string;
}

const OWNER = "CachedCrossEncoder";

// A windowing scorer's best window is kept beside the score, under `<key>#chunk`, as one number (stores hold
// numbers): start · 2^26 + end. Only texts that were windowed get the entry, so caching a scorer that never windows
// costs nothing extra. The entry is written after the score and read after it, so in an LRU store it always outlives
// its score; a store that evicts entries on its own could lose a window, never a score.
const CHUNK_SUFFIX = "#chunk";
const CHUNK_SCALE = 2 ** 26;

/** The window as one number; undefined for a text over 64M characters (its window is then not cached). */
function encodeChunk(chunk: ChunkSpan): number | undefined {
  return chunk.end < CHUNK_SCALE ? chunk.start * CHUNK_SCALE + chunk.end : undefined;
}

/** The window, or undefined when there is no entry (the text was scored whole) or it is not one of ours. */
function decodeChunk(value: unknown): ChunkSpan | undefined {
  if (typeof value !== "number" || !Number.isSafeInteger(value) || value < 0) return undefined;
  const start = Math.floor(value / CHUNK_SCALE);
  const end = value % CHUNK_SCALE;
  return start <= end ? { start, end } : undefined;
}

/**
 * A CrossEncoder that remembers scores. The key of a pair is a SHA-256 hash of the scorer's identity (its `cacheKey`
 * and/or the `namespace`), the query and the text, so the store never holds the texts and a change of model, score
 * mode or truncation never returns a stale score. Only pairs missing from the store reach the scorer, in one call
 * (a pair repeated within a call is scored once, and a pair a concurrent call is reading or scoring is waited for,
 * not scored twice), and scores come back in input order. An abort rejects at once, even while the store has not
 * answered; a call returns once its scores are known, and a write the store refuses is counted in
 * `stats.failedWrites`, not thrown (the mechanism is `StoreBackedCache`, shared with `ColBERTCrossEncoder`).
 *
 * @example
 * ```ts
 * import { CachedCrossEncoder, CrossEncoderReranker } from "langchain-rerank";
 * import { HuggingFaceCrossEncoder } from "langchain-rerank/huggingface";
 *
 * const scorer = new CachedCrossEncoder({ model: new HuggingFaceCrossEncoder(), maxSize: 50_000 });
 * const reranker = new CrossEncoderReranker({ model: scorer, topN: 5 });
 * ```
 */
export class CachedCrossEncoder implements CrossEncoder {
  readonly model: CrossEncoder;
  readonly store: KeyValueStore<number>;
  readonly namespace: string | undefined;
  /** Lookups since the instance was made, in pairs (a pair repeated within a call counts once). */
  readonly stats: StoreStats = emptyStoreStats();
  readonly #identity: string;
  readonly #cache: StoreBackedCache<DetailedScore, number>;

  constructor(fields: CachedCrossEncoderArgs) {
    if (fields === null || typeof fields !== "object") {
      throw new InvalidOptionError(`${OWNER}: pass an options object such as { model: new HuggingFaceCrossEncoder() }.`);
    }
    if (!isCrossEncoder(fields.model)) throw new InvalidOptionError(`${OWNER}: \`model\` must be a CrossEncoder (an object with score(pairs)).`);
    this.model = fields.model;
    this.namespace = checkString(OWNER, "namespace", fields.namespace);
    const scorerKey = checkString(OWNER, "model.cacheKey", fields.model.cacheKey);
    if (scorerKey === undefined && this.namespace === undefined) {
      throw new InvalidOptionError(
        `${OWNER}: the scorer (${fields.model.constructor?.name ?? "object"}) has no \`cacheKey\`, so its scores cannot be told apart from another ` +
          'model\'s; pass `namespace` naming what changes its scores (model, score mode, truncation), e.g. namespace: "my-model@v3:sigmoid".',
      );
    }
    this.store = storeFromFields(OWNER, fields);
    this.#cache = new StoreBackedCache(this.store, OWNER);
    this.#identity = JSON.stringify([this.namespace ?? null, scorerKey ?? null]);
  }

  /** The wrapped scorer's `modelName`: a cache does not change who scores. */
  get modelName(): string | undefined {
    const name = this.model.modelName;
    return typeof name === "string" ? name : undefined;
  }

  /** The wrapped scorer's identity (and namespace): a cache of a cache keys like the scorer itself. */
  get cacheKey(): string {
    return this.#identity;
  }

  /** The store key of one pair. */
  async keyOf(pair: TextPair): Promise<string> {
    return StoreBackedCache.keyOf(this.#identity, pair[0], pair[1]);
  }

  async score(pairs: readonly TextPair[], options: CrossEncoderCallOptions = {}): Promise<number[]> {
    return (await this.#lookup("score", pairs, options)).map((result) => result.score);
  }

  /**
   * Scores with the best window of each text, when the wrapped scorer reports windows (`scoreDetailed`, e.g. a
   * `HuggingFaceCrossEncoder` with `maxChunksPerDoc`): the window is cached with the score, so `CrossEncoderReranker`
   * sets `metadata.bestChunk` on a hit as on a miss. Over a scorer without windows, the scores alone.
   */
  async scoreDetailed(pairs: readonly TextPair[], options: CrossEncoderCallOptions = {}): Promise<DetailedScore[]> {
    return this.#lookup("scoreDetailed", pairs, options);
  }

  async #lookup(method: "score" | "scoreDetailed", pairs: readonly TextPair[], options: CrossEncoderCallOptions): Promise<DetailedScore[]> {
    checkTextPairs(`${OWNER}.${method}`, pairs);
    options.signal?.throwIfAborted();
    if (pairs.length === 0) return [];
    // A scorer that reports windows is always asked for them, through score() too, so whichever method fills the
    // store, a later scoreDetailed() hit has the window.
    const withChunks = typeof this.model.scoreDetailed === "function";
    const readChunks = withChunks && method === "scoreDetailed";
    const keys = await abortable(Promise.all(pairs.map((pair) => this.keyOf(pair))), options.signal);
    return this.#cache
      .lookup({
        keys,
        slots: readChunks ? (key) => [key, key + CHUNK_SUFFIX] : undefined,
        decode: ([value, chunkValue], item) => {
          const chunk = readChunks ? decodeChunk(chunkValue) : undefined;
          // A value that is not a finite number, or a window past the end of the text (a foreign or corrupted entry),
          // is scored again, not returned.
          if (typeof value !== "number" || !Number.isFinite(value)) return undefined;
          if (chunk !== undefined && chunk.end > (pairs[item] as TextPair)[1].length) return undefined;
          return chunk === undefined ? { score: value } : { score: value, chunk };
        },
        compute: (items, signal) => this.#score(pairs, items, withChunks, { ...options, signal }),
        entries: (key, { score, chunk }) => {
          const encoded = chunk === undefined ? undefined : encodeChunk(chunk);
          return encoded === undefined
            ? [[key, score]]
            : [
                [key, score],
                [key + CHUNK_SUFFIX, encoded],
              ];
        },
        stats: this.stats,
        signal: options.signal,
      })
      .then((items) => items.map((item) => (item.chunk === undefined ? { score: item.score } : { score: item.score, chunk: { ...item.chunk } })));
  }

  /** The scorer's scores (with windows when it reports them), checked: a bad one fails the call and nothing is cached. */
  async #score(pairs: readonly TextPair[], items: number[], withChunks: boolean, options: CrossEncoderCallOptions): Promise<DetailedScore[]> {
    const toScore = items.map((item) => pairs[item] as TextPair);
    const fresh: unknown[] = withChunks ? await this.model.scoreDetailed!(toScore, options) : await this.model.score(toScore, options);
    if (!Array.isArray(fresh) || fresh.length !== toScore.length) {
      throw new RerankError(`${OWNER}: the scorer returned ${Array.isArray(fresh) ? fresh.length : "no"} scores for ${toScore.length} pairs.`);
    }
    return fresh.map((item, k) => {
      const score = withChunks ? (item as DetailedScore | null)?.score : item;
      if (typeof score !== "number" || !Number.isFinite(score)) {
        throw new RerankError(
          `${OWNER}: the scorer returned a non-finite score (${String(score)}) for pair ${items[k]}; nothing of this call was cached.`,
        );
      }
      const chunk = withChunks ? (item as DetailedScore).chunk : undefined;
      if (chunk !== undefined && !isChunkSpan(chunk)) {
        throw new RerankError(`${OWNER}: the scorer returned an invalid window for pair ${items[k]}; nothing of this call was cached.`);
      }
      return chunk === undefined ? { score } : { score, chunk: { start: chunk.start, end: chunk.end } };
    });
  }
}
