import { InMemoryStore } from "@langchain/core/stores";
import { describe, expect, it, vi } from "vitest";
import { InvalidOptionError, RerankError } from "../../src/errors.js";
import { HuggingFaceCrossEncoder } from "../../src/huggingface.js";
import {
  BEST_CHUNK_KEY,
  CachedCrossEncoder,
  CrossEncoderReranker,
  LruStore,
  RerankServerCrossEncoder,
  type CrossEncoder,
  type CrossEncoderCallOptions,
  type TextPair,
} from "../../src/index.js";
import { FIXTURE_RERANKER } from "../support/fixtures.js";
import { WINDOWING_VERSION } from "../../src/scorers/chunking.js";
import { Document, type DocumentInterface } from "@langchain/core/documents";

// vi.waitFor polls for a state another task reaches; generous, as a loaded CI machine can be slow (not a time bound).
const PATIENT = { timeout: 60_000, interval: 5 };

/** Scores a pair by its text length and records every call, so a test sees exactly which pairs reached it. */
class CountingScorer implements CrossEncoder {
  readonly calls: TextPair[][] = [];
  readonly cacheKey: string | undefined;
  constructor(
    cacheKey: string | null = "counting-v1",
    private readonly scoreOf: (pair: TextPair) => number = ([q, t]) => t.length + q.length / 100,
  ) {
    if (cacheKey !== null) this.cacheKey = cacheKey;
  }
  async score(pairs: readonly TextPair[], _options?: CrossEncoderCallOptions): Promise<number[]> {
    this.calls.push([...pairs]);
    return pairs.map(this.scoreOf);
  }
}

const Q = "what is a cat";
const pairs = (texts: string[], query = Q): TextPair[] => texts.map((t) => [query, t]);

