import { describe, expect, it } from "vitest";
import { Document } from "@langchain/core/documents";
import { rankDocuments } from "../../src/compressors/ranked_documents.js";
import { resultsFromScores, validateRerankResults } from "../../src/results.js";

describe("rankDocuments", () => {
  it("returns new documents sorted by score, ties in first-stage order, with score and rank metadata", async () => {
    const docs = [new Document({ pageContent: "a", metadata: { k: 1 } }), new Document({ pageContent: "b" }), new Document({ pageContent: "c" })];
    const out = await rankDocuments(docs, resultsFromScores([0.5, 0.9, 0.5]), { topN: 2 });
    expect(out.map((d) => d.pageContent)).toEqual(["b", "a"]);
    expect(out[1]!.metadata).toEqual({ k: 1, relevanceScore: 0.5, retrievalRank: 1, stageScores: [{ reranker: "reranker", score: 0.5, rank: 2 }] });
    expect(docs[0]!.metadata).toEqual({ k: 1 });
    expect(out[1]).not.toBe(docs[0]);
    expect(out[0]).toBeInstanceOf(Document);
  });
  it("rejects out-of-range and duplicate indices", () => {
    expect(() => validateRerankResults([{ index: 3, relevanceScore: 1 }], 3, "server")).toThrow(/index 3, outside the 3 documents/);
    expect(() =>
      validateRerankResults(
        [
          { index: 0, relevanceScore: 1 },
          { index: 0, relevanceScore: 0.5 },
        ],
        3,
        "server",
      ),
    ).toThrow(/more than once/);
  });
});
