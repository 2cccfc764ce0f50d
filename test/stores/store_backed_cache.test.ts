import { describe, expect, it } from "vitest";
import { RerankError } from "../../src/errors.js";
import { LruStore } from "../../src/stores/lru_store.js";
import { type CacheLookup, emptyStoreStats, StoreBackedCache, storeFromFields } from "../../src/stores/store_backed_cache.js";

// The mechanism behind CachedCrossEncoder and ColBERTCrossEncoder's document store, on a plain value type. Order is
// fixed by gates the test opens, never by timers.

/** A promise and the function that settles it. */
function gate<T = void>(): { promise: Promise<T>; open: (value: T) => void } {
  let open!: (value: T) => void;
  const promise = new Promise<T>((resolve) => (open = resolve));
  return { promise, open };
}

const keys = (n: number, prefix = "k") => Array.from({ length: n }, (_, i) => `${prefix}${i}`);

/** A lookup that computes the key's length and stores it; records what it computed. */
function lengths(list: readonly string[], computed: string[] = [], extra: Partial<CacheLookup<number, number>> = {}): CacheLookup<number, number> {
  return {
    keys: list,
    decode: ([value]) => (typeof value === "number" ? value : undefined),
    compute: async (items) => items.map((item) => (computed.push(list[item]!), list[item]!.length)),
    entries: (key, value) => [[key, value]],
    stats: emptyStoreStats(),
    ...extra,
  };
}

describe("StoreBackedCache", () => {
  it("claims keys before reading: concurrent lookups with a slow store read and compute each key once", async () => {
    const inner = new LruStore<number>();
    const reads: string[][] = [];
    const answer = gate();
    const store = {
      mget: async (wanted: string[]) => (reads.push(wanted), await answer.promise, inner.mget(wanted)),
      mset: (entries: [string, number][]) => inner.mset(entries),
    };
    const cache = new StoreBackedCache<number, number>(store, "Test");
    const computed: string[] = [];
    const [a, b] = [lengths(keys(40), computed), lengths(keys(40), computed)];
    const first = cache.lookup(a);
    const second = cache.lookup(b);
    answer.open();
    expect(await Promise.all([first, second])).toEqual([keys(40).map((k) => k.length), keys(40).map((k) => k.length)]);
    expect(reads).toHaveLength(1);
    expect(computed).toHaveLength(40);
    // The lookup that waited was served by the other one: hits, not misses.
    expect([a.stats, b.stats]).toEqual([
      { hits: 0, misses: 40, failedWrites: 0 },
      { hits: 40, misses: 0, failedWrites: 0 },
    ]);
  });

  it("an abort rejects while the store's mget never answers, and releases the keys for the next lookup", async () => {
    const inner = new LruStore<number>();
    let hang = true;
    const store = {
      mget: (wanted: string[]) => (hang ? new Promise<never>(() => {}) : inner.mget(wanted)),
      mset: (entries: [string, number][]) => inner.mset(entries),
    };
    const cache = new StoreBackedCache<number, number>(store, "Test");
    const controller = new AbortController();
    const call = cache.lookup(lengths(["a"], [], { signal: controller.signal }));
    controller.abort(new Error("user left"));
    await expect(call).rejects.toThrow("user left");
    hang = false;
    expect(await cache.lookup(lengths(["a"]))).toEqual([1]);
  });

  it("a store whose mset never answers holds up no lookup: values return when computed, and later lookups too", async () => {
    const store = { mget: async (wanted: string[]) => wanted.map(() => undefined), mset: () => new Promise<void>(() => {}) };
    const cache = new StoreBackedCache<number, number>(store, "Test");
    expect(await cache.lookup(lengths(["a", "bb"]))).toEqual([1, 2]);
    expect(await cache.lookup(lengths(["a", "bb"]))).toEqual([1, 2]);
    // A lookup that waits for its writes (indexing) waits, but its abort still rejects at once.
    const controller = new AbortController();
    const indexing = cache.lookup(lengths(["ccc"], [], { awaitWrites: true, signal: controller.signal }));
    controller.abort(new Error("stop"));
    await expect(indexing).rejects.toThrow("stop");
  });

  it("a write the store refuses does not fail the lookup: it is counted in failedWrites", async () => {
    const store = {
      mget: async (wanted: string[]) => wanted.map(() => undefined),
      mset: async () => {
        throw new Error("ENOENT: no such file or directory, rename");
      },
    };
    const cache = new StoreBackedCache<number, number>(store, "Test");
    const request = lengths(["a", "bb", "a"], [], { awaitWrites: true });
    expect(await cache.lookup(request)).toEqual([1, 2, 1]);
    expect(request.stats).toEqual({ hits: 0, misses: 2, failedWrites: 2 });
    // A store whose mset throws before returning a promise is counted the same way.
    const throwing = (): Promise<void> => {
      throw new Error("read-only");
    };
    const sync = new StoreBackedCache<number, number>({ ...store, mset: throwing }, "Test");
    const again = lengths(["a"], [], { awaitWrites: true });
    expect(await sync.lookup(again)).toEqual([1]);
    expect(again.stats.failedWrites).toBe(1);
  });

  it("an entry that does not decode is computed again and overwritten", async () => {
    const inner = new LruStore<number>();
    await inner.mset([
      ["a", 1],
      ["bb", Number.NaN],
    ]);
    const cache = new StoreBackedCache<number, number>(inner, "Test");
    const computed: string[] = [];
    const request = lengths(["a", "bb"], computed, { decode: ([v]) => (typeof v === "number" && Number.isFinite(v) ? v : undefined) });
    expect(await cache.lookup(request)).toEqual([1, 2]);
    expect(computed).toEqual(["bb"]);
    expect(await inner.mget(["bb"])).toEqual([2]);
    expect(request.stats).toEqual({ hits: 1, misses: 1, failedWrites: 0 });
  });

  it("names a store whose mget answers other than one value per key, and fails the lookup", async () => {
    const cache = new StoreBackedCache<number, number>({ mget: async () => [], mset: async () => {} }, "Owner");
    await expect(cache.lookup(lengths(["a"]))).rejects.toThrow(RerankError);
    await expect(cache.lookup(lengths(["a"]))).rejects.toThrow(/^Owner: the store's mget returned 0 values for 1 keys/);
  });
});

describe("storeFromFields", () => {
  it("names the option and the class the caller used", () => {
    expect(() => storeFromFields("ColBERTCrossEncoder", { maxSize: 0 })).toThrow(/^ColBERTCrossEncoder: `maxSize` must be a positive integer/);
    expect(() => storeFromFields("CachedCrossEncoder", { store: {} as never })).toThrow(/^CachedCrossEncoder: `store` must be a LangChain BaseStore/);
    expect((storeFromFields<number>("X", { maxSize: 3 }) as LruStore<number>).maxSize).toBe(3);
  });
});
