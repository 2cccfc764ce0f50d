import { ContextualCompressionRetriever } from "@langchain/classic/retrievers/contextual_compression";
import { DocumentCompressorPipeline } from "@langchain/classic/retrievers/document_compressors";
import { Document } from "@langchain/core/documents";
import { describe, expect, it } from "vitest";
import { CrossEncoderReranker } from "../../src/index.js";
import { RerankMonitor } from "../../src/monitor.js";
import { DESIGNED, ListRetriever, SIX, tableScorer } from "./support.js";

const designedRetriever = (delayMs?: () => number) =>
  new ContextualCompressionRetriever({
    baseRetriever: new ListRetriever(DESIGNED.lists),
    baseCompressor: new CrossEncoderReranker({ model: tableScorer(DESIGNED.table, delayMs), topN: 3 }),
  });

describe("RerankMonitor on a ContextualCompressionRetriever (hand-computed cases)", () => {
  it("agreement, overlap@k, τ-b, depth and score quantiles equal the hand computation", async () => {
    const monitor = new RerankMonitor({ overlapAt: [3, 5] });
    const retriever = designedRetriever();
    for (const query of ["A", "B", "C"]) await retriever.invoke(query, { callbacks: [monitor] });
    const summary = monitor.summary();
    expect(summary.queries).toBe(3);
    expect(monitor.queries().map((q) => q.ranks)).toEqual([DESIGNED.ranks.A, DESIGNED.ranks.B, DESIGNED.ranks.C]);
    // Top document the first stage's: only B.
    expect(summary.agreement.topSame).toEqual({ rate: 1 / 3, of: 3 });
    // τ-b of positions 1..3 against the ranks: A (2,1,5) 1/3, B 1, C (6,5,4) −1 → mean 1/9.
    expect(summary.agreement.tauB.of).toBe(3);
    expect(summary.agreement.tauB.mean).toBeCloseTo(1 / 9, 12);
    expect(summary.agreement.sameOrder).toEqual({ rate: 1 / 3, of: 3 });
    // Overlap@3: A {2,1} 2/3, B {1,3} 2/3, C {} 0 → 4/9. Overlap@5 is undefined: only 3 kept.
    expect(summary.agreement.overlapAtK["3"]!.mean).toBeCloseTo(4 / 9, 12);
    expect(summary.agreement.overlapAtK["5"]).toEqual({ mean: null, of: 0 });
    // Depth: the nine picks sorted are 1 1 2 3 4 4 5 5 6.
    expect(summary.depth.picks).toBe(9);
    expect(summary.depth.quantiles).toEqual({ p25: 2, p50: 4, p75: 5 });
    expect(summary.depth.covering).toEqual({ p90: 6, p95: 6, p99: 6 });
    expect(summary.depth.candidates).toEqual({ p50: 6, max: 6 });
    expect(summary.depth.histogram).toEqual([
      { from: 1, to: 1, count: 2 },
      { from: 2, to: 2, count: 1 },
      { from: 3, to: 3, count: 1 },
      { from: 4, to: 5, count: 4 },
      { from: 6, to: 10, count: 1 },
    ]);
    // Kept scores sorted: .175 .2 .225 .35 .4 .45 .7 .8 .9; the sketch is within 1% of ranks ⌊q·8⌋.
    const [stage] = summary.stages;
    expect(stage!.name).toBe("CrossEncoderReranker");
    expect(stage!.runs).toBe(3);
    expect(stage!.scores.scoreKey).toBe("relevanceScore");
    expect(stage!.scores.values).toBe(9);
    for (const [got, exact] of [
      [stage!.scores.p10, 0.175],
      [stage!.scores.p50, 0.4],
      [stage!.scores.p90, 0.8],
    ] as const) {
      expect(Math.abs(got! - exact)).toBeLessThanOrEqual(0.01 * exact);
    }
  });

  it("times the first stage and each stage, and the rerank's share of retrieval time", async () => {
    const monitor = new RerankMonitor();
    await designedRetriever(() => 20).invoke("A", { callbacks: [monitor] });
    const [record] = monitor.queries();
    expect(record!.root).toBe("ContextualCompressionRetriever");
    expect(record!.stages[0]!.ms).toBeGreaterThanOrEqual(15);
    expect(record!.rerankMs).toBe(record!.stages[0]!.ms);
    expect(record!.totalMs).toBeGreaterThanOrEqual(record!.rerankMs + record!.firstStageMs!);
    expect(record!.rerankShare).toBeCloseTo(record!.rerankMs / record!.totalMs, 12);
    const summary = monitor.summary();
    expect(summary.latencyMs.rerank.of).toBe(1);
    expect(Math.abs(summary.latencyMs.rerank.p50! - record!.rerankMs)).toBeLessThanOrEqual(0.01 * record!.rerankMs);
    expect(summary.rerankShare.pooled).toBeCloseTo(record!.rerankShare!, 12);
  });

  it("never changes a result: the same documents with and without the monitor", async () => {
    const retriever = designedRetriever();
    const plain = await retriever.invoke("A");
    const monitored = await retriever.invoke("A", { callbacks: [new RerankMonitor()] });
    expect(monitored).toEqual(plain);
  });

  it("counts concurrent queries apart (30 interleaved calls with random delays)", async () => {
    const monitor = new RerankMonitor({ sampleSize: 100 });
    const retriever = designedRetriever(() => Math.random() * 10);
    const queries = Array.from({ length: 30 }, (_, i) => (["A", "B", "C"] as const)[i % 3]!);
    await Promise.all(queries.map((query) => retriever.invoke(query, { callbacks: [monitor] })));
    const summary = monitor.summary();
    expect(summary.queries).toBe(30);
    expect(summary.agreement.topSame).toEqual({ rate: 1 / 3, of: 30 });
    expect(summary.agreement.tauB.mean).toBeCloseTo(1 / 9, 12);
    expect(summary.depth.picks).toBe(90);
    // Each record is one query's own ranks, never a mix.
    const designs = [DESIGNED.ranks.A, DESIGNED.ranks.B, DESIGNED.ranks.C].map((r) => JSON.stringify(r));
    for (const record of monitor.queries()) expect(designs).toContain(JSON.stringify(record.ranks));
  });

  it("counts each input of `batch` as a query", async () => {
    const monitor = new RerankMonitor();
    await designedRetriever().batch(["A", "B", "C"], { callbacks: [monitor] });
    expect(monitor.summary().agreement.topSame).toEqual({ rate: 1 / 3, of: 3 });
  });

  it("attached with withConfig, it sees every call; in a constructor's callbacks only the retriever's own run (LangChain's rule)", async () => {
    const monitor = new RerankMonitor();
    await designedRetriever()
      .withConfig({ callbacks: [monitor] })
      .invoke("A");
    const inConstructor = new ContextualCompressionRetriever({
      baseRetriever: new ListRetriever(DESIGNED.lists),
      baseCompressor: new CrossEncoderReranker({ model: tableScorer(DESIGNED.table), topN: 3 }),
      callbacks: [monitor],
    });
    await inConstructor.invoke("B");
    expect(monitor.queries().map((q) => [q.ranks, q.stages.length])).toEqual([
      [DESIGNED.ranks.A, 1],
      [DESIGNED.ranks.B, 0], // measured from the retriever's output; the stage's own run went unseen
    ]);
  });

  it("a standalone compressor is its own query (no retrieval time to share)", async () => {
    const monitor = new RerankMonitor();
    const docs = SIX.map((text) => new Document({ pageContent: text }));
    await new CrossEncoderReranker({ model: tableScorer(DESIGNED.table), topN: 3 }).compressDocuments(docs, "C", [monitor]);
    const [record] = monitor.queries();
    expect(record).toMatchObject({ root: "CrossEncoderReranker", ranks: [6, 5, 4], candidates: 6, topSame: false, tauB: -1, rerankShare: null });
  });

  it("τ-b with tied first-stage ranks (two merged first stages both put a document first)", async () => {
    const monitor = new RerankMonitor();
    const docs = [1, 1, 2, 3].map((rank, i) => new Document({ pageContent: `t${i}`, metadata: { retrievalRank: rank } }));
    const scores = { q: { t0: 0.9, t1: 0.7, t2: 0.8, t3: 0.1 } };
    await new CrossEncoderReranker({ model: tableScorer(scores), topN: 4 }).compressDocuments(docs, "q", [monitor]);
    const [record] = monitor.queries();
    // Output t0 t2 t1 t3 → ranks (1, 2, 1, 3): C = 4, D = 1, one pair tied → 3/√30.
    expect(record!.ranks).toEqual([1, 2, 1, 3]);
    expect(record!.tauB).toBeCloseTo(3 / Math.sqrt(30), 12);
  });

  it("a bare first stage is not a rerank: it is counted as skipped", async () => {
    const monitor = new RerankMonitor();
    await new ListRetriever(DESIGNED.lists).invoke("A", { callbacks: [monitor] });
    expect(monitor.summary()).toMatchObject({ queries: 0, skipped: 1 });
  });
});

