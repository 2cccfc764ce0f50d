import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { pairedTTest } from "../../../src/eval/stats/significance.js";
import { formatTrecRun, loadTrecRun } from "../../../src/eval/data/trec.js";
import { rerankEvalSync } from "../../support/rerank_eval.js";
import { SHARED_DIR, describeWithShared } from "../../support/shared.js";

// rerank-eval's comparison flags, end to end: the bar of issue 18 is the TREC DL 2019 command below.

const out = mkdtempSync(join(tmpdir(), "rerank-eval-compare-"));
const dl19 = join(SHARED_DIR, "data", "trec-dl-2019");
const shippedRun = join(dl19, "runs", "bm25_top100.trec");
const MEASURES = ["ndcg@10", "mrr@10", "recall@100", "map@100", "p@10"];

function cli(args: string[]) {
  const result = rerankEvalSync(args);
  return { ...result, stderr: result.stderr.trim() };
}

describe("rerank-eval comparison flags: usage mistakes exit 2 with one line", () => {
  it.each([
    [["--alpha", "1.5"], 'rerank-eval: --alpha must be a number strictly between 0 and 1, such as 0.05, got "1.5".'],
    [["--alpha", "five"], 'rerank-eval: --alpha must be a number strictly between 0 and 1, such as 0.05, got "five".'],
    [["--baseline", "bm25"], 'rerank-eval: --baseline "bm25" names no configuration: expected one of "none".'],
    [["--compare-run", "a/x.trec", "--compare-run", "b/x.trec"], "rerank-eval: two --compare-run files are both named x.trec; rename one"],
    [["--seed=-3"], 'rerank-eval: --seed must be an integer ≥ 0, got "-3".'],
    [["--permutations", "0"], 'rerank-eval: --permutations must be an integer ≥ 1, got "0".'],
  ])("%j", (flags, message) => {
    const { code, stderr } = cli(["--dataset", "x", ...flags]);
    expect(code).toBe(2);
    expect(stderr.split("\n")).toHaveLength(1);
    expect(stderr.startsWith(message)).toBe(true);
  });

  it("--help lists them", () => {
    const { stdout } = cli(["--help"]);
    for (const flag of ["--compare-run FILE", "--baseline NAME", "--alpha A", "--seed N", "--permutations N", "--bootstrap-samples N"]) {
      expect(stdout).toContain(flag);
    }
  });
});

