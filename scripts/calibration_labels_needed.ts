// How many labelled queries a calibration needs, on synthetic scorers whose true calibration curve is known:
// every query has 30 candidates with scores uniform in [−3, 3] and each is relevant with probability curve(score).
// Fit on n queries' labels, then measure the fitted curve's mean absolute error from the true one over the score
// distribution (the calibration error a user would see, without sampling noise), over 20 seeds.
//
//   npx tsx scripts/calibration_labels_needed.ts
//
// docs/evaluation.md quotes its output; test/eval/calibration/recovery.test.ts asserts the bounds it states.
import { resolve } from "node:path";
import { fitIsotonic, fitPlatt } from "../src/eval/calibration/fit.js";
import { createPrng } from "../src/eval/stats/prng.js";
import type { LabelledScore } from "../src/eval/threshold.js";
import { type CalibrationMap, applyCalibrationMap } from "../src/scorers/calibration.js";

export type Curve = (score: number) => number;

/** A logistic true curve (Platt's model is right) and a non-logistic one (only isotonic can follow it). */
export const CURVES: Record<string, Curve> = {
  logistic: (s) => 1 / (1 + Math.exp(-(2 * s - 1))),
  step: (s) => (s < -1 ? 0.05 : s < 1 ? 0.3 : 0.8),
};

/** `queries` queries of `perQuery` candidates: scores uniform in [−3, 3], relevant with probability curve(score). */
export function syntheticLabels(curve: Curve, queries: number, seed: number, perQuery = 30): (LabelledScore & { queryId: string })[] {
  const random = createPrng(seed);
  const points: (LabelledScore & { queryId: string })[] = [];
  for (let q = 0; q < queries; q++) {
    for (let c = 0; c < perQuery; c++) {
      const score = random() * 6 - 3;
      points.push({ queryId: `q${q}`, score, relevant: random() < curve(score) });
    }
  }
  return points;
}

/** Mean |fitted − true| over 601 scores evenly spread on [−3, 3] (the score distribution). */
export function curveError(map: CalibrationMap, curve: Curve): number {
  let sum = 0;
  for (let i = 0; i <= 600; i++) {
    const s = -3 + i / 100;
    sum += Math.abs(applyCalibrationMap(map, s) - curve(s));
  }
  return sum / 601;
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
};

/** Median and worst curve error of each fit over `seeds` seeds, for n labelled queries. */
export function errorsFor(curve: Curve, queries: number, seeds = 20): Record<"platt" | "isotonic", { median: number; worst: number }> {
  const errors = { platt: [] as number[], isotonic: [] as number[] };
  for (let seed = 1; seed <= seeds; seed++) {
    const points = syntheticLabels(curve, queries, seed);
    errors.platt.push(curveError(fitPlatt(points), curve));
    errors.isotonic.push(curveError(fitIsotonic(points), curve));
  }
  return {
    platt: { median: median(errors.platt), worst: Math.max(...errors.platt) },
    isotonic: { median: median(errors.isotonic), worst: Math.max(...errors.isotonic) },
  };
}

if (process.argv[1] && resolve(process.argv[1]).endsWith("calibration_labels_needed.ts")) {
  const sizes = [5, 10, 20, 50, 100, 200];
  console.log("mean |fitted − true P(relevant)| over the scores; median (worst) of 20 seeds; 30 candidates per query");
  console.log(["true curve", "fit", ...sizes.map((n) => `${n} queries`)].map((c, i) => (i < 2 ? c.padEnd(10) : c.padStart(15))).join("  "));
  for (const [name, curve] of Object.entries(CURVES)) {
    const rows = sizes.map((n) => errorsFor(curve, n));
    for (const fit of ["platt", "isotonic"] as const) {
      const cells = rows.map((r) => `${r[fit].median.toFixed(3)} (${r[fit].worst.toFixed(3)})`);
      console.log([name.padEnd(10), fit.padEnd(10), ...cells.map((c) => c.padStart(15))].join("  "));
    }
  }
}
