import { InvalidOptionError, RerankError } from "../errors.js";
import { abortable } from "../cancellation.js";
import { checkPositiveInteger, checkString, describeValue } from "../options.js";
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
import { type KeyValueStore, LruStore } from "../stores/lru_store.js";
import { sha256Hex } from "../stores/sha256.js";

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

/** Hits and misses since the instance was made (pairs, not calls). */
export interface CacheStats {
  hits: number;
  misses: number;
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
 * (a pair repeated within a call is scored once, and a pair a concurrent call is scoring is waited for, not scored
 * twice), and scores come back in input order.
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
  readonly stats: CacheStats = { hits: 0, misses: 0 };
  readonly #identity: string;
  /** Keys being scored right now, by any call of this instance: a concurrent call for the same pair waits for it. */
  readonly #inflight = new Map<string, Promise<DetailedScore>>();

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
    const maxSize = checkPositiveInteger(OWNER, "maxSize", fields.maxSize);
    if (fields.store !== undefined) {
      if (typeof fields.store?.mget !== "function" || typeof fields.store?.mset !== "function") {
        throw new InvalidOptionError(`${OWNER}: \`store\` must be a LangChain BaseStore (an object with mget and mset).`);
      }
      this.store = fields.store;
    } else {
      this.store = new LruStore<number>(maxSize !== undefined ? { maxSize } : {});
    }
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
    return sha256Hex(JSON.stringify([this.#identity, pair[0], pair[1]]));
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
    const keys = await Promise.all(pairs.map((pair) => this.keyOf(pair)));
    const wanted = readChunks ? [...keys, ...keys.map((key) => key + CHUNK_SUFFIX)] : keys;
    const cached: unknown = await this.store.mget(wanted);
    // A store is outside code (Redis, a wrapper): an answer that is not one value per key is its bug, named as such.
    if (!Array.isArray(cached) || cached.length !== wanted.length) {
      throw new RerankError(
        `${OWNER}: the store's mget returned ${Array.isArray(cached) ? `${cached.length} values` : describeValue(cached)} for ${wanted.length} keys; ` +
          "a store must return one value (or undefined) per key, in order.",
      );
    }
    const results = new Array<DetailedScore>(pairs.length);
    // Pairs to score, once each: key → positions in the input.
    const missing = new Map<string, number[]>();
    keys.forEach((key, i) => {
      const value = cached[i];
      const chunk = readChunks ? decodeChunk(cached[pairs.length + i]) : undefined;
      // A value that is not a finite number, or a window past the end of the text (a foreign or corrupted entry), is
      // scored again, not returned.
      if (typeof value === "number" && Number.isFinite(value) && (chunk === undefined || chunk.end <= (pairs[i] as TextPair)[1].length)) {
        results[i] = chunk === undefined ? { score: value } : { score: value, chunk };
        this.stats.hits += 1;
      } else {
        const positions = missing.get(key);
        if (positions) positions.push(i);
        else missing.set(key, [i]);
      }
    });
    if (missing.size === 0) return results;
    const fill = (key: string, item: DetailedScore) => {
      for (const i of missing.get(key) as number[])
        results[i] = item.chunk === undefined ? { score: item.score } : { score: item.score, chunk: { ...item.chunk } };
    };
    const scoreHere = async (toScore: string[]) => {
      if (toScore.length === 0) return;
      // The caller's abort rejects at once even if the scorer ignores the signal; a late answer is still cached.
      const items = await abortable(
        this.#score(
          toScore.map((key) => [key, missing.get(key)![0] as number]),
          pairs,
          withChunks,
          options,
        ),
        options.signal,
      );
      toScore.forEach((key, k) => fill(key, items[k] as DetailedScore));
    };
    // Pairs another call is scoring right now (concurrent identical requests): wait for its scores instead of
    // scoring them twice. If that call fails or is aborted, this one scores them itself.
    const joined = [...missing.keys()].filter((key) => this.#inflight.has(key));
    const joinedKeys = new Set(joined);
    const awaitJoined = async (): Promise<string[]> => {
      const settled = await Promise.allSettled(joined.map((key) => this.#inflight.get(key) as Promise<DetailedScore>));
      const failed: string[] = [];
      settled.forEach((outcome, k) => {
        const key = joined[k] as string;
        if (outcome.status === "fulfilled") {
          fill(key, outcome.value);
          this.stats.hits += 1;
        } else failed.push(key);
      });
      return failed;
    };
    const own = [...missing.keys()].filter((key) => !joinedKeys.has(key));
    const [, failed] = await Promise.all([scoreHere(own), joined.length > 0 ? abortable(awaitJoined(), options.signal) : []]);
    await scoreHere(failed);
    return results;
  }

  /**
   * Scores `[key, position]` entries (positions into `pairs`) in one scorer call and stores the scores. Each key is
   * registered as in flight until the call settles, so concurrent calls asking for it wait for this one.
   */
  async #score(
    entries: [string, number][],
    pairs: readonly TextPair[],
    withChunks: boolean,
    options: CrossEncoderCallOptions,
  ): Promise<DetailedScore[]> {
    let settle: { resolve: (items: DetailedScore[]) => void; reject: (error: unknown) => void } | undefined;
    const shared = new Promise<DetailedScore[]>((resolve, reject) => (settle = { resolve, reject }));
    const perKey = entries.map((_, k) => shared.then((items) => items[k] as DetailedScore));
    for (const promise of [shared, ...perKey]) promise.catch(() => {}); // nobody may be waiting on them
    entries.forEach(([key], k) => this.#inflight.set(key, perKey[k] as Promise<DetailedScore>));
    try {
      const toScore = entries.map(([, position]) => pairs[position] as TextPair);
      this.stats.misses += toScore.length;
      const fresh: unknown[] = withChunks ? await this.model.scoreDetailed!(toScore, options) : await this.model.score(toScore, options);
      if (!Array.isArray(fresh) || fresh.length !== toScore.length) {
        throw new RerankError(`${OWNER}: the scorer returned ${Array.isArray(fresh) ? fresh.length : "no"} scores for ${toScore.length} pairs.`);
      }
      const items: DetailedScore[] = [];
      const stored: [string, number][] = [];
      entries.forEach(([key, position], k) => {
        const item = fresh[k];
        const score = withChunks ? (item as DetailedScore | null)?.score : item;
        if (typeof score !== "number" || !Number.isFinite(score)) {
          throw new RerankError(
            `${OWNER}: the scorer returned a non-finite score (${String(score)}) for pair ${position}; nothing of this call was cached.`,
          );
        }
        const chunk = withChunks ? (item as DetailedScore).chunk : undefined;
        if (chunk !== undefined && !isChunkSpan(chunk)) {
          throw new RerankError(`${OWNER}: the scorer returned an invalid window for pair ${position}; nothing of this call was cached.`);
        }
        items.push(chunk === undefined ? { score } : { score, chunk: { start: chunk.start, end: chunk.end } });
        if (chunk === undefined) {
          stored.push([key, score]);
          return;
        }
        const encoded = encodeChunk(chunk);
        if (encoded !== undefined) stored.push([key, score], [key + CHUNK_SUFFIX, encoded]);
      });
      await this.store.mset(stored);
      settle!.resolve(items);
      return items;
    } catch (error) {
      settle!.reject(error);
      throw error;
    } finally {
      entries.forEach(([key], k) => {
        if (this.#inflight.get(key) === perKey[k]) this.#inflight.delete(key);
      });
    }
  }
}
