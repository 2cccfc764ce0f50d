import type { Comparison, ComparisonSet, MeasureComparison } from "./comparison.js";
import { queriesNeeded } from "./stats/significance.js";
import { markdownTable, textTable } from "./tables.js";

// How a comparison reads: a marker after a mean, a table with every number, and one sentence per measure that a
// reader who is not a statistician can act on.

/** ▲ significant improvement, ▼ significant degradation (Holm-adjusted randomisation test, p < α), else "". */
export function significanceMarker(m: MeasureComparison | undefined): string {
  return m?.significant === "better" ? " ▲" : m?.significant === "worse" ? " ▼" : "";
}

const signed = (v: number, digits: number) => `${v >= 0 ? "+" : "−"}${Math.abs(v).toFixed(digits)}`;

/** A p-value as people read it: 2 significant digits, "< 0.0001" below that. */
export function formatP(p: number): string {
  if (p < 0.0001) return "< 0.0001";
  return p >= 0.1 ? p.toFixed(2) : p.toPrecision(2);
}

/** nDCG@10, MRR@10, Recall@100, P@10, MAP@100: measure labels as papers print them. */
export function measureName(label: string): string {
  const [name = "", k] = label.split("@");
  const pretty: Record<string, string> = { ndcg: "nDCG", ndcg_cut: "nDCG", mrr: "MRR", rr: "RR", recip_rank: "RR", recall: "Recall", r: "Recall" };
  const shown = pretty[name] ?? (["p", "precision"].includes(name) ? "P" : ["map", "map_cut"].includes(name) ? "MAP" : name);
  return k === undefined ? shown : `${shown}@${k}`;
}

/** One line per comparison explaining the columns, the tests and the correction. */
export function comparisonLegend(set: ComparisonSet): string[] {
  const level = Math.round((1 - set.alpha) * 1000) / 10;
  const exactness = `exact over all sign flips when at most ${set.maxExactQueries} queries differ, else ${set.permutations.toLocaleString("en-US")} sampled flips`;
  return [
    `Paired per query against ${set.baseline}; a query missing from a run counts as 0 (trec_eval -c).`,
    `${level}% interval: paired percentile bootstrap, ${set.bootstrapSamples.toLocaleString("en-US")} resamples; p: two-sided paired t-test and Fisher randomisation test (${exactness}); seed ${set.seed}.`,
    `Holm: Holm–Bonferroni adjusted over the ${set.family} comparison${set.family === 1 ? "" : "s"} (runs × measures). ▲/▼: significant improvement/degradation, Holm-adjusted randomisation p < α = ${set.alpha}.`,
  ];
}

/** The comparison table's header; the interval column names its level. */
export function comparisonHeader(set: ComparisonSet): string[] {
  const level = Math.round((1 - set.alpha) * 1000) / 10;
  return ["configuration", "measure", "difference", `${level}% interval`, "t-test p", "Holm", "randomisation p", "Holm", "win/tie/loss"];
}

/** Every comparison's numbers, one row per (configuration, measure). */
export function comparisonRows(set: ComparisonSet): string[][] {
  return set.comparisons.flatMap((c) =>
    c.measures.map((m) => [
      c.name,
      m.measure,
      `${signed(m.difference, 4)}${significanceMarker(m)}`,
      `[${signed(m.interval.lower, 4)}, ${signed(m.interval.upper, 4)}]`,
      formatP(m.tTest.pValue),
      formatP(m.holm.tTest),
      `${formatP(m.permutation.pValue)}${m.permutation.exact ? " (exact)" : ""}`,
      formatP(m.holm.permutation),
      `${m.wins}/${m.ties}/${m.losses}`,
    ]),
  );
}

/** Notes a reader must see: queries counted as 0, queries left out of a measure. */
export function comparisonNotes(set: ComparisonSet): string[] {
  const notes: string[] = [];
  const list = (ids: string[]) => ids.slice(0, 5).join(", ") + (ids.length > 5 ? ` and ${ids.length - 5} more` : "");
  for (const c of set.comparisons) {
    if (c.missingFromRun.length > 0)
      notes.push(
        `${c.name} has no ranking for ${c.missingFromRun.length} of ${c.queries} queries (${list(c.missingFromRun)}): they count as 0, as trec_eval -c does`,
      );
    if (c.missingFromBaseline.length > 0)
      notes.push(
        `${c.baseline} has no ranking for ${c.missingFromBaseline.length} of ${c.queries} queries (${list(c.missingFromBaseline)}): they count as 0, as trec_eval -c does`,
      );
    for (const m of c.measures) {
      if (m.undefinedFor.length > 0)
        notes.push(
          `${m.measure} is undefined for ${m.undefinedFor.length} queries of ${c.name} or ${c.baseline} (${list(m.undefinedFor)}): left out of that measure`,
        );
    }
  }
  return notes;
}

/**
 * The sentence for one measure, e.g. "+0.031 nDCG@10 [−0.004, +0.066], p = 0.09 over 43 queries: not
 * distinguishable from no change at α = 0.05 (…)". p is the Holm-adjusted randomisation test's.
 */
export function comparisonSentence(set: ComparisonSet, c: Comparison, m: MeasureComparison): string {
  const p = m.holm.permutation;
  const pText = p < 0.0001 ? "p < 0.0001" : `p = ${formatP(p)}`;
  const head = `${signed(m.difference, 3)} ${measureName(m.measure)} [${signed(m.interval.lower, 3)}, ${signed(m.interval.upper, 3)}], ${pText} over ${m.queries} queries`;
  let verdict: string;
  if (m.significant === "better") verdict = `an improvement, unlikely to be chance at α = ${set.alpha}`;
  else if (m.significant === "worse") verdict = `a degradation, unlikely to be chance at α = ${set.alpha}`;
  else verdict = `not distinguishable from no change at α = ${set.alpha}`;
  const details = [
    set.family > 1
      ? `randomisation test, Holm-adjusted over ${set.family} comparisons, raw p = ${formatP(m.permutation.pValue)}`
      : "randomisation test",
    `t-test p = ${formatP(m.tTest.pValue)}`,
    `better on ${m.wins} queries, tied on ${m.ties}, worse on ${m.losses}`,
  ];
  let advice = "";
  if (m.significant === null && Math.abs(m.difference) > 0 && m.sdDifference > 0) {
    const n = queriesNeeded({ sd: m.sdDifference, difference: m.difference, alpha: set.alpha });
    advice = ` Telling a difference of this size from chance (t-test, 80% power) takes about ${n.toLocaleString("en-US")} queries with this spread.`;
  }
  return `${c.name} vs ${c.baseline}: ${head}: ${verdict} (${details.join("; ")}).${advice}`;
}

/** The comparison as printed on stdout. */
export function formatComparisonText(set: ComparisonSet): string {
  const notes = comparisonNotes(set).map((n) => `note: ${n}`);
  return [...comparisonLegend(set), ...notes, "", textTable(comparisonHeader(set), comparisonRows(set))].join("\n");
}

/** The comparison section of the Markdown report. */
export function formatComparisonMarkdown(set: ComparisonSet): string {
  const sentences = set.comparisons.flatMap((c) => c.measures.map((m) => `- ${comparisonSentence(set, c, m)}`));
  const notes = comparisonNotes(set).map((n) => `- Note: ${n}.`);
  return [
    "## Is the difference real?",
    "",
    ...sentences,
    "",
    ...comparisonLegend(set),
    ...(notes.length > 0 ? ["", ...notes] : []),
    "",
    markdownTable(comparisonHeader(set), comparisonRows(set)),
  ].join("\n");
}
