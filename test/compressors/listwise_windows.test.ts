import { describe, expect, it } from "vitest";
import {
  IDS_KEY,
  MAX_REPORTED_IDS,
  SCHEMA_NAME,
  answerIds,
  preview,
  rankToolCallArgs,
  repairRanking,
  slidingWindows,
} from "../../src/compressors/listwise_windows.js";

describe("slidingWindows (RankGPT)", () => {
  it("visits the last window first, then moves up by stepSize until the top", () => {
    expect(slidingWindows(0, 20, 10)).toEqual([]);
    expect(slidingWindows(5, 20, 10)).toEqual([[0, 5]]);
    expect(slidingWindows(20, 20, 10)).toEqual([[0, 20]]);
    expect(slidingWindows(45, 20, 10)).toEqual([
      [25, 45],
      [15, 35],
      [5, 25],
      [0, 15],
    ]);
    expect(slidingWindows(7, 4, 3)).toEqual([
      [3, 7],
      [0, 4],
    ]);
  });

  it("covers every position, and consecutive windows overlap by windowSize - stepSize", () => {
    for (const [count, size, step] of [
      [100, 20, 10],
      [33, 5, 2],
      [9, 2, 1],
    ] as const) {
      const windows = slidingWindows(count, size, step);
      const covered = new Set(windows.flatMap(([start, end]) => Array.from({ length: end - start }, (_, i) => start + i)));
      expect(covered.size).toBe(count);
      expect(windows[0]![1]).toBe(count);
      expect(windows.at(-1)![0]).toBe(0);
      for (let i = 1; i < windows.length; i++) expect(windows[i - 1]![0] - windows[i]![0]).toBeLessThanOrEqual(step);
    }
  });
});

describe("repairRanking", () => {
  it("keeps a valid permutation as is", () => {
    expect(repairRanking([2, 0, 1], 3)).toEqual({ permutation: [2, 0, 1], invalidIds: [], duplicateIds: [], omittedIds: [] });
  });

  it("drops unknown and repeated ids, accepts integer strings, and appends omitted ids in their order", () => {
    expect(repairRanking([3, "1", 9, 1, -1, 2.5, "[0]", null], 5)).toEqual({
      permutation: [3, 1, 0, 2, 4],
      invalidIds: [9, -1, 2.5, null],
      duplicateIds: [1],
      omittedIds: [2, 4],
    });
  });

  it("reports at most MAX_REPORTED_IDS invalid and repeated entries, and cuts long strings", () => {
    const repaired = repairRanking([...Array(200).fill(0), ...Array(200).fill(99), "x".repeat(500)], 2);
    expect(repaired.permutation).toEqual([0, 1]);
    expect(repaired.duplicateIds).toHaveLength(MAX_REPORTED_IDS);
    expect(repaired.invalidIds).toHaveLength(MAX_REPORTED_IDS);
    expect(repairRanking(["y".repeat(500)], 1).invalidIds[0]).toBe(`${"y".repeat(100)}…`);
  });
});

describe("reading a model's answer", () => {
  it("answerIds takes a list, the schema's property, or the property as a JSON string", () => {
    expect(answerIds([1, 0])).toEqual([1, 0]);
    expect(answerIds({ [IDS_KEY]: [1, 0] })).toEqual([1, 0]);
    expect(answerIds({ [IDS_KEY]: " [2, 0, 1] " })).toEqual([2, 0, 1]);
    expect(answerIds({ [IDS_KEY]: "[not json" })).toBeUndefined();
    expect(answerIds({ [IDS_KEY]: "2, 0" })).toBeUndefined();
    expect(answerIds({ other: [1] })).toBeUndefined();
    expect(answerIds(null)).toBeUndefined();
  });

  it("rankToolCallArgs finds the schema's tool call in a raw message", () => {
    const args = { [IDS_KEY]: [0] };
    expect(
      rankToolCallArgs({
        tool_calls: [
          { name: "other", args: {} },
          { name: SCHEMA_NAME, args },
        ],
      }),
    ).toBe(args);
    expect(rankToolCallArgs({ tool_calls: [{ name: SCHEMA_NAME, args: "x" }] })).toBeUndefined();
    expect(rankToolCallArgs({ tool_calls: "x" })).toBeUndefined();
    expect(rankToolCallArgs(null)).toBeUndefined();
  });

  it("preview shows any value as cut JSON, BigInt and cycles included", () => {
    expect(preview({ a: 1n })).toBe('{"a":"1n"}');
    const cycle: Record<string, unknown> = {};
    cycle.self = cycle;
    expect(preview(cycle)).toBe("an unserializable object");
    expect(preview("z".repeat(500))).toHaveLength(200);
  });
});
