import { abortable } from "../cancellation.js";
import { InvalidOptionError, RerankError } from "../errors.js";
import { checkPositiveInteger, describeValue } from "../options.js";
import { type KeyValueStore, LruStore } from "./lru_store.js";
import { sha256Hex } from "./sha256.js";

/** Lookups through a store-backed cache (`CachedCrossEncoder.stats`, `ColBERTCrossEncoder.storeStats`). */
export interface StoreStats {
  /** Items served without computing them: read from the store, or computed by a concurrent call. */
  hits: number;
  /** Items computed (the store had no readable entry for them). */
  misses: number;
  /** Computed items the store failed to keep (its `mset` rejected): they were returned all the same, not stored. */
  failedWrites: number;
}

export function emptyStoreStats(): StoreStats {
  return { hits: 0, misses: 0, failedWrites: 0 };
}

/** Adds `from`'s counts to `to`'s. */
export function addStoreStats(to: StoreStats, from: StoreStats): void {
  to.hits += from.hits;
  to.misses += from.misses;
  to.failedWrites += from.failedWrites;
}

/** The store options a class with a default store takes: `store`, or `maxSize` entries of a new `LruStore`. */
export interface StoreFields<S> {
  store?: KeyValueStore<S>;
  maxSize?: number;
}

/** The store a class uses: the one given (checked to be a `BaseStore`), else an `LruStore` of `maxSize` entries. */
export function storeFromFields<S>(owner: string, fields: StoreFields<S>): KeyValueStore<S> {
  // Checked here, so an error names the option the caller passed and the class they passed it to.
  const maxSize = checkPositiveInteger(owner, "maxSize", fields.maxSize);
  if (fields.store === undefined) return new LruStore<S>(maxSize !== undefined ? { maxSize } : {});
  if (typeof fields.store?.mget !== "function" || typeof fields.store?.mset !== "function") {
    throw new InvalidOptionError(`${owner}: \`store\` must be a LangChain BaseStore (an object with mget and mset), such as new InMemoryStore().`);
  }
  return fields.store;
}

/** One lookup of items by key; see `StoreBackedCache.lookup`. Item numbers are positions in `keys`. */
export interface CacheLookup<V, S> {
  /** Each item's key; items that share a key are read and computed once. */
  keys: readonly string[];
  /** The store keys that hold an item's value. @default the key alone */
  slots?: (key: string) => readonly string[];
  /** The item's value from what its slots hold, or undefined when absent or damaged: then it is computed again. */
  decode: (stored: readonly unknown[], item: number) => V | undefined;
  /** The values of the items given (one per missing key), in order. */
  compute: (items: number[], signal: AbortSignal | undefined) => Promise<V[]>;
  /** The store entries that keep a computed value. */
  entries: (key: string, value: V, item: number) => [string, S][];
  /**
   * Whether the lookup settles only once its values are written (storing them is its purpose); otherwise it settles
   * when they are known, and the write completes after. @default false
   */
  awaitWrites?: boolean;
  /** Where this lookup's hits, misses and failed writes are counted. */
  stats: StoreStats;
  signal?: AbortSignal;
}

/**
 * Values computed once and kept in a LangChain `BaseStore`, the one mechanism behind `CachedCrossEncoder` (scores)
 * and `ColBERTCrossEncoder` (document vectors).
 *
 * - A key is claimed before the store is read, so a concurrent lookup of it waits for this one instead of reading
 *   and computing it again. A claim is released once its value is known (read or computed), not when it is written,
 *   so a store that never finishes a write holds up no later lookup.
 * - The caller's abort rejects at once, even while the store or the computation is still busy. An aborted read
 *   fails the claims it held, and a lookup that was waiting on them reads and computes those keys itself.
 * - A stored value that does not decode (absent, foreign, damaged) is computed again and overwritten.
 * - A lookup returns its values once they are known; the write completes after (unless `awaitWrites`), so a store
 *   that is slow to write, or never finishes, holds up no caller. A write the store refuses is counted in
 *   `failedWrites`; the computed values are returned all the same.
 */
export class StoreBackedCache<V, S> {
  readonly #inflight = new Map<string, Promise<V>>();

  constructor(
    readonly store: KeyValueStore<S>,
    readonly owner: string,
  ) {}

  /** A store key: a SHA-256 of the parts, so the store holds no text. */
  static keyOf(...parts: unknown[]): Promise<string> {
    return sha256Hex(JSON.stringify(parts));
  }

