import { describe, expect, it } from "vitest";
import {
  bytesPerToken,
  maxSimScores,
  packWindows,
  type StoredShape,
  type TokenVectors,
  unpackWindows,
} from "../../../src/local/colbert/token_vectors.js";
import { ortMatMul, plainMaxSim } from "../../support/maxsim.js";

describe("MaxSim and the token-vector codec", () => {
  it("MaxSim by hand: each query vector's best dot product, summed", async () => {
    const query = new Float32Array([1, 0, 0, 1]); // two query vectors of dim 2
    const doc = { count: 3, dim: 2, data: new Float32Array([0.5, 0.5, 1, 0, -1, 0.2]) };
    // query 1: max(0.5, 1, -1) = 1; query 2: max(0.5, 0, 0.2) = 0.5
    expect((await maxSimScores(query, 2, [doc], ortMatMul))[0]).toBeCloseTo(1.5, 6);
    // By hand with five query vectors of dim 1 against (2, -1): the best of each, 2 + 1 + 4 + 1 + 3.
    const five = await maxSimScores(new Float32Array([1, -1, 2, 0.5, -3]), 5, [{ count: 2, dim: 1, data: new Float32Array([2, -1]) }], ortMatMul);
    expect(five[0]).toBeCloseTo(11, 6);
  });

  it("round-trips float32 exactly and float16 / int8 closely, at the bytes per token it states", () => {
    const data = new Float32Array(Array.from({ length: 5 * 8 }, (_, i) => Math.sin(i)));
    const query = new Float32Array(Array.from({ length: 3 * 8 }, (_, i) => Math.cos(i)));
    const exact = plainMaxSim(query, 3, { count: 5, dim: 8, data });
    for (const precision of ["float32", "float16", "int8"] as const) {
      const bytes = packWindows([{ data, count: 5, span: { start: 3, end: 9 } }], 8, precision);
      expect(bytes.byteLength).toBeLessThanOrEqual(12 + 12 + 5 * bytesPerToken(8, precision) + 3);
      const { windows } = unpackWindows(bytes);
      expect(windows[0]!.span).toEqual({ start: 3, end: 9 });
      const score = plainMaxSim(query, 3, windows[0]!.vectors);
      if (precision === "float32") expect(score).toBe(exact);
      else expect(Math.abs(score - exact)).toBeLessThan(precision === "float16" ? 1e-2 : 5e-2);
    }
    expect(() => unpackWindows(new Uint8Array([1, 2, 3]))).toThrow(/unreadable/);
  });

  it("MaxSim over many documents at once equals the plain definition per document, float32 and int8, empty documents included", async () => {
    const dim = 7;
    const data = new Float32Array(Array.from({ length: 6 * dim }, (_, i) => Math.sin(i * 1.7)));
    const query = new Float32Array(Array.from({ length: 11 * dim }, (_, i) => Math.cos(i * 0.3)));
    const int8: TokenVectors = unpackWindows(packWindows([{ data, count: 6 }], dim, "int8")).windows[0]!.vectors;
    const docs: TokenVectors[] = [
      { count: 6, dim, data },
      { count: 5, dim, data: data.subarray(0, 5 * dim) },
      { count: 0, dim, data: new Float32Array(0) },
      int8,
    ];
    for (let queryCount = 0; queryCount <= 11; queryCount++) {
      const together = await maxSimScores(query, queryCount, docs, ortMatMul);
      docs.forEach((doc, i) => expect(Math.abs(together[i]! - plainMaxSim(query, queryCount, doc))).toBeLessThan(1e-5));
    }
    // A document's score does not depend on which documents share the call.
    const alone = await Promise.all(docs.map(async (doc) => (await maxSimScores(query, 11, [doc], ortMatMul))[0]));
    expect(await maxSimScores(query, 11, [...docs].reverse(), ortMatMul)).toEqual([...alone].reverse());
  });

  it("with the scorer's shape, refuses what the scorer could not have written for that text", () => {
    const dim = 4;
    const unit = (count: number) => new Float32Array(Array.from({ length: count * dim }, (_, i) => (i % dim === 0 ? 1 : 0)));
    const shape: StoredShape = { dim, precision: "float16", maxTokens: 3, maxWindows: 2, textLength: 10 };
    const whole = packWindows([{ data: unit(3), count: 3 }], dim, "float16");
    expect(unpackWindows(whole, shape).windows).toHaveLength(1);
    const refused: [string, Uint8Array, Partial<StoredShape>][] = [
      ["another precision", whole, { precision: "float32" }],
      ["another width", packWindows([{ data: unit(3), count: 3 }], dim, "float16"), { dim: 8 }],
      ["too many vectors", packWindows([{ data: unit(4), count: 4 }], dim, "float16"), {}],
      [
        "too many windows",
        packWindows(
          [0, 1, 2].map((i) => ({ data: unit(1), count: 1, span: { start: i, end: i + 1 } })),
          dim,
          "float16",
        ),
        {},
      ],
      [
        "a window past the text",
        packWindows(
          [0, 8].map((i) => ({ data: unit(1), count: 1, span: { start: i, end: i + 3 } })),
          dim,
          "float16",
        ),
        {},
      ],
      ["one window with a span", packWindows([{ data: unit(1), count: 1, span: { start: 0, end: 3 } }], dim, "float16"), {}],
      ["a vector not of unit length", packWindows([{ data: new Float32Array(dim).fill(0.9), count: 1 }], dim, "float16"), {}],
    ];
    for (const [why, bytes, change] of refused) expect(() => unpackWindows(bytes, { ...shape, ...change }), why).toThrow(/unreadable/);
  });
});
