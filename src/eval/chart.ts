import { MissingDependencyError } from "../errors.js";
import type { ComparisonSet } from "./comparison.js";
import { reliabilityPanel } from "./calibration_report.js";
import type { EvaluationSummary } from "./report.js";
import { TIE_TOLERANCE } from "./stats/significance.js";

// The chart is a Vega-Lite spec rendered to SVG server-side by Vega (no browser, no canvas). Vega is imported
// lazily so that importing the library does not load it.

/**
 * A Vega-Lite spec: mean of each metric per configuration, p50 (bar) / p95 (tick) latency per stage, when the
 * summary holds a comparison, each configuration's per-query differences from the baseline, sorted, and when it
 * holds a calibration, its reliability diagram on the held-out queries.
 */
export function chartSpec(summary: EvaluationSummary): Record<string, unknown> {
  const metricValues = summary.configurations.flatMap((c) =>
    summary.metrics.map((metric) => ({ configuration: c.name, metric, value: c.mean[metric] ?? 0 })),
  );
  const latencyValues = summary.configurations.flatMap((c) =>
    (["retrieve", "rerank", "total"] as const).flatMap((stage) => {
      const s = c.latency?.[stage];
      return s ? [{ configuration: c.name, stage, p50: s.p50, p95: s.p95 }] : [];
    }),
  );
  const color = {
    field: "configuration",
    type: "nominal",
    sort: summary.configurations.map((c) => c.name),
    title: "configuration",
    legend: { labelLimit: 0 }, // full names: they say which model a bar is
  };
  return {
    $schema: "https://vega.github.io/schema/vega-lite/v6.json",
    title: {
      text: summary.context.title ?? `${summary.context.dataset}${summary.context.split ? ` (${summary.context.split})` : ""}`,
      subtitle: `${summary.context.firstStage}; ${summary.queriesEvaluated} queries`,
      anchor: "start",
    },
    background: "white",
    padding: 12,
    // Configurations and per-query outcomes are different colour scales, each with its own legend.
    resolve: { scale: { color: "independent" }, legend: { color: "independent" } },
    vconcat: [
      {
        title: "Mean metric per configuration",
        width: Math.max(240, 90 * summary.metrics.length * Math.max(1, summary.configurations.length / 2)),
        height: 220,
        data: { values: metricValues },
        encoding: {
          x: { field: "metric", type: "nominal", sort: summary.metrics, title: null, axis: { labelAngle: 0 } },
          xOffset: { field: "configuration", sort: summary.configurations.map((c) => c.name) },
          y: { field: "value", type: "quantitative", scale: { domain: [0, 1] }, title: "mean" },
        },
        layer: [
          { mark: "bar", encoding: { color } },
          { mark: { type: "text", dy: -6, fontSize: 9 }, encoding: { text: { field: "value", type: "quantitative", format: ".3f" } } },
        ],
      },
      {
        title: "Latency per stage (bar: p50, tick: p95)",
        width: 360,
        height: 200,
        data: { values: latencyValues },
        encoding: {
          x: { field: "stage", type: "nominal", sort: ["retrieve", "rerank", "total"], title: null, axis: { labelAngle: 0 } },
          xOffset: { field: "configuration", sort: summary.configurations.map((c) => c.name) },
        },
        layer: [
          { mark: "bar", encoding: { y: { field: "p50", type: "quantitative", title: "milliseconds" }, color } },
          { mark: { type: "tick", color: "black", thickness: 2 }, encoding: { y: { field: "p95", type: "quantitative" } } },
        ],
      },
      ...(summary.comparison ? [differencesPanel(summary.comparison)] : []),
      ...(summary.calibration ? [reliabilityPanel(summary.calibration)] : []),
    ],
  };
}

/** One bar per query, sorted by its difference from the baseline: where the configuration helps and where it hurts. */
function differencesPanel(set: ComparisonSet): Record<string, unknown> {
  const values = set.comparisons.flatMap((c) =>
    c.measures.flatMap((m) =>
      [...m.differences]
        .sort((x, y) => x.difference - y.difference || (x.queryId < y.queryId ? -1 : 1))
        .map((d, i) => ({
          pair: `${c.name} − ${c.baseline}`,
          measure: m.measure,
          position: i + 1,
          queryId: d.queryId,
          difference: d.difference,
          outcome: d.difference > TIE_TOLERANCE ? "better" : d.difference < -TIE_TOLERANCE ? "worse" : "tie",
        })),
    ),
  );
  return {
    title: `Per-query difference from ${set.baseline}, sorted (one bar per query)`,
    data: { values },
    facet: {
      row: { field: "measure", type: "nominal", sort: set.comparisons[0]?.measures.map((m) => m.measure), title: null },
      column: {
        field: "pair",
        type: "nominal",
        sort: set.comparisons.map((c) => `${c.name} − ${c.baseline}`),
        title: null,
        header: { labelLimit: 0 },
      },
    },
    spec: {
      width: 300,
      height: 120,
      mark: "bar",
      encoding: {
        x: { field: "position", type: "ordinal", axis: null, title: "queries, sorted by difference" },
        y: { field: "difference", type: "quantitative", title: "difference" },
        color: {
          field: "outcome",
          type: "nominal",
          scale: { domain: ["better", "tie", "worse"], range: ["#2a9d4b", "#9e9e9e", "#c8372d"] },
          title: "per query",
        },
        tooltip: [{ field: "queryId" }, { field: "difference", format: "+.4f" }],
      },
    },
  };
}

// In the CommonJS build the bundler turns `import()` into `require()`, which cannot load vega-lite (an ES module with
// top-level await) on Node 20: then a native import() that no bundler rewrites loads it.
const nativeImport = new Function("specifier", "return import(specifier)") as (specifier: string) => Promise<unknown>;

async function loadVega(): Promise<[typeof import("vega"), typeof import("vega-lite")]> {
  try {
    return await Promise.all([import("vega"), import("vega-lite")]);
  } catch (error) {
    if ((error as { code?: unknown })?.code !== "ERR_REQUIRE_ASYNC_MODULE") throw error;
    return (await Promise.all([nativeImport("vega"), nativeImport("vega-lite")])) as [typeof import("vega"), typeof import("vega-lite")];
  }
}

/** Vega and Vega-Lite, or a MissingDependencyError saying how to install them. */
async function chartRenderer(): Promise<[typeof import("vega"), typeof import("vega-lite")]> {
  try {
    return await loadVega();
  } catch (error) {
    throw new MissingDependencyError("Rendering the chart needs the optional peer dependencies vega and vega-lite: npm install vega vega-lite", {
      cause: error,
    });
  }
}

/** Throws the MissingDependencyError `renderChartSvg` would, so a CLI can fail before an evaluation, not after it. */
export async function assertChartRenderer(): Promise<void> {
  await chartRenderer();
}

/**
 * Renders the chart to an SVG string with Vega-Lite and Vega: optional peers (with d3, about 50 packages), so
 * installs that never draw a chart don't carry them. `chartSpec` needs neither.
 */
export async function renderChartSvg(summary: EvaluationSummary): Promise<string> {
  const [vega, vegaLite] = await chartRenderer();
  const compiled = vegaLite.compile(chartSpec(summary) as unknown as Parameters<typeof vegaLite.compile>[0]);
  const view = new vega.View(vega.parse(compiled.spec), { renderer: "none" });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}