describeWithShared("rerank-eval on TREC DL 2019: built-in BM25 against the shipped BM25 run", () => {
  it("prints differences, intervals, both p-values and win/tie/loss for every measure, in the table, --json and --report", () => {
    const [json, report, chart] = ["dl19.json", "dl19.md", "dl19.svg"].map((f) => join(out, f)) as [string, string, string];
    const { code, stdout, stderr } = cli([
      "--dataset",
      dl19,
      "--compare-run",
      shippedRun,
      "--baseline",
      "run:bm25_top100.trec",
      "--metrics",
      MEASURES.join(","),
      "--rel-threshold",
      "2",
      "--json",
      json,
      "--report",
      report,
      "--chart",
      chart,
      "--quiet",
    ]);
    expect(stderr).toBe("");
    expect(code).toBe(0);
    // The table: the shipped run is the baseline (its published figures), the built-in BM25 is "none".
    expect(stdout).toMatch(/^run:bm25_top100\.trec \(baseline\) +0\.5058 +0\.7024 +0\.4910 +0\.2476 +0\.4116$/m);
    expect(stdout).toContain(
      "note: run:bm25_top100.trec: run bm25_top100.trec (top 100) scored from the file as trec_eval does; no latency measured",
    );
    for (const m of MEASURES) {
      expect(stdout).toMatch(
        new RegExp(
          `^none +${m.replace(/[@.]/g, "\\$&")} +[+−]0\\.\\d{4}( [▲▼])? +\\[[+−]0\\.\\d{4}, [+−]0\\.\\d{4}\\] +([\\d.]+|< 0\\.0001) +[\\d.]+ +[\\d.]+( \\(exact\\))? +[\\d.]+ +\\d+/\\d+/\\d+$`,
          "m",
        ),
      );
    }
    // --json: every number, consistent with the per-query values it also holds.
    const summary = JSON.parse(readFileSync(json, "utf8"));
    expect(summary.baseline).toBe("run:bm25_top100.trec");
    expect(summary.comparison).toMatchObject({
      alpha: 0.05,
      correction: "holm-bonferroni",
      family: 5,
      seed: 42,
      bootstrapSamples: 10000,
      permutations: 10000,
    });
    const [comparison] = summary.comparison.comparisons;
    expect(comparison).toMatchObject({ name: "none", baseline: "run:bm25_top100.trec", queries: 43, missingFromRun: [], missingFromBaseline: [] });
    for (const [i, m] of MEASURES.entries()) {
      const c = comparison.measures[i];
      const a = summary.perQuery.map(
        (q: { configurations: Record<string, { metrics: Record<string, number> }> }) => q.configurations.none?.metrics[m],
      );
      const b = summary.perQuery.map(
        (q: { configurations: Record<string, { metrics: Record<string, number> }> }) => q.configurations["run:bm25_top100.trec"]?.metrics[m],
      );
      expect(c.measure).toBe(m);
      expect(c.tTest).toEqual(pairedTTest(a, b));
      expect(c.wins + c.ties + c.losses).toBe(43);
      expect(c.interval.lower).toBeLessThanOrEqual(c.difference);
      expect(c.interval.upper).toBeGreaterThanOrEqual(c.difference);
      expect(c.permutation.pValue).toBeGreaterThan(0);
      expect(c.holm.permutation).toBeGreaterThanOrEqual(c.permutation.pValue);
    }
    // The same numbers, reproduced: the bootstrap and the sampled test are seeded.
    expect(comparison.measures[0].interval).toEqual({ lower: expect.any(Number), upper: expect.any(Number), level: 0.95, samples: 10000 });
    // --report: one plain sentence per measure.
    const md = readFileSync(report, "utf8");
    expect(md).toContain("## Is the difference real?");
    expect(md).toMatch(/^- none vs run:bm25_top100\.trec: [+−]0\.\d{3} nDCG@10 \[[+−]0\.\d{3}, [+−]0\.\d{3}\], p = [\d.]+ over 43 queries: /m);
    expect(md.match(/^- none vs run:bm25_top100\.trec: /gm)).toHaveLength(5);
    expect(readFileSync(chart, "utf8")).toContain("Per-query difference from run:bm25_top100.trec");
  });

  it("counts the judged queries a compared run lacks as 0, as trec_eval -c does, and says so", async () => {
    // The shipped run cut to its first two queries, written back with the library's own writer.
    const partial = join(out, "partial.trec");
    writeFileSync(partial, formatTrecRun(new Map([...(await loadTrecRun(shippedRun))].slice(0, 2))));
    const json = join(out, "partial.json");
    const { code, stdout } = cli([
      "--dataset",
      dl19,
      "--compare-run",
      partial,
      "--metrics",
      "ndcg@10",
      "--rel-threshold",
      "2",
      "--json",
      json,
      "--quiet",
    ]);
    expect(code).toBe(0);
    expect(stdout).toMatch(
      /note: run:partial\.trec has no ranking for 41 of 43 queries \([\d, ]+ and 36 more\): they count as 0, as trec_eval -c does/,
    );
    const summary = JSON.parse(readFileSync(json, "utf8"));
    expect(summary.comparison.comparisons[0].missingFromRun).toHaveLength(41);
    const [ndcg] = summary.comparison.comparisons[0].measures;
    expect(ndcg.queries).toBe(43); // the 41 are compared as zeros, not left out
    expect(ndcg.wins + ndcg.ties + ndcg.losses).toBe(43);
    expect(ndcg.undefinedFor).toEqual([]);
    expect(
      summary.perQuery.filter(
        (q: { configurations: Record<string, { metrics: Record<string, number> }> }) =>
          q.configurations["run:partial.trec"]?.metrics["ndcg@10"] === 0,
      ),
    ).toHaveLength(41);
  });
});
