import { Document } from "@langchain/core/documents";
import { describe, expect, it } from "vitest";
import {
  CalibratedCrossEncoder,
  type Calibration,
  CrossEncoderReranker,
  type CrossEncoder,
  InvalidOptionError,
  MultiFactorReranker,
  RelevanceThresholdFilter,
  RerankError,
  type TextPair,
} from "../../src/index.js";

/** Scores each text by a number in it: "doc 3.5" scores 3.5. */
class NumberScorer implements CrossEncoder {
  constructor(
    readonly cacheKey?: string,
    readonly modelName?: string,
    readonly scoreMode?: "sigmoid" | "raw",
  ) {}
  async score(pairs: readonly TextPair[]): Promise<number[]> {
    return pairs.map(([, text]) => Number(text.split(" ")[1]));
  }
}

const calibration = (map: Calibration["map"], model: Partial<Calibration["model"]> = { modelName: "numbers" }): Calibration => ({
  format: "langchain-rerank/calibration@1",
  model: { scoreMode: null, ...model },
  relevantLabel: 1,
  map,
});
const PLATT = { method: "platt" as const, input: "score" as const, slope: 2, intercept: -3 };
// Flat between 2 and 4: scores 2, 3 and 4 all get 0.5.
const ISOTONIC = { method: "isotonic" as const, x: [0, 2, 4, 6], y: [0, 0.5, 0.5, 1] };
const docs = (scores: number[]) => scores.map((s, i) => new Document({ id: `d${i}`, pageContent: `doc ${s}` }));

describe("CalibratedCrossEncoder", () => {
  it("turns scores into the calibration's P(relevant), in input order", async () => {
    const scorer = new CalibratedCrossEncoder({ model: new NumberScorer(undefined, "numbers"), calibration: calibration(PLATT) });
    const p = await scorer.score([
      ["q", "doc 1.5"],
      ["q", "doc 0"],
      ["q", "doc 3"],
    ]);
    [0.5, 1 / (1 + Math.exp(3)), 1 / (1 + Math.exp(-3))].forEach((expected, i) => expect(p[i]).toBeCloseTo(expected, 15));
    expect(scorer.modelName).toBe("numbers");
  });

  it("refuses a calibration fitted for another model (cacheKey, else modelName) or score mode, saying so", () => {
    const make = (scorer: CrossEncoder, c: Calibration) => () => new CalibratedCrossEncoder({ model: scorer, calibration: c });
    expect(make(new NumberScorer("key-B"), calibration(PLATT, { cacheKey: "key-A" }))).toThrow(
      /fitted for another model or score mode \(cacheKey "key-A"\), not this scorer \(cacheKey "key-B"\)/,
    );
    expect(make(new NumberScorer(undefined, "numbers"), calibration(PLATT, { cacheKey: "key-A" }))).toThrow(/not this scorer \(cacheKey none\)/);
    expect(make(new NumberScorer(undefined, "other"), calibration(PLATT))).toThrow(
      /fitted for another model \("numbers"\), not this scorer \("other"\)/,
    );
    expect(make(new NumberScorer("k", "numbers", "raw"), calibration(PLATT, { cacheKey: "k", scoreMode: "sigmoid" }))).toThrow(
      /fitted for score mode "sigmoid", but the scorer scores in "raw"/,
    );
    expect(make(new NumberScorer(), calibration(PLATT, { modelName: undefined }))).toThrow(/names no model/);
    expect(make(new NumberScorer("k"), calibration(PLATT, { cacheKey: "k" }))).not.toThrow();
  });

  it("refuses what is not a calibration, or a map that is not monotone", () => {
    const scorer = new NumberScorer(undefined, "numbers");
    const make = (c: unknown) => () => new CalibratedCrossEncoder({ model: scorer, calibration: c as Calibration });
    expect(make(null)).toThrow(InvalidOptionError);
    expect(make({ ...calibration(PLATT), format: "x" })).toThrow(/not a calibration/);
    expect(make(calibration({ ...PLATT, slope: -1 }))).toThrow(/finite positive `slope`/);
    expect(make(calibration({ method: "isotonic", x: [0, 1], y: [0.6, 0.4] }))).toThrow(/`y` never decrease/);
    expect(make(calibration({ method: "isotonic", x: [0, 0], y: [0.1, 0.4] }))).toThrow(/`x` must increase/);
  });

  it("refuses a NaN score from the scorer instead of passing it on", async () => {
    const scorer = new CalibratedCrossEncoder({ model: new NumberScorer(undefined, "numbers"), calibration: calibration(PLATT) });
    await expect(scorer.score([["q", "doc x"]])).rejects.toThrow(RerankError);
    await expect(scorer.score([["q", "doc x"]])).rejects.toThrow(/the scorer returned the number NaN, not a finite score/);
  });

  it("keeps the scorer's windows in scoreDetailed, and a cacheKey apart from the scorer's", async () => {
    const inner = Object.assign(new NumberScorer("k"), {
      scoreDetailed: async (pairs: readonly TextPair[]) => pairs.map(() => ({ score: 1.5, chunk: { start: 0, end: 3 } })),
    });
    const scorer = new CalibratedCrossEncoder({ model: inner, calibration: calibration(PLATT, { cacheKey: "k" }) });
    expect(await scorer.scoreDetailed([["q", "doc 9"]])).toEqual([{ score: 0.5, chunk: { start: 0, end: 3 } }]);
    expect(scorer.cacheKey).not.toBe("k");
    expect(scorer.cacheKey).toContain('"k"');
  });
});

