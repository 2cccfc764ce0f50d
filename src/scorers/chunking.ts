import type { ChunkSpan, DetailedScore } from "./cross_encoder.js";

/**
 * Long-document windows. A text is cut into small pieces at word boundaries, each piece's length is counted (in
 * tokens for a local model, in words for a server: see `pieceWords`), and windows are runs of whole pieces that fit a budget. Since
 * every piece carries its own offsets in the original string, a window's character span is exact whatever the
 * tokenizer does to the text (lower-casing, accent stripping, NFD), which tokenizer offsets are not.
 */

/**
 * Bumped whenever the windows a text is cut into change (2: overlap capped at half a window; unspaced scripts counted
 * in dictionary words by the server scorer; 3: the server scorer counts URLs, numbers and other runs by length). It is part of the scorers' `cacheKey` when windows are on, so a
 * persistent score cache filled by an older version is not read as if it held today's window scores.
 */
export const WINDOWING_VERSION = 3;

/** Pieces longer than this (in UTF-16 code units) are split further, so no window boundary is far from a word edge. */
const MAX_PIECE = 32;
/** An unbreakable run (a URL, a hash, an unsegmented script) is cut every this many graphemes. */
const GRAPHEME_RUN = 16;

// Made on first use: the root entry point imports this module and should cost nothing until a document is split.
let segmenters: { words: Intl.Segmenter; graphemes: Intl.Segmenter } | undefined;
function getSegmenters() {
  return (segmenters ??= {
    words: new Intl.Segmenter(undefined, { granularity: "word" }),
    graphemes: new Intl.Segmenter(undefined, { granularity: "grapheme" }),
  });
}

/**
 * Spans of the text's pieces, in order, whitespace excluded: whitespace-separated runs; a longer run split into
 * words by `Intl.Segmenter` (which splits CJK text into words); a still longer word cut into groups of graphemes,
 * so no piece ever splits an emoji, a surrogate pair or a combining accent.
 */
export function splitPieces(text: string): ChunkSpan[] {
  const pieces: ChunkSpan[] = [];
  for (const run of text.matchAll(/\S+/g)) {
    const start = run.index;
    const end = start + run[0].length;
    if (end - start <= MAX_PIECE) {
      pieces.push({ start, end });
      continue;
    }
    const { words, graphemes } = getSegmenters();
    for (const word of words.segment(run[0])) {
      const wordStart = start + word.index;
      const wordEnd = wordStart + word.segment.length;
      if (wordEnd - wordStart <= MAX_PIECE) {
        pieces.push({ start: wordStart, end: wordEnd });
        continue;
      }
      let groupStart = wordStart;
      let count = 0;
      for (const grapheme of graphemes.segment(word.segment)) {
        if (count === GRAPHEME_RUN) {
          pieces.push({ start: groupStart, end: wordStart + grapheme.index });
          groupStart = wordStart + grapheme.index;
          count = 0;
        }
        count++;
      }
      pieces.push({ start: groupStart, end: wordEnd });
    }
  }
  return pieces;
}

/** Scripts written without spaces between words, where a whitespace-separated run is a phrase or a sentence. */
const UNSPACED = /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Thai}\p{Script=Lao}\p{Script=Khmer}\p{Script=Myanmar}]/u;
/** Punctuation and symbols at a piece's edges ("word," or "(see"), which cost a token or so and are not counted. */
const EDGES = /^[\p{P}\p{S}]+|[\p{P}\p{S}]+$/gu;
/** A word of letters alone, with no lowercase-to-uppercase turn inside (which marks base64, hashes and camelCase). */
const PLAIN_WORD = /^[\p{L}\p{M}]+$/u;
const CASE_TURN = /\p{Ll}\p{Lu}/u;
/**
 * Letters per counted word in a plain word, and characters per counted word in any other run (digits, symbols,
 * mixed case: a URL, base64, a number, a table cell). Chosen so a counted word is 1.1–1.4 WordPiece tokens on
 * English prose, code, URLs, numbers and base64 alike (measured with ms-marco-MiniLM's tokenizer; docs/local-reranker.md).
 */
const LETTERS_PER_WORD = 10;
const RUN_CHARS_PER_WORD = 2;

/**
 * Words in a piece, for windows counted in words, so a window of `chunkWords` words runs 1.1–1.4 tokens per word
 * whatever the text is made of (a text in a language the model's vocabulary covers poorly still runs more):
 * - a piece of an unspaced script counts its dictionary words (by `Intl.Segmenter`): a 30-character line of
 *   Chinese is its ~15 words;
 * - a plain word counts 1 per 10 letters;
 * - any other run counts 1 per 2 characters, so 4,000 characters of base64 are ~2,000 words, not 250.
 * Punctuation at the edges is not counted.
 */
export function pieceWords(piece: string): number {
  if (UNSPACED.test(piece)) {
    let count = 0;
    for (const segment of getSegmenters().words.segment(piece)) if (segment.isWordLike) count++;
    return Math.max(count, 1);
  }
  const core = piece.replace(EDGES, "");
  const plain = PLAIN_WORD.test(core) && !CASE_TURN.test(core);
  return Math.max(1, Math.ceil(core.length / (plain ? LETTERS_PER_WORD : RUN_CHARS_PER_WORD)));
}

