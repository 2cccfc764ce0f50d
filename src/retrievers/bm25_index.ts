import { InvalidOptionError } from "../errors.js";
import { checkFields, checkFunction, describeValue } from "../options.js";

// A small Okapi BM25 over an inverted index, for corpora that come without a first-stage run.
// Defaults follow pyserini's BEIR baselines (k1 = 0.9, b = 0.4) and Lucene's idf, log(1 + (N − df + 0.5)/(df + 0.5)),
// which never goes negative. A query term repeated n times weighs n times (pyserini's bag-of-words query).

/** Lucene's English stop words (EnglishAnalyzer's default set). */
export const ENGLISH_STOP_WORDS: ReadonlySet<string> = new Set(
  ("a an and are as at be but by for if in into is it no not of on or such that the their then there these they " + "this to was will with").split(
    " ",
  ),
);

/**
 * Lucene's EnglishMinimalStemmer: strips plural "s" only ("cells" → "cell", "studies" → "study"), leaving
 * "glass", "virus", "shoes" alone. Light on purpose: it merges plurals without Porter's over-stemming.
 */
export function minimalEnglishStem(word: string): string {
  if (typeof word !== "string") throw new InvalidOptionError(`minimalEnglishStem: the word must be a string, got ${describeValue(word)}.`);
  const n = word.length;
  if (n < 3 || word[n - 1] !== "s") return word;
  const second = word[n - 2];
  if (second === "u" || second === "s") return word;
  if (second === "e") {
    const third = word[n - 3];
    if (n > 3 && third === "i" && word[n - 4] !== "a" && word[n - 4] !== "e") return `${word.slice(0, n - 3)}y`;
    if (third === "i" || third === "a" || third === "o" || third === "e") return word;
  }
  return word.slice(0, n - 1);
}

export interface TokenizerOptions {
  /**
   * Words dropped after lower-casing. Pass an empty set to keep all.
   * @default `ENGLISH_STOP_WORDS`
   */
  stopWords?: ReadonlySet<string>;
  /**
   * Applied to each kept token. Pass `null` for none.
   * @default `minimalEnglishStem`
   */
  stem?: ((word: string) => string) | null;
}

/** Lower-cases, splits on anything but Unicode letters and digits, drops stop words, stems. */
export function createTokenizer(options: TokenizerOptions = {}): (text: string) => string[] {
  options = checkFields("createTokenizer", options, "{ stem: false }", "createTokenizer({ stem: false })");
  const stopWords = options.stopWords ?? ENGLISH_STOP_WORDS;
  const stem = options.stem === undefined ? minimalEnglishStem : options.stem;
  return (text) => {
    const tokens: string[] = [];
    for (const raw of text.toLowerCase().split(/[^\p{L}\p{N}]+/u)) {
      if (raw === "" || stopWords.has(raw)) continue;
      tokens.push(stem ? stem(raw) : raw);
    }
    return tokens;
  };
}

export interface Bm25Options {
  /**
   * Term-frequency saturation.
   * @default 0.9
   */
  k1?: number;
  /**
   * Length normalisation, 0–1.
   * @default 0.4
   */
  b?: number;
  /**
   * Splits text into terms (the default removes stop words and stems plurals).
   * @default `createTokenizer()`
   */
  tokenize?: (text: string) => string[];
}

export interface Bm25Hit {
  /** Position of the document in the indexed list. */
  index: number;
  score: number;
}

interface Postings {
  docs: number[];
  tfs: number[];
}

/**
 * An in-memory BM25 index over a fixed list of texts.
 *
 * @example
 * ```ts
 * import { Bm25Index } from "langchain-rerank/bm25";
 *
 * const index = new Bm25Index(["cells divide by mitosis", "proteins fold"]);
 * console.log(index.search("cell division", 10)); // [ { index: 0, score: 0.667839575590211 } ]
 * ```
 */
export class Bm25Index {
  readonly k1: number;
  readonly b: number;
  readonly size: number;
  readonly #tokenize: (text: string) => string[];
  readonly #postings = new Map<string, Postings>();
  readonly #lengths: Float64Array;
  readonly #averageLength: number;

  constructor(texts: readonly string[], options: Bm25Options = {}) {
    if (!Array.isArray(texts)) throw new InvalidOptionError(`Bm25Index: texts must be an array of strings, got ${describeValue(texts)}.`);
    for (let i = 0; i < texts.length; i++) {
      if (typeof texts[i] !== "string") {
        throw new InvalidOptionError(
          `Bm25Index: text ${i} is ${i in texts ? describeValue(texts[i]) : "a hole (sparse array)"}, not a string (OkapiBm25Retriever takes Documents).`,
        );
      }
    }
    options = checkFields("Bm25Index", options, "{ k1: 0.9, b: 0.4 }");
    checkFunction("Bm25Index", "tokenize", options.tokenize);
    this.k1 = options.k1 ?? 0.9;
    this.b = options.b ?? 0.4;
    if (!Number.isFinite(this.k1) || this.k1 < 0) throw new InvalidOptionError(`Bm25Index: \`k1\` must be a number ≥ 0, got ${this.k1}.`);
    if (!Number.isFinite(this.b) || this.b < 0 || this.b > 1)
      throw new InvalidOptionError(`Bm25Index: \`b\` must be between 0 and 1, got ${this.b}.`);
    this.#tokenize = options.tokenize ?? createTokenizer();
    this.size = texts.length;
    this.#lengths = new Float64Array(texts.length);
    let total = 0;
    texts.forEach((text, doc) => {
      const counts = new Map<string, number>();
      const tokens = this.#tokenize(text);
      for (const t of tokens) counts.set(t, (counts.get(t) ?? 0) + 1);
      for (const [term, tf] of counts) {
        let p = this.#postings.get(term);
        if (p === undefined) this.#postings.set(term, (p = { docs: [], tfs: [] }));
        p.docs.push(doc);
        p.tfs.push(tf);
      }
      this.#lengths[doc] = tokens.length;
      total += tokens.length;
    });
    this.#averageLength = texts.length > 0 ? total / texts.length : 0;
  }

  /** Lucene's idf of a term (0 for an unknown term). */
  idf(term: string): number {
    const df = this.#postings.get(term)?.docs.length ?? 0;
    return df === 0 ? 0 : Math.log(1 + (this.size - df + 0.5) / (df + 0.5));
  }

  /** The `k` best documents for the query (score > 0 only), best first; equal scores keep index order. */
  search(query: string, k: number): Bm25Hit[] {
    const weights = new Map<string, number>();
    for (const t of this.#tokenize(query)) weights.set(t, (weights.get(t) ?? 0) + 1);
    const scores = new Float64Array(this.size);
    const touched: number[] = [];
    const avg = this.#averageLength || 1;
    for (const [term, count] of weights) {
      const p = this.#postings.get(term);
      if (p === undefined) continue;
      const idf = this.idf(term) * count;
      for (let i = 0; i < p.docs.length; i++) {
        const doc = p.docs[i] as number;
        const tf = p.tfs[i] as number;
        const norm = this.k1 * (1 - this.b + (this.b * (this.#lengths[doc] as number)) / avg);
        if (scores[doc] === 0) touched.push(doc);
        scores[doc] = (scores[doc] as number) + (idf * tf * (this.k1 + 1)) / (tf + norm);
      }
    }
    return touched
      .filter((doc) => (scores[doc] as number) > 0)
      .sort((x, y) => (scores[y] as number) - (scores[x] as number) || x - y)
      .slice(0, k)
      .map((index) => ({ index, score: scores[index] as number }));
  }
}
