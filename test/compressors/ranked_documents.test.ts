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
  it("continues a stage history, and does not take foreign data under stageScores for one", async () => {
    const earlier = { reranker: "CrossEncoderReranker(mini)", score: 0.7, rank: 1 };
    const [continued] = await rankDocuments([new Document({ pageContent: "a", metadata: { stageScores: [earlier] } })], resultsFromScores([0.2]));
    expect(continued!.metadata.stageScores).toEqual([earlier, { reranker: "reranker", score: 0.2, rank: 1 }]);
    const foreign = new Document({ pageContent: "a", metadata: { stageScores: ["x", null], relevanceScore: 0.4 } });
    const [fresh] = await rankDocuments([foreign], resultsFromScores([0.9]));
    // The earlier score under relevanceScore is kept as an unnamed stage; "x" and null are not made into stages.
    expect(fresh!.metadata.stageScores).toEqual([
      { reranker: "unknown", score: 0.4 },
      { reranker: "reranker", score: 0.9, rank: 1 },
    ]);
    expect(foreign.metadata.stageScores).toEqual(["x", null]);
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
