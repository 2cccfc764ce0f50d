import { describe, expect, it } from "vitest";
import type { EvaluationResult } from "../../src/eval/evaluate.js";
import { chooseThreshold, labelledScores } from "../../src/eval/threshold.js";

const points = [
  { score: 0.9, relevant: true },
  { score: 0.8, relevant: true },
  { score: 0.7, relevant: false },
  { score: 0.6, relevant: true },
  { score: 0.6, relevant: false },
  { score: 0.1, relevant: false },
];

describe("chooseThreshold", () => {
  it("sweeps distinct scores (ties kept together) and finds the best F1", () => {
    const choice = chooseThreshold(points);
    expect(choice.positives).toBe(3);
    expect(choice.negatives).toBe(3);
    expect(choice.curve.map((p) => [p.threshold, p.kept])).toEqual([
      [0.9, 1],
      [0.8, 2],
      [0.7, 3],
      [0.6, 5],
      [0.1, 6],
    ]);
    // At 0.8: P = 1, R = 2/3, F1 = 0.8; at 0.6: P = 3/5, R = 1, F1 = 0.75.
    expect(choice.bestF1).toEqual({ threshold: 0.8, kept: 2, precision: 1, recall: 2 / 3, f1: expect.closeTo(0.8, 12) });
  });

  it("finds the lowest threshold reaching a target precision, or none", () => {
    expect(chooseThreshold(points, { targetPrecision: 0.6 }).atTargetPrecision?.threshold).toBe(0.6);
    expect(chooseThreshold(points, { targetPrecision: 0.99 }).atTargetPrecision?.threshold).toBe(0.8);
    expect(chooseThreshold([{ score: 1, relevant: false }], { targetPrecision: 0.5 }).atTargetPrecision).toBeUndefined();
  });

  it("measures recall against a given total of relevant documents", () => {
    const choice = chooseThreshold(points, { totalRelevant: 6 });
    expect(choice.curve.at(-1)?.recall).toBe(0.5);
    expect(() => chooseThreshold(points, { totalRelevant: 2 })).toThrow("`totalRelevant` (2) must be an integer ≥ the relevant points (3)");
  });

  it("rejects non-finite scores and a target precision outside 0–1", () => {
    expect(() => chooseThreshold([{ score: Number.NaN, relevant: true }])).toThrow("every score must be a finite number, got NaN");
    expect(() => chooseThreshold(points, { targetPrecision: 2 })).toThrow("between 0 and 1");
    expect(chooseThreshold([]).bestF1).toBeUndefined();
  });
});

describe("labelledScores", () => {
  const result = {
    relThreshold: 2,
    configurations: [{ name: "ce" }],
    perQuery: [
      {
        queryId: "q1",
        configurations: {
          ce: { ranking: [{ docId: "a", score: 3, label: 2 }, { docId: "b", score: 1, label: 1 }, { docId: "c" }, { docId: "d", score: 0 }] },
        },
      },
    ],
  } as unknown as EvaluationResult;

  it("labels scored documents with the evaluation's relevance threshold (or another)", () => {
    expect(labelledScores(result, "ce")).toEqual([
      { queryId: "q1", score: 3, relevant: true },
      { queryId: "q1", score: 1, relevant: false },
      { queryId: "q1", score: 0, relevant: false },
    ]);
    expect(labelledScores(result, "ce", 1).map((p) => p.relevant)).toEqual([true, true, false]);
    expect(() => labelledScores(result, "bm25")).toThrow('no configuration "bm25"; the evaluation has "ce"');
  });

  it("counts an unjudged document as not relevant even at relThreshold 0", () => {
    expect(labelledScores(result, "ce", 0).map((p) => p.relevant)).toEqual([true, true, false]);
    expect(() => labelledScores(result, "ce", Number.NaN)).toThrow(/labelledScores: `relThreshold` must be a finite number/);
  });
});
