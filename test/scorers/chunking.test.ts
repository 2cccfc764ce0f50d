import { join } from "node:path";
import { AutoTokenizer, type PreTrainedTokenizer } from "@huggingface/transformers";
import { beforeAll, describe, expect, it } from "vitest";
import { aggregateWindows, pieceWords, planWindows, splitPieces, windowSpan } from "../../src/scorers/chunking.js";
import { PairEncoder, type PairTokenizer } from "../../src/local/runtime/pair_encoder.js";
import { FIXTURE_RERANKER } from "../support/fixtures.js";
import { describeWithShared, SHARED_DIR } from "../support/shared.js";

const MIXED =
  "Café déjà vu — naïve façade. 東京は日本の首都です。北京是中国的首都，上海是最大的城市。北京是中国的首都，上海是最大的城市。 " +
  "Emoji 👩‍👩‍👧‍👦 family and 🇫🇷 flag and 😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀 run, " +
  "https://example.com/a/very/long/path/that/has/no/spaces/at/all?query=1&x=2 end.";

/** True when `i` falls between the two halves of a surrogate pair. */
const splitsSurrogate = (text: string, i: number) =>
  i > 0 && i < text.length && /[\uD800-\uDBFF]/.test(text[i - 1]!) && /[\uDC00-\uDFFF]/.test(text[i]!);

describe("splitPieces", () => {
  it("covers every non-space character once, in order, and never cuts an emoji, a flag or an accent", () => {
    const pieces = splitPieces(MIXED);
    expect(pieces.map(({ start, end }) => MIXED.slice(start, end)).join("")).toBe(MIXED.replace(/\s+/g, ""));
    for (let i = 1; i < pieces.length; i++) expect(pieces[i]!.start).toBeGreaterThanOrEqual(pieces[i - 1]!.end);
    for (const { start, end } of pieces) {
      expect(splitsSurrogate(MIXED, start) || splitsSurrogate(MIXED, end)).toBe(false);
      expect(end - start).toBeLessThanOrEqual(32 * 8); // 16 graphemes of at most a family emoji each
    }
    const texts = pieces.map(({ start, end }) => MIXED.slice(start, end));
    expect(texts).toContain("👩‍👩‍👧‍👦");
    expect(texts).toContain("Café");
    // A 49-character unspaced run of Japanese and Chinese is split into words.
    expect(texts.some((t) => t.length > 1 && /^[\u4E00-\u9FFF]+$/.test(t))).toBe(true);
    expect(Math.max(...texts.filter((t) => /[\u4E00-\u9FFF]/.test(t)).map((t) => t.length))).toBeLessThan(10);
  });

  it("returns no pieces for empty or blank text", () => {
    expect(splitPieces("")).toEqual([]);
    expect(splitPieces(" \n\t ")).toEqual([]);
  });
});

describe("pieceWords (windows counted in words, for servers)", () => {
  it("counts a plain word as one word per 10 letters, whatever punctuation is at its edges", () => {
    expect(["word", "(word),", "“Café”", "déjà", "reranking"].map(pieceWords)).toEqual([1, 1, 1, 1, 1]);
    expect(pieceWords("internationalization")).toBe(2);
    expect(pieceWords("...")).toBe(1);
  });

  it("counts runs of digits, symbols or mixed case one word per 2 characters: URLs, numbers, base64, camelCase", () => {
    expect(pieceWords("2019")).toBe(2);
    expect(pieceWords("3.14159,")).toBe(4);
    expect(pieceWords("https://example.com/a")).toBe(11);
    expect(pieceWords("aGVsbG8gd29ybGQh")).toBe(8); // letters only, but the case turns mark base64
    expect(pieceWords("getElementById")).toBe(7);
    expect(pieceWords("don't")).toBe(3);
  });

  it("counts the dictionary words of an unspaced script", () => {
    expect(pieceWords("北京是中国的首都")).toBeGreaterThanOrEqual(3);
  });
});