  /** Each item's value, in order: from the store, from a concurrent lookup, or computed and written back. */
  async lookup(request: CacheLookup<V, S>): Promise<V[]> {
    request.signal?.throwIfAborted();
    const firstItem = new Map<string, number>();
    request.keys.forEach((key, item) => firstItem.has(key) || firstItem.set(key, item));
    const values = new Map<string, V>();
    let pending = [...firstItem.values()];
    // A key another lookup had claimed and failed to settle (its caller aborted) is this lookup's to settle.
    while (pending.length > 0) pending = await this.#round(pending, request, values);
    return request.keys.map((key) => values.get(key) as V);
  }

  /** Settles `items` (one per key): joins the keys claimed elsewhere, claims the rest. Returns the joined ones that failed. */
  async #round(items: number[], request: CacheLookup<V, S>, values: Map<string, V>): Promise<number[]> {
    const joined: number[] = [];
    const claims: Claim<V>[] = [];
    for (const item of items) {
      const key = request.keys[item]!;
      if (this.#inflight.has(key)) joined.push(item);
      else {
        const claim = new Claim<V>(key, item);
        this.#inflight.set(key, claim.promise);
        claims.push(claim);
      }
    }
    const own = claims.length > 0 ? this.#fill(claims, request) : Promise.resolve();
    const others = Promise.allSettled(joined.map((item) => this.#inflight.get(request.keys[item]!)!));
    const [, settled] = await abortable(Promise.all([own, others]), request.signal);
    for (const claim of claims) values.set(claim.key, claim.value as V);
    const failed: number[] = [];
    settled.forEach((outcome, k) => {
      const item = joined[k]!;
      if (outcome.status === "rejected") failed.push(item);
      else {
        values.set(request.keys[item]!, outcome.value);
        request.stats.hits += 1;
      }
    });
    return failed;
  }

  /** Reads the claimed keys, computes those the store lacks, settles every claim, then writes the computed ones. */
  async #fill(claims: Claim<V>[], request: CacheLookup<V, S>): Promise<void> {
    const { signal, stats } = request;
    const release = (done: Claim<V>[]) => {
      for (const claim of done) if (this.#inflight.get(claim.key) === claim.promise) this.#inflight.delete(claim.key);
    };
    try {
      const slots = claims.map((claim) => request.slots?.(claim.key) ?? [claim.key]);
      const wanted = slots.flat();
      const stored: unknown = await abortable(
        Promise.resolve().then(() => this.store.mget(wanted)),
        signal,
      );
      // A store is outside code (Redis, a wrapper): an answer that is not one value per key is its bug, named as such.
      if (!Array.isArray(stored) || stored.length !== wanted.length) {
        throw new RerankError(
          `${this.owner}: the store's mget returned ${Array.isArray(stored) ? `${stored.length} values` : describeValue(stored)} for ${wanted.length} keys; ` +
            "a store must return one value (or undefined) per key, in order.",
        );
      }
      const missing: Claim<V>[] = [];
      let at = 0;
      claims.forEach((claim, k) => {
        const value = request.decode(stored.slice(at, (at += slots[k]!.length)), claim.item);
        if (value === undefined) missing.push(claim);
        else {
          stats.hits += 1;
          claim.resolve(value);
        }
      });
      if (missing.length === 0) return;
      stats.misses += missing.length;
      const computed = await request.compute(
        missing.map((claim) => claim.item),
        signal,
      );
      if (!Array.isArray(computed) || computed.length !== missing.length) {
        throw new RerankError(`${this.owner}: computed ${Array.isArray(computed) ? computed.length : "no"} values for ${missing.length} items.`);
      }
      missing.forEach((claim, k) => claim.resolve(computed[k]!));
      release(missing);
      const entries = missing.flatMap((claim, k) => request.entries(claim.key, computed[k]!, claim.item));
      const written = (async () => {
        try {
          await this.store.mset(entries);
        } catch {
          // The values are computed and returned: a store that cannot keep them (full, read-only, a file another
          // process removed) costs their next computation, not this call.
          stats.failedWrites += missing.length;
        }
      })();
      if (request.awaitWrites) await written;
    } catch (error) {
      for (const claim of claims) claim.reject(error);
      throw error;
    } finally {
      release(claims);
    }
  }
}

/** One key this lookup reads or computes for every concurrent lookup that needs it. */
class Claim<V> {
  readonly promise: Promise<V>;
  value: V | undefined;
  #resolve!: (value: V) => void;
  reject!: (error: unknown) => void;

  constructor(
    readonly key: string,
    readonly item: number,
  ) {
    this.promise = new Promise<V>((resolve, reject) => {
      this.#resolve = resolve;
      this.reject = reject;
    });
    this.promise.catch(() => {}); // its waiters handle a failure; no waiter is not an unhandled rejection
  }

  resolve(value: V): void {
    this.value = value;
    this.#resolve(value);
  }
}