describe("with CrossEncoderReranker, RelevanceThresholdFilter and MultiFactorReranker", () => {
  const rerank = async (map: Calibration["map"] | undefined, scores: number[]) => {
    const scorer = new NumberScorer(undefined, "numbers");
    const model = map ? new CalibratedCrossEncoder({ model: scorer, calibration: calibration(map) }) : scorer;
    const out = await new CrossEncoderReranker({ model, topN: scores.length }).compressDocuments(docs(scores), "q");
    return out.map((d) => d.id);
  };

  it("Platt (strictly increasing) never changes the ranking", async () => {
    const scores = [0.5, 3, 1.2, 5, 2.2, 0.1];
    expect(await rerank(PLATT, scores)).toEqual(await rerank(undefined, scores));
  });

  it("isotonic ties (a flat step) stay in first-stage order; across steps the order is the scores'", async () => {
    // Raw order: 5 (d4), 3.5 (d0), 3 (d3), 2.5 (d2), 1 (d1). 3.5, 3 and 2.5 all map to 0.5: first-stage order d0, d2, d3.
    expect(await rerank(undefined, [3.5, 1, 2.5, 3, 5])).toEqual(["d4", "d0", "d3", "d2", "d1"]);
    expect(await rerank(ISOTONIC, [3.5, 1, 2.5, 3, 5])).toEqual(["d4", "d0", "d2", "d3", "d1"]);
  });

  it("RelevanceThresholdFilter({ threshold: 0.5 }) keeps what is at least as likely relevant as not", async () => {
    const scorer = new CalibratedCrossEncoder({ model: new NumberScorer(undefined, "numbers"), calibration: calibration(PLATT) });
    const filter = new RelevanceThresholdFilter({ reranker: new CrossEncoderReranker({ model: scorer, topN: 10 }), threshold: 0.5 });
    const kept = await filter.compressDocuments(docs([0.5, 3, 1.2, 1.5, 2.2]), "q");
    expect(kept.map((d) => d.pageContent)).toEqual(["doc 3", "doc 2.2", "doc 1.5"]);
    expect(kept.at(-1)?.metadata.relevanceScore).toBe(0.5);
  });

  it("MultiFactorReranker mixes the probabilities as they are with normalize { relevance: 'none' } (min-max would rescale them)", async () => {
    const scorer = new CalibratedCrossEncoder({ model: new NumberScorer(undefined, "numbers"), calibration: calibration(PLATT) });
    const mix = (normalize?: Record<string, "none">) =>
      new MultiFactorReranker({ reranker: scorer, weights: { relevance: 1, firstStageRank: 1 }, topN: 3, ...(normalize ? { normalize } : {}) });
    const relevance = async (normalize?: Record<string, "none">) =>
      (await mix(normalize).compressDocuments(docs([1.5, 3]), "q")).map((d) => [d.pageContent, d.metadata.rankingFactors.relevance]).sort();
    expect(await relevance({ relevance: "none" })).toEqual([
      ["doc 1.5", 0.5],
      ["doc 3", 1 / (1 + Math.exp(-3))],
    ]);
    expect(await relevance()).toEqual([
      ["doc 1.5", 0],
      ["doc 3", 1],
    ]);
  });
});