describe("RerankMonitor on a cascade", () => {
  // Ten candidates d0..d9 (ranks 1..10). Stage 1 prefers higher numbers; stage 2 even ones (as test/compressors/cascade).
  const docs = Array.from({ length: 10 }, (_, i) => `d${i}`);
  const num = (text: string) => Number(text.slice(1));
  const model = (name: string, fn: (n: number) => number) => ({
    model: name,
    score: async (pairs: readonly (readonly [string, string])[]) => pairs.map(([, text]) => fn(num(text))),
  });

  it("gives each stage its agreement with the first stage and with the stage before it", async () => {
    const monitor = new RerankMonitor();
    const retriever = new ContextualCompressionRetriever({
      baseRetriever: new ListRetriever({ q: docs }),
      baseCompressor: new DocumentCompressorPipeline({
        transformers: [
          new CrossEncoderReranker({ model: model("cheap", (n) => n / 10), topN: 5 }),
          new CrossEncoderReranker({ model: model("expensive", (n) => (n % 2 === 0 ? 1 : 0) + n / 100), topN: 3 }),
        ],
      }),
    });
    const out = await retriever.invoke("q", { callbacks: [monitor] });
    expect(out.map((d) => d.pageContent)).toEqual(["d8", "d6", "d9"]);
    const [record] = monitor.queries();
    // Stage 1 keeps d9..d5 (ranks 10..6); stage 2 d8 d6 d9 (ranks 9 7 10), which stage 1 had at 2, 4, 1.
    expect(record!.stages.map((s) => [s.name, s.ranks])).toEqual([
      ["CrossEncoderReranker", [10, 9, 8, 7, 6]],
      ["CrossEncoderReranker#2", [9, 7, 10]],
    ]);
    expect(record!.stages[0]).toMatchObject({ given: 10, topSameAsFirstStage: false, tauBVsFirstStage: -1, topSameAsPreviousStage: null });
    // Stage 2 vs first stage: (9,7,10) → 1/3; vs stage 1: (2,4,1) → −1/3.
    expect(record!.stages[1]!.topSameAsPreviousStage).toBe(false);
    expect(record!.stages[1]!.tauBVsFirstStage).toBeCloseTo(1 / 3, 12);
    expect(record!.stages[1]!.tauBVsPreviousStage).toBeCloseTo(-1 / 3, 12);
    expect(record!.ranks).toEqual([9, 7, 10]);
    expect(record!.candidates).toBe(10);
    const summary = monitor.summary();
    expect(summary.stages.map((s) => s.name)).toEqual(["CrossEncoderReranker", "CrossEncoderReranker#2"]);
    expect(summary.stages[1]!.vsPreviousStage.tauB.mean).toBeCloseTo(-1 / 3, 12);
    expect(summary.stages[0]!.vsPreviousStage.topSame.of).toBe(0);
    expect(record!.rerankMs).toBeCloseTo(record!.stages[0]!.ms + record!.stages[1]!.ms, 9);
  });
});

