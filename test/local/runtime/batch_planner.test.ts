import { describe, expect, it } from "vitest";
import { planBatches } from "../../../src/local/runtime/batch_planner.js";

describe("planBatches", () => {
  const lengths = [30, 500, 12, 480, 90, 91, 300, 7, 512, 64];

  it("covers every pair exactly once, longest first", () => {
    const batches = planBatches(lengths, { batchSize: 3, maxBatchTokens: 100_000 });
    expect(batches.flat().sort((a, b) => a - b)).toEqual(lengths.map((_, i) => i));
    expect(batches.flat().map((i) => lengths[i])).toEqual([...lengths].sort((a, b) => b - a));
    expect(batches.map((b) => b.length)).toEqual([3, 3, 3, 1]);
  });

  it("keeps padded tokens (pairs × longest) within the budget; an over-long pair runs alone", () => {
    const batches = planBatches(lengths, { batchSize: 8, maxBatchTokens: 1000 });
    for (const batch of batches) {
      const widest = Math.max(...batch.map((i) => lengths[i]!));
      if (batch.length > 1) expect(batch.length * widest).toBeLessThanOrEqual(1000);
    }
    expect(batches[0]).toEqual([8]); // 512: two would be 1024 tokens
    expect(planBatches([2000], { batchSize: 8, maxBatchTokens: 1000 })).toEqual([[0]]);
  });

  it("breaks length ties by input position and handles no pairs", () => {
    expect(planBatches([5, 5, 5], { batchSize: 2, maxBatchTokens: 100 })).toEqual([[0, 1], [2]]);
    expect(planBatches([], { batchSize: 2, maxBatchTokens: 100 })).toEqual([]);
  });
});
