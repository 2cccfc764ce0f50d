import { describe, expect, it } from "vitest";
import { compareAll } from "../../src/eval/comparison.js";
import {
  comparisonNotes,
  comparisonRows,
  comparisonSentence,
  formatComparisonMarkdown,
  formatComparisonText,
  formatP,
  measureName,
  significanceMarker,
} from "../../src/eval/comparison_report.js";

const values = (rows: [string, Record<string, number>][]) => new Map(rows);
// 12 queries, "rr" better on every one (exact p = 2/4096), "ndcg" mixed.
const ids = Array.from({ length: 12 }, (_, i) => `q${i}`);
const base = values(ids.map((q, i) => [q, { "ndcg@10": 0.5, "mrr@10": 0.25 + (i % 3) * 0.1 }]));
const run = values(ids.slice(0, 11).map((q, i) => [q, { "ndcg@10": 0.5 + (i % 2 ? 0.05 : -0.04), "mrr@10": 0.5 + (i % 3) * 0.1 }]));
const set = compareAll({ name: "bm25", perQuery: base }, [{ name: "ce", perQuery: run }], ["ndcg@10", "mrr@10"], { bootstrapSamples: 1000 });
const [ndcg, mrr] = set.comparisons[0]?.measures ?? [];

describe("comparison report", () => {
  it("names measures as papers print them and p-values with two significant digits", () => {
    expect(["ndcg@10", "mrr@10", "rr@5", "recall@100", "p@10", "precision@5", "map@100", "map"].map(measureName)).toEqual([
      "nDCG@10",
      "MRR@10",
      "RR@5",
      "Recall@100",
      "P@10",
      "P@5",
      "MAP@100",
      "MAP",
    ]);
    expect([0.5, 0.0923, 0.00123, 0.00001].map(formatP)).toEqual(["0.50", "0.092", "0.0012", "< 0.0001"]);
  });

  it("marks a significant change after the mean, nothing otherwise", () => {
    // q11 is missing from the run: it counts as 0 there, so mrr is better on 11 queries and worse on 1.
    expect(mrr).toMatchObject({ wins: 11, ties: 0, losses: 1, significant: "better" });
    expect(significanceMarker(mrr)).toBe(" ▲");
    expect(ndcg?.significant).toBeNull();
    expect(significanceMarker(ndcg)).toBe("");
    expect(significanceMarker({ ...(ndcg as NonNullable<typeof ndcg>), significant: "worse" })).toBe(" ▼");
  });

  it("says it in one sentence a reader can act on: difference, interval, p, queries, verdict, tests, wins", () => {
    const sentence = comparisonSentence(set, set.comparisons[0] as never, ndcg as never);
    expect(sentence).toMatch(
      /^ce vs bm25: −0\.0\d\d nDCG@10 \[−0\.\d\d\d, [+−]0\.\d\d\d\], p = 0\.\d+ over 12 queries: not distinguishable from no change at α = 0\.05 \(randomisation test, Holm-adjusted over 2 comparisons, raw p = 0\.\d+; t-test p = 0\.\d+; better on 5 queries, tied on 0, worse on 7\)\. Telling a difference of this size from chance \(t-test, 80% power\) takes about [\d,]+ queries with this spread\.$/,
    );
    expect(comparisonSentence(set, set.comparisons[0] as never, mrr as never)).toMatch(
      /^ce vs bm25: \+0\.\d{3} MRR@10 \[\+0\.\d{3}, \+0\.\d{3}\], p = 0\.0\d+ over 12 queries: an improvement, unlikely to be chance at α = 0\.05 \(randomisation test, Holm-adjusted over 2 comparisons, raw p = [\d.]+; t-test p = [\d.]+; better on 11 queries, tied on 0, worse on 1\)\.$/,
    );
  });

  it("tabulates every number and notes the query counted as 0", () => {
    expect(comparisonRows(set)[1]).toEqual([
      "ce",
      "mrr@10",
      expect.stringMatching(/^\+0\.\d{4} ▲$/),
      expect.stringMatching(/^\[\+0\.\d{4}, \+0\.\d{4}\]$/),
      expect.any(String),
      expect.any(String),
      expect.stringMatching(/ \(exact\)$/),
      expect.any(String),
      "11/0/1",
    ]);
    expect(comparisonNotes(set)).toEqual(["ce has no ranking for 1 of 12 queries (q11): they count as 0, as trec_eval -c does"]);
    const text = formatComparisonText(set);
    expect(text).toContain("95% interval: paired percentile bootstrap, 1,000 resamples");
    expect(text).toContain("Holm–Bonferroni adjusted over the 2 comparisons");
    expect(text).toMatch(/^configuration +measure +difference +95% interval +t-test p +Holm +randomisation p +Holm +win\/tie\/loss$/m);
    expect(text).toContain("note: ce has no ranking for 1 of 12 queries");
    const md = formatComparisonMarkdown(set);
    expect(md).toContain("## Is the difference real?");
    expect(md).toContain("- ce vs bm25: −0.0");
    expect(md).toContain("| configuration | measure | difference | 95% interval |");
  });
});