export interface WindowOptions {
  /** Most units (tokens or words) per window. */
  budget: number;
  /** Units shared by consecutive windows (rounded to whole pieces, never more than asked). */
  overlap: number;
  /** Most windows; the text past the last one is not read. */
  maxWindows: number;
}

/**
 * Windows as `[first, end)` piece ranges: each holds as many whole pieces as fit `budget` (a single piece larger
 * than the budget gets a window of its own and is cut by the caller), the next starts early enough to repeat up to
 * `overlap` units of the previous one, and always after its start, so the windows advance.
 */
export function planWindows(sizes: readonly number[], options: WindowOptions): [number, number][] {
  const { budget, overlap, maxWindows } = options;
  const windows: [number, number][] = [];
  let start = 0;
  while (start < sizes.length && windows.length < maxWindows) {
    let end = start;
    let used = 0;
    while (end < sizes.length && used + sizes[end]! <= budget) used += sizes[end++]!;
    if (end === start) end = start + 1;
    windows.push([start, end]);
    if (end >= sizes.length) break;
    let next = end;
    let shared = 0;
    while (next - 1 > start && shared + sizes[next - 1]! <= overlap) shared += sizes[--next]!;
    start = next;
  }
  return windows;
}

/** The span a window of pieces covers in the text. */
export function windowSpan(pieces: readonly ChunkSpan[], [first, end]: [number, number]): ChunkSpan {
  return { start: pieces[first]!.start, end: pieces[end - 1]!.end };
}

/**
 * Token windows of `text` within `budget` tokens each (`encode` gives a text's ids without special tokens). Pieces
 * are counted one by one (word-level pre-tokenizers tokenize a word alone as they do in context, and `cache` keeps
 * each distinct piece's ids across texts); each window's text is then tokenized whole, as the model would see it,
 * and cut back a piece at a time in the rare case a subword merge across pieces makes it longer than counted.
 */
export function tokenWindows(
  text: string,
  { budget, maxChunks, overlap }: { budget: number; maxChunks: number; overlap: number },
  encode: (text: string) => number[],
  cache = new Map<string, number[]>(),
): { ids: number[]; span: ChunkSpan }[] {
  const pieces = splitPieces(text);
  if (pieces.length === 0) return [{ ids: [], span: { start: 0, end: 0 } }];
  const sizes = pieces.map(({ start, end }) => {
    const piece = text.slice(start, end);
    let ids = cache.get(piece);
    if (ids === undefined) cache.set(piece, (ids = encode(piece)));
    return ids.length;
  });
  // A budget known only late (what a query leaves) may be small: an overlap as large as the window (the default 32
  // beside a long query in a 128-token model) would move each window on by a single word. Share at most half.
  const shared = Math.min(overlap, Math.floor(budget / 2));
  return planWindows(sizes, { budget, overlap: shared, maxWindows: maxChunks }).map(([first, end]) => {
    let last = end;
    for (;;) {
      const span = windowSpan(pieces, [first, last]);
      const ids = encode(text.slice(span.start, span.end));
      if (ids.length <= budget) return { ids, span };
      // A single piece over budget (or one left after cutting back) is truncated; its span still covers it.
      if (last - first === 1) return { ids: ids.slice(0, budget), span };
      last--;
    }
  });
}

/** How per-window scores become a document's score. */
export type ChunkAggregation = "max" | "mean";
export const CHUNK_AGGREGATIONS: readonly ChunkAggregation[] = ["max", "mean"];

/** The document's score and its best window (the first of equal best ones). */
export function aggregateWindows(scores: readonly number[], aggregation: ChunkAggregation): { score: number; best: number } {
  let best = 0;
  for (let i = 1; i < scores.length; i++) if (scores[i]! > scores[best]!) best = i;
  const score = aggregation === "max" ? scores[best]! : scores.reduce((a, b) => a + b, 0) / scores.length;
  return { score, best };
}

/**
 * Each document's score from its windows' scores: `pairOf[w]` is window w's document and `spans[w]` its span in the
 * text (undefined when the text was scored whole). The best window's span is reported as `chunk`.
 */
export function documentScores(
  count: number,
  pairOf: readonly number[],
  spans: readonly (ChunkSpan | undefined)[],
  windowScores: readonly number[],
  aggregation: ChunkAggregation,
): DetailedScore[] {
  const perPair: number[][] = Array.from({ length: count }, () => []);
  const firstWindow = new Array<number>(count);
  pairOf.forEach((pairIndex, window) => {
    if (perPair[pairIndex]!.length === 0) firstWindow[pairIndex] = window;
    perPair[pairIndex]!.push(windowScores[window]!);
  });
  return perPair.map((scores, pairIndex) => {
    const { score, best } = aggregateWindows(scores, aggregation);
    const span = spans[firstWindow[pairIndex]! + best];
    return span === undefined ? { score } : { score, chunk: { ...span } };
  });
}