describe("CachedCrossEncoder", () => {
  it("scores only unseen pairs, in one call, and returns every score in input order", async () => {
    const inner = new CountingScorer();
    const cached = new CachedCrossEncoder({ model: inner });
    const first = await cached.score(pairs(["a", "bb", "ccc"]));
    expect(first).toEqual([1.13, 2.13, 3.13]);
    expect(inner.calls).toEqual([pairs(["a", "bb", "ccc"])]);

    const second = await cached.score(pairs(["dddd", "bb", "a", "eeeee"]));
    expect(second).toEqual([4.13, 2.13, 1.13, 5.13]);
    expect(inner.calls[1]).toEqual(pairs(["dddd", "eeeee"]));
    expect(cached.stats).toEqual({ hits: 2, misses: 5, failedWrites: 0 });

    await cached.score(pairs(["a", "bb", "ccc", "dddd", "eeeee"]));
    expect(inner.calls).toHaveLength(2); // all hits: the scorer is not called at all
  });

  it("keys on the query as well as the text, and scores a pair repeated within one call once", async () => {
    const inner = new CountingScorer();
    const cached = new CachedCrossEncoder({ model: inner });
    await cached.score(pairs(["a"]));
    expect(
      await cached.score([
        [Q, "a"],
        ["another query", "a"],
        ["another query", "a"],
      ]),
    ).toEqual([1.13, 1.13, 1.13]);
    expect(inner.calls[1]).toEqual([["another query", "a"]]);
  });

  it("never serves one scorer's scores to another: the scorer identity is part of the key", async () => {
    const store = new LruStore<number>();
    const a = new CachedCrossEncoder({ model: new CountingScorer("model-a", () => 1), store });
    const b = new CachedCrossEncoder({ model: new CountingScorer("model-b", () => 2), store });
    expect(await a.score(pairs(["x"]))).toEqual([1]);
    expect(await b.score(pairs(["x"]))).toEqual([2]);
    const ns = new CachedCrossEncoder({ model: new CountingScorer("model-a", () => 3), store, namespace: "tenant-2" });
    expect(await ns.score(pairs(["x"]))).toEqual([3]);
    expect(store.size).toBe(3);
  });

  it("requires a namespace for a scorer without cacheKey, with an error that says so", () => {
    const bare = new CountingScorer(null);
    expect(() => new CachedCrossEncoder({ model: bare })).toThrow(InvalidOptionError);
    expect(() => new CachedCrossEncoder({ model: bare })).toThrow(/has no `cacheKey`.*pass `namespace`/);
    expect(new CachedCrossEncoder({ model: bare, namespace: "bare@1" }).cacheKey).toContain("bare@1");
    expect(() => new CachedCrossEncoder({ model: {} as CrossEncoder, namespace: "x" })).toThrow(/`model` must be a CrossEncoder/);
    expect(() => new CachedCrossEncoder({ model: bare, namespace: "x", store: {} as never })).toThrow(/`store` must be a LangChain BaseStore/);
    expect(() => new CachedCrossEncoder({ model: bare, namespace: "x", maxSize: 0 })).toThrow(
      /`maxSize` must be a positive integer, got the number 0/,
    );
  });

  it("works with LangChain's InMemoryStore (any BaseStore) and keeps only hashes, never texts, in keys", async () => {
    const store = new InMemoryStore<number>();
    const inner = new CountingScorer();
    const cached = new CachedCrossEncoder({ model: inner, store });
    await cached.score(pairs(["secret text"]));
    await cached.score(pairs(["secret text"]));
    expect(inner.calls).toHaveLength(1);
    const keys: string[] = [];
    for await (const key of store.yieldKeys()) keys.push(key);
    expect(keys).toHaveLength(1);
    expect(keys[0]).toMatch(/^[0-9a-f]{64}$/);
  });

  it("a corrupted store entry is scored again; a non-finite score from the scorer is an error and is not cached", async () => {
    const store = new LruStore<number>();
    const cached = new CachedCrossEncoder({ model: new CountingScorer(), store });
    await store.mset([[await cached.keyOf([Q, "a"]), Number.NaN]]);
    expect(await cached.score(pairs(["a"]))).toEqual([1.13]);
    const broken = new CachedCrossEncoder({ model: new CountingScorer("k", () => Number.POSITIVE_INFINITY) });
    await expect(broken.score(pairs(["a"]))).rejects.toThrow(RerankError);
    expect((broken.store as LruStore<number>).size).toBe(0);
  });

  it("a sparse pairs array is an InvalidOptionError naming the hole, not a TypeError", async () => {
    // eslint-disable-next-line no-sparse-arrays
    const sparse = [[Q, "a"], , [Q, "b"]] as TextPair[];
    await expect(new CachedCrossEncoder({ model: new CountingScorer() }).score(sparse)).rejects.toThrow(/pair 1 is a hole \(sparse array\)/);
  });

  it("a store whose mget answers something other than one value per key is a RerankError naming the store", async () => {
    for (const [answer, shown] of [
      [undefined, "a value of type undefined"],
      [[], "0 values"],
      [{ 0: 1 }, "a value of type object"],
    ] as const) {
      const inner = new CountingScorer();
      const cached = new CachedCrossEncoder({ model: inner, store: { mget: async () => answer as never, mset: async () => {} } });
      const error = await cached.score(pairs(["a"])).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(RerankError);
      expect(String(error)).toContain(`the store's mget returned ${shown} for 1 keys`);
      expect(inner.calls).toHaveLength(0);
    }
  });

  it("passes the abort signal to the scorer and refuses an aborted call before any work", async () => {
    const seen: (AbortSignal | undefined)[] = [];
    const inner: CrossEncoder = { cacheKey: "s", score: async (p, o) => (seen.push(o?.signal), p.map(() => 0.5)) };
    const controller = new AbortController();
    await new CachedCrossEncoder({ model: inner }).score(pairs(["a"]), { signal: controller.signal });
    expect(seen).toEqual([controller.signal]);
    controller.abort(new Error("stop"));
    await expect(new CachedCrossEncoder({ model: inner }).score(pairs(["b"]), { signal: controller.signal })).rejects.toThrow("stop");
    expect(seen).toHaveLength(1);
  });
});

