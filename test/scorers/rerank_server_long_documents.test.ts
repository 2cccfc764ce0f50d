import { Document } from "@langchain/core/documents";
import { describe, expect, it } from "vitest";
import { CrossEncoderReranker, InvalidOptionError, RerankServerCrossEncoder } from "../../src/index.js";
import { rawScore, sigmoid, useFakeRerankServer } from "../support/fake_rerank_server.js";

// The fake TEI server scores by query-term overlap and, like TEI, reads only its first 512 (here: words) of a text.
const fake = useFakeRerankServer({ teiMaxInputWords: 512 });
const QUERY = "paris";
// Filler words of letters only ("wa", "wb", …), each one counted word: a run with digits counts one per 2 characters.
const letters = (i: number): string => (i < 26 ? "" : letters(Math.floor(i / 26) - 1)) + String.fromCharCode(97 + (i % 26));
const filler = (words: number) => Array.from({ length: words }, (_, i) => `w${letters(i)}`).join(" ");
const NEEDLE_DOC = `${filler(900)} paris 東京 🇫🇷 ${filler(200)}`;
const HIT = sigmoid(rawScore(1));
const MISS = sigmoid(rawScore(0));
const tei = (fields: Partial<ConstructorParameters<typeof RerankServerCrossEncoder>[0]> = {}) =>
  new RerankServerCrossEncoder({ url: `${fake.url}/rerank`, dialect: "tei", ...fields });

