import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { PROJECT_DIR } from "../support/shared.js";
import { Document, type DocumentInterface } from "@langchain/core/documents";
import { describe, expect, it } from "vitest";
import { chartSpec, renderChartSvg } from "../../src/eval/chart.js";
import { type CompressorLike, evaluate } from "../../src/eval/evaluate.js";
import { formatMarkdownReport, formatTextReport, summarize } from "../../src/eval/report.js";

const qrels = new Map([
  ["q1", new Map([["b", 1]])],
  ["q2", new Map([["a", 1]])],
]);
const queries = new Map([
  ["q1", "one"],
  ["q2", "two"],
]);
const retriever = { invoke: async () => ["a", "b"].map((id, i) => new Document({ id, pageContent: id, metadata: { retrievalScore: 2 - i } })) };
/** Puts "b" first with score 0.9, "a" second with 0.2. */
const preferB: CompressorLike = {
  async compressDocuments(docs: DocumentInterface[]) {
    return [...docs]
      .sort((x) => (x.id === "b" ? -1 : 1))
      .map((d) => new Document({ id: d.id, pageContent: d.pageContent, metadata: { relevanceScore: d.id === "b" ? 0.9 : 0.2 } }));
  },
};

async function summary() {
  const result = await evaluate({
    queries,
    qrels,
    retriever,
    configurations: [{ name: "none" }, { name: "ce", compressor: preferB }],
    metrics: ["rr@10", "recall@1"],
  });
  return summarize(result, { dataset: "toy", split: "test", firstStage: "fake", command: "rerank-eval --dataset toy", chart: "toy.svg" });
}