describe("RerankMonitor's bounds, export and reset", () => {
  it("keeps a fixed-size sample, a fixed number of score windows, and no open runs after 3,000 queries", async () => {
    const monitor = new RerankMonitor({ sampleSize: 50, windowQueries: 100, windows: 5 });
    const retriever = designedRetriever();
    for (let i = 0; i < 3000; i++) await retriever.invoke((["A", "B", "C"] as const)[i % 3]!, { callbacks: [monitor] });
    const summary = monitor.summary();
    expect(summary.queries).toBe(3000);
    expect(monitor.queries()).toHaveLength(50);
    const windows = summary.stages[0]!.scoreWindows;
    expect(windows.map((w) => w.fromQuery)).toEqual([2501, 2601, 2701, 2801, 2901]);
    expect(windows.every((w) => w.values === 300)).toBe(true);
    expect(summary.agreement.topSame).toEqual({ rate: 1 / 3, of: 3000 });
    expect(monitor.openRuns).toBe(0);
  });

  it("exports JSON lines (a summary, then one line per sampled query; query texts only when asked) and resets", async () => {
    const monitor = new RerankMonitor();
    const retriever = designedRetriever();
    await retriever.invoke("A", { callbacks: [monitor] });
    const lines = monitor
      .toJSONLines()
      .trimEnd()
      .split("\n")
      .map((line) => JSON.parse(line));
    expect(lines.map((l) => l.type)).toEqual(["summary", "query"]);
    expect(lines[0].queries).toBe(1);
    expect(lines[1].ranks).toEqual([2, 1, 5]);
    expect(lines[1].query).toBeUndefined();
    const withText = new RerankMonitor({ recordQueries: true });
    await retriever.invoke("A", { callbacks: [withText] });
    expect(withText.queries()[0]!.query).toBe("A");
    monitor.reset();
    expect(monitor.summary().queries).toBe(0);
    expect(monitor.queries()).toEqual([]);
  });

  it("prints the summary and advice with the numbers beside each sentence", async () => {
    const monitor = new RerankMonitor();
    const retriever = designedRetriever();
    for (const query of ["A", "B", "C"]) await retriever.invoke(query, { callbacks: [monitor] });
    const { advice } = monitor.summary();
    const agreement = advice.find((a) => a.topic === "agreement")!;
    expect(agreement.text).toBe("The reranker changed the top document in 67% of 3 queries (Kendall's τ-b between the two orders: 0.11).");
    expect(agreement.figures).toMatchObject({ queries: 3, topSame: 1 / 3 });
    expect(advice[0]!.topic).toBe("sample");
    const depth = advice.find((a) => a.topic === "depth")!;
    expect(depth.figures).toMatchObject({ picks: 9, candidates: 6, covering95: 6 });
    const text = monitor.toString();
    expect(text).toContain("RerankMonitor: 3 queries reranked");
    expect(text).toContain("same top document as the first stage 33%");
    expect(text).toContain(agreement.text);
  });

  it("refuses bad options, naming them", () => {
    expect(() => new RerankMonitor({ overlapAt: [0] })).toThrow(/overlapAt/);
    expect(() => new RerankMonitor({ sampleSize: 0 })).toThrow(/sampleSize/);
    expect(() => new RerankMonitor({ relativeAccuracy: 2 })).toThrow(/relativeAccuracy/);
    expect(() => new RerankMonitor({ attribution: { overlapThreshold: 0 } })).toThrow(/overlapThreshold/);
  });
});
