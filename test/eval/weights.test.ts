import { Document } from "@langchain/core/documents";
import { describe, expect, it } from "vitest";
import { InvalidOptionError } from "../../src/errors.js";
import { type WeightQuery, chooseWeights, evaluate, weightQueriesFromEvaluation } from "../../src/eval/index.js";

/**
 * Each query: the relevant document R is second on relevance and second on first-stage rank; A is best on relevance
 * and worst on rank, B the reverse. Either factor alone puts R second (MRR 0.5); a mix puts it first (MRR 1) exactly
 * when 0.25 < w(relevance) < 0.75.
 */
function query(id: string): WeightQuery {
  return {
    queryId: id,
    judgments: new Map([[`${id}-R`, 1]]),
    candidates: [
      { docId: `${id}-A`, factors: { relevance: 1, firstStageRank: 0 } },
      { docId: `${id}-B`, factors: { relevance: 0, firstStageRank: 1 } },
      { docId: `${id}-R`, factors: { relevance: 0.75, firstStageRank: 0.75 } },
    ],
  };
}
const queries = ["q1", "q2", "q3", "q4"].map(query);

describe("chooseWeights", () => {
  it("grid: finds a mix that beats each factor alone on dev and reports it on the held-out split", () => {
    const choice = chooseWeights(queries, { factors: ["relevance", "firstStageRank"], metric: "mrr@10" });
    expect(choice.weights).toEqual({ relevance: 0.7, firstStageRank: 0.3 }); // the most relevance-heavy winner
    expect([choice.dev, choice.heldOut]).toEqual([1, 1]);
    expect(choice.baselines.map((b) => [b.factor, b.dev, b.heldOut])).toEqual([
      ["relevance", 0.5, 0.5],
      ["firstStageRank", 0.5, 0.5],
    ]);
    expect([choice.devQueries, choice.heldOutQueries, choice.evaluated]).toEqual([2, 2, 11]);
  });

  it("coordinate search reaches the same kind of mix from relevance alone", () => {
    const choice = chooseWeights(queries, { factors: ["relevance", "firstStageRank"], metric: "mrr@10", method: "coordinate" });
    expect(choice.dev).toBe(1);
    expect(choice.weights.relevance!).toBeGreaterThan(0.25);
    expect(choice.weights.relevance!).toBeLessThan(0.75);
    expect(choice.weights.relevance! + choice.weights.firstStageRank!).toBeCloseTo(1, 9);
  });

  it("chooses on dev only: a held-out split that disagrees shows in heldOut, not in the choice", () => {
    const flipped: WeightQuery = { ...query("x"), judgments: new Map([["x-A", 1]]) }; // here relevance alone is right
    const choice = chooseWeights([query("d1"), flipped, query("d2"), flipped], { factors: ["relevance", "firstStageRank"], metric: "mrr@10" });
    expect(choice.weights).toEqual({ relevance: 0.7, firstStageRank: 0.3 });
    expect(choice.heldOut).toBe(0.5);
    expect(choice.baselines[0]!.heldOut).toBe(1);
  });

  it("rejects bad options", () => {
    expect(() => chooseWeights(queries, { factors: [] })).toThrow(InvalidOptionError);
    expect(() => chooseWeights(queries, { factors: ["relevance"], step: 0.3 })).toThrow(/`step` must divide 1/);
    expect(() => chooseWeights(queries, { factors: ["relevance"], metric: "bleu" })).toThrow(/Unknown metric/);
    expect(() => chooseWeights(queries.slice(0, 1), { factors: ["relevance"] })).toThrow(/need queries in both splits, got 1 dev and 0 held-out/);
  });
});

describe("weightQueriesFromEvaluation", () => {
  it("builds relevance (min-max), 1/rank and first-stage score (min-max) per candidate from an evaluation", async () => {
    const candidates = [
      new Document({ id: "a", pageContent: "a", metadata: { retrievalScore: 10 } }),
      new Document({ id: "b", pageContent: "b", metadata: { retrievalScore: 6 } }),
      new Document({ id: "c", pageContent: "c", metadata: { retrievalScore: 2 } }),
    ];
    const reverse = {
      compressDocuments: async (docs: Document[]) =>
        docs
          .slice()
          .reverse()
          .map((d, i) => new Document({ ...d, metadata: { ...d.metadata, relevanceScore: 5 - 2 * i } })),
    };
    const qrels = new Map([
      [
        "q",
        new Map([
          ["c", 1],
          ["z", 1],
        ]),
      ],
    ]);
    const result = await evaluate({
      queries: new Map([["q", "query"]]),
      qrels,
      retriever: { invoke: async () => candidates },
      configurations: [{ name: "none" }, { name: "rev", compressor: reverse }],
      metrics: ["ndcg@10"],
    });
    const [q] = weightQueriesFromEvaluation(result, qrels, { firstStage: "none", reranker: "rev" });
    expect(q!.judgments.size).toBe(2);
    expect(q!.candidates).toEqual([
      { docId: "a", factors: { relevance: 0, firstStageRank: 1, firstStageScore: 1 } },
      { docId: "b", factors: { relevance: 0.5, firstStageRank: 0.5, firstStageScore: 0.5 } },
      { docId: "c", factors: { relevance: 1, firstStageRank: 1 / 3, firstStageScore: 0 } },
    ]);
    expect(() => weightQueriesFromEvaluation(result, qrels, { firstStage: "none", reranker: "nope" })).toThrow(/no configuration "nope"/);
  });
});
