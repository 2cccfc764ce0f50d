import { ContextualCompressionRetriever } from "@langchain/classic/retrievers/contextual_compression";
import { Document } from "@langchain/core/documents";
import { BaseRetriever } from "@langchain/core/retrievers";
import { InMemoryStore } from "@langchain/core/stores";
import { LocalFileStore } from "@langchain/classic/storage/file_system";
import { cp, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { ColBERTCrossEncoder, UnsupportedModelError } from "../../../src/huggingface.js";
import { CrossEncoderReranker, InvalidOptionError, RerankError } from "../../../src/index.js";
import { FIXTURE_COLBERT, FIXTURE_COLBERT_STANFORD, FIXTURE_ENCODER, FIXTURE_RERANKER } from "../../support/fixtures.js";

// The late-interaction scorer on random-weight ColBERT-shaped fixtures: the assertions check what the scorer does
// with vectors (order, store, windows, aborts, errors), never quality. Parity with an independent reference is in
// test/parity/colbert.test.ts.

const QUERY = "what is the capital of france";
const corpus = [
  "paris is the capital of france and its largest city.",
  "london is the capital of the united kingdom.",
  "the river seine flows through paris.",
  "cats like to sleep in the sun.",
  "the bank raised interest rates.",
  "rain fell on the city all day.",
];
const made: ColBERTCrossEncoder[] = [];
const scorerOf = (fields: Partial<ConstructorParameters<typeof ColBERTCrossEncoder>[0]> = {}) => {
  const scorer = new ColBERTCrossEncoder({ model: FIXTURE_COLBERT, dtype: "fp32", precision: "float32", ...fields });
  made.push(scorer);
  return scorer;
};
afterAll(async () => {
  await Promise.all(made.map((s) => s.dispose()));
});

async function keysOf(store: InMemoryStore<Uint8Array>): Promise<string[]> {
  const keys: string[] = [];
  for await (const key of store.yieldKeys()) keys.push(key);
  return keys;
}

class ListRetriever extends BaseRetriever {
  override lc_namespace = ["test"];
  constructor(private readonly docs: Document[]) {
    super();
  }
  override async _getRelevantDocuments(): Promise<Document[]> {
    return this.docs;
  }
}

describe("ColBERTCrossEncoder in a ContextualCompressionRetriever", () => {
  it("reorders the first stage's candidates by MaxSim, with documents indexed ahead of time read from the store", async () => {
    const scorer = scorerOf();
    const docs = corpus.map((text, i) => new Document({ pageContent: text, metadata: { id: i } }));
    const snapshot = structuredClone(docs);
    expect(await scorer.index(docs)).toEqual({ stored: corpus.length, alreadyStored: 0, notStored: 0 });
    const retriever = new ContextualCompressionRetriever({
      baseRetriever: new ListRetriever(docs),
      baseCompressor: new CrossEncoderReranker({ model: scorer, topN: 3 }),
    });
    const reranked = await retriever.invoke(QUERY);
    const scores = await scorer.score(corpus.map((text) => [QUERY, text] as const));
    const expected = scores
      .map((score, i) => ({ score, i }))
      .sort((a, b) => b.score - a.score || a.i - b.i)
      .slice(0, 3);
    expect(reranked.map((d) => d.metadata.id)).toEqual(expected.map(({ i }) => i));
    expect(reranked.map((d) => d.metadata.relevanceScore)).toEqual(expected.map(({ score }) => score));
    // Lookups of the query and of score() are counted apart from index()'s.
    expect(scorer.storeStats).toEqual({ hits: 2 * corpus.length, misses: 0, failedWrites: 0 });
    expect(scorer.indexStats).toEqual({ hits: 0, misses: corpus.length, failedWrites: 0 });
    expect(docs).toEqual(snapshot); // the caller's documents are not mutated
  });

  it("scores each pair by its own query when queries differ, in input order, and [] for no pairs", async () => {
    const scorer = scorerOf();
    const pairs = [
      [QUERY, corpus[0]!],
      ["cats in the sun", corpus[3]!],
      [QUERY, corpus[3]!],
    ] as const;
    const together = await scorer.score(pairs);
    const alone = await Promise.all(pairs.map((pair) => scorer.score([pair]).then(([s]) => s)));
    expect(together).toEqual(alone);
    expect(together[1]).not.toBe(together[2]);
    expect(await scorer.score([])).toEqual([]);
  });

  it("reads the Stanford layout (projection inside the graph, artifact.metadata, [unused0]/[unused1])", async () => {
    const scorer = scorerOf({ model: FIXTURE_COLBERT_STANFORD });
    expect(await scorer.conventions()).toMatchObject({ queryPrefix: "[unused0]", documentPrefix: "[unused1]", queryLength: 12, documentLength: 24 });
    const scores = await scorer.score(corpus.map((t) => [QUERY, t] as const));
    expect(scores.every((s) => Number.isFinite(s) && s > 0 && s <= 12 + 1e-6)).toBe(true);
  });
});

describe("ColBERTCrossEncoder's document store", () => {
  it("keys vectors by model: two models sharing one store never read each other's vectors", async () => {
    const store = new InMemoryStore<Uint8Array>();
    const a = scorerOf({ store });
    const b = scorerOf({ store, model: FIXTURE_COLBERT_STANFORD });
    const pairs = corpus.map((t) => [QUERY, t] as const);
    const scoresA = await a.score(pairs);
    const scoresB = await b.score(pairs);
    expect(b.storeStats).toEqual({ hits: 0, misses: corpus.length, failedWrites: 0 });
    expect(scoresB).not.toEqual(scoresA);
    const keys = await keysOf(store);
    expect(keys).toHaveLength(2 * corpus.length);
    expect(keys.every((k) => /^[0-9a-f]{64}$/.test(k))).toBe(true); // the store holds hashes, not texts
    // A fresh instance of model A reads A's entries: all hits, the same scores.
    const again = scorerOf({ store });
    expect(await again.score(pairs)).toEqual(scoresA);
    expect(again.storeStats).toEqual({ hits: corpus.length, misses: 0, failedWrites: 0 });
  });

  it("persists vectors in LangChain's LocalFileStore: a new instance (a new process) reads them, with the same scores", async () => {
    const folder = await mkdtemp(join(tmpdir(), "colbert-store-"));
    try {
      const pairs = corpus.map((t) => [QUERY, t] as const);
      const writer = scorerOf({ store: await LocalFileStore.fromPath(folder), precision: "int8" });
      await writer.index(corpus);
      const reader = scorerOf({ store: await LocalFileStore.fromPath(folder), precision: "int8" });
      expect(await reader.score(pairs)).toEqual(await writer.score(pairs));
      expect(reader.storeStats).toEqual({ hits: corpus.length, misses: 0, failedWrites: 0 });
    } finally {
      await rm(folder, { recursive: true, force: true });
    }
  });

  it("keys vectors by the weights too: a folder re-exported in place does not read the old weights' vectors", async () => {
    const folder = await mkdtemp(join(tmpdir(), "colbert-model-"));
    try {
      await cp(FIXTURE_COLBERT, folder, { recursive: true });
      const store = new InMemoryStore<Uint8Array>();
      const pairs = corpus.map((t) => [QUERY, t] as const);
      const before = new ColBERTCrossEncoder({ model: folder, dtype: "fp32", store });
      const old = await before.score(pairs);
      await before.dispose();
      // New projection weights in the same folder: negate the second half of the matrix.
      const file = join(folder, "1_Dense", "model.safetensors");
      const bytes = new Uint8Array(await readFile(file));
      const headerEnd = 8 + Number(new DataView(bytes.buffer).getBigUint64(0, true));
      const weights = new Float32Array(bytes.buffer.slice(headerEnd));
      for (let i = weights.length >> 1; i < weights.length; i++) weights[i] = -weights[i]!;
      await writeFile(file, Buffer.concat([bytes.subarray(0, headerEnd), new Uint8Array(weights.buffer)]));
      const after = new ColBERTCrossEncoder({ model: folder, dtype: "fp32", store });
      const fresh = await after.score(pairs);
      await after.dispose();
      expect(after.storeStats).toEqual({ hits: 0, misses: corpus.length, failedWrites: 0 });
      expect(fresh).not.toEqual(old);
    } finally {
      await rm(folder, { recursive: true, force: true });
    }
  });

  it("index counts only its own encodes, whatever a concurrent call encodes", async () => {
    const scorer = scorerOf();
    await scorer.load();
    const other = Array.from({ length: 40 }, (_, i) => `beta text number ${i}`);
    const [result] = await Promise.all([scorer.index(["alpha one", "alpha two"]), scorer.score(other.map((d) => [QUERY, d] as const))]);
    expect(result).toEqual({ stored: 2, alreadyStored: 0, notStored: 0 });
  });

  it("keys vectors by precision and document conventions, and stores them at the bytes per token stated", async () => {
    const store = new InMemoryStore<Uint8Array>();
    const sizes: Record<string, number> = {};
    for (const precision of ["float32", "float16", "int8"] as const) {
      const scorer = scorerOf({ store, precision });
      await scorer.index([corpus[0]!]);
      expect(scorer.indexStats.misses).toBe(1);
      const key = (await keysOf(store)).find((k) => sizes[k] === undefined)!;
      sizes[key] = 0;
      sizes[precision] = (await store.mget([key]))[0]!.byteLength;
    }
    // 16-wide vectors: 64, 32 and 20 bytes per token, plus headers.
    expect(sizes.float32! / sizes.float16!).toBeGreaterThan(1.7);
    expect(sizes.float16! / sizes.int8!).toBeGreaterThan(1.3);
    const other = scorerOf({ store, documentLength: 16 });
    await other.index([corpus[0]!]);
    expect(other.indexStats).toEqual({ hits: 0, misses: 1, failedWrites: 0 });
  });

  it("re-encodes an entry that is not its own bytes, and names a store that answers the wrong number of values", async () => {
    const store = new InMemoryStore<Uint8Array>();
    const scorer = scorerOf({ store });
    const [before] = await scorer.score([[QUERY, corpus[0]!]]);
    const [key] = await keysOf(store);
    await store.mset([[key!, new Uint8Array([1, 2, 3, 4])]]);
    expect(await scorer.score([[QUERY, corpus[0]!]])).toEqual([before]);
    expect(scorer.storeStats.misses).toBe(2);
    const broken = scorerOf({ store: { mget: async () => [], mset: async () => undefined } });
    await expect(broken.score([[QUERY, corpus[0]!]])).rejects.toThrow(/mget returned 0 values for 1 keys/);
  });

  it("encodes a document once when concurrent calls need it", async () => {
    const scorer = scorerOf();
    const pairs = corpus.map((t) => [QUERY, t] as const);
    const [x, y] = await Promise.all([scorer.score(pairs), scorer.score(pairs)]);
    expect(x).toEqual(y);
    expect(scorer.storeStats.misses).toBe(corpus.length);
  });

  it("cold and warm calls give the same scores at every precision (scores are always read from the stored form)", async () => {
    for (const precision of ["float16", "int8"] as const) {
      const scorer = scorerOf({ precision });
      const pairs = corpus.map((t) => [QUERY, t] as const);
      const cold = await scorer.score(pairs);
      expect(await scorer.score(pairs)).toEqual(cold);
    }
  });
});

describe("ColBERTCrossEncoder under q8 (docs/late-interaction.md, Batch-mates)", () => {
  it("a document's score moves a little with its batch-mates when it is encoded, not with batchSize: 1, and not once stored", async () => {
    const pairs = corpus.map((t) => [QUERY, t] as const);
    const aloneAndTogether = async (batchSize?: number) => {
      const alone = await Promise.all(pairs.map(async (pair) => (await scorerOf({ dtype: "q8", batchSize }).score([pair]))[0]!));
      const together = await scorerOf({ dtype: "q8", batchSize }).score(pairs);
      return alone.map((score, i) => Math.abs(score - together[i]!));
    };
    // Dynamic quantization scales activations per batch: within 5e-2 on this fixture (1.8e-2 measured).
    expect(Math.max(...(await aloneAndTogether()))).toBeLessThan(5e-2);
    expect(await aloneAndTogether(1)).toEqual(pairs.map(() => 0));
    // Once stored, a document's vectors are read, whoever shares the call.
    const scorer = scorerOf({ dtype: "q8" });
    const stored = await scorer.score(pairs);
    expect(await Promise.all(pairs.map(async (pair) => (await scorer.score([pair]))[0]!))).toEqual(stored);
  });
});

describe("ColBERTCrossEncoder's long documents", () => {
  const long = `${"the cat sat on the mat while rain fell. ".repeat(6)}paris is the capital of france.`;

  it("cuts a document at the model's document length by default", async () => {
    const scorer = scorerOf();
    const [a, b] = await scorer.score([
      [QUERY, long],
      [QUERY, `${long} more words past the end that the model never reads`],
    ]);
    expect(a).toBe(b);
  });

  it("with maxChunksPerDoc, scores windows and reports the best one as bestChunk", async () => {
    const scorer = scorerOf({ maxChunksPerDoc: 8, chunkOverlap: 4 });
    const [detail] = await scorer.scoreDetailed([[QUERY, long]]);
    expect(detail!.chunk).toBeDefined();
    const { start, end } = detail!.chunk!;
    expect(0 <= start && start < end && end <= long.length).toBe(true);
    const reranker = new CrossEncoderReranker({ model: scorer, topN: 1 });
    const [doc] = await reranker.compressDocuments([new Document({ pageContent: long })], QUERY);
    expect(doc!.metadata.bestChunk).toMatchObject({ start, end, text: long.slice(start, end) });
    // The windowed score is the best window's MaxSim: at least the first window's, which is what truncation reads.
    const [whole] = await scorerOf().score([[QUERY, long]]);
    expect(detail!.score).toBeGreaterThanOrEqual(whole! - 1e-9);
  });
});

describe("ColBERTCrossEncoder's aborts and bad input", () => {
  it("honours an aborted signal before loading, and an abort during a cold call, without losing the documents", async () => {
    const scorer = scorerOf();
    const aborted = AbortSignal.abort(new Error("stop"));
    await expect(scorer.score([[QUERY, corpus[0]!]], { signal: aborted })).rejects.toThrow("stop");
    await expect(scorer.index(corpus, { signal: aborted })).rejects.toThrow("stop");
  });

  it("index stores a large corpus in slices: an abort keeps what was stored, and indexing again stores only the rest", async () => {
    const inner = new InMemoryStore<Uint8Array>();
    const controller = new AbortController();
    const store = {
      mget: (keys: string[]) => inner.mget(keys),
      mset: async (pairs: [string, Uint8Array][]) => {
        await inner.mset(pairs);
        controller.abort(new Error("shutting down")); // after the first slice is stored
      },
    };
    const texts = Array.from({ length: 300 }, (_, i) => `document number ${i}`);
    const scorer = scorerOf({ store });
    await expect(scorer.index(texts, { signal: controller.signal })).rejects.toThrow("shutting down");
    expect((await keysOf(inner)).length).toBe(256);
    expect(await scorer.index(texts)).toEqual({ stored: 44, alreadyStored: 256, notStored: 0 });
  });

  it("an abort of the call that claimed a document does not fail a concurrent call waiting for it: that call encodes it itself", async () => {
    // The order is fixed by the store, not by timing: the first call's lookup is held open until the second call
    // is waiting on the first's documents and has looked up its own extra one; only then does the first abort.
    const inner = new InMemoryStore<Uint8Array>();
    const lookups: { keys: string[]; release: () => void }[] = [];
    let onLookup: (() => void) | undefined;
    const store = {
      mget: async (keys: string[]) => {
        let release = () => {};
        const gate = new Promise<void>((resolve) => (release = resolve));
        lookups.push({ keys, release });
        onLookup?.();
        if (lookups.length === 1) await gate; // the first call's lookup waits for the test
        return inner.mget(keys);
      },
      mset: (pairs: [string, Uint8Array][]) => inner.mset(pairs),
    };
    const nextLookup = () => new Promise<void>((resolve) => (onLookup = resolve));
    const scorer = scorerOf({ store, batchSize: 1 });
    await scorer.load();
    const pairs = corpus.map((t) => [QUERY, t] as const);
    const controller = new AbortController();
    let lookup = nextLookup();
    const first = scorer.score(pairs, { signal: controller.signal });
    const firstOutcome = first.catch((e: unknown) => e);
    await lookup;
    lookup = nextLookup();
    const second = scorer.score([...pairs, [QUERY, "an extra document"]]);
    await lookup;
    expect(lookups[1]!.keys).toHaveLength(1); // the corpus is the first call's: the second waits for it
    controller.abort(new Error("user left"));
    expect(await firstOutcome).toEqual(new Error("user left"));
    lookups[0]!.release();
    const scores = await second;
    expect(scores).toHaveLength(pairs.length + 1);
    expect(scores.slice(0, -1)).toEqual(await scorerOf().score(pairs));
    // The first call never encoded: its abort released the claims, and the second call encoded every document.
    expect(scorer.storeStats).toEqual({ hits: 0, misses: pairs.length + 1, failedWrites: 0 });
  });

  it("a document claimed by one call is read and encoded once, however many calls need it at the same time", async () => {
    const inner = new InMemoryStore<Uint8Array>();
    let reads = 0;
    let writes = 0;
    const store = {
      mget: async (keys: string[]) => {
        reads += keys.length;
        await new Promise((resolve) => setImmediate(resolve)); // a store that answers later than at once
        return inner.mget(keys);
      },
      mset: (pairs: [string, Uint8Array][]) => {
        writes += pairs.length;
        return inner.mset(pairs);
      },
    };
    const scorer = scorerOf({ store });
    const pairs = corpus.map((t) => [QUERY, t] as const);
    const [a, b, c] = await Promise.all([scorer.score(pairs), scorer.score(pairs), scorer.score(pairs)]);
    expect(b).toEqual(a);
    expect(c).toEqual(a);
    expect({ reads, writes }).toEqual({ reads: corpus.length, writes: corpus.length });
    // The two calls that waited were served by the first: hits, not misses.
    expect(scorer.storeStats).toEqual({ hits: 2 * corpus.length, misses: corpus.length, failedWrites: 0 });
  });

  it("refuses a plain encoder, a reranker, a missing marker and bad options with errors that say what to do", async () => {
    // A plain encoder (no 1_Dense/, a graph that outputs hidden states) is named before its markers are looked for.
    await expect(scorerOf({ model: FIXTURE_ENCODER }).score([[QUERY, "x"]])).rejects.toThrow(/has no projection.*1_Dense/s);
    await expect(scorerOf({ model: FIXTURE_RERANKER }).score([[QUERY, "x"]])).rejects.toThrow(UnsupportedModelError);
    await expect(scorerOf({ queryPrefix: "[NOPE]" }).score([[QUERY, "x"]])).rejects.toThrow(/no query marker token "\[NOPE\]".*queryPrefix/s);
    expect(() => new ColBERTCrossEncoder({ model: FIXTURE_COLBERT, precision: "fp8" as never })).toThrow(InvalidOptionError);
    expect(() => new ColBERTCrossEncoder({ model: FIXTURE_COLBERT, queryLength: 2 })).toThrow(/queryLength.*at least 4/);
    expect(() => new ColBERTCrossEncoder({ model: FIXTURE_COLBERT, store: {} as never })).toThrow(/BaseStore/);
    expect(() => new ColBERTCrossEncoder({ model: FIXTURE_COLBERT, skiplistWords: "." as never })).toThrow(/skiplistWords/);
    expect(() => new ColBERTCrossEncoder({} as never)).toThrow(/`model` is required/);
    const scorer = scorerOf();
    await expect(scorer.score([[QUERY, 42 as never]])).rejects.toThrow(RerankError);
    await expect(scorer.index([{ pageContent: 1 } as never])).rejects.toThrow(/item 0/);
  });
});