describe("RerankServerCrossEncoder long documents (client-side windows)", () => {
  it("finds a needle past the server's limit with windows, and loses it without", async () => {
    expect(await tei().score([[QUERY, NEEDLE_DOC]])).toEqual([MISS]);
    const [detailed] = await tei({ maxChunksPerDoc: 10 }).scoreDetailed([[QUERY, NEEDLE_DOC]]);
    expect(detailed!.score).toBe(HIT);
    const { start, end } = detailed!.chunk!;
    const text = NEEDLE_DOC.slice(start, end);
    expect(text).toContain("paris 東京 🇫🇷");
    expect(text.split(/\s+/).length).toBeLessThanOrEqual(256); // the default window, in words
    expect(await tei({ maxChunksPerDoc: 10 }).score([[QUERY, NEEDLE_DOC]])).toEqual([HIT]);
  });

  it("sends windows within chunkWords with chunkOverlap words shared, at most maxChunksPerDoc of them", async () => {
    const before = fake.requests.length;
    await tei({ maxChunksPerDoc: 3, chunkWords: 100, chunkOverlap: 10 }).score([[QUERY, NEEDLE_DOC]]);
    const sent = fake.requests.slice(before).flatMap((r) => (r.body as { texts: string[] }).texts);
    expect(sent).toHaveLength(3);
    expect(sent.map((t) => t.split(" ").length)).toEqual([100, 100, 100]);
    expect(sent[1]!.startsWith(`w${letters(90)} `)).toBe(true);
    expect(sent[2]!.startsWith(`w${letters(180)} `)).toBe(true);
  });

  it("leaves short documents whole and keeps pairs in order; mean aggregation on request", async () => {
    const pairs = [
      [QUERY, "paris in spring"],
      [QUERY, NEEDLE_DOC],
      [QUERY, "nothing"],
    ] as const;
    const detailed = await tei({ maxChunksPerDoc: 10 }).scoreDetailed(pairs);
    expect(detailed.map((d) => d.score)).toEqual([HIT, HIT, MISS]);
    expect([detailed[0]!.chunk, detailed[2]!.chunk]).toEqual([undefined, undefined]);
    const [, mean] = await tei({ maxChunksPerDoc: 10, chunkAggregation: "mean" }).score(pairs);
    expect(mean).toBeGreaterThan(MISS);
    expect(mean).toBeLessThan(HIT);
  });

  it("gives CrossEncoderReranker the best window as metadata.bestChunk", async () => {
    const docs = [new Document({ pageContent: "nothing" }), new Document({ pageContent: NEEDLE_DOC })];
    const [top] = await new CrossEncoderReranker({ model: tei({ maxChunksPerDoc: 10 }), topN: 1 }).compressDocuments(docs, QUERY);
    expect(top!.pageContent).toBe(NEEDLE_DOC);
    const best = top!.metadata.bestChunk as { start: number; end: number; text: string };
    expect(best.text).toBe(NEEDLE_DOC.slice(best.start, best.end));
    expect(best.text).toContain("paris");
  });

  it("counts the dictionary words of an unspaced script: short lines of Chinese are not one word each", async () => {
    const line = "北京是中华人民共和国的首都也是全国的政治文化中心"; // 24 characters: one piece, about 12 words
    const doc = Array.from({ length: 300 }, () => line).join("\n");
    const before = fake.requests.length;
    await tei({ maxChunksPerDoc: 100, chunkWords: 256, chunkOverlap: 0 }).score([[QUERY, doc]]);
    const sent = fake.requests.slice(before).flatMap((r) => (r.body as { texts: string[] }).texts);
    const words = (t: string) => [...new Intl.Segmenter(undefined, { granularity: "word" }).segment(t)].filter((s) => s.isWordLike).length;
    expect(sent.length).toBeGreaterThan(10); // was 2 windows of 3,328 and 572 words
    for (const text of sent) expect(words(text)).toBeLessThanOrEqual(256);
    expect(sent.join("\n").length).toBe(doc.length); // no overlap: every line is sent once
  });

  it("counts base64, URLs and numbers by length, so a window of them stays near chunkWords tokens", async () => {
    // 16,384 characters of base64 in lines of 64: 256 whitespace-separated runs, which used to fill 1 window of 4,096
    // characters (256 runs of 16 characters, one "word" each) and reach the server as ~2,000 tokens.
    const blob = Array.from({ length: 12_288 }, (_, i) => String.fromCharCode(32 + ((i * 7919) % 95))).join("");
    const base64 = Buffer.from(blob)
      .toString("base64")
      .match(/.{1,64}/g)!
      .join("\n");
    const before = fake.requests.length;
    await tei({ maxChunksPerDoc: 1000, chunkWords: 256, chunkOverlap: 0 }).score([[QUERY, base64]]);
    const sent = fake.requests.slice(before).flatMap((r) => (r.body as { texts: string[] }).texts);
    expect(sent.length).toBeGreaterThanOrEqual(32);
    for (const text of sent) expect(text.replace(/\s/g, "").length).toBeLessThanOrEqual(512); // 256 words of 2 characters
    expect(sent.join("").replace(/\s/g, "")).toBe(base64.replace(/\s/g, "")); // no overlap: every character is sent once
  });

  it("validates its options and shows them in toJSON", () => {
    expect(() => tei({ maxChunksPerDoc: 0 })).toThrow(InvalidOptionError);
    expect(() => tei({ chunkWords: 1.5 })).toThrow(/chunkWords/);
    expect(() => tei({ chunkOverlap: -2 })).toThrow(/chunkOverlap/);
    expect(() => tei({ chunkAggregation: "sum" as never })).toThrow(/chunkAggregation/);
    expect(tei().toJSON()).toMatchObject({ maxChunksPerDoc: 1, chunkWords: 256, chunkOverlap: 24, chunkAggregation: "max" });
  });

  it("refuses chunkOverlap >= chunkWords (windows would move on one word at a time) and halves the default overlap for small windows", async () => {
    expect(() => tei({ chunkWords: 10, chunkOverlap: 10 })).toThrow(InvalidOptionError);
    expect(() => tei({ chunkWords: 10, chunkOverlap: 50 })).toThrow(/chunkOverlap.*chunkWords/);
    expect(tei({ chunkWords: 10 }).chunkOverlap).toBe(5);
    expect(tei({ chunkWords: 25 }).chunkOverlap).toBe(24);
    const before = fake.requests.length;
    await tei({ maxChunksPerDoc: 3, chunkWords: 10 }).score([[QUERY, filler(100)]]);
    const sent = fake.requests.slice(before).flatMap((r) => (r.body as { texts: string[] }).texts);
    expect(sent.map((t) => t.split(" ")[0])).toEqual([0, 5, 10].map((i) => `w${letters(i)}`));
  });
});
