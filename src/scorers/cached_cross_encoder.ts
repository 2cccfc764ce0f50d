import { InvalidOptionError, RerankError } from "../errors.js";
import { checkPositiveInteger, checkString } from "../options.js";
import { type CrossEncoder, type CrossEncoderCallOptions, type TextPair, isCrossEncoder } from "./cross_encoder.js";
import { type KeyValueStore, LruStore } from "./lru_store.js";

export interface CachedCrossEncoderArgs {
  /** The scorer whose scores are cached: local or remote, any `CrossEncoder`. */
  scorer: CrossEncoder;
  /**
   * Where scores live: any LangChain `BaseStore<string, number>` (or an object with its `mget`/`mset`).
   * @default a new `LruStore` holding `maxSize` scores
   */
  store?: KeyValueStore<number>;
  /** Size of the default store (ignored when `store` is given). @default 10000 */
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

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, "0"));

/** SHA-256 in hex through Web Crypto, present in browsers and Node ≥ 20, so this module imports no Node built-in. */
async function sha256Hex(text: string): Promise<string> {
  const digest = new Uint8Array(await globalThis.crypto.subtle.digest("SHA-256", new TextEncoder().encode(text)));
  let hex = "";
  for (const byte of digest) hex += HEX[byte];
  return hex;
}

/**
 * A CrossEncoder that remembers scores. The key of a pair is a SHA-256 hash of the scorer's identity (its `cacheKey`
 * and/or the `namespace`), the query and the text, so the store never holds the texts and a change of model, score
 * mode or truncation never returns a stale score. Only pairs missing from the store reach the scorer, in one call
 * (a pair repeated within a call is scored once), and scores come back in input order.
 *
 * @example
 * ```ts
 * import { CachedCrossEncoder, CrossEncoderReranker } from "langchain-rerank";
 * import { HuggingFaceCrossEncoder } from "langchain-rerank/huggingface";
 *
 * const scorer = new CachedCrossEncoder({ scorer: new HuggingFaceCrossEncoder(), maxSize: 50_000 });
 * const reranker = new CrossEncoderReranker({ model: scorer, topN: 5 });
 * ```
 */
export class CachedCrossEncoder implements CrossEncoder {
  readonly scorer: CrossEncoder;
  readonly store: KeyValueStore<number>;
  readonly namespace: string | undefined;
  readonly stats: CacheStats = { hits: 0, misses: 0 };
  readonly #identity: string;

  constructor(fields: CachedCrossEncoderArgs) {
    if (fields === null || typeof fields !== "object") {
      throw new InvalidOptionError(`${OWNER}: pass an options object such as { scorer: new HuggingFaceCrossEncoder() }.`);
    }
    if (!isCrossEncoder(fields.scorer)) throw new InvalidOptionError(`${OWNER}: \`scorer\` must be a CrossEncoder (an object with score(pairs)).`);
    this.scorer = fields.scorer;
    this.namespace = checkString(OWNER, "namespace", fields.namespace);
    const scorerKey = checkString(OWNER, "scorer.cacheKey", fields.scorer.cacheKey);
    if (scorerKey === undefined && this.namespace === undefined) {
      throw new InvalidOptionError(
        `${OWNER}: the scorer (${fields.scorer.constructor?.name ?? "object"}) has no \`cacheKey\`, so its scores cannot be told apart from another ` +
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

  /** The wrapped scorer's identity (and namespace): a cache of a cache keys like the scorer itself. */
  get cacheKey(): string {
    return this.#identity;
  }

  /** The store key of one pair. */
  async keyOf(pair: TextPair): Promise<string> {
    return sha256Hex(JSON.stringify([this.#identity, pair[0], pair[1]]));
  }

  async score(pairs: readonly TextPair[], options: CrossEncoderCallOptions = {}): Promise<number[]> {
    if (!Array.isArray(pairs)) throw new InvalidOptionError(`${OWNER}.score expects an array of [query, text] pairs.`);
    pairs.forEach((pair, i) => {
      if (!Array.isArray(pair) || typeof pair[0] !== "string" || typeof pair[1] !== "string") {
        throw new InvalidOptionError(`${OWNER}.score expects [query, text] pairs of strings; pair ${i} is not one.`);
      }
    });
    options.signal?.throwIfAborted();
    if (pairs.length === 0) return [];
    const keys = await Promise.all(pairs.map((pair) => this.keyOf(pair)));
    const cached = await this.store.mget(keys);
    const scores = new Array<number>(pairs.length);
    // Pairs to score, once each: key → positions in the input.
    const missing = new Map<string, number[]>();
    keys.forEach((key, i) => {
      const value = cached[i];
      // A value that is not a finite number (a foreign or corrupted entry) is scored again, not returned.
      if (typeof value === "number" && Number.isFinite(value)) {
        scores[i] = value;
        this.stats.hits += 1;
      } else {
        const positions = missing.get(key);
        if (positions) positions.push(i);
        else missing.set(key, [i]);
      }
    });
    if (missing.size === 0) return scores;
    const toScore = [...missing.values()].map((positions) => pairs[positions[0] as number] as TextPair);
    this.stats.misses += toScore.length;
    const fresh = await this.scorer.score(toScore, options);
    if (!Array.isArray(fresh) || fresh.length !== toScore.length) {
      throw new RerankError(`${OWNER}: the scorer returned ${Array.isArray(fresh) ? fresh.length : "no"} scores for ${toScore.length} pairs.`);
    }
    const entries: [string, number][] = [];
    [...missing].forEach(([key, positions], k) => {
      const score = fresh[k];
      if (typeof score !== "number" || !Number.isFinite(score)) {
        throw new RerankError(
          `${OWNER}: the scorer returned a non-finite score (${String(score)}) for pair ${positions[0]}; nothing of this call was cached.`,
        );
      }
      for (const i of positions) scores[i] = score;
      entries.push([key, score]);
    });
    await this.store.mset(entries);
    return scores;
  }
}
