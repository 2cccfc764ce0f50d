import { ContextualCompressionRetriever } from "@langchain/classic/retrievers/contextual_compression";
import { BM25Retriever } from "@langchain/community/retrievers/bm25";
import { Document } from "@langchain/core/documents";
import { RunCollectorCallbackHandler } from "@langchain/core/tracers/run_collector";
import { describe, expect, it } from "vitest";
import { CrossEncoderReranker, RerankServerCrossEncoder } from "../../src/index.js";
import { useFakeRerankServer, overlapScore, rawScore, sigmoid } from "../support/fake_rerank_server.js";

// The same CrossEncoderReranker that runs a local model runs against a rerank server: only the scorer changes.

const fake = useFakeRerankServer();

const corpus = [
  "Paris is the capital of France and its largest city.",
  "London is the capital of the United Kingdom.",
  "The river Seine flows through Paris.",
  "Cats like to sleep in the sun.",
  "France exports wine and cheese.",
  "The capital of France hosts the Louvre museum.",
].map((text, i) => new Document({ pageContent: text, metadata: { source: `s${i}` } }));
const QUERY = "what is the capital of France";

describe("RerankServerCrossEncoder in CrossEncoderReranker in ContextualCompressionRetriever", () => {
  it("reranks BM25's candidates by the TEI server's scores, batched, traced, the caller's documents untouched", async () => {
    const bm25 = BM25Retriever.fromDocuments(corpus, { k: 5 });
    const candidates = await bm25.invoke(QUERY);
    const before = structuredClone(candidates.map((d) => ({ pageContent: d.pageContent, metadata: d.metadata })));
    fake.reset();

    const scorer = new RerankServerCrossEncoder({ url: `${fake.url}/rerank`, dialect: "tei", batchSize: 2, backoffBaseMs: 1 });
    const retriever = new ContextualCompressionRetriever({
      baseRetriever: bm25,
      baseCompressor: new CrossEncoderReranker({ model: scorer, topN: 3 }),
    });
    fake.fail({ status: 503 }); // one transient failure on the way, retried
    const collector = new RunCollectorCallbackHandler();
    const reranked = await retriever.invoke(QUERY, { callbacks: [collector] });

    const expected = candidates
      .map((d, i) => ({ i, score: sigmoid(rawScore(overlapScore(QUERY, d.pageContent))) }))
      .sort((a, b) => b.score - a.score || a.i - b.i)
      .slice(0, 3);
    expect(reranked.map((d) => d.pageContent)).toEqual(expected.map(({ i }) => candidates[i]!.pageContent));
    expect(reranked.map((d) => d.metadata.relevanceScore)).toEqual(expected.map(({ score }) => score));
    expect(reranked.map((d) => d.metadata.retrievalRank)).toEqual(expected.map(({ i }) => i + 1));
    // 5 candidates in batches of 2 → 3 requests, plus the retried 503.
    expect(fake.requests.map((r) => r.status).sort()).toEqual([200, 200, 200, 503]);
    expect(fake.requests.every((r) => (r.body as { texts: string[] }).texts.length <= 2)).toBe(true);
    expect(collector.tracedRuns[0]!.child_runs?.map((run) => run.name)).toEqual(["BM25Retriever", "CrossEncoderReranker"]);
    expect(candidates.map((d) => ({ pageContent: d.pageContent, metadata: d.metadata }))).toEqual(before);
  });
});
