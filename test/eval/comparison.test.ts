import { Document } from "@langchain/core/documents";
import { describe, expect, it } from "vitest";
import { compareAll, compareConfigurations, compareRuns, cutRun } from "../../src/eval/comparison.js";
import { evaluate } from "../../src/eval/evaluate.js";
import type { Run } from "../../src/eval/stats/metrics.js";
import { pairedTTest, permutationTest } from "../../src/eval/stats/significance.js";

const values = (rows: Record<string, Record<string, number | undefined>>) => new Map(Object.entries(rows));

describe("compareAll: per-query alignment and the family correction", () => {
  it("pairs queries by id, whatever their order, and tests every measure", () => {
    const base = values({ q1: { m: 0.2 }, q2: { m: 0.5 }, q3: { m: 0.1 } });
    const run = values({ q3: { m: 0.4 }, q1: { m: 0.3 }, q2: { m: 0.5 } });
    const set = compareAll({ name: "base", perQuery: base }, [{ name: "run", perQuery: run }], ["m"], { bootstrapSamples: 100 });
    const [m] = set.comparisons[0]?.measures ?? [];
    expect(m?.differences).toEqual([
      { queryId: "q1", difference: expect.closeTo(0.1, 12) },
      { queryId: "q2", difference: 0 },
      { queryId: "q3", difference: expect.closeTo(0.3, 12) },
    ]);
    expect(m).toMatchObject({ queries: 3, wins: 2, ties: 1, losses: 0, difference: expect.closeTo(0.4 / 3, 12) });
    expect(m?.tTest).toEqual(pairedTTest([0.3, 0.5, 0.4], [0.2, 0.5, 0.1]));
    expect(m?.permutation).toEqual(permutationTest([0.3, 0.5, 0.4], [0.2, 0.5, 0.1]));
    expect(set).toMatchObject({ baseline: "base", alpha: 0.05, correction: "holm-bonferroni", family: 1, markerTest: "randomisation" });
  });

  it("counts a query a run lacks as 0 (trec_eval -c) and lists it", () => {
    const base = values({ q1: { m: 0.5 }, q2: { m: 0.5 } });
    const run = values({ q1: { m: 0.7 } });
    const c = compareAll({ name: "base", perQuery: base }, [{ name: "run", perQuery: run }], ["m"], { bootstrapSamples: 10 }).comparisons[0];
    expect(c?.missingFromRun).toEqual(["q2"]);
    expect(c?.missingFromBaseline).toEqual([]);
    expect(c?.measures[0]).toMatchObject({ queries: 2, mean: 0.35, baselineMean: 0.5, wins: 1, losses: 1 });
  });

  it("leaves a query out of a measure that is undefined for it, and says which", () => {
    const base = values({ q1: { a: 0.5, b: 0.1 }, q2: { a: 0.4, b: Number.NaN }, q3: { a: 0.2, b: 0.3 } });
    const run = values({ q1: { a: 0.6, b: 0.2 }, q2: { a: 0.4, b: 0.9 }, q3: { a: 0.1 } });
    const [a, b] =
      compareAll({ name: "base", perQuery: base }, [{ name: "run", perQuery: run }], ["a", "b"], { bootstrapSamples: 10 }).comparisons[0]?.measures ??
      [];
    expect(a).toMatchObject({ queries: 3, undefinedFor: [] });
    expect(b).toMatchObject({ queries: 1, undefinedFor: ["q2", "q3"], difference: expect.closeTo(0.1, 12) });
    expect(b?.tTest.pValue).toBe(1); // one query: no test
  });

  it("identical runs: difference 0, p = 1 for both tests, every query tied, no NaN anywhere", () => {
    const same = values({ q1: { m: 0.3 }, q2: { m: 0.6 } });
    const set = compareAll({ name: "base", perQuery: same }, [{ name: "copy", perQuery: same }], ["m"]);
    const m = set.comparisons[0]?.measures[0];
    expect(m).toMatchObject({ difference: 0, sdDifference: 0, wins: 0, ties: 2, losses: 0, significant: null });
    expect([m?.tTest.pValue, m?.permutation.pValue, m?.holm.tTest, m?.holm.permutation]).toEqual([1, 1, 1, 1]);
    expect(m?.interval).toMatchObject({ lower: 0, upper: 0 });
    expect(JSON.stringify(set).replace('"significant":null', "")).not.toMatch(/null|NaN|Infinity/); // JSON writes NaN as null
  });

  it("Holm-adjusts over every run × measure and marks only what survives the correction", () => {
    // 12 queries all better by 0.1: exact randomisation p = 2/2^12 each; 3 measures × 2 runs = 6 comparisons.
    const base = values(Object.fromEntries(Array.from({ length: 12 }, (_, i) => [`q${i}`, { x: 0.2, y: 0.3, z: 0.4 }])));
    const better = values(Object.fromEntries(Array.from({ length: 12 }, (_, i) => [`q${i}`, { x: 0.3, y: 0.4, z: 0.4 + (i % 2 ? 0.1 : -0.1) }])));
    const worse = values(Object.fromEntries(Array.from({ length: 12 }, (_, i) => [`q${i}`, { x: 0.1, y: 0.3, z: 0.4 }])));
    const set = compareAll(
      { name: "base", perQuery: base },
      [
        { name: "better", perQuery: better },
        { name: "worse", perQuery: worse },
      ],
      ["x", "y", "z"],
      { bootstrapSamples: 100 },
    );
    expect(set.family).toBe(6);
    const [b, w] = set.comparisons;
    expect(b?.measures.map((m) => m.significant)).toEqual(["better", "better", null]);
    expect(w?.measures.map((m) => m.significant)).toEqual(["worse", null, null]);
    expect(b?.measures[0]?.permutation.pValue).toBe(2 / 4096);
    expect(b?.measures[0]?.holm.permutation).toBeCloseTo(6 * (2 / 4096), 15); // the smallest p of 6, times 6
    // With a stricter alpha nothing survives.
    const strict = compareAll({ name: "base", perQuery: base }, [{ name: "better", perQuery: better }], ["x"], {
      alpha: 0.0001,
      bootstrapSamples: 10,
    });
    expect(strict.comparisons[0]?.measures[0]?.significant).toBeNull();
  });

  it("rejects bad options with the fix", () => {
    const v = values({ q1: { m: 1 } });
    expect(() => compareAll({ name: "b", perQuery: v }, [{ name: "r", perQuery: v }], ["m"], { alpha: 5 })).toThrow(
      /`alpha` must lie strictly between 0 and 1/,
    );
    expect(() => compareAll({ name: "b", perQuery: v }, [{ name: "r", perQuery: v }], [])).toThrow(/no measures given/);
    expect(() => compareAll({ name: "b", perQuery: v }, [{ name: "r", perQuery: v }], ["ndcg@10"])).toThrow(/ndcg@10 is defined for no query/);
    expect(() => compareAll({ name: "b", perQuery: v }, [{ name: "r", perQuery: v }], ["m"], { seed: -1 })).toThrow(/`seed` must be an integer ≥ 0/);
  });
});

