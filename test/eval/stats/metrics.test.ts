import { describe, expect, it } from "vitest";
import { InvalidOptionError } from "../../../src/errors.js";
import { evaluateRun, parseMetric, parseMetrics, queryMetrics, trecOrder } from "../../../src/eval/stats/metrics.js";

const judged = (entries: Record<string, number>) => new Map(Object.entries(entries));

describe("parseMetric", () => {
  it("reads names, aliases and cut-offs", () => {
    expect(parseMetric("nDCG@10")).toEqual({ name: "ndcg", k: 10, label: "ndcg@10" });
    expect(parseMetric("mrr@10")).toEqual({ name: "rr", k: 10, label: "mrr@10" });
    expect(parseMetric("P@5")).toEqual({ name: "precision", k: 5, label: "p@5" });
    expect(parseMetric(" recall@100 ")).toEqual({ name: "recall", k: 100, label: "recall@100" });
    expect(parseMetric("map")).toEqual({ name: "map", label: "map" });
  });

  it("rejects unknown metrics, bad cut-offs and duplicates with the accepted forms", () => {
    expect(() => parseMetric("bleu@4")).toThrow(/Unknown metric "bleu@4": expected one of ndcg@k/);
    expect(() => parseMetric("ndcg@0")).toThrow(/k must be a positive integer/);
    expect(() => parseMetric("ndcg@ten")).toThrow(InvalidOptionError);
    expect(() => parseMetrics([])).toThrow(/No metrics given/);
    expect(() => parseMetrics(["ndcg@10", "NDCG@10"])).toThrow(/listed twice/);
  });
});

describe("trecOrder", () => {
  it("ranks by score descending, equal scores by document id descending in byte order (as trec_eval)", () => {
    const order = trecOrder([
      { docId: "10", score: 1 },
      { docId: "9", score: 1 },
      { docId: "b", score: 2 },
      { docId: "a", score: 2 },
      { docId: "z", score: 0.5 },
    ]);
    // "9" > "10" as strings: trec_eval compares ids with strcmp, not as numbers.
    expect(order).toEqual(["b", "a", "9", "10", "z"]);
  });
});

describe("queryMetrics", () => {
  const metrics = parseMetrics(["ndcg@3", "ndcg@10", "rr@10", "rr@1", "recall@2", "recall@10", "p@2", "p@10", "map@10", "map@2"]);

  it("computes graded nDCG, RR, Recall, Precision and MAP by hand", () => {
    // d1 unjudged, d2 label 1, d3 label 0, d4 label 3; d5 (label 2) never retrieved.
    const values = queryMetrics(["d1", "d2", "d3", "d4"], judged({ d2: 1, d3: 0, d4: 3, d5: 2 }), metrics);
    const dcg3 = 1 / Math.log2(3);
    const idcg3 = 3 + 2 / Math.log2(3) + 1 / Math.log2(4);
    expect(values["ndcg@3"]).toBeCloseTo(dcg3 / idcg3, 12);
    expect(values["ndcg@10"]).toBeCloseTo((dcg3 + 3 / Math.log2(5)) / idcg3, 12);
    expect(values["rr@10"]).toBe(1 / 2);
    expect(values["rr@1"]).toBe(0);
    expect(values["recall@2"]).toBeCloseTo(1 / 3, 12);
    expect(values["recall@10"]).toBeCloseTo(2 / 3, 12);
    expect(values["p@2"]).toBe(1 / 2);
    // P@10 divides by 10 although only 4 documents were retrieved (trec_eval P.10).
    expect(values["p@10"]).toBe(2 / 10);
    // AP@10 divides by all 3 relevant documents: (1/2 + 2/4) / 3.
    expect(values["map@10"]).toBeCloseTo((1 / 2 + 2 / 4) / 3, 12);
    expect(values["map@2"]).toBeCloseTo(1 / 2 / 3, 12);
  });

  it("applies the relevance threshold to binary metrics only; nDCG keeps graded gains", () => {
    const judgments = judged({ a: 1, b: 2, c: 3 });
    const ranking = ["a", "b", "c"];
    const strict = queryMetrics(ranking, judgments, metrics, { relThreshold: 2 });
    const lenient = queryMetrics(ranking, judgments, metrics, { relThreshold: 1 });
    expect(strict["rr@10"]).toBe(1 / 2);
    expect(lenient["rr@10"]).toBe(1);
    expect(strict["recall@2"]).toBe(1 / 2);
    expect(strict["ndcg@10"]).toBe(lenient["ndcg@10"]);
    expect(strict["ndcg@10"]).toBeCloseTo((1 + 2 / Math.log2(3) + 3 / 2) / (3 + 2 / Math.log2(3) + 1 / 2), 12);
  });

  it("ignores negative labels in the ideal ranking and counts a repeated document once", () => {
    const values = queryMetrics(["x", "x", "y"], judged({ x: -1, y: 1 }), parseMetrics(["ndcg@2", "rr@10"]));
    // The duplicate "x" is dropped, so "y" is at rank 2.
    expect(values["ndcg@2"]).toBeCloseTo(1 / Math.log2(3), 12);
    expect(values["rr@10"]).toBe(1 / 2);
  });

  it("gives zeros for an empty ranking", () => {
    const values = queryMetrics([], judged({ a: 1 }), metrics);
    expect(Object.values(values).every((v) => v === 0)).toBe(true);
  });
});

