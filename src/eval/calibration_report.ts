import { markdownTable, textTable } from "./tables.js";
import type { CalibrationReport, CalibrationRow } from "./calibration/calibrate.js";

// How a calibration is reported: a sentence on the fit and the split, a before/after table on the held-out
// queries, and the reliability diagram (a table in Markdown, a panel of the Vega-Lite chart).

/** A calibration report with what it calibrated, as the CLI's `--json`, `--report` and `--chart` carry it. */
export interface CalibrationSummary extends CalibrationReport {
  /** The configuration whose scores were calibrated. */
  configuration: string;
  relevantLabel: number;
  /** Where the calibration file was written. */
  file?: string;
}

const f4 = (x: number) => x.toFixed(4);
const HEADER = ["held out", "ECE", "Brier", "log loss"];

function rowName(row: CalibrationRow): string {
  return `${row.name}${row.chosen ? " (chosen)" : ""}`;
}

function rows(report: CalibrationReport): string[][] {
  return report.rows.map((r) => [rowName(r), f4(r.measures.ece), f4(r.measures.brier), f4(r.measures.logLoss)]);
}

/** The lines above the table: method, choice, split, and what "before" means. */
function preamble(summary: CalibrationSummary): string[] {
  const { crossValidation: cv, dev, heldOut } = summary;
  const cvText =
    cv.platt !== undefined || cv.isotonic !== undefined
      ? `out-of-fold Brier score over ${cv.folds} folds of dev queries: platt ${cv.platt === undefined ? "failed" : f4(cv.platt)}, isotonic ${cv.isotonic === undefined ? "failed" : f4(cv.isotonic)}`
      : "too few dev queries to cross-validate";
  return [
    `Calibration of ${summary.configuration} (relevant: label ≥ ${summary.relevantLabel}): ${summary.method}${summary.method === "platt" ? ` on the ${summary.plattInput}` : ""} (${cvText}).`,
    `Queries split with seed ${summary.seed}: dev ${dev.queries} queries (${dev.candidates} candidates, ${dev.relevant} relevant), ` +
      `held out ${heldOut.queries} queries (${heldOut.candidates} candidates, ${heldOut.relevant} relevant).`,
    `ECE over ${summary.bins} equal-mass bins; "before" reads the ${summary.before === "scores" ? "scores as probabilities" : "scores as logits (sigmoid), since they are not in 0–1"}; "base rate" predicts the dev share relevant for every candidate.`,
    ...summary.notes.map((n) => `note: ${n}`),
  ];
}

/** The calibration block of stdout. */
export function formatCalibrationText(summary: CalibrationSummary): string {
  return [
    "",
    ...preamble(summary),
    "",
    textTable(HEADER, rows(summary)),
    ...(summary.file ? [`Calibration written to ${summary.file}.`] : []),
    "",
  ].join("\n");
}

/** The calibration section of the Markdown report, with the reliability diagram as a table. */
export function formatCalibrationMarkdown(summary: CalibrationSummary): string {
  const chosen = summary.rows.find((r) => r.chosen);
  const before = summary.rows.find((r) => r.name === "before");
  const reliability = (row: CalibrationRow | undefined) =>
    (row?.measures.bins ?? []).map((b, i) => [String(i + 1), String(b.count), f4(b.meanPredicted), f4(b.observed)]);
  return [
    "## Calibration",
    "",
    ...preamble(summary).map((l) => `- ${l.replace(/^note: /, "")}`),
    ...(summary.file ? [`- Calibration file: \`${summary.file}\``] : []),
    "",
    markdownTable(HEADER, rows(summary)),
    "",
    `Reliability on the held-out queries (${summary.method}, chosen): mean predicted probability against the share relevant, per bin.`,
    "",
    markdownTable(["bin", "candidates", "mean predicted", "observed"], reliability(chosen)),
    ...(before ? ["", "Before:", "", markdownTable(["bin", "candidates", "mean predicted", "observed"], reliability(before))] : []),
  ].join("\n");
}

/** The reliability diagram as a Vega-Lite panel: observed against predicted per bin, each row a line, the diagonal dashed. */
export function reliabilityPanel(summary: CalibrationSummary): Record<string, unknown> {
  const values = summary.rows
    .filter((r) => r.name !== "base rate")
    .flatMap((r) => r.measures.bins.map((b) => ({ fit: rowName(r), predicted: b.meanPredicted, observed: b.observed, candidates: b.count })));
  const scale = { domain: [0, 1] };
  return {
    title: `Reliability of ${summary.configuration} on ${summary.heldOut.queries} held-out queries (${summary.bins} equal-mass bins)`,
    width: 320,
    height: 320,
    layer: [
      {
        data: { values: [{ p: 0 }, { p: 1 }] },
        mark: { type: "line", strokeDash: [4, 4], color: "#9e9e9e" },
        encoding: { x: { field: "p", type: "quantitative", scale }, y: { field: "p", type: "quantitative", scale } },
      },
      {
        data: { values },
        mark: { type: "line", point: true },
        encoding: {
          x: { field: "predicted", type: "quantitative", scale, title: "mean predicted probability" },
          y: { field: "observed", type: "quantitative", scale, title: "share relevant" },
          color: { field: "fit", type: "nominal", title: "probabilities", legend: { labelLimit: 0 } },
          tooltip: [{ field: "fit" }, { field: "candidates" }, { field: "predicted", format: ".3f" }, { field: "observed", format: ".3f" }],
        },
      },
    ],
  };
}