describe("planWindows", () => {
  it("fills each window up to the budget with whole pieces, overlapping by at most `overlap`", () => {
    const sizes = [3, 2, 4, 1, 5, 2, 2, 3, 1, 4];
    const windows = planWindows(sizes, { budget: 8, overlap: 3, maxWindows: 10 });
    const sum = ([a, b]: [number, number]) => sizes.slice(a, b).reduce((x, y) => x + y, 0);
    for (const w of windows) expect(sum(w)).toBeLessThanOrEqual(8);
    expect(windows).toEqual([
      [0, 2],
      [1, 4],
      [3, 6],
      [5, 9],
      [8, 10],
    ]);
    expect(planWindows(sizes, { budget: 8, overlap: 3, maxWindows: 2 })).toEqual([
      [0, 2],
      [1, 4],
    ]);
    expect(planWindows(sizes, { budget: 8, overlap: 0, maxWindows: 10 })[1]).toEqual([2, 4]);
  });

  it("gives a piece larger than the budget a window of its own and still advances", () => {
    expect(planWindows([10, 1, 1], { budget: 8, overlap: 5, maxWindows: 10 })).toEqual([
      [0, 1],
      [1, 3],
    ]);
    expect(
      windowSpan(
        [
          { start: 0, end: 3 },
          { start: 4, end: 9 },
        ],
        [0, 2],
      ),
    ).toEqual({ start: 0, end: 9 });
  });
});

describe("aggregateWindows", () => {
  it("max takes the best window, mean averages, and both report the first best window", () => {
    expect(aggregateWindows([0.1, 0.9, 0.5, 0.9], "max")).toEqual({ score: 0.9, best: 1 });
    expect(aggregateWindows([0.2, 0.8, 0.5], "mean")).toEqual({ score: 0.5, best: 1 });
    expect(aggregateWindows([0.4], "max")).toEqual({ score: 0.4, best: 0 });
  });
});

/** Checks the invariants of `encodeWindows` for one (query, document) pair. */
function checkWindows(tokenizer: PairTokenizer, encoder: PairEncoder, query: string, document: string, maxChunks: number, overlap: number) {
  const { encoded, pairOf, spans } = encoder.encodeWindows([[query, document]], { maxChunks, overlap });
  const q = tokenizer.encode(query, { add_special_tokens: false });
  const budget = encoder.options.maxLength - encoder.template.specialCount - q.length;
  expect(pairOf.every((p) => p === 0)).toBe(true);
  expect(encoded.length).toBeLessThanOrEqual(maxChunks);
  encoded.forEach((pair, w) => {
    const span = spans[w]!;
    // Within the model's budget, query whole, and the window's ids are exactly its text's tokens.
    expect(pair.inputIds.length).toBeLessThanOrEqual(encoder.options.maxLength);
    const docIds = pair.inputIds.slice(1 + q.length + 1, -1);
    expect(pair.inputIds.slice(1, 1 + q.length)).toEqual(q);
    expect(docIds.length).toBeLessThanOrEqual(budget);
    expect(docIds).toEqual(tokenizer.encode(document.slice(span.start, span.end), { add_special_tokens: false }));
    expect(splitsSurrogate(document, span.start) || splitsSurrogate(document, span.end)).toBe(false);
    if (w > 0) {
      expect(span.start).toBeGreaterThan(spans[w - 1]!.start);
      expect(span.start).toBeLessThanOrEqual(spans[w - 1]!.end + 1); // no gap: overlapping or adjacent windows
    }
  });
  return { encoded, spans, budget };
}

