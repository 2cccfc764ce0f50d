import { describe, expect, it } from "vitest";
import { CachedCrossEncoder, LruStore, type CrossEncoder, type TextPair } from "../../src/index.js";

// CachedCrossEncoder over stores that hang, are slow or refuse writes (the shared store-backed cache's cases, seen
// through the scorer). Order is fixed by gates the test opens, never by timers.

const Q = "what is a cat";
const pairs = (texts: string[]): TextPair[] => texts.map((t) => [Q, t]);

/** Scores a pair by its text's length and records every pair it scored. */
function lengthScorer(): CrossEncoder & { scored: string[] } {
  const scored: string[] = [];
  return { cacheKey: "length-v1", scored, score: async (p) => p.map(([, t]) => (scored.push(t), t.length)) };
}

describe("CachedCrossEncoder's store", () => {
  it("an abort rejects while the store's mget never answers", async () => {
    const cached = new CachedCrossEncoder({ model: lengthScorer(), store: { mget: () => new Promise<never>(() => {}), mset: async () => {} } });
    const controller = new AbortController();
    const call = cached.score(pairs(["a"]), { signal: controller.signal });
    controller.abort(new Error("user left"));
    await expect(call).rejects.toThrow("user left");
  });

  it("a store whose mset never answers holds up no call, nor later calls for the same pairs", async () => {
    const cached = new CachedCrossEncoder({
      model: lengthScorer(),
      store: { mget: async (keys: string[]) => keys.map(() => undefined), mset: () => new Promise<void>(() => {}) },
    });
    expect(await cached.score(pairs(["a", "bb"]))).toEqual([1, 2]);
    expect(await cached.score(pairs(["a", "bb"]))).toEqual([1, 2]);
  });

  it("concurrent calls with a slow store score each pair once: the key is claimed before the store is read", async () => {
    const inner = new LruStore<number>();
    let answer!: () => void;
    const answered = new Promise<void>((resolve) => (answer = resolve));
    let reads = 0;
    let onRead = () => {};
    const store = {
      mget: async (keys: string[]) => {
        reads += 1;
        onRead();
        if (reads === 1) await answered;
        return inner.mget(keys);
      },
      mset: (entries: [string, number][]) => inner.mset(entries),
    };
    const model = lengthScorer();
    const cached = new CachedCrossEncoder({ model, store });
    const texts = Array.from({ length: 40 }, (_, i) => `text ${i}`);
    const readsAt = (n: number) => new Promise<void>((resolve) => (onRead = () => reads >= n && resolve()));
    let read = readsAt(1);
    const first = cached.score(pairs(texts));
    await read;
    read = readsAt(2);
    const second = cached.score(pairs([...texts, "its own"])); // its own pair's read shows it joined the first's 40
    await read;
    answer();
    const [a, b] = await Promise.all([first, second]);
    expect(b).toEqual([...a, 7]);
    expect(model.scored).toHaveLength(41);
    expect(cached.stats).toEqual({ hits: 40, misses: 41, failedWrites: 0 });
  });

  it("a write the store refuses does not fail the call: the scores return and the failure is counted", async () => {
    const model = lengthScorer();
    const cached = new CachedCrossEncoder({
      model,
      store: {
        mget: async (keys: string[]) => keys.map(() => undefined),
        mset: async () => {
          throw new Error("READONLY You can't write against a read only replica.");
        },
      },
    });
    expect(await cached.score(pairs(["a", "bb"]))).toEqual([1, 2]);
    await expect.poll(() => cached.stats.failedWrites).toBe(2); // the write settles after the call
  });

  it("maxSize: 0 is refused under CachedCrossEncoder's name", () => {
    expect(() => new CachedCrossEncoder({ model: lengthScorer(), maxSize: 0 })).toThrow(/^CachedCrossEncoder: `maxSize` must be a positive integer/);
  });
});
