import { describe, expect, it } from "vitest";
import { InvalidOptionError, OverloadedError } from "../../../src/index.js";
import { checkMaxQueuedPairs, DEFAULT_MAX_QUEUED_PAIRS, PairQueue } from "../../../src/local/runtime/load_shedding.js";

describe("PairQueue", () => {
  it("admits up to the bound, refuses what would go over it, and takes pairs back on release", () => {
    const queue = new PairQueue("Scorer", "model-x", 10);
    const first = queue.admit(6);
    const second = queue.admit(4);
    expect(queue.queuedPairs).toBe(10);
    expect(() => queue.admit(1)).toThrow(OverloadedError);
    expect(() => queue.admit(1)).toThrow(/Scorer is overloaded: 10 pairs are waiting for "model-x" and this call adds 1, over maxQueuedPairs \(10\)/);
    expect(queue.queuedPairs).toBe(10); // a refused call holds nothing
    first();
    first(); // idempotent
    expect(queue.queuedPairs).toBe(4);
    second();
    expect(queue.queuedPairs).toBe(0);
  });

  it("runs a call larger than the bound when nothing else waits", () => {
    const queue = new PairQueue("Scorer", "m", 3);
    const release = queue.admit(50);
    expect(queue.queuedPairs).toBe(50);
    try {
      queue.admit(1);
      expect.unreachable();
    } catch (error) {
      expect((error as OverloadedError & { queuedPairs: number }).queuedPairs).toBe(50);
    }
    release();
    expect(queue.queuedPairs).toBe(0);
  });
});

describe("checkMaxQueuedPairs", () => {
  it("takes positive integers and Infinity, defaults to DEFAULT_MAX_QUEUED_PAIRS, refuses the rest", () => {
    expect(checkMaxQueuedPairs("S", undefined)).toBe(DEFAULT_MAX_QUEUED_PAIRS);
    expect(checkMaxQueuedPairs("S", 1)).toBe(1);
    expect(checkMaxQueuedPairs("S", Number.POSITIVE_INFINITY)).toBe(Number.POSITIVE_INFINITY);
    for (const bad of [0, -1, 1.5, Number.NaN, "10", null]) {
      expect(() => checkMaxQueuedPairs("S", bad)).toThrow(InvalidOptionError);
      expect(() => checkMaxQueuedPairs("S", bad)).toThrow(/S: `maxQueuedPairs` must be a positive integer or Infinity/);
    }
  });
});
