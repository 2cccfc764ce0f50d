import { Document } from "@langchain/core/documents";
import { RunCollectorCallbackHandler } from "@langchain/core/tracers/run_collector";
import { describe, expect, it, vi } from "vitest";
import { HuggingFaceCrossEncoder } from "../../src/huggingface.js";
import { CrossEncoderReranker, InvalidOptionError, RerankError } from "../../src/index.js";
import { LazyHuggingFaceCrossEncoder } from "../../src/local/cross_encoder/lazy_huggingface_cross_encoder.js";
import { FIXTURE_RERANKER } from "../support/fixtures.js";
import { samplePairs } from "../support/pairs.js";

// vi.waitFor polls for a state another task reaches; generous, as a loaded CI machine can be slow (not a time bound).
const PATIENT = { timeout: 60_000, interval: 5 };

const scorer = new HuggingFaceCrossEncoder({ model: FIXTURE_RERANKER, dtype: "fp32" });
const QUERY = "which protein causes the disease?";

function candidates(count: number): Document[] {
  return samplePairs(count, 3).map(
    ([, text], i) => new Document({ pageContent: text, metadata: { source: `doc-${i}`, nested: { tags: ["a"] }, score: 10 - i }, id: `id-${i}` }),
  );
}

describe("CrossEncoderReranker", () => {
  it("returns the topN highest-scoring documents, best first, as new Documents with score and first-stage rank", async () => {
    const docs = candidates(12);
    const snapshot = structuredClone(docs.map((d) => ({ pageContent: d.pageContent, metadata: d.metadata, id: d.id })));
    const scores = await scorer.score(docs.map((d) => [QUERY, d.pageContent] as const));
    const expectedOrder = scores
      .map((s, i) => ({ s, i }))
      .sort((a, b) => b.s - a.s || a.i - b.i)
      .slice(0, 4);

    const out = await new CrossEncoderReranker({ model: scorer, topN: 4 }).compressDocuments(docs, QUERY);

    expect(out.map((d) => d.metadata.retrievalRank)).toEqual(expectedOrder.map(({ i }) => i + 1));
    expect(out.map((d) => d.metadata.relevanceScore)).toEqual(expectedOrder.map(({ s }) => s));
    out.forEach((d) => {
      const original = docs[(d.metadata.retrievalRank as number) - 1]!;
      expect(d).not.toBe(original);
      expect(d.pageContent).toBe(original.pageContent);
      expect(d.id).toBe(original.id);
      expect(d.metadata).toMatchObject({ source: original.metadata.source, nested: { tags: ["a"] }, score: original.metadata.score });
    });
    // The caller's documents are untouched.
    expect(docs.map((d) => ({ pageContent: d.pageContent, metadata: d.metadata, id: d.id }))).toEqual(snapshot);
  });

  it("keeps first-stage order between equal scores", async () => {
    const same = "the same passage about proteins";
    const docs = [
      new Document({ pageContent: same, metadata: { n: 0 } }),
      new Document({ pageContent: same, metadata: { n: 1 } }),
      new Document({ pageContent: same, metadata: { n: 2 } }),
    ];
    const out = await new CrossEncoderReranker({ model: scorer, topN: 3 }).compressDocuments(docs, QUERY);
    expect(out.map((d) => d.metadata.n)).toEqual([0, 1, 2]);
    expect(new Set(out.map((d) => d.metadata.relevanceScore)).size).toBe(1);
  });

  it("defaults to topN 3 and accepts custom metadata keys and a document-text function", async () => {
    const docs = candidates(6).map((d, i) => new Document({ pageContent: d.pageContent, metadata: { ...d.metadata, title: `title ${i}` } }));
    const seen: string[] = [];
    const reranker = new CrossEncoderReranker({
      model: { score: async (pairs) => pairs.map(([, text]) => (seen.push(text), text.length)) },
      scoreKey: "rerankScore",
      rankKey: "firstStageRank",
      documentText: (doc) => `${doc.metadata.title}\n${doc.pageContent}`,
    });
    const out = await reranker.compressDocuments(docs, QUERY);
    expect(out).toHaveLength(3);
    expect(seen[0]).toBe(`title 0\n${docs[0]!.pageContent}`);
    expect(out[0]!.metadata.rerankScore).toBe(Math.max(...seen.map((t) => t.length)));
    expect(out[0]!.metadata).toHaveProperty("firstStageRank");
    expect(out[0]!.metadata).not.toHaveProperty("relevanceScore");
  });

  it("rerank() returns [{ index, relevanceScore }] best first, as CohereRerank.rerank does", async () => {
    const reranker = new CrossEncoderReranker({ model: { score: async (pairs) => pairs.map((_, i) => [0.2, 0.9, 0.5][i]!) } });
    await expect(reranker.rerank(candidates(3), QUERY, { topN: 2 })).resolves.toEqual([
      { index: 1, relevanceScore: 0.9 },
      { index: 2, relevanceScore: 0.5 },
    ]);
  });

  it("returns [] for no documents without loading a model; an empty query is a clear error", async () => {
    const unloadable = new CrossEncoderReranker({ model: "/no/such/model" });
    await expect(unloadable.compressDocuments([], QUERY)).resolves.toEqual([]);
    await expect(new CrossEncoderReranker({ model: scorer }).compressDocuments(candidates(2), "  ")).rejects.toThrow(/the query is empty/);
  });

  it("fails loudly when a cross-encoder returns the wrong number of scores or a NaN", async () => {
    const short = new CrossEncoderReranker({ model: { score: async () => [0.5] } });
    await expect(short.compressDocuments(candidates(2), QUERY)).rejects.toThrow(/returned 1 scores for 2 documents/);
    const nan = new CrossEncoderReranker({ model: { score: async () => [0.5, Number.NaN] } });
    await expect(nan.compressDocuments(candidates(2), QUERY)).rejects.toThrow(RerankError);
  });

  it("refuses a best window that is not a span of the scored text (a custom scorer or a corrupt cache), instead of a meaningless bestChunk", async () => {
    for (const [chunk, shown] of [
      [{ start: 5, end: 2 }, "start 5, end 2"],
      [{ start: Number.NaN, end: 3 }, "start NaN, end 3"],
      [{ start: 0, end: 999 }, "start 0, end 999"],
      [null, "got null"],
    ] as const) {
      const model = { score: async () => [1], scoreDetailed: async () => [{ score: 1, chunk }] };
      const error = await new CrossEncoderReranker({ model: model as never })
        .compressDocuments([new Document({ pageContent: "hello world" })], QUERY)
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(RerankError);
      expect(String(error)).toContain(`invalid best window for document 0 (${shown}; the text has 11 characters)`);
    }
    const nothing = { score: async () => [1], scoreDetailed: async () => [null] };
    await expect(
      new CrossEncoderReranker({ model: nothing as never }).compressDocuments([new Document({ pageContent: "x" })], QUERY),
    ).rejects.toThrow(/returned null for document 0/);
  });

  it("rejects a model that is not a CrossEncoder or a model id", () => {
    expect(() => new CrossEncoderReranker({ model: {} as never })).toThrow(InvalidOptionError);
    expect(() => new CrossEncoderReranker({ model: scorer, topN: 0 })).toThrow(/`topN` must be a positive integer/);
  });

  it("refuses metadata keys that would overwrite each other (a score key holding a rank, or the stage history)", () => {
    expect(() => new CrossEncoderReranker({ model: scorer, scoreKey: "x", rankKey: "x" })).toThrow(/`scoreKey` and `rankKey` are both "x"/);
    expect(() => new CrossEncoderReranker({ model: scorer, scoreKey: "stageScores" })).toThrow(
      /`scoreKey` and the stage history are both "stageScores"/,
    );
    expect(() => new CrossEncoderReranker({ model: scorer, rankKey: "bestChunk" })).toThrow(/`rankKey` and the best window are both "bestChunk"/);
    expect(() => new CrossEncoderReranker({ model: scorer, scoreKey: "ce", rankKey: "pos" })).not.toThrow();
  });

  it("builds a HuggingFaceCrossEncoder from a model id, imported on first use (the root graph does not carry it)", async () => {
    const reranker = new CrossEncoderReranker({ model: FIXTURE_RERANKER });
    expect(reranker.model).toBeInstanceOf(LazyHuggingFaceCrossEncoder);
    expect((reranker.model as LazyHuggingFaceCrossEncoder).model).toBe(FIXTURE_RERANKER);
    const built = await (reranker.model as LazyHuggingFaceCrossEncoder).scorer();
    expect(built).toBeInstanceOf(HuggingFaceCrossEncoder);
    expect(built.model).toBe(FIXTURE_RERANKER);
    expect(await (reranker.model as LazyHuggingFaceCrossEncoder).scorer()).toBe(built); // one scorer per reranker
    expect((await (new CrossEncoderReranker().model as LazyHuggingFaceCrossEncoder).scorer()).model).toBe("Xenova/bge-reranker-base");
    expect(() => new CrossEncoderReranker({ model: "" })).toThrow(/HuggingFaceCrossEncoder: `model` must be a non-empty string/);
  });

  it("a model id scores exactly as the HuggingFaceCrossEncoder it names, which loads on the first rerank", async () => {
    const byId = new CrossEncoderReranker({ model: FIXTURE_RERANKER, topN: 5 });
    const direct = new CrossEncoderReranker({ model: new HuggingFaceCrossEncoder({ model: FIXTURE_RERANKER }), topN: 5 });
    const docs = candidates(5);
    expect(await byId.rerank(docs, QUERY)).toEqual(await direct.rerank(docs, QUERY));
    expect(byId.stageName).toBe(`CrossEncoderReranker(${FIXTURE_RERANKER})`);
    await (byId.model as LazyHuggingFaceCrossEncoder).dispose();
    await (direct.model as HuggingFaceCrossEncoder).dispose();
  });

  it("appears as its own run in LangChain tracing, with its scores", async () => {
    const collector = new RunCollectorCallbackHandler();
    const out = await new CrossEncoderReranker({ model: scorer, topN: 2 }).compressDocuments(candidates(5), QUERY, [collector]);
    expect(collector.tracedRuns).toHaveLength(1);
    const run = collector.tracedRuns[0]!;
    expect(run.name).toBe("CrossEncoderReranker");
    expect(run.inputs).toMatchObject({ query: QUERY, documents: 5, topN: 2 });
    expect(run.outputs).toEqual({
      results: out.map((d) => ({ index: (d.metadata.retrievalRank as number) - 1, relevanceScore: d.metadata.relevanceScore })),
    });
  });

  it("records a failure in the trace and rethrows it", async () => {
    const collector = new RunCollectorCallbackHandler();
    const failing = new CrossEncoderReranker({ model: { score: async () => Promise.reject(new Error("server down")) } });
    await expect(failing.compressDocuments(candidates(2), QUERY, [collector])).rejects.toThrow("server down");
    expect(collector.tracedRuns[0]!.error).toContain("server down");
  });
});

