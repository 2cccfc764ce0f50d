import { Document } from "@langchain/core/documents";
import { RunCollectorCallbackHandler } from "@langchain/core/tracers/run_collector";
import { describe, expect, it, vi } from "vitest";
import { InvalidOptionError, RerankError } from "../../src/errors.js";
import { CrossEncoderReranker, MultiFactorReranker, type CrossEncoder, type TextPair } from "../../src/index.js";

// vi.waitFor polls for a state another task reaches; generous, as a loaded CI machine can be slow (not a time bound).
const PATIENT = { timeout: 60_000, interval: 5 };

const NOW = Date.parse("2026-06-01T00:00:00Z");
const DAY = 86_400_000;
const now = () => new Date(NOW);

/** Relevance (0–1) falls with the letter, age rises with it: relevance and recency disagree. */
const docs = () => [
  new Document({ id: "a", pageContent: "alpha", metadata: { relevanceScore: 0.9, publishedAt: new Date(NOW - 300 * DAY), reliability: 0.2 } }),
  new Document({
    id: "b",
    pageContent: "beta",
    metadata: { relevanceScore: 0.8, publishedAt: new Date(NOW - 30 * DAY).toISOString(), reliability: 0.9 },
  }),
  new Document({ id: "c", pageContent: "gamma", metadata: { relevanceScore: 0.3, publishedAt: NOW - 1 * DAY, reliability: 0.5 } }),
];
const recency = { field: "publishedAt", halfLifeDays: 30, now };

class CountingScorer implements CrossEncoder {
  readonly calls: TextPair[][] = [];
  constructor(private readonly scores: Record<string, number>) {}
  async score(pairs: readonly TextPair[]): Promise<number[]> {
    this.calls.push([...pairs]);
    return pairs.map(([, text]) => this.scores[text] ?? 0);
  }
}

const ids = (out: { id?: string }[]) => out.map((d) => d.id);

