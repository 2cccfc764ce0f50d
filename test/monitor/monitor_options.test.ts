import { describe, expect, it } from "vitest";
import { InvalidOptionError } from "../../src/errors.js";
import { attributeAnswer } from "../../src/monitor/attribution.js";
import { RerankMonitor } from "../../src/monitor.js";

const refuses = (fields: unknown, pattern: RegExp) => {
  expect(() => new RerankMonitor(fields as never)).toThrow(InvalidOptionError);
  expect(() => new RerankMonitor(fields as never)).toThrow(pattern);
};

describe("RerankMonitor options are checked at construction", () => {
  it('a boolean given as a string (from an environment variable) is refused: recordQueries: "false" must not record queries', () => {
    refuses({ recordQueries: "false" }, /`recordQueries` must be a boolean, got the string "false"/);
    refuses({ recordQueries: 0 }, /recordQueries/);
    expect(new RerankMonitor({ recordQueries: false }).recordQueries).toBe(false);
  });

  it("keys must be strings and arrays of strings, each error naming the option and showing the right form", () => {
    refuses({ rankKey: 42 }, /`rankKey` must be a non-empty string, got the number 42/);
    refuses({ rankKey: "" }, /rankKey/);
    refuses(
      { scoreKeys: "relevanceScore" },
      /`scoreKeys` must be a non-empty array of non-empty strings, such as \["finalScore", "relevanceScore"\]/,
    );
    refuses({ scoreKeys: [] }, /scoreKeys/);
    refuses({ scoreKeys: ["relevanceScore", 3] }, /scoreKeys/);
    refuses({ answerKeys: "answer" }, /answerKeys.*\{ answer: "answer", context: "context" \}/);
    refuses({ answerKeys: ["answer", "context"] }, /answerKeys/);
    refuses({ answerKeys: { answer: "answer" } }, /answerKeys/);
    refuses({ answerKeys: { answer: "out", context: 7 } }, /answerKeys\.context/);
    refuses({ answerKeys: { answer: "x", context: "x" } }, /two different output keys/);
    refuses({ answerKeys: { answer: "a", context: "c", sources: "s" } }, /unknown option `sources`/);
  });

  it("numbers must be numbers, finite and in range", () => {
    refuses({ relativeAccuracy: "0.01" }, /`relativeAccuracy` must be a number in \(0, 1\), got the string "0.01"/);
    refuses({ relativeAccuracy: Number.NaN }, /relativeAccuracy/);
    refuses({ relativeAccuracy: 1 }, /relativeAccuracy/);
    for (const name of ["windowQueries", "windows", "sampleSize"]) {
      for (const bad of ["1000", 0, -1, 2.5, Infinity, Number.NaN, null])
        refuses({ [name]: bad }, new RegExp(`\`${name}\` must be a positive integer`));
    }
    refuses({ overlapAt: 5 }, /`overlapAt` must be a non-empty array of positive integers, such as \[3, 5, 10\], got the number 5/);
    refuses({ overlapAt: ["3"] }, /overlapAt/);
    refuses({ overlapAt: [] }, /overlapAt/);
  });

  it("attribution is an object of ngram and overlapThreshold; random a function", () => {
    refuses({ attribution: "trigram" }, /options must be an object such as \{ ngram: 3, overlapThreshold: 0.2 \}, got a string/);
    refuses({ attribution: { ngram: "3" } }, /`attribution.ngram` must be a positive integer/);
    refuses({ attribution: { overlapThreshold: "0.2" } }, /`attribution.overlapThreshold` must be a number in \(0, 1\]/);
    refuses({ attribution: { ngrams: 2 } }, /unknown option `ngrams`/);
    refuses({ random: 0.5 }, /`random` must be a function, got the number 0.5/);
    const monitor = new RerankMonitor({ attribution: { ngram: 2, overlapThreshold: 1 }, random: () => 0 });
    expect(monitor.summary().attribution).toMatchObject({ ngram: 2, overlapThreshold: 1 });
  });

  it("fields must be an object, and a misspelt option is refused rather than ignored", () => {
    for (const bad of [null, "recordQueries", 5, [{ sampleSize: 3 }]]) refuses(bad, /options must be an object such as \{ sampleSize: 1000 \}/);
    refuses({ recordQuery: true }, /unknown option `recordQuery`; the options are `rankKey`, .*`recordQueries`/);
    refuses({ ignoreChain: true }, /unknown option `ignoreChain`/);
  });

  it("attributeAnswer checks its options and arguments too", () => {
    expect(() => attributeAnswer("an answer", ["a context"], { ngram: 0 })).toThrow(/attribution.ngram/);
    expect(() => attributeAnswer("an answer", "a context" as never)).toThrow(InvalidOptionError);
  });
});
