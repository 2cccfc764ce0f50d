import { join } from "node:path";
import { Document } from "@langchain/core/documents";
import { describe, expect, it } from "vitest";
import { documentText, loadBeirDataset } from "../../src/eval/data/beir.js";
import { Bm25Index, createTokenizer, minimalEnglishStem } from "../../src/retrievers/bm25_index.js";
import { OkapiBm25Retriever } from "../../src/retrievers/okapi_bm25_retriever.js";
import { evaluate } from "../../src/eval/evaluate.js";
import { SHARED_DIR, describeWithShared } from "../support/shared.js";

describe("tokenizer", () => {
  it("strips plurals only (Lucene's minimal English stemmer)", () => {
    const cases: Record<string, string> = {
      cells: "cell",
      studies: "study",
      glass: "glass",
      virus: "virus",
      shoes: "shoes",
      ponies: "pony",
      is: "is",
      rays: "ray",
    };
    for (const [word, stem] of Object.entries(cases)) expect(minimalEnglishStem(word)).toBe(stem);
  });

  it("lower-cases, splits on non-alphanumerics, drops stop words, stems", () => {
    expect(createTokenizer()("The T-cells of Mice were NOT activated; IL-2 levels: 5.3%")).toEqual([
      "t",
      "cell",
      "mice",
      "were",
      "activated",
      "il",
      "2",
      "level",
      "5",
      "3",
    ]);
    expect(createTokenizer({ stopWords: new Set(), stem: null })("The cells")).toEqual(["the", "cells"]);
  });
});

describe("Bm25Index", () => {
  const plain = createTokenizer({ stopWords: new Set(), stem: null });

  it("scores with Lucene's idf and Okapi's saturation (k1 = 0.9, b = 0.4)", () => {
    const index = new Bm25Index(["a b", "b c c", "d"], { tokenize: plain });
    const idf = Math.log(1 + (3 - 1 + 0.5) / (1 + 0.5));
    expect(index.idf("c")).toBeCloseTo(idf, 12);
    // avgdl = 2; document 1 has 3 tokens and tf("c") = 2.
    const norm = 0.9 * (1 - 0.4 + (0.4 * 3) / 2);
    expect(index.search("c", 10)).toEqual([{ index: 1, score: expect.closeTo((idf * 2 * 1.9) / (2 + norm), 12) }]);
  });

  it("ranks best first, weighs repeated query terms, returns only matches and cuts at k", () => {
    const index = new Bm25Index(["apple banana", "apple", "banana banana cherry", "durian"], { tokenize: plain });
    const hits = index.search("banana apple", 10);
    expect(hits.map((h) => h.index).sort()).toEqual([0, 1, 2]);
    expect(hits[0]?.index).toBe(0); // the only document with both terms
    expect(index.search("banana banana apple", 1)[0]?.index).toBe(0);
    expect(index.search("banana banana banana apple", 3).map((h) => h.index)).toEqual([0, 2, 1]);
    expect(index.search("mango", 10)).toEqual([]);
  });

  it("rejects bad parameters", () => {
    expect(() => new Bm25Index([], { b: 2 })).toThrow("Bm25Index: `b` must be between 0 and 1, got 2.");
  });
});

describe("OkapiBm25Retriever", () => {
  it("returns copies of the documents with retrieval score and rank, leaving the originals untouched", async () => {
    const docs = [
      new Document({ id: "1", pageContent: "red apples", metadata: { source: "x" } }),
      new Document({ id: "2", pageContent: "green pears" }),
    ];
    const retriever = OkapiBm25Retriever.fromDocuments(docs, { k: 5 });
    const [hit, ...rest] = await retriever.invoke("apple");
    expect(rest).toEqual([]);
    expect(hit?.id).toBe("1");
    expect(hit?.metadata).toEqual({ source: "x", retrievalScore: expect.any(Number), retrievalRank: 1 });
    expect(docs[0]?.metadata).toEqual({ source: "x" });
  });
});

describeWithShared("built-in BM25 on SciFact", () => {
  it("reaches nDCG@10 0.6667 (≥ 0.65) and Recall@100 0.9026 on the test split (title + text)", async () => {
    const dataset = await loadBeirDataset(join(SHARED_DIR, "data", "scifact"));
    const documents = [...dataset.corpus].map(([id, doc]) => new Document({ id, pageContent: documentText(doc) }));
    const retriever = OkapiBm25Retriever.fromDocuments(documents, { k: 100 });
    const result = await evaluate({
      queries: dataset.queries,
      qrels: dataset.qrels,
      retriever,
      metrics: ["ndcg@10", "recall@100"],
      keepRankings: false,
    });
    const mean = result.configurations[0]?.mean ?? {};
    expect(mean["ndcg@10"]).toBeGreaterThanOrEqual(0.65);
    // The figure quoted in docs/evaluation.md.
    expect(mean["ndcg@10"]?.toFixed(4)).toBe("0.6667");
    expect(mean["recall@100"]?.toFixed(4)).toBe("0.9026");
  });
});
