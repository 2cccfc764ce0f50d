import { describe, expect, it } from "vitest";
import { brierScore, calibrationMeasures, expectedCalibrationError, logLoss, reliabilityBins } from "../../../src/eval/calibration/metrics.js";

const T = true;
const F = false;

describe("Brier score and log loss", () => {
  it("equal the direct computation on a hand case", () => {
    const p = [0.9, 0.2, 0.6, 0.1];
    const y = [T, F, F, T];
    expect(brierScore(p, y)).toBeCloseTo((0.01 + 0.04 + 0.36 + 0.81) / 4, 15);
    expect(logLoss(p, y)).toBeCloseTo(-(Math.log(0.9) + Math.log(0.8) + Math.log(0.4) + Math.log(0.1)) / 4, 15);
  });

  it("log loss clips 0 and 1 at 1e-15 (as scikit-learn), so a confident miss is large but finite", () => {
    expect(logLoss([0], [T])).toBeCloseTo(-Math.log(1e-15), 12);
    expect(logLoss([1], [F])).toBeCloseTo(-Math.log(1 - (1 - 1e-15)), 12);
    expect(logLoss([1, 0], [T, F])).toBeCloseTo(-Math.log(1 - 1e-15), 12);
  });

  it("refuses NaN, probabilities outside 0–1 and mismatched lengths", () => {
    expect(() => brierScore([Number.NaN], [T])).toThrow(/probability 0 is NaN, not a number in 0–1/);
    expect(() => logLoss([1.5], [T])).toThrow(/probability 0 is 1.5/);
    expect(() => logLoss([0.5, 0.5], [T])).toThrow(/2 probabilities for 1 labels/);
    expect(() => brierScore([], [])).toThrow(/no candidates/);
  });
});

describe("expected calibration error over equal-mass bins", () => {
  it("equals Σ (n_b/N)·|mean p − share relevant| on a hand case with 2 bins", () => {
    // Sorted: [0.1, 0.2, 0.3] | [0.7, 0.8, 0.9]; bin 1: mean 0.2, 1/3 relevant; bin 2: mean 0.8, 2/3 relevant.
    const p = [0.9, 0.1, 0.8, 0.2, 0.7, 0.3];
    const y = [T, F, T, T, F, F];
    expect(expectedCalibrationError(p, y, 2)).toBeCloseTo(0.5 * Math.abs(0.2 - 1 / 3) + 0.5 * Math.abs(0.8 - 2 / 3), 15);
    expect(reliabilityBins(p, y, 2).map((b) => b.count)).toEqual([3, 3]);
  });

  it("longer bins first (numpy's array_split), never more bins than asked", () => {
    const p = Array.from({ length: 7 }, (_, i) => i / 10);
    expect(
      reliabilityBins(
        p,
        p.map(() => F),
        3,
      ).map((b) => b.count),
    ).toEqual([3, 2, 2]);
    expect(
      reliabilityBins(
        p,
        p.map(() => F),
        10,
      ).map((b) => b.count),
    ).toEqual([1, 1, 1, 1, 1, 1, 1]);
  });

  it("never splits equal probabilities: a constant predictor is one bin, and its ECE is |p − base rate|", () => {
    const y = [T, F, F, F];
    expect(reliabilityBins([0.4, 0.4, 0.4, 0.4], y, 10)).toEqual([{ count: 4, meanPredicted: 0.4, observed: 0.25, lower: 0.4, upper: 0.4 }]);
    expect(expectedCalibrationError([0.4, 0.4, 0.4, 0.4], y)).toBeCloseTo(0.15, 15);
    // A tie run across the cut after 2 moves the cut to its end.
    expect(reliabilityBins([0.1, 0.5, 0.5, 0.9], y, 2).map((b) => b.count)).toEqual([3, 1]);
  });

  it("is 0 for perfectly calibrated bins; calibrationMeasures gathers all three", () => {
    const p = [0.5, 0.5, 1, 1];
    const y = [T, F, T, T];
    const m = calibrationMeasures(p, y, 2);
    expect(m.ece).toBe(0);
    expect(m.brier).toBeCloseTo(0.125, 15);
    expect(m.logLoss).toBeCloseTo(Math.log(2) / 2, 12);
    expect(() => reliabilityBins(p, y, 0)).toThrow(/`bins` must be a positive integer/);
  });
});
