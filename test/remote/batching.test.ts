import { describe, expect, it } from "vitest";
import { batchRanges, mapWithConcurrency } from "../../src/remote/batching.js";

describe("batchRanges", () => {
  it("covers 0..count in ranges of at most size", () => {
    expect(batchRanges(5, 2)).toEqual([
      { start: 0, end: 2 },
      { start: 2, end: 4 },
      { start: 4, end: 5 },
    ]);
    expect(batchRanges(0, 3)).toEqual([]);
  });
});

describe("mapWithConcurrency", () => {
  it("keeps results in input order with at most `limit` in flight", async () => {
    let inFlight = 0;
    let peak = 0;
    const out = await mapWithConcurrency([30, 5, 20, 1, 10], 2, async (ms) => {
      peak = Math.max(peak, ++inFlight);
      await new Promise((resolve) => setTimeout(resolve, ms));
      inFlight -= 1;
      return ms * 2;
    });
    expect(out).toEqual([60, 10, 40, 2, 20]);
    expect(peak).toBe(2);
  });

  it("fails the whole call on the first failure and aborts the rest: never a partial answer", async () => {
    const aborted: number[] = [];
    const run = mapWithConcurrency(
      [0, 1, 2, 3],
      2,
      (i, signal) =>
        new Promise<number>((resolve, reject) => {
          if (i === 1) return reject(new Error("batch 1 failed"));
          signal.addEventListener("abort", () => (aborted.push(i), reject(signal.reason)));
          setTimeout(() => resolve(i), 200);
        }),
    );
    await expect(run).rejects.toThrow("batch 1 failed");
    expect(aborted).toEqual([0]);
  });
});