describe("CrossEncoderReranker.compressDocuments call options (the optional fourth argument)", () => {
  it("takes a per-call topN and an abort signal that stops the scorer", async () => {
    const seen: (AbortSignal | undefined)[] = [];
    const model = {
      score: async (pairs: readonly (readonly [string, string])[], o?: { signal?: AbortSignal }) => (seen.push(o?.signal), pairs.map((_, i) => i)),
    };
    const reranker = new CrossEncoderReranker({ model, topN: 1 });
    const controller = new AbortController();
    const out = await reranker.compressDocuments(candidates(4), QUERY, undefined, { topN: 3, signal: controller.signal });
    expect(out.map((d) => d.metadata.retrievalRank)).toEqual([4, 3, 2]);
    expect(seen).toEqual([controller.signal]);
    controller.abort(new Error("caller gave up"));
    await expect(reranker.compressDocuments(candidates(4), QUERY, undefined, { signal: controller.signal })).rejects.toThrow("caller gave up");
    expect(seen).toHaveLength(1);
    expect(await reranker.compressDocuments(candidates(4), QUERY)).toHaveLength(1);
  });

  it("an abort during scoring rejects at once even when the scorer ignores the signal, for rerank() and compressDocuments", async () => {
    let started = 0;
    let finish: () => void = () => {};
    const ignoring = {
      score: async (pairs: readonly (readonly [string, string])[]) => {
        started += 1;
        await new Promise<void>((resolve) => (finish = resolve));
        return pairs.map(() => 1);
      },
    };
    const reranker = new CrossEncoderReranker({ model: ignoring });
    for (const call of [
      (signal: AbortSignal) => reranker.rerank(candidates(2), QUERY, { signal }),
      (signal: AbortSignal) => reranker.compressDocuments(candidates(2), QUERY, undefined, { signal }),
    ]) {
      const controller = new AbortController();
      const before = started;
      const pending = call(controller.signal);
      await vi.waitFor(() => expect(started).toBe(before + 1), PATIENT);
      controller.abort(new Error("caller gave up"));
      await expect(pending).rejects.toThrow("caller gave up");
      finish();
    }
  });
});
