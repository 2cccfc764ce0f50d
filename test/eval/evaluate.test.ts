import { Document, type DocumentInterface } from "@langchain/core/documents";
import { describe, expect, it } from "vitest";
import { type CompressorLike, EvaluationError, type RetrieverLike, evaluate } from "../../src/eval/evaluate.js";
import { latencyStats, percentile } from "../../src/eval/stats/latency.js";

const judged = (entries: Record<string, number>) => new Map(Object.entries(entries));
const qrels = new Map([
  ["q1", judged({ a: 1, c: 2 })],
  ["q2", judged({ b: 1 })],
  ["q3", judged({ x: 0 })], // nothing relevant: skipped
  ["q4", judged({ a: 1 })],
]);
const queries = new Map([
  ["q1", "one"],
  ["q2", "two"],
  ["q3", "three"],
  ["q4", "four"],
]);

/** Returns a, b, c with descending first-stage scores for every query. */
const retriever: RetrieverLike = {
  async invoke() {
    return ["a", "b", "c"].map((id, i) => new Document({ id, pageContent: id, metadata: { retrievalScore: 3 - i } }));
  },
};

/** Reverses the candidates and scores them; also writes into its input, as @langchain/cohere does. */
const reverser: CompressorLike = {
  async compressDocuments(documents: DocumentInterface[]) {
    documents.forEach((d) => (d.metadata.touched = true));
    return [...documents]
      .reverse()
      .map((d, i) => new Document({ id: d.id, pageContent: d.pageContent, metadata: { ...d.metadata, relevanceScore: 1 - i / 10 } }));
  },
};

describe("evaluate", () => {
  it("scores the first stage and each compressor on the same candidates", async () => {
    const result = await evaluate({
      queries,
      qrels,
      retriever,
      configurations: [{ name: "bm25" }, { name: "reversed", compressor: reverser }],
      metrics: ["rr@10", "recall@1"],
    });
    expect(result.queriesEvaluated).toBe(3);
    expect(result.skippedWithoutRelevant).toEqual(["q3"]);
    expect(result.perQuery.map((q) => q.queryId)).toEqual(["q1", "q2", "q4"]);
    const [bm25, reversed] = result.configurations;
    // First stage: q1 a@1, q2 b@2, q4 a@1. Reversed: q1 c@1, q2 b@2, q4 a@3.
    expect(bm25?.mean["rr@10"]).toBeCloseTo((1 + 1 / 2 + 1) / 3, 12);
    expect(reversed?.mean["rr@10"]).toBeCloseTo((1 + 1 / 2 + 1 / 3) / 3, 12);
    expect(reversed?.mean["recall@1"]).toBeCloseTo((1 / 2 + 0 + 0) / 3, 12);
    const q1 = result.perQuery[0];
    expect(q1?.candidates).toBe(3);
    expect(q1?.configurations.bm25?.ranking).toEqual([
      { docId: "a", score: 3, label: 1 },
      { docId: "b", score: 2 },
      { docId: "c", score: 1, label: 2 },
    ]);
    expect(q1?.configurations.reversed?.ranking?.map((r) => [r.docId, r.score])).toEqual([
      ["c", 1],
      ["b", 0.9],
      ["a", 0.8],
    ]);
    expect(bm25?.latency.rerank).toBeUndefined();
    expect(reversed?.latency.rerank?.count).toBe(3);
    expect(reversed?.latency.total.count).toBe(3);
  });

  it("gives each configuration its own copies, so a compressor that mutates its input affects no other", async () => {
    const seen: unknown[] = [];
    const spy: CompressorLike = {
      async compressDocuments(documents) {
        seen.push(documents[0]?.metadata.touched);
        return documents;
      },
    };
    await evaluate({
      queries,
      qrels,
      retriever,
      configurations: [
        { name: "r", compressor: reverser },
        { name: "spy", compressor: spy },
      ],
      metrics: ["rr@10"],
      limit: 1,
    });
    expect(seen).toEqual([undefined]);
  });

  it("keeps at most `concurrency` queries in flight, honours `limit` and reports progress", async () => {
    let inFlight = 0;
    let most = 0;
    const slow: RetrieverLike = {
      async invoke(query) {
        inFlight += 1;
        most = Math.max(most, inFlight);
        await new Promise((r) => setTimeout(r, 5));
        inFlight -= 1;
        return retriever.invoke(query);
      },
    };
    const many = new Map(Array.from({ length: 12 }, (_, i) => [`q${i}`, `text ${i}`]));
    const manyQrels = new Map(Array.from({ length: 12 }, (_, i) => [`q${i}`, judged({ a: 1 })]));
    const progress: number[] = [];
    const result = await evaluate({
      queries: many,
      qrels: manyQrels,
      retriever: slow,
      metrics: ["rr@10"],
      concurrency: 3,
      limit: 10,
      onProgress: (done, total) => progress.push(done * 100 + total),
    });
    expect(most).toBe(3);
    expect(result.queriesEvaluated).toBe(10);
    expect(result.perQuery.map((q) => q.queryId)).toEqual(Array.from({ length: 10 }, (_, i) => `q${i}`));
    expect(progress).toEqual(Array.from({ length: 10 }, (_, i) => (i + 1) * 100 + 10));
  });

  it("names the query and the stage that failed, and stops", async () => {
    let calls = 0;
    const failing: CompressorLike = {
      async compressDocuments() {
        calls += 1;
        throw new Error("connect ECONNREFUSED 127.0.0.1:9");
      },
    };
    const error = await evaluate({
      queries,
      qrels,
      retriever,
      configurations: [{ name: "server", compressor: failing }],
      metrics: ["rr@10"],
      concurrency: 1,
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(EvaluationError);
    expect((error as Error).message).toBe("query q1, server: connect ECONNREFUSED 127.0.0.1:9");
    expect(calls).toBe(1);
    const noId: RetrieverLike = { invoke: async () => [new Document({ pageContent: "x" })] };
    await expect(evaluate({ queries, qrels, retriever: noId, metrics: ["rr@10"] })).rejects.toThrow(
      "query q1, first-stage: document at position 1 has no id; set Document.id or metadata.id (or pass getDocId).",
    );
    const brokenRetriever: RetrieverLike = { invoke: async () => Promise.reject(new Error("index offline")) };
    await expect(evaluate({ queries, qrels, retriever: brokenRetriever, metrics: ["rr@10"] })).rejects.toThrow(
      "query q1, first stage: index offline",
    );
  });

  it("rejects duplicate configuration names and bad options", async () => {
    await expect(evaluate({ queries, qrels, retriever, configurations: [{ name: "a" }, { name: "a" }], metrics: ["rr@10"] })).rejects.toThrow(
      'configuration name "a" is used twice',
    );
    await expect(evaluate({ queries, qrels, retriever, metrics: ["ndcg@x"] })).rejects.toThrow(/Unknown metric "ndcg@x"/);
    await expect(evaluate({ queries, qrels, retriever, metrics: ["rr@10"], concurrency: 0 })).rejects.toThrow(
      "`concurrency` must be a positive integer",
    );
  });
});

describe("latency", () => {
  it("uses nearest-rank percentiles", () => {
    const values = Array.from({ length: 100 }, (_, i) => 100 - i); // 1..100, unsorted
    expect(latencyStats(values)).toEqual({ count: 100, mean: 50.5, p50: 50, p90: 90, p95: 95, p99: 99, max: 100 });
    expect(percentile([7], 99)).toBe(7);
    expect(latencyStats([]).p50).toBe(0);
  });
});
