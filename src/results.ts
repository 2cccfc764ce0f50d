import { RerankError } from "./errors.js";

// Reranker results and their checks: shared by scorers (which validate what servers send) and compressors
// (which turn results into documents), so neither layer reaches into the other.

/** One reranker result: the document's position in the input and its score (as `CohereRerank.rerank` returns). */
export interface RerankResult {
  index: number;
  relevanceScore: number;
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
