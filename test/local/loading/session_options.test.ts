import { describe, expect, it } from "vitest";
import { HuggingFaceCrossEncoder } from "../../../src/huggingface.js";
import { InvalidOptionError } from "../../../src/index.js";
import { FIXTURE_RERANKER } from "../../support/fixtures.js";

describe("HuggingFaceCrossEncoder sessionOptions", () => {
  it("passes onnxruntime session options through: a single-threaded, non-spinning session scores the same", async () => {
    const pairs = [
      ["what is a bank", "the bank of the river"],
      ["what is a bank", "money market rates"],
    ] as const;
    const plain = new HuggingFaceCrossEncoder({ model: FIXTURE_RERANKER, dtype: "fp32" });
    const single = new HuggingFaceCrossEncoder({
      model: FIXTURE_RERANKER,
      dtype: "fp32",
      sessionOptions: { intraOpNumThreads: 1, extra: { session: { intra_op: { allow_spinning: "0" } } } },
    });
    const [a, b] = [await plain.score(pairs), await single.score(pairs)];
    a.forEach((score, i) => expect(b[i]).toBeCloseTo(score, 6));
    await plain.dispose();
    await single.dispose();
  });

  it("rejects what is not an options object", () => {
    expect(() => new HuggingFaceCrossEncoder({ sessionOptions: 1 as never })).toThrow(InvalidOptionError);
    expect(() => new HuggingFaceCrossEncoder({ sessionOptions: [] as never })).toThrow(/sessionOptions must be an object.*an array/);
  });

  it("rejects an invalid onnxruntime option when the model loads", async () => {
    const scorer = new HuggingFaceCrossEncoder({ model: FIXTURE_RERANKER, dtype: "fp32", sessionOptions: { graphOptimizationLevel: "nonsense" } });
    await expect(scorer.load()).rejects.toThrow();
  });
});
