import { describe, expect, it } from "vitest";
import { logGamma, regularizedIncompleteBeta, studentTCdf, studentTQuantile, studentTTwoSided } from "../../../src/eval/stats/student_t.js";

describe("Student's t distribution", () => {
  it("log-gamma matches closed forms", () => {
    expect(logGamma(0.5)).toBeCloseTo(Math.log(Math.sqrt(Math.PI)), 14);
    expect(logGamma(1)).toBeCloseTo(0, 14);
    expect(logGamma(10)).toBeCloseTo(Math.log(362880), 13);
    expect(logGamma(0.1)).toBeCloseTo(2.252712651734206, 13); // ln Γ(0.1), through the reflection formula
    expect(() => logGamma(0)).toThrow(/must be positive/);
  });

  it("the incomplete beta matches a binomial tail: I_0.4(2, 3) = P(Bin(4, 0.4) ≥ 2) = 0.5248", () => {
    expect(regularizedIncompleteBeta(0.4, 2, 3)).toBeCloseTo(0.5248, 14);
    expect(regularizedIncompleteBeta(0.9, 2, 3)).toBeCloseTo(1 - (0.1 ** 4 + 4 * 0.9 * 0.1 ** 3), 14); // the symmetric branch
    expect(regularizedIncompleteBeta(0, 2, 3)).toBe(0);
    expect(regularizedIncompleteBeta(1, 2, 3)).toBe(1);
    expect(() => regularizedIncompleteBeta(1.5, 2, 3)).toThrow(/x must lie in \[0, 1\]/);
    expect(() => regularizedIncompleteBeta(0.5, 0, 3)).toThrow(/a and b must be positive/);
  });

  it("two-sided p-values equal the closed forms for 1 and 2 degrees of freedom", () => {
    for (const t of [0, 0.3, 1, 2.5, 12, -4]) {
      expect(studentTTwoSided(t, 1)).toBeCloseTo(1 - (2 * Math.atan(Math.abs(t))) / Math.PI, 14); // Cauchy
      expect(studentTTwoSided(t, 2)).toBeCloseTo(1 - Math.abs(t) / Math.sqrt(2 + t * t), 14);
    }
    expect(studentTTwoSided(Infinity, 5)).toBe(0);
    expect(studentTTwoSided(Number.NaN, 5)).toBeNaN();
    expect(() => studentTTwoSided(1, 0)).toThrow(/df must be positive/);
  });

  it("the CDF and the quantile invert each other", () => {
    expect(studentTCdf(0, 7)).toBe(0.5);
    for (const df of [1, 4, 42, 299]) {
      for (const p of [0.025, 0.2, 0.8, 0.975]) expect(studentTCdf(studentTQuantile(p, df), df)).toBeCloseTo(p, 12);
    }
    expect(studentTQuantile(0.975, 1)).toBeCloseTo(Math.tan(Math.PI * (0.975 - 0.5)), 9);
    expect(() => studentTQuantile(1, 3)).toThrow(/p must lie in \(0, 1\)/);
  });
});
