import { ContextualCompressionRetriever } from "@langchain/classic/retrievers/contextual_compression";
import { MemoryVectorStore } from "@langchain/classic/vectorstores/memory";
import { HuggingFaceTransformersEmbeddings } from "@langchain/community/embeddings/huggingface_transformers";
import { BM25Retriever } from "@langchain/community/retrievers/bm25";
import { Document } from "@langchain/core/documents";
import { RunnableLambda, RunnablePassthrough, RunnableSequence } from "@langchain/core/runnables";
import { RunCollectorCallbackHandler } from "@langchain/core/tracers/run_collector";
import { describe, expect, it } from "vitest";
import { HuggingFaceCrossEncoder } from "../../src/huggingface.js";
import { CrossEncoderReranker, RelevanceThresholdFilter } from "../../src/index.js";
import { FIXTURE_ENCODER, FIXTURE_RERANKER } from "../support/fixtures.js";

// Real first stages, real LangChain classes, the real transformers.js path on fixture models (random weights: the
// assertions check that the reranker reorders the first stage's candidates by its own scores, not quality).
const corpus = [
  "Paris is the capital of France and its largest city.",
  "London is the capital of the United Kingdom.",
  "The river Seine flows through Paris.",
  "Cats like to sleep in the sun.",
  "The bank raised interest rates to cool the money market.",
  "Proteins fold into shapes that decide their function in the cell.",
  "Cancer cells divide without control.",
  "Rain fell on the city all day.",
].map((text, i) => new Document({ pageContent: text, metadata: { source: `s${i}` } }));
const QUERY = "what is the capital of France?";
const scorer = new HuggingFaceCrossEncoder({ model: FIXTURE_RERANKER, dtype: "fp32" });

async function expectRerankedFrom(candidates: Document[], reranked: Document[], topN: number) {
  const scores = await scorer.score(candidates.map((d) => [QUERY, d.pageContent] as const));
  const expected = scores
    .map((score, i) => ({ score, i }))
    .sort((a, b) => b.score - a.score || a.i - b.i)
    .slice(0, topN);
  expect(reranked.map((d) => d.pageContent)).toEqual(expected.map(({ i }) => candidates[i]!.pageContent));
  expect(reranked.map((d) => d.metadata.retrievalRank)).toEqual(expected.map(({ i }) => i + 1));
  expect(reranked.map((d) => d.metadata.relevanceScore)).toEqual(expected.map(({ score }) => score));
}

describe("CrossEncoderReranker in ContextualCompressionRetriever", () => {
  it("reranks a BM25Retriever's candidates and traces the rerank as a child run", async () => {
    const bm25 = BM25Retriever.fromDocuments(corpus, { k: 6 });
    const candidates = await bm25.invoke(QUERY);
    const retriever = new ContextualCompressionRetriever({
      baseRetriever: bm25,
      baseCompressor: new CrossEncoderReranker({ model: scorer, topN: 3 }),
    });
    const collector = new RunCollectorCallbackHandler();
    const reranked = await retriever.invoke(QUERY, { callbacks: [collector] });
    expect(reranked).toHaveLength(3);
    await expectRerankedFrom(candidates, reranked, 3);
    const root = collector.tracedRuns[0]!;
    expect(root.child_runs!.map((run) => run.name)).toEqual(["BM25Retriever", "CrossEncoderReranker"]);
    expect(root.child_runs![1]!.outputs!.results).toHaveLength(3);
  });

  it("reranks a MemoryVectorStore retriever's candidates (transformers.js embeddings)", async () => {
    const embeddings = new HuggingFaceTransformersEmbeddings({ model: FIXTURE_ENCODER });
    const store = await MemoryVectorStore.fromDocuments(corpus, embeddings);
    const base = store.asRetriever({ k: 5 });
    const candidates = await base.invoke(QUERY);
    const retriever = new ContextualCompressionRetriever({
      baseRetriever: base,
      baseCompressor: new CrossEncoderReranker({ model: scorer, topN: 2 }),
    });
    await expectRerankedFrom(candidates, await retriever.invoke(QUERY), 2);
  });

  it("runs reranker then threshold filter in an LCEL chain", async () => {
    const bm25 = BM25Retriever.fromDocuments(corpus, { k: 8 });
    const candidates = await bm25.invoke(QUERY);
    const scores = await scorer.score(candidates.map((d) => [QUERY, d.pageContent] as const));
    const threshold = [...scores].sort((a, b) => b - a)[2]!; // exactly three pass
    const retriever = new ContextualCompressionRetriever({
      baseRetriever: bm25,
      baseCompressor: new RelevanceThresholdFilter({ threshold, reranker: new CrossEncoderReranker({ model: scorer, topN: 8 }) }),
    });
    const chain = RunnableSequence.from([
      { context: retriever, question: new RunnablePassthrough() },
      RunnableLambda.from(({ context, question }: { context: Document[]; question: string }) => ({
        question,
        sources: context.map((d) => d.metadata.source as string),
        scores: context.map((d) => d.metadata.relevanceScore as number),
      })),
    ]);
    const result = await chain.invoke(QUERY);
    expect(result.question).toBe(QUERY);
    expect(result.scores).toEqual([...scores].sort((a, b) => b - a).slice(0, 3));
    expect(result.sources).toHaveLength(3);
  });
});
