import { describe, expect, it } from "vitest";
import { bytesPerToken, maxSim, packWindows, type TokenVectors, unpackWindows } from "../../src/scorers/token_vectors.js";

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

  it("MaxSim equals the plain definition bit for bit, for any query length and document length (blocks and the rest), float32 and int8", () => {
    // The definition written plainly: one query vector at a time, each dot product summed in order.
    const plain = (query: Float32Array, queryCount: number, doc: TokenVectors) => {
      let total = 0;
      for (let q = 0; q < queryCount; q++) {
        let best = Number.NEGATIVE_INFINITY;
        for (let t = 0; t < doc.count; t++) {
          let dot = 0;
          for (let k = 0; k < doc.dim; k++) dot += query[q * doc.dim + k]! * doc.data[t * doc.dim + k]!;
          if (doc.scales !== undefined) dot *= doc.scales[t]!;
          if (dot > best) best = dot;
        }
        total += best;
      }
      return total;
    };
    const dim = 7;
    const data = new Float32Array(Array.from({ length: 6 * dim }, (_, i) => Math.sin(i * 1.7)));
    // Magnitudes from 1e-3 to 1e3 across query vectors, so that any change in the order of additions changes the rounding.
    const query = new Float32Array(Array.from({ length: 11 * dim }, (_, i) => Math.cos(i * 0.3) * 10 ** ((Math.floor(i / dim) % 7) - 3)));
    const int8: TokenVectors = unpackWindows(packWindows([{ data, count: 6 }], dim, "int8")).windows[0]!.vectors;
    const odd = { count: 5, dim, data: data.subarray(0, 5 * dim) }; // an odd count: the last document vector on its own
    for (const doc of [{ count: 6, dim, data }, odd, int8]) {
      for (let queryCount = 0; queryCount <= 11; queryCount++) expect(maxSim(query, queryCount, doc)).toBe(plain(query, queryCount, doc));
    }
    // By hand with five query vectors (one block of four and one left over), dim 1: best of (2, -1) times each.
    expect(maxSim(new Float32Array([1, -1, 2, 0.5, -3]), 5, { count: 2, dim: 1, data: new Float32Array([2, -1]) })).toBe(2 + 1 + 4 + 1 + 3);
  });
});
