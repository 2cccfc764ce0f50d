import { describe, expect, it } from "vitest";
import { HuggingFaceCrossEncoder } from "../../../src/huggingface.js";
import { CPU_BATCH_LIMITS, GPU_BATCH_LIMITS, WASM_BATCH_LIMITS } from "../../../src/local/runtime/batch_planner.js";

// Batching defaults per device (docs/benchmarks.md measured them); no model is loaded.
describe("HuggingFaceCrossEncoder batch defaults by device", () => {
  it("uses one pair per pass on WASM, the token budget on the CPU and large batches on GPUs", () => {
    expect(new HuggingFaceCrossEncoder({ device: "wasm" }).batchLimits).toEqual({ batchSize: 1, maxBatchTokens: 512 });
    expect(WASM_BATCH_LIMITS).toEqual({ batchSize: 1, maxBatchTokens: 512 });
    expect(new HuggingFaceCrossEncoder({ device: "cpu" }).batchLimits).toEqual(CPU_BATCH_LIMITS);
    expect(new HuggingFaceCrossEncoder({ device: "webgpu" }).batchLimits).toEqual(GPU_BATCH_LIMITS);
  });

  it("defaults to the CPU device in Node", () => {
    expect(new HuggingFaceCrossEncoder().device).toBe("cpu");
  });

  it("an explicit batch option still overrides the WASM default", () => {
    expect(new HuggingFaceCrossEncoder({ device: "wasm", batchSize: 8 }).batchLimits).toEqual({
      batchSize: 8,
      maxBatchTokens: Number.POSITIVE_INFINITY,
    });
  });

  it("rejects a wasmPaths that is neither a folder URL nor { wasm, mjs }", () => {
    expect(() => new HuggingFaceCrossEncoder({ wasmPaths: 3 as never })).toThrow(/`wasmPaths` must be a folder URL/);
    expect(() => new HuggingFaceCrossEncoder({ wasmPaths: { wasm: "/a.wasm", other: "x" } as never })).toThrow(/`wasmPaths` must be a folder URL/);
    expect(new HuggingFaceCrossEncoder({ wasmPaths: { wasm: "/a.wasm" } })).toBeInstanceOf(HuggingFaceCrossEncoder);
  });
});