describe("evaluateRun", () => {
  const qrels = new Map([
    ["q1", judged({ a: 1 })],
    ["q2", judged({ b: 2 })],
    ["q3", judged({ c: 0 })], // no relevant judgment: skipped
    ["q4", judged({ d: 1 })], // not in the run
  ]);
  const run = new Map([
    [
      "q1",
      [
        { docId: "z", score: 1 },
        { docId: "a", score: 1 },
      ],
    ], // tie: "z" ranks first
    ["q2", [{ docId: "b", score: 3 }]],
    ["q3", [{ docId: "c", score: 1 }]],
    ["q9", [{ docId: "a", score: 1 }]], // not judged
  ]);

  it("skips unjudged queries and judged queries missing from the run, like trec_eval", () => {
    const result = evaluateRun(run, qrels, ["rr@10"]);
    expect([...result.perQuery.keys()]).toEqual(["q1", "q2"]);
    expect(result.perQuery.get("q1")?.["rr@10"]).toBe(1 / 2);
    expect(result.mean["rr@10"]).toBe(0.75);
    expect(result.skipped).toEqual({ unjudged: ["q3", "q9"], missingFromRun: ["q4"] });
  });

  it("counts judged queries missing from the run as 0 with completeQueries (trec_eval -c)", () => {
    const result = evaluateRun(run, qrels, ["rr@10"], { completeQueries: true });
    expect(result.perQuery.get("q4")?.["rr@10"]).toBe(0);
    expect(result.mean["rr@10"]).toBe(0.5);
  });
});

describe("relThreshold at or below 0", () => {
  it("never counts an unjudged document as relevant (trec_eval -l 0 admits judged label-0 documents only)", () => {
    const judgments = judged({ d1: 2, d2: 0 });
    const values = queryMetrics(["x", "y", "d1"], judgments, parseMetrics(["p@3", "recall@3", "mrr@10", "map"]), { relThreshold: 0 });
    // Relevant at -l 0: d1 and d2 (both judged); x and y are unjudged.
    expect(values).toEqual({ "p@3": 1 / 3, "recall@3": 0.5, "mrr@10": 1 / 3, map: 1 / 3 / 2 });
    expect(queryMetrics(["x", "y"], judgments, parseMetrics(["recall@3"]), { relThreshold: -1 })["recall@3"]).toBe(0);
  });

  it("rejects a relThreshold that is not a finite number instead of making nothing relevant", () => {
    const run = new Map([["q", [{ docId: "d1", score: 1 }]]]);
    const qrels = new Map([["q", judged({ d1: 1 })]]);
    expect(() => evaluateRun(run, qrels, ["mrr@10"], { relThreshold: Number.NaN })).toThrow(
      /evaluateRun: `relThreshold` must be a finite number .*got NaN/,
    );
    expect(() => queryMetrics(["d1"], judged({ d1: 1 }), parseMetrics(["mrr@10"]), { relThreshold: "2" as unknown as number })).toThrow(
      InvalidOptionError,
    );
  });
});

describe("trecOrder on a run built in code", () => {
  it("rejects a score that is not a finite number instead of ranking it as a tie with everything", () => {
    const run = new Map([
      [
        "q",
        [
          { docId: "d1", score: 1 },
          { docId: "d2", score: Number.NaN },
        ],
      ],
    ]);
    expect(() => evaluateRun(run, new Map([["q", judged({ d1: 1 })]]), ["mrr@10"])).toThrow(
      new InvalidOptionError("trecOrder: document d2 has the score NaN, not a finite number; a run ranks by score."),
    );
    expect(() => trecOrder([{ docId: "a", score: Number.POSITIVE_INFINITY }])).toThrow(/document a has the score Infinity/);
  });
});
