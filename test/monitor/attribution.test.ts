import { describe, expect, it } from "vitest";
import { attributeAnswer, citedPositions } from "../../src/monitor/attribution.js";

const CONTEXT = [
  "Regular aerobic exercise lowers blood pressure by about 5 to 8 mm Hg.",
  "Caffeine can cause a short, dramatic increase in blood pressure, even if you don't have high blood pressure.",
  "Espresso is brewed by forcing hot water through finely ground coffee.",
];

describe("answer attribution", () => {
  it("by citation: [2], [1, 3], [Doc 3] point at 1-based context positions; the most cited is first", () => {
    expect(citedPositions("Coffee raises it [2]. See also [1, 3] and [Doc 3].", 3)).toEqual([1, 1, 2]);
    const attribution = attributeAnswer("Yes, briefly [2]. Exercise lowers it [1][2].", CONTEXT);
    expect(attribution).toEqual({ method: "citation", used: [1, 0], weights: [1, 2, 0] });
  });

  it("ignores citations outside the context and falls back to overlap", () => {
    expect(citedPositions("see [0] and [7]", 3)).toEqual([0, 0, 0]);
    expect(attributeAnswer("see [9]", CONTEXT).method).toBe("none");
  });

  it("by word-trigram overlap, against the stated threshold (hand-counted shares)", () => {
    // Answer trigrams (6): caffeine causes a · causes a short · a short increase · short increase in ·
    // increase in blood · in blood pressure. Document 2 holds "increase in blood" and "in blood pressure": 2/6.
    // Document 1 holds none ("lowers blood pressure" ≠ "in blood pressure"); document 3 none.
    const answer = "Caffeine causes a short increase in blood pressure.";
    const attribution = attributeAnswer(answer, CONTEXT);
    expect(attribution.method).toBe("overlap");
    expect(attribution.weights).toEqual([0, 2 / 6, 0]);
    expect(attribution.used).toEqual([1]);
    // Above the share, nothing counts as used.
    expect(attributeAnswer(answer, CONTEXT, { overlapThreshold: 0.34 })).toEqual({ method: "none", used: [], weights: [0, 2 / 6, 0] });
    // Bigrams (7): document 2 holds "a short", "increase in", "in blood", "blood pressure" (4/7); document 1 "blood pressure" (1/7).
    const bigrams = attributeAnswer(answer, CONTEXT, { ngram: 2, overlapThreshold: 0.1 });
    expect(bigrams.weights).toEqual([1 / 7, 4 / 7, 0]);
    expect(bigrams.used).toEqual([1, 0]);
  });

  it("an answer shorter than n words is unattributed", () => {
    expect(attributeAnswer("Yes.", CONTEXT).method).toBe("none");
  });
});
