import { Document } from "@langchain/core/documents";
import { afterAll, describe, expect, it } from "vitest";
import { HuggingFaceCrossEncoder } from "../../../src/huggingface.js";
import { CrossEncoderReranker, InvalidOptionError } from "../../../src/index.js";
import { FIXTURE_NEEDLE, FIXTURE_RERANKER } from "../../support/fixtures.js";

// The needle model's logit is +2 when a pair holds the token "paris" and -2 otherwise, through the real
// transformers.js path: it proves which tokens reached the model.
const FOUND = 1 / (1 + Math.exp(-2));
const MISSED = 1 / (1 + Math.exp(2));
const filler = (words: number, from = 0) => Array.from({ length: words }, (_, i) => `the cat ${from + i} sat`).join(" ");
// "the cat 123 sat" is 6 tokens (digits split): the needle sits past token 2,400.
const NEEDLE_DOC = `${filler(400)} then paris appeared. ${filler(100, 400)}`;
const NEEDLE_AT = NEEDLE_DOC.indexOf("paris");
const QUERY = "where is the city";

const instances: HuggingFaceCrossEncoder[] = [];
function needle(options: ConstructorParameters<typeof HuggingFaceCrossEncoder>[0] = {}) {
  const scorer = new HuggingFaceCrossEncoder({ model: FIXTURE_NEEDLE, dtype: "fp32", ...options });
  instances.push(scorer);
  return scorer;
}
afterAll(async () => {
  for (const scorer of instances) await scorer.dispose();
});

describe("HuggingFaceCrossEncoder long documents (maxChunksPerDoc)", () => {
  it("finds a needle past token 512 with chunking and loses it without", async () => {
    const [encoded] = await needle().encode([[QUERY, NEEDLE_DOC]]);
    expect(encoded!.inputIds).toHaveLength(512); // truncated: the needle is far beyond
    const pairs = [[QUERY, NEEDLE_DOC]] as const;
    expect(await needle().score(pairs)).toEqual([MISSED]);
    const [chunked] = await needle({ maxChunksPerDoc: 10 }).scoreDetailed(pairs);
    expect(chunked!.score).toBeCloseTo(FOUND, 6);
    const { start, end } = chunked!.chunk!;
    expect(start).toBeLessThanOrEqual(NEEDLE_AT);
    expect(end).toBeGreaterThan(NEEDLE_AT + 5);
    expect(NEEDLE_DOC.slice(start, end)).toContain("then paris appeared.");
    expect(await needle({ maxChunksPerDoc: 10 }).score(pairs)).toEqual([chunked!.score]);
  });

  it("reads only maxChunksPerDoc windows: a needle past them stays unseen", async () => {
    const [few] = await needle({ maxChunksPerDoc: 2 }).scoreDetailed([[QUERY, NEEDLE_DOC]]);
    expect(few!.score).toBeCloseTo(MISSED, 6);
    expect(few!.chunk!.start).toBe(0); // equal scores: the first window is reported
  });

  it("aggregates with max by default and mean on request", async () => {
    const pairs = [[QUERY, NEEDLE_DOC]] as const;
    const [max] = await needle({ maxChunksPerDoc: 10 }).scoreDetailed(pairs);
    const [mean] = await needle({ maxChunksPerDoc: 10, chunkAggregation: "mean" }).scoreDetailed(pairs);
    expect(mean!.score).toBeGreaterThan(MISSED);
    expect(mean!.score).toBeLessThan(max!.score);
    expect(mean!.chunk).toEqual(max!.chunk); // the best window either way
  });

  it("scores short documents as before, with no chunk, and keeps pairs in input order", async () => {
    const pairs = [
      [QUERY, "paris is in france"],
      [QUERY, NEEDLE_DOC],
      [QUERY, "the bank of the river"],
    ] as const;
    const detailed = await needle({ maxChunksPerDoc: 8 }).scoreDetailed(pairs);
    expect(detailed.map((d) => d.score)).toEqual([FOUND, expect.closeTo(FOUND, 6), MISSED]);
    expect(detailed[0]!.chunk).toBeUndefined();
    expect(detailed[2]!.chunk).toBeUndefined();
  });

  it("is off by default: a random-weight reranker's scores are unchanged, and equal to chunking's on documents that fit", async () => {
    const docs = ["the cat sat on the bank", filler(300), "paris is the capital of france"];
    const pairs = docs.map((d) => [QUERY, d] as const);
    const plain = new HuggingFaceCrossEncoder({ model: FIXTURE_RERANKER, dtype: "fp32" });
    const chunked = new HuggingFaceCrossEncoder({ model: FIXTURE_RERANKER, dtype: "fp32", maxChunksPerDoc: 4 });
    instances.push(plain, chunked);
    expect(plain.maxChunksPerDoc).toBe(1);
    const before = await plain.score(pairs);
    // Still truncation: text past the first 512 tokens changes nothing.
    expect(await plain.score([[QUERY, `${docs[1]} paris and more text at the end`]])).toEqual([before[1]]);
    expect((await plain.scoreDetailed(pairs)).map((d) => d.score)).toEqual(before);
    const withChunks = await chunked.score(pairs);
    expect(withChunks[0]).toBe(before[0]);
    expect(withChunks[2]).toBe(before[2]);
  });

  it("validates its options", () => {
    expect(() => new HuggingFaceCrossEncoder({ maxChunksPerDoc: 0 })).toThrow(InvalidOptionError);
    expect(() => new HuggingFaceCrossEncoder({ maxChunksPerDoc: 0 })).toThrow(/maxChunksPerDoc/);
    expect(() => new HuggingFaceCrossEncoder({ chunkOverlap: -1 })).toThrow(/chunkOverlap/);
    expect(() => new HuggingFaceCrossEncoder({ chunkAggregation: "median" as never })).toThrow(/chunkAggregation.*max/);
  });

  it("puts the best window in metadata.bestChunk through CrossEncoderReranker", async () => {
    const docs = [new Document({ pageContent: "nothing here" }), new Document({ pageContent: NEEDLE_DOC, metadata: { id: "long" } })];
    const reranker = new CrossEncoderReranker({ model: needle({ maxChunksPerDoc: 10 }), topN: 2 });
    const [top, second] = await reranker.compressDocuments(docs, QUERY);
    expect(top!.metadata.id).toBe("long");
    const best = top!.metadata.bestChunk as { start: number; end: number; text: string };
    expect(best.text).toBe(NEEDLE_DOC.slice(best.start, best.end));
    expect(best.text).toContain("paris");
    expect(second!.metadata.bestChunk).toBeUndefined();
    expect(docs[1]!.metadata).toEqual({ id: "long" });
    // Without chunking the same document loses to nothing and carries no chunk.
    const plain = await new CrossEncoderReranker({ model: needle(), topN: 2 }).compressDocuments(docs, QUERY);
    expect(plain.map((d) => d.metadata.bestChunk)).toEqual([undefined, undefined]);
    expect(plain.map((d) => d.metadata.relevanceScore)).toEqual([MISSED, MISSED]);
  });
});
