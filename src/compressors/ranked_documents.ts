import { Document, type DocumentInterface } from "@langchain/core/documents";
import { RerankError } from "../errors.js";

/** The metadata key `@langchain/cohere` uses for the reranker's score; ours by default too. */
export const DEFAULT_SCORE_KEY = "relevanceScore";
/** 1-based position of the document in the first stage's output. */
export const DEFAULT_RANK_KEY = "retrievalRank";

/** One reranker result: the document's position in the input and its score (as `CohereRerank.rerank` returns). */
export interface RerankResult {
  index: number;
  relevanceScore: number;
}

export interface RankDocumentsOptions {
  /** Keep at most this many (after sorting). */
  topN?: number;
  scoreKey?: string;
  rankKey?: string;
}

/**
 * Checks that `results` speak of `count` input documents: integer indices in range, each once, finite scores.
 * Every reranker (local or remote) passes through here, so a broken backend fails loudly instead of
 * yielding `undefined` documents or NaN-ordered output.
 */
export function validateRerankResults(results: readonly RerankResult[], count: number, source: string): void {
  const seen = new Set<number>();
  for (const r of results) {
    if (!Number.isInteger(r.index) || r.index < 0 || r.index >= count) {
      throw new RerankError(`${source} returned index ${String(r.index)}, outside the ${count} documents sent (0–${count - 1}).`);
    }
    if (seen.has(r.index)) throw new RerankError(`${source} returned index ${r.index} more than once.`);
    seen.add(r.index);
    if (typeof r.relevanceScore !== "number" || !Number.isFinite(r.relevanceScore)) {
      throw new RerankError(`${source} returned a non-finite score (${String(r.relevanceScore)}) for index ${r.index}.`);
    }
  }
}

/** Highest score first; equal scores keep first-stage order (the lower input index wins). */
export function sortResults(results: readonly RerankResult[]): RerankResult[] {
  return [...results].sort((a, b) => b.relevanceScore - a.relevanceScore || a.index - b.index);
}

/** Turns a score per input document into results, in input order. */
export function resultsFromScores(scores: readonly number[]): RerankResult[] {
  return scores.map((relevanceScore, index) => ({ index, relevanceScore }));
}

/**
 * Builds the reranked output: new Document objects (the caller's are never touched), sorted, cut to `topN`,
 * with the score and the 1-based first-stage rank added to a copy of each document's metadata.
 */
export function rankDocuments(
  documents: readonly DocumentInterface[],
  results: readonly RerankResult[],
  options: RankDocumentsOptions = {},
): Document[] {
  const { topN, scoreKey = DEFAULT_SCORE_KEY, rankKey = DEFAULT_RANK_KEY } = options;
  const sorted = sortResults(results);
  const kept = topN === undefined ? sorted : sorted.slice(0, topN);
  return kept.map(({ index, relevanceScore }) => {
    const doc = documents[index];
    if (doc === undefined) throw new RerankError(`No input document at index ${index}.`);
    return new Document({
      pageContent: doc.pageContent,
      metadata: { ...doc.metadata, [scoreKey]: relevanceScore, [rankKey]: index + 1 },
      ...(doc.id !== undefined ? { id: doc.id } : {}),
    });
  });
}
