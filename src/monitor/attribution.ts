import { InvalidOptionError } from "../errors.js";
import { checkKnownFields, checkInRange, checkPositiveInteger } from "../options.js";
import { RateCounter } from "./aggregates.js";
import { type RankBucket, RankHistogram } from "./rank_histogram.js";

export interface AttributionOptions {
  /**
   * Word n-gram length for the overlap estimate.
   * @default 3
   */
  ngram?: number;
  /**
   * A document counts as used when at least this share of the answer's word n-grams occur in it.
   * @default 0.2
   */
  overlapThreshold?: number;
}

/** Which documents an answer used, and how that was decided. */
export interface Attribution {
  method: "citation" | "overlap" | "none";
  /** 0-based positions in the context of the documents the answer used, most used first. */
  used: number[];
  /** Per context document: its citation count (`citation`) or the share of the answer's n-grams it contains (`overlap`). */
  weights: number[];
}

// [2], [1, 3], [1][4], [Doc 2], [source 2]: a bracket holding numbers, optionally after one word.
const CITATION = /\[(?:[A-Za-z]+\s*)?(\d+(?:\s*[,;]\s*\d+)*)\]/g;

/** Citations like `[2]` pointing into a context of `contextSize` documents (1-based, as prompts number them). */
export function citedPositions(answer: string, contextSize: number): number[] {
  const counts = new Array<number>(contextSize).fill(0);
  for (const match of answer.matchAll(CITATION)) {
    for (const number of match[1]!.split(/[,;]/)) {
      const position = Number(number.trim()) - 1;
      if (position >= 0 && position < contextSize) counts[position]! += 1;
    }
  }
  return counts;
}

const words = (text: string): string[] => text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? [];

function ngrams(tokens: readonly string[], n: number): Set<string> {
  const grams = new Set<string>();
  for (let i = 0; i + n <= tokens.length; i++) grams.add(tokens.slice(i, i + n).join(" "));
  return grams;
}

/** Checks attribution options (an object of `ngram` and `overlapThreshold`) and fills in the defaults. */
export function checkAttributionOptions(owner: string, options: unknown): Required<AttributionOptions> {
  const fields = checkKnownFields(owner, options === undefined ? {} : options, ["ngram", "overlapThreshold"], "{ ngram: 3, overlapThreshold: 0.2 }");
  return {
    ngram: checkPositiveInteger(owner, "attribution.ngram", fields.ngram) ?? 3,
    overlapThreshold: checkInRange(owner, "attribution.overlapThreshold", fields.overlapThreshold, 0, 1, true) ?? 0.2,
  };
}

/**
 * Estimates which context documents an answer used: the documents it cites (`[2]`, 1-based) when it cites any,
 * otherwise those containing at least `overlapThreshold` of the answer's word n-grams (lower-cased letters and
 * digits). An answer shorter than `ngram` words, or one that matches nothing, is `none`.
 */
export function attributeAnswer(answer: string, contexts: readonly string[], options: AttributionOptions = {}): Attribution {
  if (typeof answer !== "string" || !Array.isArray(contexts) || !contexts.every((text) => typeof text === "string")) {
    throw new InvalidOptionError("attributeAnswer: give the answer as a string and the context as an array of strings (the documents' texts).");
  }
  const { ngram, overlapThreshold } = checkAttributionOptions("attributeAnswer", options);
  const byWeight = (weights: number[], keep: (w: number) => boolean) =>
    weights
      .map((weight, index) => ({ weight, index }))
      .filter(({ weight }) => keep(weight))
      .sort((a, b) => b.weight - a.weight || a.index - b.index)
      .map(({ index }) => index);
  const cited = citedPositions(answer, contexts.length);
  if (cited.some((count) => count > 0)) return { method: "citation", used: byWeight(cited, (w) => w > 0), weights: cited };
  const answerGrams = ngrams(words(answer), ngram);
  if (answerGrams.size === 0) return { method: "none", used: [], weights: contexts.map(() => 0) };
  const shares = contexts.map((text) => {
    const grams = ngrams(words(text), ngram);
    let shared = 0;
    for (const gram of answerGrams) if (grams.has(gram)) shared += 1;
    return shared / answerGrams.size;
  });
  const used = byWeight(shares, (w) => w >= overlapThreshold && w > 0);
  return { method: used.length > 0 ? "overlap" : "none", used, weights: shares };
}

/** What the monitor reports about answers. */
export interface AttributionSummary {
  answers: number;
  byCitation: number;
  byOverlap: number;
  /** Answers no document could be tied to. */
  unattributed: number;
  /** The document the answer used most was the first stage's top document. */
  usedWasFirstStageTop: { rate: number | null; of: number };
  /** … was the reranker's top document (first in the context). */
  usedWasRerankerTop: { rate: number | null; of: number };
  /** Where the reranker had put the most-used document (1 = first in the context). */
  rerankerPosition: RankBucket[];
  /** Where the first stage had put it. */
  firstStageRank: RankBucket[];
  ngram: number;
  overlapThreshold: number;
}

/** Counts over answers, in fixed memory. */
export class AttributionAggregate {
  readonly #counts = { answers: 0, citation: 0, overlap: 0, none: 0 };
  readonly #firstStageTop = new RateCounter();
  readonly #rerankerTop = new RateCounter();
  readonly #position = new RankHistogram();
  readonly #firstStageRank = new RankHistogram();

  constructor(readonly options: Required<AttributionOptions>) {}

  /** Attributes one answer over its context documents, given their texts and first-stage ranks. */
  add(answer: string, texts: readonly string[], ranks: readonly number[]): Attribution {
    const attribution = attributeAnswer(answer, texts, this.options);
    this.#counts.answers += 1;
    this.#counts[attribution.method] += 1;
    const primary = attribution.used[0];
    if (primary !== undefined) {
      const rank = ranks[primary];
      this.#rerankerTop.add(primary === 0);
      this.#position.add(primary + 1);
      if (rank !== undefined && Number.isFinite(rank)) {
        this.#firstStageTop.add(rank === 1);
        this.#firstStageRank.add(rank);
      }
    }
    return attribution;
  }

  summary(): AttributionSummary {
    return {
      answers: this.#counts.answers,
      byCitation: this.#counts.citation,
      byOverlap: this.#counts.overlap,
      unattributed: this.#counts.none,
      usedWasFirstStageTop: this.#firstStageTop.get(),
      usedWasRerankerTop: this.#rerankerTop.get(),
      rerankerPosition: this.#position.buckets(),
      firstStageRank: this.#firstStageRank.buckets(),
      ngram: this.options.ngram,
      overlapThreshold: this.options.overlapThreshold,
    };
  }
}
