import { type CompareOptions, type ComparisonSet, type PerQueryValues, compareAll } from "./comparison.js";
import { formatComparisonMarkdown, formatComparisonText, significanceMarker } from "./comparison_report.js";
import type { ConfigurationResult, EvaluationResult } from "./evaluate.js";
import type { LatencyStats } from "./stats/latency.js";
import { markdownTable, textTable } from "./tables.js";
import { InvalidOptionError } from "../errors.js";
import { type ThresholdPoint, chooseThreshold, labelledScores } from "./threshold.js";
import { type CalibrationSummary, formatCalibrationMarkdown } from "./calibration_report.js";

// Everything a report shows is computed once here (`summarize`), so the stdout table, the Markdown report and
// the JSON file cannot disagree: the JSON holds every number printed.

/** What was evaluated, for the report's header. */
export interface ReportContext {
  dataset: string;
  /**
   * Heading of the report and the chart.
   * @default the dataset and split
   */
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
  /** mean − the baseline's mean, per metric (0 for the baseline). */
  deltaFromBaseline: Record<string, number>;
  /** Absent for a run scored from a file (`SummarizeOptions.runs`): nothing was timed. */
  latency?: ConfigurationResult["latency"];
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
  /** The configuration (or run) every other one is compared with. */
  baseline: string;
  configurations: ConfigurationSummary[];
  /** Paired tests of every other configuration against the baseline (absent with a single configuration). */
  comparison?: ComparisonSet;
  /** A calibration fitted on this evaluation's scores (`rerank-eval --calibrate`), measured on held-out queries. */
  calibration?: CalibrationSummary;
  /** Per query and configuration, every metric value. */
  perQuery: {
    queryId: string;
    candidates: number;
    retrieveMs: number;
    configurations: Record<string, { metrics: Record<string, number>; rerankMs: number }>;
  }[];
}

/** A run scored outside the evaluation (e.g. a TREC run file), shown and compared beside its configurations. */
export interface ScoredRun {
  name: string;
  /** Query id → metric → value, for the evaluation's queries; a query it lacks counts as 0 (trec_eval `-c`). */
  perQuery: PerQueryValues;
}

export interface SummarizeOptions {
  /** The configuration or run compared against. @default the first configuration */
  baseline?: string;
  /** Runs shown after the configurations, without latency. */
  runs?: readonly ScoredRun[];
  /** Options of the paired tests (alpha, seed, permutations, bootstrapSamples); false: no comparison. */
  comparison?: CompareOptions | false;
}

/**
 * Condenses an evaluation into what reports show: means, deltas from the baseline, best-F1 thresholds for
 * compressors and, with more than one configuration, paired tests against the baseline (`compareAll`).
 */
