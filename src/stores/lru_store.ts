import { InvalidOptionError } from "../errors.js";
import { checkPositiveInteger } from "../options.js";

/**
 * The part of LangChain's `BaseStore<K, V>` a score cache uses: batched get, set, delete and key listing. Any
 * `BaseStore` (`InMemoryStore`, a Redis or file-system store) fits, as in `CacheBackedEmbeddings`.
 */
export interface KeyValueStore<V> {
  mget(keys: string[]): Promise<(V | undefined)[]>;
  mset(keyValuePairs: [string, V][]): Promise<void>;
  mdelete?(keys: string[]): Promise<void>;
  yieldKeys?(prefix?: string): AsyncGenerator<string>;
}

export interface LruStoreArgs {
  /** Most entries kept; the least recently read or written is evicted first. @default 10000 */
  maxSize?: number;
}

const OWNER = "LruStore";

/**
 * A bounded in-memory key-value store with least-recently-used eviction, with the method shapes of LangChain's
 * `BaseStore` (`mget`, `mset`, `mdelete`, `yieldKeys`). LangChain's `InMemoryStore` grows without bound, which a
 * long-running server cannot afford, and this one loads nothing from `@langchain/core` when the package is imported.
 *
 * @example
 * ```ts
 * import { CachedCrossEncoder, LruStore, type TextPair } from "langchain-rerank";
 *
 * const scorer = { score: async (pairs: readonly TextPair[]) => pairs.map(([, text]) => text.length) }; // any CrossEncoder
 * const store = new LruStore<number>({ maxSize: 50_000 });
 * const cached = new CachedCrossEncoder({ model: scorer, store, namespace: "text-length" });
 * await cached.score([["q", "a document"]]);
 * console.log(store.size); // 1
 * ```
 */
export class LruStore<V> implements KeyValueStore<V> {
  readonly maxSize: number;
  // A Map iterates in insertion order: re-inserting on every read or write keeps the oldest entry first.
  readonly #entries = new Map<string, V>();

  constructor(fields: LruStoreArgs = {}) {
    if (fields === null || typeof fields !== "object")
      throw new InvalidOptionError(`${OWNER}: options must be an object such as { maxSize: 10000 }.`);
    this.maxSize = checkPositiveInteger(OWNER, "maxSize", fields.maxSize) ?? 10_000;
  }

  /** Entries held now. */
  get size(): number {
    return this.#entries.size;
  }

  async mget(keys: string[]): Promise<(V | undefined)[]> {
    return keys.map((key) => {
      if (!this.#entries.has(key)) return undefined;
      const value = this.#entries.get(key) as V;
      this.#entries.delete(key);
      this.#entries.set(key, value);
      return value;
    });
  }

  async mset(keyValuePairs: [string, V][]): Promise<void> {
    for (const [key, value] of keyValuePairs) {
      this.#entries.delete(key);
      this.#entries.set(key, value);
    }
    for (const key of this.#entries.keys()) {
      if (this.#entries.size <= this.maxSize) break;
      this.#entries.delete(key);
    }
  }

  async mdelete(keys: string[]): Promise<void> {
    for (const key of keys) this.#entries.delete(key);
  }

  async *yieldKeys(prefix?: string): AsyncGenerator<string> {
    for (const key of [...this.#entries.keys()]) if (prefix === undefined || key.startsWith(prefix)) yield key;
  }
}
