import { describe, expect, it } from "vitest";
import { RerankError, type CrossEncoder, type TextPair } from "../../src/index.js";
import { rankTexts } from "../../src/scorers/rank_texts.js";

const TEXTS = ["alpha", "beta beta", "gamma gamma gamma", "delta"];

/** Scores a pair by its text's length, so the order is known: longest first. */
const byLength: CrossEncoder = { score: async (pairs: readonly TextPair[]) => pairs.map(([, text]) => text.length) };

describe("rankTexts", () => {
  it("returns every text best first, ties in input order, with the scorer's own numbers", async () => {
    const ranked = await rankTexts("Test", byLength, "q", TEXTS);
    expect(ranked).toEqual([
      { index: 2, relevanceScore: 17 },
      { index: 1, relevanceScore: 9 },
      { index: 0, relevanceScore: 5 },
      { index: 3, relevanceScore: 5 },
    ]);
  });

  it("uses scoreDetailed when present and keeps each best window", async () => {
    const detailed: CrossEncoder = {
      score: async () => [0, 0],
      scoreDetailed: async (pairs) => pairs.map(([, text], i) => (i === 1 ? { score: 2, chunk: { start: 1, end: text.length } } : { score: 1 })),
    };
    expect(await rankTexts("Test", detailed, "q", ["one", "two"])).toEqual([
      { index: 1, relevanceScore: 2, chunk: { start: 1, end: 3 } },
      { index: 0, relevanceScore: 1 },
    ]);
  });

  it("passes the call options through and refuses an already aborted signal before scoring", async () => {
    const seen: unknown[] = [];
    const recording: CrossEncoder = {
      score: async (pairs, options) => {
        seen.push(options);
        return pairs.map(() => 1);
      },
    };
    await rankTexts("Test", recording, "q", ["a"], { extra: 1 } as never);
    expect(seen).toEqual([{ extra: 1 }]);
    const controller = new AbortController();
    controller.abort(new Error("stop"));
    await expect(rankTexts("Test", recording, "q", ["a"], { signal: controller.signal })).rejects.toThrow("stop");
    expect(seen).toHaveLength(1);
  });

  it("names the owner when the scorer returns the wrong count, a non-finite score or a window outside its text", async () => {
    const short: CrossEncoder = { score: async () => [1] };
    await expect(rankTexts("Owner", short, "q", ["a", "b"])).rejects.toThrow("Owner: the cross-encoder returned 1 scores for 2 documents.");
    const nan: CrossEncoder = { score: async () => [Number.NaN] };
    await expect(rankTexts("Owner", nan, "q", ["a"])).rejects.toBeInstanceOf(RerankError);
    const outside: CrossEncoder = { score: async () => [1], scoreDetailed: async () => [{ score: 1, chunk: { start: 0, end: 9 } }] };
    await expect(rankTexts("Owner", outside, "q", ["abc"])).rejects.toThrow(
      "Owner: the cross-encoder returned an invalid best window for document 0",
    );
  });
});
