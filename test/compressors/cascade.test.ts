import { DocumentCompressorPipeline } from "@langchain/classic/retrievers/document_compressors";
import { ContextualCompressionRetriever } from "@langchain/classic/retrievers/contextual_compression";
import { BM25Retriever } from "@langchain/community/retrievers/bm25";
import { Document } from "@langchain/core/documents";
import { describe, expect, it } from "vitest";
import { CohereRerank } from "../../src/cohere.js";
import { rankDocuments } from "../../src/compressors/ranked_documents.js";
import { type CrossEncoder, CrossEncoderReranker, type TextPair } from "../../src/index.js";
import { resultsFromScores } from "../../src/results.js";
import { useFakeRerankServer } from "../support/fake_rerank_server.js";

/** A scorer whose score is a function of the text, so each stage's order is known in advance. */
function scorer(name: string, fn: (text: string) => number): CrossEncoder & { model: string } {
  return { model: name, score: async (pairs: readonly TextPair[]) => pairs.map(([, text]) => fn(text)) };
}

// Ten candidates "d0".."d9" in first-stage order. Stage 1 prefers higher numbers; stage 2 prefers even ones.
const docs = Array.from({ length: 10 }, (_, i) => new Document({ pageContent: `d${i}`, metadata: { source: `s${i}` } }));
const num = (text: string) => Number(text.slice(1));
const cheap = scorer("cheap", (t) => num(t) / 10);
const expensive = scorer("expensive", (t) => (num(t) % 2 === 0 ? 1 : 0) + num(t) / 100);

describe("cascades keep their history", () => {
  it("through a DocumentCompressorPipeline of two rerankers: first-stage rank, every stage's score, last score on top", async () => {
    const pipeline = new DocumentCompressorPipeline({
      transformers: [new CrossEncoderReranker({ model: cheap, topN: 5 }), new CrossEncoderReranker({ model: expensive, topN: 3 })],
    });
    const out = await pipeline.compressDocuments(docs, "q");
    // Stage 1 keeps d9..d5; stage 2 puts the even ones first: d8, d6, then d9.
    expect(out.map((d) => d.pageContent)).toEqual(["d8", "d6", "d9"]);
    expect(out.map((d) => d.metadata.retrievalRank)).toEqual([9, 7, 10]);
    expect(out.map((d) => d.metadata.relevanceScore)).toEqual([1.08, 1.06, 0.09]);
    expect(out[0]!.metadata).toEqual({
      source: "s8",
      retrievalRank: 9,
      relevanceScore: 1.08,
      stageScores: [
        { reranker: "CrossEncoderReranker(cheap)", score: 0.8, rank: 2 },
        { reranker: "CrossEncoderReranker(expensive)", score: 1.08, rank: 1 },
      ],
    });
    expect(docs[8]!.metadata).toEqual({ source: "s8" });
  });

  it("inside a ContextualCompressionRetriever over BM25, ranks point into the retriever's own list", async () => {
    const corpus = ["apple pie", "apple tart recipe", "banana bread", "apple apple cider", "cherry apple crumble"].map(
      (text) => new Document({ pageContent: text }),
    );
    const bm25 = BM25Retriever.fromDocuments(corpus, { k: 5 });
    const candidates = await bm25.invoke("apple");
    const byLength = scorer("length", (t) => t.length);
    const retriever = new ContextualCompressionRetriever({
      baseRetriever: bm25,
      baseCompressor: new DocumentCompressorPipeline({
        transformers: [
          new CrossEncoderReranker({ model: byLength, topN: 3 }),
          new CrossEncoderReranker({ model: scorer("reverse", (t) => -t.length), topN: 2 }),
        ],
      }),
    });
    const out = await retriever.invoke("apple");
    for (const doc of out) expect(candidates[(doc.metadata.retrievalRank as number) - 1]!.pageContent).toBe(doc.pageContent);
    expect(out.map((d) => (d.metadata.stageScores as unknown[]).length)).toEqual([2, 2]);
  });

  it("keeps the score of an earlier reranker that kept no history as an unnamed stage", async () => {
    const scored = [new Document({ pageContent: "d1", metadata: { relevanceScore: 0.3, retrievalRank: 4 } })];
    const [out] = await rankDocuments(scored, resultsFromScores([0.9]), { reranker: "second" });
    expect(out!.metadata).toEqual({
      relevanceScore: 0.9,
      retrievalRank: 4,
      stageScores: [
        { reranker: "unknown", score: 0.3 },
        { reranker: "second", score: 0.9, rank: 1 },
      ],
    });
  });

  it("ignores a rank key that is not a 1-based rank", async () => {
    const odd = [
      new Document({ pageContent: "a", metadata: { retrievalRank: "first" } }),
      new Document({ pageContent: "b", metadata: { retrievalRank: 0 } }),
    ];
    const out = await rankDocuments(odd, resultsFromScores([0.1, 0.2]));
    expect(out.map((d) => d.metadata.retrievalRank)).toEqual([2, 1]);
  });

  describe("with CohereRerank as the second stage", () => {
    const fake = useFakeRerankServer({ apiKey: "cascade-key" });
    it("keeps the first-stage rank and both scores", async () => {
      const texts = ["red apples", "green pears", "red cherries and red apples", "blue sky", "apples"];
      const candidates = texts.map((t) => new Document({ pageContent: t }));
      const pipeline = new DocumentCompressorPipeline({
        transformers: [
          new CrossEncoderReranker({ model: scorer("len", (t) => t.length), topN: 4 }),
          new CohereRerank({ apiKey: "cascade-key", baseUrl: fake.url, topN: 2 }),
        ],
      });
      const out = await pipeline.compressDocuments(candidates, "red apples");
      expect(out).toHaveLength(2);
      for (const doc of out) {
        const first = texts.indexOf(doc.pageContent) + 1;
        expect(doc.metadata.retrievalRank).toBe(first);
        const stages = doc.metadata.stageScores as { reranker: string; score: number }[];
        expect(stages.map((s) => s.reranker)).toEqual(["CrossEncoderReranker(len)", "CohereRerank(rerank-v3.5)"]);
        expect(stages[0]!.score).toBe(doc.pageContent.length);
        expect(stages[1]!.score).toBe(doc.metadata.relevanceScore);
      }
    });
  });
});
