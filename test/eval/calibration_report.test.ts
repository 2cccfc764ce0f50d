import { describe, expect, it } from "vitest";
import { calibrate } from "../../src/eval/calibration/calibrate.js";
import { type CalibrationSummary, formatCalibrationMarkdown, formatCalibrationText, reliabilityPanel } from "../../src/eval/calibration_report.js";
import { chartSpec } from "../../src/eval/chart.js";
import type { EvaluationSummary } from "../../src/eval/report.js";
import { CURVES, syntheticLabels } from "../../scripts/calibration_labels_needed.js";

const { report } = calibrate(syntheticLabels(CURVES.logistic!, 40, 8), { model: { modelName: "m", scoreMode: null }, relevantLabel: 2 });
const summary: CalibrationSummary = { ...report, configuration: "cross-encoder:m", relevantLabel: 2, file: "cal.json" };

describe("calibration reports", () => {
  it("text: the fit, the split, what before means, one row per probability set with the chosen one marked", () => {
    const text = formatCalibrationText(summary);
    expect(text).toContain("Calibration of cross-encoder:m (relevant: label ≥ 2): platt on the score");
    expect(text).toMatch(/dev 20 queries \(600 candidates, \d+ relevant\), held out 20 queries \(600 candidates, \d+ relevant\)/);
    expect(text).toContain('"before" reads the scores as logits (sigmoid)');
    for (const row of report.rows) {
      const m = row.measures;
      expect(text).toContain(`${row.name}${row.chosen ? " (chosen)" : ""}`);
      expect(text).toMatch(new RegExp(`${m.ece.toFixed(4)} +${m.brier.toFixed(4)} +${m.logLoss.toFixed(4)}`));
    }
    expect(text).toContain("Calibration written to cal.json.");
  });

  it("Markdown: a section with the table and the chosen fit's reliability bins", () => {
    const md = formatCalibrationMarkdown(summary);
    expect(md.startsWith("## Calibration\n")).toBe(true);
    const bins = report.rows.find((r) => r.chosen)!.measures.bins;
    expect(md).toContain(`| 1 | ${bins[0]!.count} | ${bins[0]!.meanPredicted.toFixed(4)} | ${bins[0]!.observed.toFixed(4)} |`);
  });

  it("the reliability panel plots every bin of before and the fits (not the one-bin base rate), with the diagonal", () => {
    const panel = reliabilityPanel(summary) as { layer: { data: { values: { fit: string }[] } }[] };
    const points = panel.layer[1]!.data.values;
    const expected = report.rows.filter((r) => r.name !== "base rate").reduce((n, r) => n + r.measures.bins.length, 0);
    expect(points).toHaveLength(expected);
    expect(new Set(points.map((p) => p.fit))).toEqual(new Set(["before", "platt (chosen)", "isotonic"]));
    const chart = chartSpec({
      context: { dataset: "d", firstStage: "f" },
      metrics: [],
      configurations: [],
      queriesEvaluated: 40,
      calibration: summary,
    } as unknown as EvaluationSummary);
    expect(JSON.stringify((chart as { vconcat: unknown[] }).vconcat.at(-1))).toContain("Reliability of cross-encoder:m on 20 held-out queries");
  });
});