describe("CachedCrossEncoder under concurrent calls", () => {
  /** Holds every call until released; honours the signal unless told to ignore it. */
  class GatedScorer implements CrossEncoder {
    readonly cacheKey = "gated";
    readonly calls: TextPair[][] = [];
    readonly #waiting: (() => void)[] = [];
    constructor(private readonly ignoreSignal = false) {}
    async score(pairs: readonly TextPair[], options: CrossEncoderCallOptions = {}): Promise<number[]> {
      this.calls.push([...pairs]);
      await new Promise<void>((resolve, reject) => {
        this.#waiting.push(resolve);
        if (!this.ignoreSignal) options.signal?.addEventListener("abort", () => reject(options.signal!.reason), { once: true });
      });
      return pairs.map(([, text]) => text.length);
    }
    release(): void {
      for (const resolve of this.#waiting.splice(0)) resolve();
    }
  }

  it("identical concurrent calls score each pair once: later calls wait for the first one's scores", async () => {
    const inner = new GatedScorer();
    const cached = new CachedCrossEncoder({ model: inner });
    const first = cached.score(pairs(["a", "bb"]));
    await vi.waitFor(() => expect(inner.calls).toHaveLength(1), PATIENT);
    const others = [cached.score(pairs(["a", "bb"])), cached.score(pairs(["bb", "ccc"]))];
    await vi.waitFor(() => expect(inner.calls).toHaveLength(2), PATIENT);
    inner.release();
    expect(await Promise.all([first, ...others])).toEqual([
      [1, 2],
      [1, 2],
      [2, 3],
    ]);
    expect(inner.calls).toEqual([pairs(["a", "bb"]), pairs(["ccc"])]);
    expect(cached.stats).toEqual({ hits: 3, misses: 3, failedWrites: 0 });
  });

  it("a waiting call whose leader is aborted scores the pairs itself; its own result is not lost", async () => {
    const inner = new GatedScorer();
    const cached = new CachedCrossEncoder({ model: inner });
    const controller = new AbortController();
    const leader = cached.score(pairs(["a"]), { signal: controller.signal });
    await vi.waitFor(() => expect(inner.calls).toHaveLength(1), PATIENT);
    // The follower joins the leader's "a" (no read, no scoring) and scores its own "extra": its scorer call shows
    // it is past the join.
    const follower = cached.score(pairs(["a", "extra"]));
    await vi.waitFor(() => expect(inner.calls).toHaveLength(2), PATIENT);
    expect(inner.calls[1]).toEqual(pairs(["extra"]));
    controller.abort(new Error("leader left"));
    await expect(leader).rejects.toThrow("leader left");
    inner.release(); // "extra"; then the follower scores "a" itself, in one more call
    await vi.waitFor(() => expect(inner.calls).toHaveLength(3), PATIENT);
    expect(inner.calls[2]).toEqual(pairs(["a"]));
    inner.release();
    expect(await follower).toEqual([1, 5]);
    expect(cached.stats).toEqual({ hits: 0, misses: 3, failedWrites: 0 });
  });

  it("an abort rejects at once even when the scorer ignores the signal; the late scores are still cached", async () => {
    const inner = new GatedScorer(true);
    const cached = new CachedCrossEncoder({ model: inner });
    const controller = new AbortController();
    const call = cached.score(pairs(["a", "bb"]), { signal: controller.signal });
    await vi.waitFor(() => expect(inner.calls).toHaveLength(1), PATIENT);
    controller.abort(new Error("caller left"));
    await expect(call).rejects.toThrow("caller left");
    inner.release();
    await vi.waitFor(() => expect((cached.store as LruStore<number>).size).toBe(2), PATIENT);
    expect(await cached.score(pairs(["a", "bb"]))).toEqual([1, 2]);
    expect(inner.calls).toHaveLength(1);
  });
});

describe("LruStore", () => {
  it("evicts the least recently used entry past maxSize; a read refreshes an entry", async () => {
    const store = new LruStore<number>({ maxSize: 2 });
    await store.mset([
      ["a", 1],
      ["b", 2],
    ]);
    expect(await store.mget(["a"])).toEqual([1]); // a is now the most recent
    await store.mset([["c", 3]]);
    expect(await store.mget(["a", "b", "c"])).toEqual([1, undefined, 3]);
    await store.mdelete(["a"]);
    const keys: string[] = [];
    for await (const key of store.yieldKeys()) keys.push(key);
    expect(keys).toEqual(["c"]);
  });

  it("a bounded cache scores evicted pairs again", async () => {
    const inner = new CountingScorer();
    const cached = new CachedCrossEncoder({ model: inner, maxSize: 2 });
    await cached.score(pairs(["a", "bb", "ccc"]));
    await cached.score(pairs(["a"]));
    expect(inner.calls[1]).toEqual(pairs(["a"]));
  });
});

describe("CachedCrossEncoder keeps a windowing scorer's best window", () => {
  const needle = "The answer: cats are small domesticated carnivorous mammals.";
  const filler = (n: number) => Array.from({ length: n }, (_, i) => `filler word number ${i} says nothing.`).join(" ");
  const longDoc = `${filler(30)} ${needle} ${filler(30)}`;
  const docs = () => [new Document({ pageContent: longDoc }), new Document({ pageContent: "a short text" })];

  it("a hit sets metadata.bestChunk as the miss did, without calling the scorer; a text scored whole has none", async () => {
    const scorer = new HuggingFaceCrossEncoder({ model: FIXTURE_RERANKER, maxLength: 48, maxChunksPerDoc: 8, scoreMode: "raw" });
    const cached = new CachedCrossEncoder({ model: scorer });
    const reranker = new CrossEncoderReranker({ model: cached, topN: 2 });
    const miss = await reranker.compressDocuments(docs(), Q);
    const hit = await reranker.compressDocuments(docs(), Q);
    expect(cached.stats).toEqual({ hits: 2, misses: 2, failedWrites: 0 });
    const view = (out: DocumentInterface[]) => out.map((d) => [d.pageContent, d.metadata.relevanceScore, d.metadata[BEST_CHUNK_KEY]]);
    expect(view(hit)).toEqual(view(miss));
    const windowed = miss.find((d) => d.pageContent === longDoc)!;
    const best = windowed.metadata[BEST_CHUNK_KEY] as { start: number; end: number; text: string };
    expect(best.end).toBeGreaterThan(best.start);
    expect(longDoc.slice(best.start, best.end)).toBe(best.text);
    expect(miss.find((d) => d.pageContent === "a short text")!.metadata[BEST_CHUNK_KEY]).toBeUndefined();
    // The same store read through score(): the scores alone, and still no scorer call.
    expect(await cached.score([[Q, longDoc]])).toEqual([windowed.metadata.relevanceScore]);
    expect(cached.stats.misses).toBe(2);
    await scorer.dispose();
  });

  it("score() over a windowing scorer stores the window too: a later scoreDetailed() is a hit with it", async () => {
    const scorer = new HuggingFaceCrossEncoder({ model: FIXTURE_RERANKER, maxLength: 48, maxChunksPerDoc: 8 });
    const cached = new CachedCrossEncoder({ model: scorer });
    const [plain] = await cached.score([[Q, longDoc]]);
    const [detailed] = await cached.scoreDetailed([[Q, longDoc]]);
    expect(cached.stats).toEqual({ hits: 1, misses: 1, failedWrites: 0 });
    expect(detailed).toEqual((await scorer.scoreDetailed([[Q, longDoc]]))[0]);
    expect(detailed!.score).toBe(plain);
    expect(detailed!.chunk).toBeDefined();
    await scorer.dispose();
  });
});

describe("CachedCrossEncoder with a corrupt window entry", () => {
  it("a window past the end of the text is not returned: the pair is scored again", async () => {
    const windowing: CrossEncoder = {
      cacheKey: "windowing",
      score: async (p) => p.map(() => 0.5),
      scoreDetailed: async (p) => p.map(([, text]) => ({ score: 0.5, chunk: { start: 0, end: text.length } })),
    };
    const store = new LruStore<number>();
    const cached = new CachedCrossEncoder({ model: windowing, store });
    const key = await cached.keyOf([Q, "short"]);
    await store.mset([
      [key, 0.9],
      [`${key}#chunk`, 3 * 2 ** 26 + 400], // start 3, end 400: not a window of a 5-character text
    ]);
    expect(await cached.scoreDetailed(pairs(["short"]))).toEqual([{ score: 0.5, chunk: { start: 0, end: 5 } }]);
    expect(cached.stats).toEqual({ hits: 0, misses: 1, failedWrites: 0 });
  });
});

describe("scorer identities (cacheKey)", () => {
  it("HuggingFaceCrossEncoder: changes with anything that changes a score, not with batching", () => {
    const key = (o: ConstructorParameters<typeof HuggingFaceCrossEncoder>[0]) =>
      new HuggingFaceCrossEncoder({ model: FIXTURE_RERANKER, ...o }).cacheKey;
    const base = key({});
    expect(key({ batchSize: 4, maxBatchTokens: 99 })).toBe(base);
    for (const change of [
      { dtype: "fp32" },
      { scoreMode: "raw" },
      { maxLength: 64 },
      { maxQueryLength: 8 },
      { positiveLabel: 0 },
      { revision: "v2" },
      { device: "wasm" },
    ] as const) {
      expect(key(change), JSON.stringify(change)).not.toBe(base);
    }
    expect(new HuggingFaceCrossEncoder({ model: "other/model" }).cacheKey).not.toBe(base);
  });

  it("with long-document windows on, both scorers' keys carry the windowing version (a cache from older windows is not reused)", () => {
    const version = `"windowing":${WINDOWING_VERSION}`;
    expect(new HuggingFaceCrossEncoder({ model: FIXTURE_RERANKER, maxChunksPerDoc: 4 }).cacheKey).toContain(version);
    expect(new HuggingFaceCrossEncoder({ model: FIXTURE_RERANKER }).cacheKey).not.toContain("windowing");
    expect(new RerankServerCrossEncoder({ url: "http://localhost:8080/rerank", maxChunksPerDoc: 4 }).cacheKey).toContain(version);
    expect(new RerankServerCrossEncoder({ url: "http://localhost:8080/rerank" }).cacheKey).not.toContain("windowing");
  });

  it("RerankServerCrossEncoder: endpoint, dialect, model, score mode, truncation; never the credentials", () => {
    const key = (o: Partial<ConstructorParameters<typeof RerankServerCrossEncoder>[0]>) =>
      new RerankServerCrossEncoder({ url: "http://localhost:8080/rerank?token=t0k", dialect: "tei", ...o }).cacheKey;
    const base = key({});
    expect(base).not.toMatch(/t0k/);
    expect(key({ url: "http://user:pw@localhost:8080/rerank?token=t0k" })).not.toMatch(/pw|t0k|user/);
    expect(key({ apiKey: "sk-123", batchSize: 4, maxRetries: 0 })).toBe(base);
    for (const change of [
      { dialect: "cohere" },
      { model: "m" },
      { scoreMode: "raw" },
      { truncate: false },
      { url: "http://localhost:8081/rerank" },
    ] as const) {
      expect(key(change), JSON.stringify(change)).not.toBe(base);
    }
  });
});
