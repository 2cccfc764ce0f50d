import { Document } from "@langchain/core/documents";
import { describe, expect, it } from "vitest";
import {
  CrossEncoderReranker,
  FallbackReranker,
  InvalidOptionError,
  LLMListwiseReranker,
  MultiFactorReranker,
  RelevanceThresholdFilter,
} from "../src/index.js";
import { CohereRerank } from "../src/cohere.js";
import { checkRerankInput } from "../src/rerank_input.js";

// Input that is not what the types say, as JavaScript callers and JSON-fed pipelines pass it: every compressor
// answers with the same InvalidOptionError naming the argument, the index and what it got, never a raw TypeError.

const scorer = { score: async (pairs: readonly (readonly [string, string])[]) => pairs.map(([, text]) => text.length / 100) };
const reranker = () => new CrossEncoderReranker({ model: scorer, topN: 5 });
const filter = () => new RelevanceThresholdFilter({ threshold: 0.1 });
const rerankThenFilter = () => new RelevanceThresholdFilter({ threshold: 0.1, reranker: reranker() });
const doc = (text: string, metadata: Record<string, unknown> = {}) => new Document({ pageContent: text, metadata });
const DOCS = [doc("a passage about apples", { relevanceScore: 0.5 }), doc("short", { relevanceScore: 0.2 })];

const multiFactor = () => new MultiFactorReranker({ weights: { firstStageRank: 1 } });
const multiFactorWithScorer = () => new MultiFactorReranker({ reranker: scorer, weights: { relevance: 1 } });
const fallback = () => new FallbackReranker({ rerankers: [reranker()], failureThreshold: 1 });
// Bad input is rejected before any request or model call, so neither needs a server or a model.
const cohere = () => new CohereRerank({ apiKey: "test-key", baseUrl: "http://127.0.0.1:9" });
const llm = { withStructuredOutput: () => ({ invoke: async () => ({ ranked_document_ids: [0, 1] }) }) };
const listwise = () => new LLMListwiseReranker({ llm: llm as never });

const compressors = [
  ["CrossEncoderReranker", reranker],
  ["RelevanceThresholdFilter", filter],
  ["RelevanceThresholdFilter with a reranker", rerankThenFilter],
  ["MultiFactorReranker", multiFactor],
  ["MultiFactorReranker with a CrossEncoder", multiFactorWithScorer],
  ["FallbackReranker", fallback],
  ["CohereRerank", cohere],
  ["LLMListwiseReranker", listwise],
] as const;

const badDocuments: Array<[string, unknown, RegExp]> = [
  ["null documents", null, /documents must be an array of Documents, got null/],
  ["a string", "apples", /documents must be an array of Documents, got the string "apples"/],
  ["a Document instead of an array", DOCS[0], /documents must be an array of Documents, got a value of type object/],
  ["[null]", [null], /document 0 is null, not a Document/],
  ["a number entry", [DOCS[0], 42], /document 1 is the number 42, not a Document/],
  ["a nested array", [[DOCS[0]]], /document 0 is an array, not a Document/],
  ["an entry without pageContent", [DOCS[0], { metadata: {} }], /document 1 has no string pageContent \(got none\)/],
  ["a numeric pageContent", [{ pageContent: 7, metadata: {} }], /document 0 has no string pageContent \(got the number 7\)/],
  // forEach skips holes: the hole reached the scorer and failed as "Cannot read properties of undefined".
  // eslint-disable-next-line no-sparse-arrays
  ["a sparse array", [DOCS[0], , DOCS[1]], /document 1 is a hole \(sparse array\), not a Document/],
];

const badQueries: Array<[string, unknown]> = [
  ["a number", 42],
  ["undefined", undefined],
  ["null", null],
  ["an object", { query: "apples" }],
];

describe.each(compressors)("%s: input that is not what the types say", (name, make) => {
  it.each(badDocuments)("%s → InvalidOptionError naming it", async (_, documents, message) => {
    const error = await make()
      .compressDocuments(documents as Document[], "apples")
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidOptionError);
    expect(String(error)).toMatch(message);
    expect(String(error)).toContain(name.split(" ")[0]);
  });

  it.each(badQueries)("a query that is %s → InvalidOptionError: must be a string", async (_, query) => {
    const error = await make()
      .compressDocuments(DOCS, query as string)
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidOptionError);
    expect(String(error)).toMatch(/the query must be a string, got /);
    expect(String(error)).not.toMatch(/empty/);
  });
});

describe("an empty query", () => {
  it("is an InvalidOptionError for a reranker (which needs the question), alone or inside a filter", async () => {
    for (const compressor of [reranker(), rerankThenFilter()]) {
      const error = await compressor.compressDocuments(DOCS, "   ").catch((e: unknown) => e);
      expect(error).toBeInstanceOf(InvalidOptionError);
      expect(String(error)).toMatch(/CrossEncoderReranker: the query is empty/);
    }
    await expect(reranker().rerank(DOCS, "")).rejects.toThrow(InvalidOptionError);
  });

  it("is an InvalidOptionError for MultiFactorReranker with a reranker, FallbackReranker, CohereRerank and LLMListwiseReranker, as for the others", async () => {
    for (const compressor of [multiFactorWithScorer(), fallback(), cohere(), listwise()]) {
      const error = await compressor.compressDocuments(DOCS, "   ").catch((e: unknown) => e);
      expect(error).toBeInstanceOf(InvalidOptionError);
      expect(String(error)).toMatch(/the query is empty/);
    }
    // Without a reranker, MultiFactorReranker ranks by stored factors and never reads the query.
    await expect(multiFactor().compressDocuments(DOCS, "")).resolves.toHaveLength(2);
  });

  it("is fine for a filter without a reranker: it filters stored scores and never reads the query", async () => {
    await expect(filter().compressDocuments(DOCS, "")).resolves.toEqual([DOCS[0], DOCS[1]]);
  });
});

describe("non-finite scores in a filter are reported as what they are", () => {
  it.each([
    [Number.NaN, "the number NaN"],
    [Number.POSITIVE_INFINITY, "the number Infinity"],
    ["0.7", 'the string "0.7"'],
    [null, "null"],
    [undefined, "nothing"],
  ])("%s → (got %s)", (score, shown) => {
    const error = (() => {
      try {
        return filter().filter([doc("x", { relevanceScore: score })]);
      } catch (e) {
        return e;
      }
    })();
    expect(String(error)).toContain(`document 0 has no finite numeric metadata.relevanceScore (got ${shown})`);
  });
});

describe("checkRerankInput, the check every compressor shares", () => {
  it("accepts strings as documents only when asked (CohereRerank.rerank takes them)", () => {
    expect(() => checkRerankInput("CohereRerank", ["a", DOCS[0]], "q", { strings: true })).not.toThrow();
    expect(() => checkRerankInput("CohereRerank", ["a"], "q")).toThrow(/document 0 is the string "a", not a Document; pass Documents/);
    expect(() => checkRerankInput("CohereRerank", [null], "q", { strings: true })).toThrow(/pass Documents or strings/);
  });
});
