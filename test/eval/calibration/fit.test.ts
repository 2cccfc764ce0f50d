import { describe, expect, it } from "vitest";
import { CalibrationError, fitIsotonic, fitPlatt } from "../../../src/eval/calibration/fit.js";
import { applyCalibrationMap } from "../../../src/scorers/calibration.js";
import { CURVES, errorsFor } from "../../../scripts/calibration_labels_needed.js";

const points = (scores: number[], labels: number[]) => scores.map((score, i) => ({ score, relevant: labels[i] === 1 }));

describe("fitPlatt and fitIsotonic refuse what cannot be calibrated", () => {
  it("NaN and infinite scores", () => {
    const bad = points([0.1, Number.NaN, 0.3], [0, 1, 1]);
    expect(() => fitPlatt(bad)).toThrow(CalibrationError);
    expect(() => fitPlatt(bad)).toThrow(/score 1 is NaN; every score must be a finite number/);
    expect(() => fitIsotonic(points([0.1, Number.POSITIVE_INFINITY], [0, 1]))).toThrow(/score 1 is Infinity/);
  });

  it("all relevant, none relevant, nothing at all", () => {
    expect(() => fitPlatt(points([1, 2, 3], [1, 1, 1]))).toThrow(/all 3 candidates are relevant; a calibration needs both/);
    expect(() => fitIsotonic(points([1, 2, 3], [0, 0, 0]))).toThrow(/all 3 candidates are non-relevant/);
    expect(() => fitIsotonic([])).toThrow(/no labelled scores/);
  });

  it("Platt: perfectly separating scores (no finite slope), constant scores, and scores that fall as relevance rises", () => {
    expect(() => fitPlatt(points([1, 2, 3, 4], [0, 0, 1, 1]))).toThrow(/separate relevant from non-relevant candidates perfectly.*use isotonic/);
    expect(() => fitPlatt(points([1, 2, 2, 3], [0, 1, 0, 1]).slice(0, 3))).toThrow(/perfectly/); // quasi-complete: tie at the boundary
    expect(() => fitPlatt(points([5, 5, 5], [0, 1, 0]))).toThrow(/every score is 5, so there is no slope/);
    expect(() => fitPlatt(points([1, 2, 3, 4, 5], [1, 1, 0, 1, 0]))).toThrow(/fitted slope is -.*relevance does not rise with the score/);
  });
});

describe("fitIsotonic's documented behaviour at the edges", () => {
  it("constant scores map to the base rate, everywhere", () => {
    const map = fitIsotonic(points([5, 5, 5, 5], [0, 1, 0, 0]));
    expect(map).toEqual({ method: "isotonic", x: [5], y: [0.25] });
    expect(applyCalibrationMap(map, -100)).toBe(0.25);
    expect(applyCalibrationMap(map, 100)).toBe(0.25);
  });

  it("pools violators, interpolates between thresholds and clips outside them", () => {
    // Means by score: 1 → 0, 2 → 1, 3 → 0 (violator, pooled with 2 → 0.5), 4 → 1.
    const map = fitIsotonic(points([1, 2, 3, 4], [0, 1, 0, 1]));
    expect(map).toEqual({ method: "isotonic", x: [1, 2, 3, 4], y: [0, 0.5, 0.5, 1] });
    expect(applyCalibrationMap(map, 1.5)).toBeCloseTo(0.25, 15);
    expect(applyCalibrationMap(map, 0)).toBe(0);
    expect(applyCalibrationMap(map, 9)).toBe(1);
  });

  it("perfectly separating scores are fine for isotonic: a step from 0 to 1", () => {
    const map = fitIsotonic(points([1, 2, 3, 4], [0, 0, 1, 1]));
    expect(map.y).toEqual([0, 0, 1, 1]);
  });
});

describe("the fits recover a known calibration curve (scripts/calibration_labels_needed.ts, 30 candidates per query, 20 seeds)", () => {
  it("logistic truth: Platt's mean error is below 0.015 in every seed with 100 labelled queries, and shrinks with more", () => {
    const at20 = errorsFor(CURVES.logistic!, 20);
    const at100 = errorsFor(CURVES.logistic!, 100);
    expect(at100.platt.worst).toBeLessThan(0.015);
    expect(at100.platt.median).toBeLessThan(at20.platt.median);
    expect(at20.platt.worst).toBeLessThan(0.03);
  });

  it("a non-logistic (step) truth: isotonic gets within 0.03 with 100 queries in every seed; Platt cannot follow it", () => {
    const at100 = errorsFor(CURVES.step!, 100);
    expect(at100.isotonic.worst).toBeLessThan(0.03);
    expect(at100.platt.median).toBeGreaterThan(0.07);
  });
});
