import type { Document, DocumentInterface } from "@langchain/core/documents";
import { RerankError } from "../errors.js";
import { type RerankResult, sortResults } from "../results.js";

/** The metadata key `@langchain/cohere` uses for the reranker's score; ours by default too. */
export const DEFAULT_SCORE_KEY = "relevanceScore";
/** 1-based position of the document in the first stage's output. */
export const DEFAULT_RANK_KEY = "retrievalRank";

export interface RankDocumentsOptions {
  /** Keep at most this many (after sorting). */
  topN?: number;
  scoreKey?: string;
  rankKey?: string;
}

// `@langchain/core/documents` brings Runnable and the tracers with it (about 250 ms): it is loaded on the first
// rerank, so importing this package costs no more than importing `BaseDocumentCompressor`.
let documentClass: Promise<typeof Document> | undefined;
export function loadDocumentClass(): Promise<typeof Document> {
  return (documentClass ??= import("@langchain/core/documents").then((module) => module.Document));
}

/**
 * Builds the reranked output: new Document objects (the caller's are never touched), sorted, cut to `topN`,
 * with the score and the 1-based first-stage rank added to a copy of each document's metadata.
 */
export async function rankDocuments(
  documents: readonly DocumentInterface[],
  results: readonly RerankResult[],
  options: RankDocumentsOptions = {},
): Promise<Document[]> {
  const Document = await loadDocumentClass();
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
