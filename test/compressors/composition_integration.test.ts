import { DocumentCompressorPipeline } from "@langchain/classic/retrievers/document_compressors";
import { ContextualCompressionRetriever } from "@langchain/classic/retrievers/contextual_compression";
import { BM25Retriever } from "@langchain/community/retrievers/bm25";
import { Document } from "@langchain/core/documents";
import { RunCollectorCallbackHandler } from "@langchain/core/tracers/run_collector";
import { describe, expect, inject, it } from "vitest";
import { HuggingFaceCrossEncoder } from "../../src/huggingface.js";
import { CachedCrossEncoder, CrossEncoderReranker, FallbackReranker, MultiFactorReranker, RerankServerCrossEncoder } from "../../src/index.js";
import { useFakeRerankServer } from "../support/fake_rerank_server.js";
import { FIXTURE_RERANKER } from "../support/fixtures.js";
import { describeWithShared } from "../support/shared.js";

// The three-stage pipeline with real LangChain classes: BM25 candidates → FallbackReranker (a rerank server that
// fails, then a local cross-encoder) → MultiFactorReranker (relevance, recency, source reliability). Local models carry
// random weights: the assertions check the mechanics (who served, the factor arithmetic, the order it implies).
const fake = useFakeRerankServer();
const NOW = Date.parse("2026-06-01T00:00:00Z");
const DAY = 86_400_000;
const corpus = [
  ["Paris is the capital of France and its largest city.", 400, 0.9],
  ["The capital of France moved to Versailles for a century.", 30, 0.4],
  ["France has a population of about 68 million; its capital hosts 2 million.", 10, 0.7],
  ["London is the capital of the United Kingdom.", 5, 0.9],
  ["The river Seine flows through Paris, the French capital.", 60, 0.6],
  ["Cats like to sleep in the sun.", 1, 0.5],
  ["Rain fell on the city all day.", 2, 0.5],
].map(
  ([text, ageDays, reliability], i) =>
    new Document({
      pageContent: text as string,
      metadata: { source: `s${i}`, publishedAt: new Date(NOW - (ageDays as number) * DAY).toISOString(), reliability },
    }),
);
const QUERY = "what is the capital of France?";

async function runPipeline(local: HuggingFaceCrossEncoder) {
  fake.fail({ status: 503 });
  const failing = new CrossEncoderReranker({
    model: new RerankServerCrossEncoder({ url: `${fake.url}/rerank`, dialect: "tei", maxRetries: 0 }),
    topN: 5,
  });
  const fallback = new FallbackReranker({
    rerankers: [
      { reranker: failing, name: "tei" },
      { reranker: new CrossEncoderReranker({ model: new CachedCrossEncoder({ model: local }), topN: 5 }), name: "local" },
    ],
    timeout: 60_000,
    topN: 5,
  });
  const final = new MultiFactorReranker({
    weights: { relevance: 0.6, recency: 0.25, reliability: 0.15 },
    recency: { field: "publishedAt", halfLifeDays: 30, now: () => NOW },
    signals: { reliability: (doc) => doc.metadata.reliability as number },
    topN: 3,
  });
  const bm25 = BM25Retriever.fromDocuments(corpus, { k: 6 });
  const retriever = new ContextualCompressionRetriever({
    baseRetriever: bm25,
    baseCompressor: new DocumentCompressorPipeline({ transformers: [fallback, final] }),
  });
  const candidates = await bm25.invoke(QUERY);
  const collector = new RunCollectorCallbackHandler();
  const out = await retriever.invoke(QUERY, { callbacks: [collector] });
  return { candidates, out, collector };
}

async function expectThreeStages(local: HuggingFaceCrossEncoder) {
  const { candidates, out, collector } = await runPipeline(local);
  // The server was asked once and failed; the local cross-encoder served.
  expect(fake.requests.map((r) => r.status)).toEqual([503]);
  expect(out.map((d) => d.metadata.rerankedBy)).toEqual(["local", "local", "local"]);

  // Recompute the final ranking independently: the local reranker's top 5 by score, then the weighted factors.
  const scores = await local.score(candidates.map((d) => [QUERY, d.pageContent] as const));
  const top5 = scores
    .map((score, i) => ({ score, i }))
    .sort((a, b) => b.score - a.score || a.i - b.i)
    .slice(0, 5);
  const min = Math.min(...top5.map((t) => t.score));
  const max = Math.max(...top5.map((t) => t.score));
  const expected = top5
    .map(({ score, i }, position) => {
      const doc = candidates[i]!;
      const recency = 0.5 ** ((NOW - Date.parse(doc.metadata.publishedAt as string)) / DAY / 30);
      const relevance = max > min ? (score - min) / (max - min) : 1;
      const finalScore = (0.6 * relevance + 0.25 * recency + 0.15 * (doc.metadata.reliability as number)) / 1;
      return { text: doc.pageContent, finalScore, relevance, recency, position };
    })
    .sort((a, b) => b.finalScore - a.finalScore || a.position - b.position)
    .slice(0, 3);
  expect(out.map((d) => d.pageContent)).toEqual(expected.map((e) => e.text));
  out.forEach((d, k) => {
    expect(d.metadata.finalScore).toBeCloseTo(expected[k]!.finalScore, 10);
    expect(d.metadata.rankingFactors.recency).toBeCloseTo(expected[k]!.recency, 12);
    expect(d.metadata.rankingFactors.relevance).toBeCloseTo(expected[k]!.relevance, 10);
  });
  // Each stage is its own traced run under the retriever's.
  const root = collector.tracedRuns[0]!;
  expect(root.child_runs!.map((r) => r.name)).toEqual(["BM25Retriever", "FallbackReranker", "MultiFactorReranker"]);
  expect(root.child_runs![1]!.outputs!.attempts.map((a: { reranker: string; outcome: string }) => [a.reranker, a.outcome])).toEqual([
    ["tei", "error"],
    ["local", "served"],
  ]);
  expect(root.child_runs![1]!.outputs!.attempts[0].reason).toMatch(/503/);
}

describe("three stages in ContextualCompressionRetriever (fixture cross-encoder)", () => {
  it("BM25 → FallbackReranker([failing TEI server, local]) → MultiFactorReranker in a DocumentCompressorPipeline", async () => {
    await expectThreeStages(new HuggingFaceCrossEncoder({ model: FIXTURE_RERANKER, dtype: "fp32" }));
  });
});

describeWithShared("three stages in ContextualCompressionRetriever (MiniLM-shaped proxy)", () => {
  it("the same pipeline with the MiniLM proxy as the local reranker", async () => {
    await expectThreeStages(new HuggingFaceCrossEncoder({ model: inject("miniLmProxy")!, dtype: "q8" }));
  });
});
