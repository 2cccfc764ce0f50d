import type { ConfigurationResult, EvaluationResult } from "./evaluate.js";
import type { LatencyStats } from "./latency.js";
import { type ThresholdPoint, chooseThreshold, labelledScores } from "./threshold.js";

// Everything a report shows is computed once here (`summarize`), so the stdout table, the Markdown report and
// the JSON file cannot disagree: the JSON holds every number printed.

/** What was evaluated, for the report's header. */
export interface ReportContext {
  dataset: string;
  /** Heading of the report and the chart. Default: the dataset and split. */
  title?: string;
  split?: string;
  firstStage: string;
  depth?: number;
  command?: string;
  /** Path of the chart, relative to the report, to embed it. */
  chart?: string;
  /** Extra lines under the header (e.g. "proxy model: scores mean nothing"). */
  notes?: string[];
}

export interface ConfigurationSummary {
  name: string;
  mean: Record<string, number>;
  /** mean − the first configuration's mean, per metric (0 for the first). */
  deltaFromBaseline: Record<string, number>;
  latency: ConfigurationResult["latency"];
  /** Best-F1 threshold on this configuration's scores (absent without scores or relevant candidates). */
  threshold?: ThresholdPoint;
}

export interface EvaluationSummary {
  context: ReportContext;
  metrics: string[];
  relThreshold: number;
  concurrency: number;
  queriesEvaluated: number;
  skippedWithoutRelevant: string[];
  baseline: string;
  configurations: ConfigurationSummary[];
  /** Per query and configuration, every metric value. */
  perQuery: {
    queryId: string;
    candidates: number;
    retrieveMs: number;
    configurations: Record<string, { metrics: Record<string, number>; rerankMs: number }>;
  }[];
}

/** Condenses an evaluation into what reports show (adds deltas and best-F1 thresholds for compressors). */
export function summarize(result: EvaluationResult, context: ReportContext): EvaluationSummary {
  const baseline = result.configurations[0] as ConfigurationResult;
  const configurations = result.configurations.map((c): ConfigurationSummary => {
    const deltaFromBaseline = Object.fromEntries(result.metrics.map((m) => [m, (c.mean[m] ?? 0) - (baseline.mean[m] ?? 0)]));
    let threshold: ThresholdPoint | undefined;
    const hasRankings = result.perQuery.every((q) => q.configurations[c.name]?.ranking !== undefined);
    if (c.latency.rerank !== undefined && hasRankings) {
      const points = labelledScores(result, c.name);
      if (points.length > 0) threshold = chooseThreshold(points).bestF1;
    }
    return { name: c.name, mean: c.mean, deltaFromBaseline, latency: c.latency, ...(threshold ? { threshold } : {}) };
  });
  return {
    context,
    metrics: result.metrics,
    relThreshold: result.relThreshold,
    concurrency: result.concurrency,
    queriesEvaluated: result.queriesEvaluated,
    skippedWithoutRelevant: result.skippedWithoutRelevant,
    baseline: baseline.name,
    configurations,
    perQuery: result.perQuery.map((q) => ({
      queryId: q.queryId,
      candidates: q.candidates,
      retrieveMs: q.retrieveMs,
      configurations: Object.fromEntries(Object.entries(q.configurations).map(([name, r]) => [name, { metrics: r.metrics, rerankMs: r.rerankMs }])),
    })),
  };
}

const fixed4 = (v: number) => v.toFixed(4);
const signed4 = (v: number) => `${v >= 0 ? "+" : "−"}${Math.abs(v).toFixed(4)}`;
const ms = (v: number) => (v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2));

function metricRows(summary: EvaluationSummary): string[][] {
  return summary.configurations.map((c, i) => [
    c.name,
    ...summary.metrics.map((m) => (i === 0 ? fixed4(c.mean[m] ?? 0) : `${fixed4(c.mean[m] ?? 0)} (${signed4(c.deltaFromBaseline[m] ?? 0)})`)),
  ]);
}

function latencyRows(summary: EvaluationSummary): string[][] {
  const rows: string[][] = [];
  for (const c of summary.configurations) {
    const stages: [string, LatencyStats | undefined][] = [
      ["retrieve", c.latency.retrieve],
      ["rerank", c.latency.rerank],
      ["total", c.latency.total],
    ];
    for (const [stage, s] of stages) if (s) rows.push([c.name, stage, ms(s.p50), ms(s.p95), ms(s.p99), ms(s.mean)]);
  }
  return rows;
}

