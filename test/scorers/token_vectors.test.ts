import { describe, expect, it } from "vitest";
import { bytesPerToken, maxSim, packWindows, unpackWindows } from "../../src/scorers/token_vectors.js";

describe("MaxSim and the token-vector codec", () => {
  it("MaxSim by hand: each query vector's best dot product, summed", () => {
    const query = new Float32Array([1, 0, 0, 1]); // two query vectors of dim 2
    const doc = { count: 3, dim: 2, data: new Float32Array([0.5, 0.5, 1, 0, -1, 0.2]) };
    // query 1: max(0.5, 1, -1) = 1; query 2: max(0.5, 0, 0.2) = 0.5
    expect(maxSim(query, 2, doc)).toBeCloseTo(1.5, 6);
  });

  it("round-trips float32 exactly and float16 / int8 closely, at the bytes per token it states", () => {
    const data = new Float32Array(Array.from({ length: 5 * 8 }, (_, i) => Math.sin(i)));
    const query = new Float32Array(Array.from({ length: 3 * 8 }, (_, i) => Math.cos(i)));
    const exact = maxSim(query, 3, { count: 5, dim: 8, data });
    for (const precision of ["float32", "float16", "int8"] as const) {
      const bytes = packWindows([{ data, count: 5, span: { start: 3, end: 9 } }], 8, precision);
      expect(bytes.byteLength).toBeLessThanOrEqual(12 + 12 + 5 * bytesPerToken(8, precision) + 3);
      const { windows } = unpackWindows(bytes);
      expect(windows[0]!.span).toEqual({ start: 3, end: 9 });
      const score = maxSim(query, 3, windows[0]!.vectors);
      if (precision === "float32") expect(score).toBe(exact);
      else expect(Math.abs(score - exact)).toBeLessThan(precision === "float16" ? 1e-2 : 5e-2);
    }
    expect(() => unpackWindows(new Uint8Array([1, 2, 3]))).toThrow(/unreadable/);
  });
});
