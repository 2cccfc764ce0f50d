import type { LatencySummary } from "./aggregates.js";
import { count, percent, queries } from "./advice.js";
import type { RankBucket } from "./rank_histogram.js";
import type { MonitorSummary } from "./summary.js";

const fixed = (value: number | null, digits = 2) => (value === null ? "n/a" : value.toFixed(digits));
const ms = (latency: LatencySummary) =>
  latency.of === 0 ? "n/a" : `p50 ${fixed(latency.p50, 1)} · p95 ${fixed(latency.p95, 1)} · p99 ${fixed(latency.p99, 1)} ms`;
const buckets = (histogram: RankBucket[]) =>
  histogram.map(({ from, to, count: n }) => `${from === to ? from : to === Infinity ? `${from}+` : `${from}–${to}`}: ${count(n)}`).join(" · ");

/** The summary as a few aligned lines of text, the advice last. */
export function formatSummary(summary: MonitorSummary): string {
  const { agreement, depth, thresholds, attribution } = summary;
  const lines = [
    `RerankMonitor: ${queries(summary.queries)} reranked` +
      (summary.skipped + summary.failed + summary.unreadable > 0
        ? ` (${count(summary.skipped)} not reranked, ${count(summary.failed)} failed${summary.unreadable > 0 ? `, ${count(summary.unreadable)} unreadable` : ""})`
        : ""),
  ];
  const row = (label: string, text: string) => lines.push(`  ${label.padEnd(12)}${text}`);
  if (summary.queries > 0) {
    const overlap = Object.entries(agreement.overlapAtK)
      .map(([k, mean]) => `@${k} ${fixed(mean.mean)}`)
      .join(" ");
    row(
      "agreement",
      `same top document as the first stage ${percent(agreement.topSame.rate)} · τ-b ${fixed(agreement.tauB.mean)} · overlap ${overlap}`,
    );
    row(
      "depth",
      `${count(depth.picks)} picks from ${fixed(depth.candidates.p50, 0)} candidates (median) · 90/95/99% within ` +
        `${depth.covering.p90 ?? "n/a"} / ${depth.covering.p95 ?? "n/a"} / ${depth.covering.p99 ?? "n/a"}`,
    );
    row("", buckets(depth.histogram));
    row("retrieval", `${ms(summary.latencyMs.retrieval)} · first stage ${ms(summary.latencyMs.firstStage)}`);
    row("rerank", `${ms(summary.latencyMs.rerank)} · ${percent(summary.rerankShare.pooled)} of retrieval time`);
  }
  for (const stage of summary.stages) {
    const scores = stage.scores;
    row(
      "stage",
      `${stage.name}: ${count(stage.runs)} runs · ${ms(stage.latencyMs)} · ` +
        (scores.scoreKey === null
          ? "no scores"
          : `${scores.scoreKey} p10/p50/p90 ${fixed(scores.p10, 3)} / ${fixed(scores.p50, 3)} / ${fixed(scores.p90, 3)}`) +
        ` · top same as first stage ${percent(stage.vsFirstStage.topSame.rate)}` +
        (stage.vsPreviousStage.topSame.of > 0 ? `, as previous stage ${percent(stage.vsPreviousStage.topSame.rate)}` : ""),
    );
    if (stage.servedBy !== undefined) {
      row(
        "",
        `served by ${Object.entries(stage.servedBy)
          .map(([name, n]) => `${name} ${count(n)}`)
          .join(", ")}`,
      );
    }
  }
  if (thresholds.droppedAll.of > 0) {
    row(
      "threshold",
      `dropped everything ${percent(thresholds.droppedAll.rate)} · kept fewer than asked ${percent(thresholds.keptFewerThanAsked.rate)} of ${count(thresholds.droppedAll.of)}`,
    );
  }
  if (attribution.answers > 0) {
    row(
      "answers",
      `${count(attribution.answers)} (${count(attribution.byCitation)} by citation, ${count(attribution.byOverlap)} by ${attribution.ngram}-gram overlap ≥ ` +
        `${attribution.overlapThreshold}, ${count(attribution.unattributed)} unattributed) · used doc was first-stage top ` +
        `${percent(attribution.usedWasFirstStageTop.rate)}, reranker top ${percent(attribution.usedWasRerankerTop.rate)}`,
    );
  }
  lines.push("advice:");
  for (const item of summary.advice) lines.push(`  - ${item.text}`);
  return lines.join("\n");
}
