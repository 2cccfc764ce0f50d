import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { CPU_BATCH_LIMITS, GPU_BATCH_LIMITS, planBatches } from "../../src/local/runtime/batch_planner.js";

// The batch planner covers every pair exactly once and keeps every batch within its limits (a pair longer than
// the token budget runs alone: it cannot be split).

const limitsArb = fc.oneof(
  fc.constant(CPU_BATCH_LIMITS),
  fc.constant(GPU_BATCH_LIMITS),
  fc.record({ batchSize: fc.integer({ min: 1, max: 40 }), maxBatchTokens: fc.integer({ min: 1, max: 5000 }) }),
  fc.record({ batchSize: fc.integer({ min: 1, max: 40 }), maxBatchTokens: fc.constant(Number.POSITIVE_INFINITY) }),
);

describe("planBatches (property)", () => {
  it("covers every pair exactly once, within batchSize and maxBatchTokens (padded), longest first", () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: 600 }), { maxLength: 300 }), limitsArb, (lengths, limits) => {
        const batches = planBatches(lengths, limits);
        const all = batches.flat();
        expect(all.sort((a, b) => a - b)).toEqual(lengths.map((_, i) => i));
        for (const batch of batches) {
          expect(batch.length).toBeGreaterThan(0);
          expect(batch.length).toBeLessThanOrEqual(limits.batchSize);
          const padded = batch.length * Math.max(...batch.map((i) => lengths[i]!));
          if (batch.length > 1) expect(padded).toBeLessThanOrEqual(limits.maxBatchTokens);
        }
        // Longest first: batch widths never grow.
        const widths = batches.map((batch) => Math.max(...batch.map((i) => lengths[i]!)));
        widths.forEach((w, i) => i > 0 && expect(w).toBeLessThanOrEqual(widths[i - 1]!));
      }),
      { numRuns: 300 },
    );
  });

  it("is deterministic and does not touch its input", () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: 600 }), { maxLength: 100 }), limitsArb, (lengths, limits) => {
        const copy = [...lengths];
        expect(planBatches(Object.freeze(lengths), limits)).toEqual(planBatches(copy, limits));
        expect(lengths).toEqual(copy);
      }),
      { numRuns: 100 },
    );
  });
});
