import { InMemoryStore } from "@langchain/core/stores";
import { afterAll, describe, expect, it } from "vitest";
import { ColBERTCrossEncoder } from "../../../src/huggingface.js";
import { FIXTURE_COLBERT } from "../../support/fixtures.js";

// ColBERTCrossEncoder's document vectors in stores that hang, are slow, fail writes, hand back damaged entries or
// Buffers at odd offsets. Order is fixed by gates the test opens, never by timers.

const QUERY = "what is the capital of france";
const corpus = ["paris is the capital of france.", "london is the capital of the united kingdom.", "the river seine flows through paris."];
const pairsOf = (texts: readonly string[]) => texts.map((t) => [QUERY, t] as const);
const made: ColBERTCrossEncoder[] = [];
const scorerOf = (fields: Partial<ConstructorParameters<typeof ColBERTCrossEncoder>[0]> = {}) => {
  const scorer = new ColBERTCrossEncoder({ model: FIXTURE_COLBERT, dtype: "fp32", precision: "float16", ...fields });
  made.push(scorer);
  return scorer;
};
afterAll(async () => {
  await Promise.all(made.map((s) => s.dispose()));
});

/** A promise and the function that settles it. */
function gate(): { promise: Promise<void>; open: () => void } {
  let open!: () => void;
  const promise = new Promise<void>((resolve) => (open = resolve));
  return { promise, open };
}

describe("ColBERTCrossEncoder with a store that hangs or is slow", () => {
  it("an abort rejects while the store's mget never answers", async () => {
    const scorer = scorerOf({ store: { mget: () => new Promise<never>(() => {}), mset: async () => {} } });
    await scorer.load();
    const controller = new AbortController();
    const call = scorer.score(pairsOf(corpus), { signal: controller.signal });
    controller.abort(new Error("user left"));
    await expect(call).rejects.toThrow("user left");
  });

  it("a store whose mset never answers holds up no call: scores return, and later calls for the same texts too", async () => {
    const inner = new InMemoryStore<Uint8Array>();
    const scorer = scorerOf({ store: { mget: (keys: string[]) => inner.mget(keys), mset: () => new Promise<void>(() => {}) } });
    const first = await scorer.score(pairsOf(corpus));
    expect(await scorer.score(pairsOf(corpus))).toEqual(first);
    // index() is done when its vectors are stored, so it waits for the write; its abort still rejects.
    const controller = new AbortController();
    const indexing = scorer.index(["a new text"], { signal: controller.signal });
    controller.abort(new Error("stop"));
    await expect(indexing).rejects.toThrow("stop");
  });

  it("two concurrent calls over 40 new documents with a slow store encode and write each once", async () => {
    const inner = new InMemoryStore<Uint8Array>();
    const reads: string[][] = [];
    let writes = 0;
    const answer = gate();
    let onRead = () => {};
    const store = {
      mget: async (keys: string[]) => {
        reads.push(keys);
        onRead();
        if (reads.length === 1) await answer.promise; // the first call's read answers when the test says
        return inner.mget(keys);
      },
      mset: (entries: [string, Uint8Array][]) => ((writes += entries.length), inner.mset(entries)),
    };
    const scorer = scorerOf({ store });
    await scorer.load();
    const texts = Array.from({ length: 40 }, (_, i) => `new document number ${i} about rivers`);
    const readsAt = (n: number) => new Promise<void>((resolve) => (onRead = () => reads.length >= n && resolve()));
    let read = readsAt(1);
    const first = scorer.score(pairsOf(texts));
    await read;
    // The second call's own extra document shows it has joined the first call's 40.
    read = readsAt(2);
    const second = scorer.score(pairsOf([...texts, "one more"]));
    await read;
    expect(reads.map((keys) => keys.length)).toEqual([40, 1]);
    answer.open();
    const [a, b] = await Promise.all([first, second]);
    expect(b.slice(0, 40)).toEqual(a);
    expect(writes).toBe(41);
    expect(scorer.storeStats).toEqual({ hits: 40, misses: 41, failedWrites: 0 });
  });
});