export function summarize(result: EvaluationResult, context: ReportContext, options: SummarizeOptions = {}): EvaluationSummary {
  const runs = options.runs ?? [];
  const queryIds = result.perQuery.map((q) => q.queryId);
  const values = new Map<string, PerQueryValues>([
    ...result.configurations.map((c) => [c.name, new Map(result.perQuery.map((q) => [q.queryId, q.configurations[c.name]?.metrics ?? {}]))] as const),
    ...runs.map((r) => [r.name, new Map(queryIds.flatMap((q) => (r.perQuery.has(q) ? [[q, r.perQuery.get(q) ?? {}]] : [])))] as const),
  ]);
  if (values.size !== result.configurations.length + runs.length)
    throw new InvalidOptionError("summarize: a run has the name of a configuration or of another run.");
  const baselineName = options.baseline ?? (result.configurations[0] as ConfigurationResult).name;
  if (!values.has(baselineName)) {
    throw new InvalidOptionError(
      `summarize: no configuration or run is named ${JSON.stringify(baselineName)}; expected one of ${[...values.keys()].map((n) => JSON.stringify(n)).join(", ")}.`,
    );
  }
  const runMeans = new Map(runs.map((r) => [r.name, meanOf(queryIds, r.perQuery, result.metrics)]));
  const meanOfName = (name: string) => result.configurations.find((c) => c.name === name)?.mean ?? (runMeans.get(name) as Record<string, number>);
  const baselineMean = meanOfName(baselineName);
  const delta = (mean: Record<string, number>) => Object.fromEntries(result.metrics.map((m) => [m, (mean[m] ?? 0) - (baselineMean[m] ?? 0)]));
  const configurations = result.configurations.map((c): ConfigurationSummary => {
    let threshold: ThresholdPoint | undefined;
    const hasRankings = result.perQuery.every((q) => q.configurations[c.name]?.ranking !== undefined);
    if (c.latency.rerank !== undefined && hasRankings) {
      const points = labelledScores(result, c.name);
      if (points.length > 0) threshold = chooseThreshold(points).bestF1;
    }
    return { name: c.name, mean: c.mean, deltaFromBaseline: delta(c.mean), latency: c.latency, ...(threshold ? { threshold } : {}) };
  });
  for (const r of runs)
    configurations.push({
      name: r.name,
      mean: runMeans.get(r.name) as Record<string, number>,
      deltaFromBaseline: delta(runMeans.get(r.name) as Record<string, number>),
    });
  const others = [...values.keys()].filter((n) => n !== baselineName);
  const comparison =
    options.comparison === false || others.length === 0 || queryIds.length === 0
      ? undefined
      : compareAll(
          { name: baselineName, perQuery: values.get(baselineName) as PerQueryValues },
          others.map((name) => ({ name, perQuery: values.get(name) as PerQueryValues })),
          result.metrics,
          options.comparison ?? {},
        );
  return {
    context,
    metrics: result.metrics,
    relThreshold: result.relThreshold,
    concurrency: result.concurrency,
    queriesEvaluated: result.queriesEvaluated,
    skippedWithoutRelevant: result.skippedWithoutRelevant,
    baseline: baselineName,
    configurations,
    ...(comparison ? { comparison } : {}),
    perQuery: result.perQuery.map((q) => ({
      queryId: q.queryId,
      candidates: q.candidates,
      retrieveMs: q.retrieveMs,
      configurations: {
        ...Object.fromEntries(Object.entries(q.configurations).map(([name, r]) => [name, { metrics: r.metrics, rerankMs: r.rerankMs }])),
        ...Object.fromEntries(runs.map((r) => [r.name, { metrics: zeroFilled(r.perQuery.get(q.queryId), result.metrics), rerankMs: 0 }])),
      },
    })),
  };
}

function zeroFilled(values: Readonly<Record<string, number | undefined>> | undefined, metrics: readonly string[]): Record<string, number> {
  return Object.fromEntries(metrics.map((m) => [m, values?.[m] ?? 0]));
}

/** Means over the given queries; a query `values` lacks, or a missing value, counts as 0 (trec_eval `-c`). */
function meanOf(queryIds: readonly string[], values: PerQueryValues, metrics: readonly string[]): Record<string, number> {
  const sum = (m: string) => queryIds.reduce((s, q) => s + (values.get(q)?.[m] ?? 0), 0);
  return Object.fromEntries(metrics.map((m) => [m, queryIds.length > 0 ? sum(m) / queryIds.length : 0]));
}

const fixed4 = (v: number) => v.toFixed(4);
const signed4 = (v: number) => `${v >= 0 ? "+" : "−"}${Math.abs(v).toFixed(4)}`;
const ms = (v: number) => (v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2));

function metricRows(summary: EvaluationSummary): string[][] {
  const tested = new Map(summary.comparison?.comparisons.map((c) => [c.name, new Map(c.measures.map((m) => [m.measure, m]))]) ?? []);
  return summary.configurations.map((c) => [
    c.name === summary.baseline && summary.configurations.length > 1 ? `${c.name} (baseline)` : c.name,
    ...summary.metrics.map((m) =>
      c.name === summary.baseline
        ? fixed4(c.mean[m] ?? 0)
        : `${fixed4(c.mean[m] ?? 0)} (${signed4(c.deltaFromBaseline[m] ?? 0)})${significanceMarker(tested.get(c.name)?.get(m))}`,
    ),
  ]);
}

function latencyRows(summary: EvaluationSummary): string[][] {
  const rows: string[][] = [];
  for (const c of summary.configurations) {
    if (c.latency === undefined) continue;
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
  if (summary.comparison) parts.splice(parts.length - 2, 0, "", formatComparisonText(summary.comparison));
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
    `Mean over queries; in parentheses, the difference from \`${summary.baseline}\`${summary.comparison ? `; ▲/▼ a significant improvement/degradation at α = ${summary.comparison.alpha} (below)` : ""}.`,
    "",
    markdownTable(["configuration", ...summary.metrics], metricRows(summary)),
    ...(summary.comparison ? ["", formatComparisonMarkdown(summary.comparison)] : []),
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
  if (summary.calibration) lines.push("", formatCalibrationMarkdown(summary.calibration));
  if (context.chart) lines.push("", "## Chart", "", `![metrics and latency per configuration](${context.chart})`);
  return `${lines.join("\n")}\n`;
}