describe("reports", () => {
  it("summarizes means, deltas from the first configuration and a best-F1 threshold for rerankers", async () => {
    const s = await summary();
    expect(s.baseline).toBe("none");
    // none: q1 b@2 (0.5), q2 a@1 (1) → 0.75. ce: q1 b@1 (1), q2 a@2 (0.5) → 0.75.
    expect(s.configurations.map((c) => c.mean["rr@10"])).toEqual([0.75, 0.75]);
    expect(s.configurations[1]?.deltaFromBaseline).toEqual({ "rr@10": 0, "recall@1": 0 });
    expect(s.configurations[0]?.threshold).toBeUndefined();
    // Scores: b 0.9 (relevant for q1, not q2), a 0.2 (relevant for q2, not q1). Best F1 keeps all: P 0.5, R 1.
    expect(s.configurations[1]?.threshold).toEqual({ threshold: 0.2, kept: 4, precision: 0.5, recall: 1, f1: expect.closeTo(2 / 3, 12) });
    expect(s.perQuery.map((q) => Object.keys(q.configurations))).toEqual([
      ["none", "ce"],
      ["none", "ce"],
    ]);
  });

  it("prints side-by-side tables with four decimals and signed deltas", async () => {
    const text = formatTextReport(await summary());
    expect(text).toContain("toy (test), first stage fake: 2 queries, binary relevance ≥ 1, concurrency 4");
    expect(text).toMatch(/^configuration +rr@10 +recall@1$/m);
    expect(text).toMatch(/^none \(baseline\) +0\.7500 +0\.5000$/m);
    expect(text).toMatch(/^ce +0\.7500 \(\+0\.0000\) +0\.5000 \(\+0\.0000\)$/m);
    expect(text).toMatch(/^ce +rerank( +\d+(\.\d+)?){4}$/m);
    expect(text).toMatch(/^ce +0\.2000 +4 +0\.5000 +1\.0000 +0\.6667$/m);
  });

  it("writes a Markdown report with the command, tables and chart", async () => {
    const md = formatMarkdownReport(await summary());
    expect(md).toContain("# Evaluation: toy (test)");
    expect(md).toContain("```\nrerank-eval --dataset toy\n```");
    expect(md).toContain(
      "| configuration | rr@10 | recall@1 |\n| --- | ---: | ---: |\n| none (baseline) | 0.7500 | 0.5000 |\n| ce | 0.7500 (+0.0000) | 0.5000 (+0.0000) |",
    );
    expect(md).toContain("![metrics and latency per configuration](toy.svg)");
  });

  it("renders the chart through the CommonJS build too (vega-lite is an ES module with top-level await)", async () => {
    const program = `require("langchain-rerank/eval").renderChartSvg(JSON.parse(process.argv[1])).then((svg) => console.log(svg.slice(0, 4)))`;
    const { stdout } = await promisify(execFile)(process.execPath, ["-e", program, JSON.stringify(await summary())], { cwd: PROJECT_DIR });
    expect(stdout.trim()).toBe("<svg");
  });

  it("renders the chart with Vega-Lite: each metric per configuration and each stage's latency", async () => {
    const s = await summary();
    const spec = chartSpec(s) as { vconcat: { data: { values: Record<string, unknown>[] } }[] };
    expect(spec.vconcat[0]?.data.values).toEqual([
      { configuration: "none", metric: "rr@10", value: 0.75 },
      { configuration: "none", metric: "recall@1", value: 0.5 },
      { configuration: "ce", metric: "rr@10", value: 0.75 },
      { configuration: "ce", metric: "recall@1", value: 0.5 },
    ]);
    expect(spec.vconcat[1]?.data.values.map((v) => `${v.configuration}/${v.stage}`)).toEqual([
      "none/retrieve",
      "none/total",
      "ce/retrieve",
      "ce/rerank",
      "ce/total",
    ]);
    const svg = await renderChartSvg(s);
    expect(svg.startsWith("<svg")).toBe(true);
    for (const label of ["rr@10", "recall@1", "rerank", "retrieve", "Latency per stage"]) expect(svg).toContain(label);
  });

  it("compares every configuration and scored run with the baseline, in every output", async () => {
    const result = await evaluate({
      queries,
      qrels,
      retriever,
      configurations: [{ name: "none" }, { name: "ce", compressor: preferB }],
      metrics: ["rr@10"],
    });
    // A run scored from a file: q1 perfect, q2 missing (counts as 0).
    const runs = [{ name: "run:file.trec", perQuery: new Map([["q1", { "rr@10": 1 }]]) }];
    const s = summarize(result, { dataset: "toy", firstStage: "fake" }, { runs, baseline: "run:file.trec", comparison: { bootstrapSamples: 50 } });
    expect(s.baseline).toBe("run:file.trec");
    expect(s.configurations.map((c) => [c.name, c.mean["rr@10"], c.deltaFromBaseline["rr@10"], c.latency === undefined])).toEqual([
      ["none", 0.75, 0.25, false],
      ["ce", 0.75, 0.25, false],
      ["run:file.trec", 0.5, 0, true],
    ]);
    expect(s.comparison?.comparisons.map((c) => [c.name, c.baseline, c.missingFromBaseline])).toEqual([
      ["none", "run:file.trec", ["q2"]],
      ["ce", "run:file.trec", ["q2"]],
    ]);
    expect(s.comparison?.family).toBe(2);
    expect(s.perQuery[1]?.configurations["run:file.trec"]).toEqual({ metrics: { "rr@10": 0 }, rerankMs: 0 });
    const text = formatTextReport(s);
    expect(text).toMatch(/^run:file\.trec \(baseline\) +0\.5000$/m);
    expect(text).toContain("note: run:file.trec has no ranking for 1 of 2 queries (q2): they count as 0, as trec_eval -c does");
    expect(text).not.toMatch(/^run:file\.trec +(retrieve|total)/m); // nothing was timed
    const md = formatMarkdownReport(s);
    expect(md).toContain("## Is the difference real?");
    expect(md).toMatch(/- none vs run:file\.trec: \+0\.250 RR@10 \[/);
    const spec = chartSpec(s) as { vconcat: { data: { values: Record<string, unknown>[] } }[] };
    expect(spec.vconcat[2]?.data.values.map((v) => [v.pair, v.position, v.queryId, v.outcome])).toEqual([
      ["none − run:file.trec", 1, "q1", "worse"],
      ["none − run:file.trec", 2, "q2", "better"],
      ["ce − run:file.trec", 1, "q1", "tie"],
      ["ce − run:file.trec", 2, "q2", "better"],
    ]);
    expect(await renderChartSvg(s)).toContain("Per-query difference from run:file.trec");
    expect(() => summarize(result, { dataset: "toy", firstStage: "fake" }, { baseline: "bm25" })).toThrow(/no configuration or run is named "bm25"/);
    expect(summarize(result, { dataset: "toy", firstStage: "fake" }, { comparison: false }).comparison).toBeUndefined();
  });
});