describe("ColBERTCrossEncoder with a store that fails writes", () => {
  const failing = (inner = new InMemoryStore<Uint8Array>()) => ({
    mget: (keys: string[]) => inner.mget(keys),
    mset: async () => {
      // What a LocalFileStore throws when another process's fromPath() removed its temporary file.
      throw Object.assign(new Error("ENOENT: no such file or directory, rename 'x.tmp' -> 'x'"), { code: "ENOENT" });
    },
  });

  it("a rerank whose scores are computed returns them and counts the failed writes", async () => {
    const scorer = scorerOf({ store: failing() });
    const scores = await scorer.score(pairsOf(corpus));
    expect(scores).toEqual(await scorerOf().score(pairsOf(corpus)));
    await expect.poll(() => scorer.storeStats.failedWrites).toBe(corpus.length); // the write settles after the call
  });

  it("index() reports the documents it encoded but could not store, and does not fail", async () => {
    const scorer = scorerOf({ store: failing() });
    expect(await scorer.index(corpus)).toEqual({ stored: 0, alreadyStored: 0, notStored: corpus.length });
    expect(scorer.indexStats).toEqual({ hits: 0, misses: corpus.length, failedWrites: corpus.length });
  });
});

describe("ColBERTCrossEncoder with damaged or unusual entries", () => {
  /** The one stored entry of `text`, after a first call stored it. */
  async function stored(text: string, precision: "float16" | "int8" = "float16") {
    const store = new InMemoryStore<Uint8Array>();
    const scorer = scorerOf({ store, precision });
    const [score] = await scorer.score([[QUERY, text]]);
    const keys: string[] = [];
    for await (const key of store.yieldKeys()) keys.push(key);
    const bytes = (await store.mget(keys))[0]!;
    return { store, key: keys[0]!, bytes, score: score!, precision };
  }

  const damages: [string, (bytes: Uint8Array) => Uint8Array][] = [
    ["a float16 NaN in the payload", (b) => (new DataView(b.buffer, b.byteOffset).setUint16(24 + 6, 0x7e00, true), b)],
    ["a float16 infinity in the payload", (b) => (new DataView(b.buffer, b.byteOffset).setUint16(24, 0x7c00, true), b)],
    [
      "a token count lowered by one",
      (b) => (new DataView(b.buffer, b.byteOffset).setUint32(20, new DataView(b.buffer, b.byteOffset).getUint32(20, true) - 1, true), b),
    ],
    ["a token count of 0", (b) => (new DataView(b.buffer, b.byteOffset).setUint32(20, 0, true), b)],
    ["a component changed (not of unit length)", (b) => (new DataView(b.buffer, b.byteOffset).setUint16(24, 0x3c00, true), b)],
    ["two entries run together", (b) => new Uint8Array([...b, ...b])],
  ];

  it.each(damages)("an entry with %s is encoded again, never scored", async (_, damage) => {
    const { store, key, bytes, score } = await stored(corpus[0]!);
    await store.mset([[key, damage(bytes.slice())]]);
    const scorer = scorerOf({ store });
    expect(await scorer.score([[QUERY, corpus[0]!]])).toEqual([score]);
    expect(scorer.storeStats).toMatchObject({ hits: 0, misses: 1 });
    // Overwritten: the next instance reads it.
    const next = scorerOf({ store });
    expect(await next.score([[QUERY, corpus[0]!]])).toEqual([score]);
    expect(next.storeStats).toMatchObject({ hits: 1, misses: 0 });
  });

  it.each(["float16", "int8"] as const)(
    "a %s entry handed back as a Buffer at an odd byte offset (pooled clients) is read, not re-encoded",
    async (precision) => {
      const { key, bytes, score } = await stored(corpus[1]!, precision);
      const pool = Buffer.alloc(bytes.byteLength + 1);
      pool.set(bytes, 1);
      const odd = pool.subarray(1);
      expect(odd.byteOffset % 2).toBe(1);
      const store = { mget: async (keys: string[]) => keys.map((k) => (k === key ? odd : undefined)), mset: async () => {} };
      const scorer = scorerOf({ store, precision });
      expect(await scorer.score([[QUERY, corpus[1]!]])).toEqual([score]);
      expect(scorer.storeStats).toMatchObject({ hits: 1, misses: 0 });
    },
  );
});

describe("ColBERTCrossEncoder's store options and counts", () => {
  it("maxSize sizes the default store, and a bad one is refused under the option's own name", () => {
    expect(() => scorerOf({ maxSize: 0 })).toThrow(/^ColBERTCrossEncoder: `maxSize` must be a positive integer, got the number 0/);
    expect(() => scorerOf({ maxSize: 0 })).not.toThrow(/LruStore/);
  });

  it("index() lookups are counted apart from scoring ones", async () => {
    const scorer = scorerOf();
    await scorer.index(corpus);
    await scorer.index(corpus);
    await scorer.score(pairsOf(corpus));
    expect(scorer.indexStats).toEqual({ hits: corpus.length, misses: corpus.length, failedWrites: 0 });
    expect(scorer.storeStats).toEqual({ hits: corpus.length, misses: 0, failedWrites: 0 });
  });
});