describe("compareRuns and compareConfigurations", () => {
  const qrels = new Map([
    ["q1", new Map([["d1", 1]])],
    ["q2", new Map([["d2", 1]])],
    ["q3", new Map([["d3", 1]])],
  ]);
  const run = (rows: Record<string, string[]>): Run =>
    new Map(Object.entries(rows).map(([q, ids]) => [q, ids.map((docId, i) => ({ docId, score: ids.length - i }))]));

  it("scores both runs as trec_eval -c: a judged query missing from a run is 0, and listed", () => {
    const base = run({ q1: ["d1", "x"], q2: ["x", "d2"], q3: ["x", "y"] });
    const other = run({ q1: ["d1", "x"], q2: ["d2", "x"] }); // q3 missing
    const set = compareRuns(base, other, qrels, { measures: ["rr@10"], names: { baseline: "bm25", run: "new" } });
    const c = set.comparisons[0];
    expect(c).toMatchObject({ baseline: "bm25", name: "new", queries: 3, missingFromRun: ["q3"], missingFromBaseline: [] });
    expect(c?.measures[0]).toMatchObject({ baselineMean: 0.5, mean: expect.closeTo(2 / 3, 12), wins: 1, ties: 2, losses: 0 });
  });

  it("cuts both runs at depth in trec_eval order", () => {
    const base = run({ q1: ["x", "d1"], q2: ["x", "d2"], q3: ["x", "d3"] });
    expect(cutRun(base, 1).get("q1")).toEqual([{ docId: "x", score: 2 }]);
    const set = compareRuns(base, base, qrels, { measures: ["recall@100"], depth: 1 });
    expect(set.comparisons[0]?.measures[0]).toMatchObject({ baselineMean: 0, mean: 0, ties: 3 });
  });

  it("compares an evaluation's configurations with the first, or with a named one", async () => {
    const queries = new Map([
      ["q1", "one"],
      ["q2", "two"],
      ["q3", "three"],
    ]);
    const retriever = { invoke: async () => ["x", "d1", "d2", "d3"].map((id) => new Document({ id, pageContent: id })) };
    const reverse = { compressDocuments: async (docs: Document[]) => [...docs].reverse() };
    const result = await evaluate({
      queries,
      qrels,
      retriever,
      configurations: [{ name: "none" }, { name: "rev", compressor: reverse }],
      metrics: ["rr@10"],
    });
    expect(compareConfigurations(result, { bootstrapSamples: 10 }).comparisons.map((c) => `${c.name} vs ${c.baseline}`)).toEqual(["rev vs none"]);
    const named = compareConfigurations(result, { baseline: "rev", bootstrapSamples: 10 });
    expect(named.comparisons.map((c) => `${c.name} vs ${c.baseline}`)).toEqual(["none vs rev"]);
    expect(() => compareConfigurations(result, { baseline: "bm25" })).toThrow(/No configuration named "bm25": expected one of "none", "rev"/);
  });
});