function thresholdRows(summary: EvaluationSummary): string[][] {
  return summary.configurations.flatMap((c) =>
    c.threshold
      ? [
          [
            c.name,
            c.threshold.threshold.toPrecision(4),
            String(c.threshold.kept),
            fixed4(c.threshold.precision),
            fixed4(c.threshold.recall),
            fixed4(c.threshold.f1),
          ],
        ]
      : [],
  );
}

function textTable(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i] as number) : c.padStart(widths[i] as number))).join("  ");
  return [line(header), widths.map((w) => "-".repeat(w)).join("  "), ...rows.map(line)].join("\n");
}

function markdownTable(header: string[], rows: string[][]): string {
  const align = header.map((_, i) => (i === 0 ? "---" : "---:"));
  return [header, align, ...rows].map((r) => `| ${r.join(" | ")} |`).join("\n");
}

const LATENCY_HEADER = ["configuration", "stage", "p50 ms", "p95 ms", "p99 ms", "mean ms"];
const THRESHOLD_HEADER = ["configuration", "best-F1 threshold", "kept", "precision", "recall", "F1"];

/** The side-by-side tables printed on stdout. */
export function formatTextReport(summary: EvaluationSummary): string {
  const parts = [
    ...(summary.context.title ? [summary.context.title] : []),
    `${summary.context.dataset}${summary.context.split ? ` (${summary.context.split})` : ""}, first stage ${summary.context.firstStage}: ` +
      `${summary.queriesEvaluated} queries, binary relevance ≥ ${summary.relThreshold}, concurrency ${summary.concurrency}`,
    ...(summary.context.notes ?? []).map((n) => `note: ${n}`),
    "",
    textTable(["configuration", ...summary.metrics], metricRows(summary)),
    "",
    textTable(LATENCY_HEADER, latencyRows(summary)),
  ];
  const thresholds = thresholdRows(summary);
  if (thresholds.length > 0) parts.push("", textTable(THRESHOLD_HEADER, thresholds));
  return `${parts.join("\n")}\n`;
}

/** A Markdown report: context, metrics with deltas from the first configuration, latency, thresholds, chart. */
export function formatMarkdownReport(summary: EvaluationSummary): string {
  const { context } = summary;
  const lines = [
    `# ${context.title ?? `Evaluation: ${context.dataset}${context.split ? ` (${context.split})` : ""}`}`,
    "",
    `- First stage: ${context.firstStage}${context.depth ? `, depth ${context.depth}` : ""}`,
    `- Queries evaluated: ${summary.queriesEvaluated}${summary.skippedWithoutRelevant.length ? ` (${summary.skippedWithoutRelevant.length} skipped: no relevant judgment)` : ""}`,
    `- nDCG uses graded gains (trec_eval \`ndcg_cut\`, not \`ndcg_burges\`); binary metrics count label ≥ ${summary.relThreshold} as relevant`,
    `- Latency: wall-clock milliseconds per query, with ${summary.concurrency} ${summary.concurrency === 1 ? "query" : "queries"} in flight`,
    ...(context.notes ?? []).map((n) => `- ${n}`),
    ...(context.command ? ["", "```", context.command, "```"] : []),
    "",
    "## Metrics",
    "",
    `Mean over queries; in parentheses, the difference from \`${summary.baseline}\`.`,
    "",
    markdownTable(["configuration", ...summary.metrics], metricRows(summary)),
    "",
    "## Latency",
    "",
    markdownTable(LATENCY_HEADER, latencyRows(summary)),
  ];
  const thresholds = thresholdRows(summary);
  if (thresholds.length > 0) {
    lines.push(
      "",
      "## Thresholds",
      "",
      "Keeping documents with score ≥ the threshold, over every query's candidates:",
      "",
      markdownTable(THRESHOLD_HEADER, thresholds),
    );
  }
  if (context.chart) lines.push("", "## Chart", "", `![metrics and latency per configuration](${context.chart})`);
  return `${lines.join("\n")}\n`;
}