describe("MultiFactorReranker", () => {
  it("orders change with the weights: relevance alone, recency alone, a mix", async () => {
    const run = (weights: Record<string, number>) => new MultiFactorReranker({ weights, recency, topN: 3 }).compressDocuments(docs(), "q");
    expect(ids(await run({ relevance: 1 }))).toEqual(["a", "b", "c"]);
    expect(ids(await run({ recency: 1 }))).toEqual(["c", "b", "a"]);
    // relevance min-max: a 1, b 0.833, c 0; recency: a 0.001, b 0.5, c 0.977. The even mix: b 0.667, a 0.500, c 0.489.
    const mixed = await run({ relevance: 0.5, recency: 0.5 });
    expect(ids(mixed)).toEqual(["b", "a", "c"]);
    [(5 / 6 + 0.5) / 2, (1 + 0.5 ** 10) / 2, 0.5 ** (1 / 30) / 2].forEach((expected, i) =>
      expect(mixed[i]!.metadata.finalScore).toBeCloseTo(expected, 12),
    );
  });

  it("records the recency factor before weighting: 0.5 at one half-life, 0.25 at two; final score and factors in metadata", async () => {
    const input = [
      new Document({ pageContent: "one", metadata: { relevanceScore: 0.5, publishedAt: new Date(NOW - 30 * DAY) } }),
      new Document({ pageContent: "two", metadata: { relevanceScore: 0.5, publishedAt: "2026-04-02T00:00:00Z" } }), // 60 days
      new Document({ pageContent: "new", metadata: { relevanceScore: 0.5, publishedAt: NOW + 5 * DAY } }), // future: 1
    ];
    const out = await new MultiFactorReranker({ weights: { relevance: 0.8, recency: 0.2 }, recency, topN: 3 }).compressDocuments(input, "q");
    const byText = Object.fromEntries(out.map((d) => [d.pageContent, d.metadata]));
    expect(byText.one!.rankingFactors.recency).toBe(0.5);
    expect(byText.two!.rankingFactors.recency).toBe(0.25);
    expect(byText.new!.rankingFactors.recency).toBe(1);
    // relevance is constant → min-max gives 1 to all; final = 0.8·1 + 0.2·recency
    expect(byText.one!.finalScore).toBeCloseTo(0.9, 12);
    expect(out.map((d) => d.pageContent)).toEqual(["new", "one", "two"]);
  });

  it("normalises logits and 0–1 signals so neither swamps the other (min-max relevance by default)", async () => {
    const input = [
      new Document({ id: "x", pageContent: "x", metadata: { relevanceScore: 9, reliability: 0.1 } }),
      new Document({ id: "y", pageContent: "y", metadata: { relevanceScore: 3, reliability: 1 } }),
      new Document({ id: "z", pageContent: "z", metadata: { relevanceScore: -8, reliability: 0.5 } }),
    ];
    const signals = { reliability: (d: Document) => d.metadata.reliability as number };
    const out = await new MultiFactorReranker({ weights: { relevance: 0.5, reliability: 0.5 }, signals, topN: 3 }).compressDocuments(input, "q");
    expect(out.map((d) => d.metadata.rankingFactors.relevance)).toEqual([11 / 17, 1, 0]);
    expect(ids(out)).toEqual(["y", "x", "z"]); // raw logits would have let x win on relevance alone
    const sig = await new MultiFactorReranker({ weights: { relevance: 1 }, normalize: { relevance: "sigmoid" }, topN: 1 }).compressDocuments(
      input,
      "q",
    );
    expect(sig[0]!.metadata.rankingFactors.relevance).toBeCloseTo(1 / (1 + Math.exp(-9)), 12);
  });

  it("first-stage evidence: reciprocal rank (from metadata or input position) and the first-stage score", async () => {
    const input = [
      new Document({ id: "p", pageContent: "p", metadata: { retrievalRank: 4, bm25Score: 2 } }),
      new Document({ id: "q", pageContent: "q", metadata: { bm25Score: 12 } }), // no rank: its position, 2
    ];
    const out = await new MultiFactorReranker({
      weights: { firstStageRank: 1, firstStageScore: 1 },
      firstStageScoreKey: "bm25Score",
      topN: 2,
    }).compressDocuments(input, "q");
    expect(out.map((d) => d.metadata.rankingFactors)).toEqual([
      { firstStageRank: 0.5, firstStageScore: 1 },
      { firstStageRank: 0.25, firstStageScore: 0 },
    ]);
    expect(out.map((d) => d.metadata.retrievalRank)).toEqual([2, 4]);
  });

  it("a missing value is an error naming the document and the factor, unless the policy says skip or fill", async () => {
    const input = docs();
    (input[1]!.metadata as Record<string, unknown>).relevanceScore = null;
    const weights = { relevance: 0.5, recency: 0.5 };
    const error = await new MultiFactorReranker({ weights, recency }).compressDocuments(input, "q").catch((e) => e);
    expect(error).toBeInstanceOf(RerankError);
    expect(error.message).toBe(
      'MultiFactorReranker: document 1 (id "b") has no relevance score (metadata.relevanceScore); set `missing.relevance` to "skip" (rank it by its other factors) or a fill value if that is expected.',
    );
    const skipped = await new MultiFactorReranker({ weights, recency, missing: { relevance: "skip" }, topN: 3 }).compressDocuments(input, "q");
    const b = skipped.find((d) => d.id === "b")!;
    expect(b.metadata.rankingFactors).toEqual({ recency: 0.5 });
    expect(b.metadata.finalScore).toBe(0.5); // the mean of the factors it has
    const filled = await new MultiFactorReranker({ weights, recency, missing: { relevance: 0 }, topN: 3 }).compressDocuments(input, "q");
    expect(filled.find((d) => d.id === "b")!.metadata.rankingFactors).toEqual({ relevance: 0, recency: 0.5 });
  });

  it("a bad date or a non-finite value is a clear error naming the document and the field, whatever the policy", async () => {
    const input = docs();
    input[2]!.metadata.publishedAt = "last tuesday";
    await expect(
      new MultiFactorReranker({ weights: { recency: 1 }, recency, missing: { recency: "skip" } }).compressDocuments(input, "q"),
    ).rejects.toThrow(
      'MultiFactorReranker: document 2 (id "c"): metadata.publishedAt is "last tuesday", not a date; give a Date, an ISO 8601 string or epoch milliseconds.',
    );
    const nan = docs();
    nan[0]!.metadata.relevanceScore = Number.NaN;
    await expect(new MultiFactorReranker({ weights: { relevance: 1 } }).compressDocuments(nan, "q")).rejects.toThrow(
      'document 0 (id "a"): the relevance score (metadata.relevanceScore) is NaN, not a finite number.',
    );
    const signals = { reliability: () => Number.POSITIVE_INFINITY };
    await expect(new MultiFactorReranker({ weights: { reliability: 1 }, signals }).compressDocuments(docs(), "q")).rejects.toThrow(
      'signal "reliability" is Infinity, not a finite number.',
    );
  });

  it("never changes the caller's documents", async () => {
    const input = docs();
    const before = structuredClone(input.map((d) => ({ ...d, metadata: { ...d.metadata } })));
    const out = await new MultiFactorReranker({ weights: { relevance: 1, recency: 1 }, recency, topN: 3 }).compressDocuments(input, "q");
    expect(input.map((d) => ({ ...d, metadata: { ...d.metadata } }))).toEqual(before);
    for (const d of out) expect(input).not.toContain(d);
  });

  it("with a CrossEncoder: scores every document once and writes relevanceScore", async () => {
    const scorer = new CountingScorer({ alpha: -2, beta: 4, gamma: 1 });
    const out = await new MultiFactorReranker({ reranker: scorer, weights: { relevance: 1 }, topN: 2 }).compressDocuments(docs(), "query");
    expect(scorer.calls).toEqual([
      [
        ["query", "alpha"],
        ["query", "beta"],
        ["query", "gamma"],
      ],
    ]);
    expect(out.map((d) => [d.id, d.metadata.relevanceScore, d.metadata.retrievalRank])).toEqual([
      ["b", 4, 2],
      ["c", 1, 3],
    ]);
  });

  it("with a compressor: respects its cut, reads its scores, keeps the first-stage rank; traced as its own run with the factors", async () => {
    const scorer = new CountingScorer({ alpha: 0.1, beta: 0.8, gamma: 0.7 });
    const reranker = new CrossEncoderReranker({ model: scorer, topN: 2 });
    const input = docs().map((d, i) => new Document({ ...d, metadata: { ...d.metadata, retrievalRank: 10 + i } }));
    const final = new MultiFactorReranker({ reranker, weights: { relevance: 0.5, recency: 0.5 }, recency, topN: 2 });
    const collector = new RunCollectorCallbackHandler();
    const out = await final.compressDocuments(input, "q", [collector]);
    // a (relevance 0.1) is cut by the reranker's topN 2, so it is no candidate.
    expect(ids(out)).toEqual(["b", "c"]); // relevance b 1, c 0 (min-max of 0.8, 0.7); recency b 0.5, c 0.977
    expect(out.map((d) => d.metadata.retrievalRank)).toEqual([11, 12]);
    expect(out.map((d) => d.metadata.relevanceScore)).toEqual([0.8, 0.7]);
    const run = collector.tracedRuns[0]!;
    expect(run.name).toBe("MultiFactorReranker");
    expect(run.child_runs!.map((r) => r.name)).toEqual(["CrossEncoderReranker"]);
    expect(run.outputs!.results).toEqual(
      out.map((d) => ({ retrievalRank: d.metadata.retrievalRank, finalScore: d.metadata.finalScore, factors: d.metadata.rankingFactors })),
    );
    expect(run.inputs.weights).toEqual({ relevance: 0.5, recency: 0.5 });
  });

  it("an abort rejects at once even when its CrossEncoder or compressor ignores the signal", async () => {
    let started = 0;
    const hang = () => {
      started += 1;
      return new Promise<never>(() => {});
    };
    const ignoringScorer = { score: async () => hang() };
    class IgnoringCompressor extends CrossEncoderReranker {
      override async compressDocuments() {
        return hang();
      }
    }
    for (const reranker of [ignoringScorer, new IgnoringCompressor({ model: ignoringScorer })]) {
      const final = new MultiFactorReranker({ reranker, weights: { relevance: 1 } });
      const controller = new AbortController();
      const before = started;
      const pending = final.compressDocuments(docs(), "q", undefined, { signal: controller.signal });
      await vi.waitFor(() => expect(started).toBe(before + 1), PATIENT);
      controller.abort(new Error("caller gave up"));
      await expect(pending).rejects.toThrow("caller gave up");
    }
  });

  it("rejects bad options naming the option", () => {
    const make = (o: object) => () => new MultiFactorReranker(o as never);
    expect(make({})).toThrow(/`weights` is required/);
    expect(make({ weights: { relevence: 1 } })).toThrow(/unknown factor "relevence"/);
    expect(make({ weights: { relevance: -1 } })).toThrow(/`weights.relevance` must be ≥ 0/);
    expect(make({ weights: { relevance: 0 } })).toThrow(/at least one weight must be above 0/);
    expect(make({ weights: { recency: 1 } })).toThrow(/needs `recency: \{ field, halfLifeDays \}`/);
    expect(make({ weights: { relevance: 1 }, recency: { field: "d", halfLifeDays: 0 } })).toThrow(/halfLifeDays` > 0/);
    expect(make({ weights: { relevance: 1 }, signals: { conf: () => 1 } })).toThrow(/signal "conf" has no weight/);
    expect(make({ weights: { relevance: 1 }, normalize: { relevance: "zscore" } })).toThrow(InvalidOptionError);
    expect(make({ weights: { relevance: 1 }, missing: { relevance: "zero" } })).toThrow(
      /`missing.relevance` must be "error", "skip" or a finite fill value/,
    );
    expect(make({ weights: { recency: 1 }, recency, reranker: new CountingScorer({}) })).toThrow(/`weights` has no `relevance`/);
    // One key for two values: the final score would overwrite the relevance score, or a rank hold a score.
    expect(make({ weights: { relevance: 1 }, finalScoreKey: "relevanceScore" })).toThrow(/`scoreKey` and `finalScoreKey` are both "relevanceScore"/);
    expect(make({ weights: { relevance: 1 }, finalScoreKey: "retrievalRank" })).toThrow(/`rankKey` and `finalScoreKey` are both "retrievalRank"/);
    expect(make({ weights: { relevance: 1 }, factorsKey: "finalScore" })).toThrow(/`finalScoreKey` and `factorsKey` are both "finalScore"/);
  });
});