describe("PairEncoder.encodeWindows on the fixture tokenizer", () => {
  let tokenizer: PairTokenizer & PreTrainedTokenizer;
  beforeAll(async () => {
    tokenizer = (await AutoTokenizer.from_pretrained(FIXTURE_RERANKER)) as never;
  });

  it("leaves a document that fits exactly as encodePairs encodes it, with no span", () => {
    const encoder = new PairEncoder(tokenizer, { maxLength: 64, maxQueryLength: 48 });
    const pairs = [["the query", "the cat sat on the bank of the river"]] as const;
    const windows = encoder.encodeWindows(pairs, { maxChunks: 4, overlap: 4 });
    expect(windows.encoded).toEqual(encoder.encodePairs(pairs));
    expect(windows.spans).toEqual([undefined]);
  });

  it("splits a long document into windows within the budget left after the query, mapping back to the text", () => {
    const encoder = new PairEncoder(tokenizer, { maxLength: 40, maxQueryLength: 30 });
    const document = Array.from({ length: 60 }, (_, i) => `word${i} river bank`).join(" ");
    const { encoded, spans } = checkWindows(tokenizer, encoder, "what is the bank", document, 100, 6);
    expect(encoded.length).toBeGreaterThan(5);
    expect(spans[0]!.start).toBe(0);
    expect(spans.at(-1)!.end).toBe(document.length); // enough windows: the whole text is read
  });

  it("stops at maxChunks windows and repeats about `overlap` tokens between windows", () => {
    const encoder = new PairEncoder(tokenizer, { maxLength: 40, maxQueryLength: 30 });
    const document = Array.from({ length: 200 }, (_, i) => `w${i % 10}`).join(" ");
    const { encoded, spans } = checkWindows(tokenizer, encoder, "query", document, 3, 8);
    expect(encoded).toHaveLength(3);
    expect(spans[1]!.start).toBeLessThan(spans[0]!.end);
    const shared = tokenizer.encode(document.slice(spans[1]!.start, spans[0]!.end), { add_special_tokens: false }).length;
    expect(shared).toBeGreaterThan(0);
    expect(shared).toBeLessThanOrEqual(8);
    const noOverlap = checkWindows(tokenizer, encoder, "query", document, 3, 0).spans;
    expect(noOverlap[1]!.start).toBeGreaterThan(noOverlap[0]!.end);
  });

  it("shares at most half the window when chunkOverlap is as large as the budget the query leaves", () => {
    // maxLength 24 leaves about 18 tokens beside a short query: the default overlap (32) would move each window on
    // by a single word, so maxChunksPerDoc windows read only the document's first few words.
    const encoder = new PairEncoder(tokenizer, { maxLength: 24, maxQueryLength: 18 });
    const document = Array.from({ length: 200 }, (_, i) => `w${i}`).join(" ");
    const { spans, budget } = checkWindows(tokenizer, encoder, "a query", document, 5, 32);
    for (let w = 1; w < spans.length; w++) {
      const shared = tokenizer.encode(document.slice(spans[w]!.start, spans[w - 1]!.end), { add_special_tokens: false }).length;
      expect(shared).toBeLessThanOrEqual(Math.floor(budget / 2));
    }
  });
});

describeWithShared("PairEncoder.encodeWindows with the real ms-marco-MiniLM tokenizer, multi-byte text", () => {
  let tokenizer: PairTokenizer & PreTrainedTokenizer;
  beforeAll(async () => {
    tokenizer = (await AutoTokenizer.from_pretrained(join(SHARED_DIR, "models/ms-marco-MiniLM-L-6-v2-tokenizer"))) as never;
  });

  it("maps every window of accented, CJK and emoji text back to its exact characters", () => {
    const encoder = new PairEncoder(tokenizer, { maxLength: 64, maxQueryLength: 48 });
    const document = Array.from({ length: 12 }, () => MIXED).join(" ");
    const { encoded, spans } = checkWindows(tokenizer, encoder, "où est Tokyo?", document, 50, 8);
    expect(encoded.length).toBeGreaterThan(4);
    expect(spans.at(-1)!.end).toBe(document.length);
    const [first] = spans;
    // The span indexes the original string (accents and emoji intact), not the tokenizer's normalized text.
    expect(document.slice(first!.start, first!.end).startsWith("Café déjà vu")).toBe(true);
  });

  it("respects a 512-token model: every window of a 3,000-word document fits beside a long query", () => {
    const encoder = new PairEncoder(tokenizer, { maxLength: 512, maxQueryLength: 384 });
    const document = Array.from({ length: 3000 }, (_, i) => `token${i % 97} façade 東京`).join(" ");
    const query = Array.from({ length: 60 }, (_, i) => `question${i}`).join(" ");
    const { encoded } = checkWindows(tokenizer, encoder, query, document, 30, 32);
    for (const pair of encoded) expect(pair.inputIds.length).toBeLessThanOrEqual(512);
    expect(Math.max(...encoded.map((p) => p.inputIds.length))).toBeGreaterThan(480); // windows fill the budget
  });
});
