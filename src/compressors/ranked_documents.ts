import type { Document, DocumentInterface } from "@langchain/core/documents";
import { type CompressorCallOptions, keptRetrievalRank, loadDocumentClass, readCompressorCall } from "./compressor_plumbing.js";
import { traceCompressorRun } from "./tracing.js";
import { RerankError } from "../errors.js";
import { checkPositiveInteger } from "../options.js";
import { checkRerankInput } from "../rerank_input.js";
import { type RerankResult, sortResults } from "../results.js";

/** The metadata key `@langchain/cohere` uses for the reranker's score; ours by default too. */
export const DEFAULT_SCORE_KEY = "relevanceScore";
/** 1-based position of the document in the first stage's output. */
export const DEFAULT_RANK_KEY = "retrievalRank";
/** Every reranking stage's score, oldest first: `[{ reranker, score, rank }]`. */
export const STAGE_SCORES_KEY = "stageScores";

/** One reranking stage's verdict on a document, as kept in `metadata.stageScores`. */
export interface StageScore {
  /** Which reranker scored, e.g. `CrossEncoderReranker(Xenova/bge-reranker-base)`. */
  reranker: string;
  /** Its score (in that reranker's own scale). */
  score: number;
  /** 1-based position in that stage's output; absent for an earlier reranker that kept no history. */
  rank?: number;
}

/** A result with metadata of its own to add to its document (e.g. the best chunk of a long document). */
export interface RankedResult extends RerankResult {
  metadata?: Record<string, unknown>;
}

export interface RankDocumentsOptions {
  /** Keep at most this many (after sorting). */
  topN?: number;
  scoreKey?: string;
  rankKey?: string;
  /** The stage's name in `metadata.stageScores`. @default "reranker" */
  reranker?: string;
}

const isStageScore = (value: unknown): value is StageScore =>
  value !== null &&
  typeof value === "object" &&
  typeof (value as StageScore).reranker === "string" &&
  typeof (value as StageScore).score === "number";

/**
 * Earlier stages' scores. A document scored by a reranker that keeps no history (e.g. `@langchain/cohere`) still
 * carries that score under the score key: it is kept as an unnamed stage rather than lost. A `stageScores` value that
 * is not such a history (the caller's own data under that name) is not taken for one: this stage's history starts
 * afresh, since reading `"x"` or `null` as a stage would make up stages that never ran.
 */
function earlierStages(metadata: Record<string, unknown>, scoreKey: string): StageScore[] {
  const history = metadata[STAGE_SCORES_KEY];
  if (Array.isArray(history) && history.every(isStageScore)) return history.map((stage) => ({ ...stage }));
  const score = metadata[scoreKey];
  return typeof score === "number" ? [{ reranker: "unknown", score }] : [];
}

/**
 * Builds the reranked output: new Document objects (the caller's are never touched), sorted, cut to `topN`,
 * with the score, the 1-based first-stage rank and this stage's entry in `stageScores` added to a copy of each
 * document's metadata. In a cascade (a `DocumentCompressorPipeline` of rerankers) a document that already has a
 * rank keeps it (see `keptRetrievalRank`), so `retrievalRank` stays the position in the original first-stage list, while the score key holds
 * the last stage's score and `stageScores` every stage's.
 */
export async function rankDocuments(
  documents: readonly DocumentInterface[],
  results: readonly RankedResult[],
  options: RankDocumentsOptions = {},
): Promise<Document[]> {
  const Document = await loadDocumentClass();
  const { topN, scoreKey = DEFAULT_SCORE_KEY, rankKey = DEFAULT_RANK_KEY, reranker = "reranker" } = options;
  const sorted = sortResults(results) as RankedResult[];
  const kept = topN === undefined ? sorted : sorted.slice(0, topN);
  return kept.map(({ index, relevanceScore, metadata: extra }, position) => {
    const doc = documents[index];
    if (doc === undefined) throw new RerankError(`No input document at index ${index}.`);
    const metadata: Record<string, unknown> = doc.metadata ?? {};
    const rank = keptRetrievalRank(metadata[rankKey], index);
    const stageScores = [...earlierStages(metadata, scoreKey), { reranker, score: relevanceScore, rank: position + 1 }];
    return new Document({
      pageContent: doc.pageContent,
      metadata: { ...metadata, ...extra, [scoreKey]: relevanceScore, [rankKey]: rank, [STAGE_SCORES_KEY]: stageScores },
      ...(doc.id !== undefined ? { id: doc.id } : {}),
    });
  });
}

/** What a scoring compressor brings to `compressByRanking`: its scorer's step and how it writes the output. */
export interface RankingStep {
  /** Documents kept when the call gives no `topN`. */
  topN: number;
  scoreKey: string;
  rankKey: string;
  /** The stage's name in `metadata.stageScores`, read once the scorer has answered. */
  stageName: () => string;
  /** Traced beside the query, the number of documents and `topN` (never the documents' text). */
  traceInputs?: Record<string, unknown>;
  /** The scorer's results, best first, at most `topN`, indices into the documents. */
  rank: (topN: number, signal: AbortSignal | undefined) => Promise<RankedResult[]>;
}

/**
 * The steps of a compressor that orders by a scorer (Python LangChain's split of `BaseCrossEncoder` from the
 * compressor): check the documents, the query and the call (readCompressorCall), trace the run, ask the scorer,
 * and build the ranked Documents. CrossEncoderReranker (any CrossEncoder) and CohereRerank (Cohere's top-N
 * results) run these steps; only the scorer differs.
 */
export async function compressByRanking(
  owner: string,
  documents: DocumentInterface[],
  query: string,
  callbacks: unknown,
  callOptions: (CompressorCallOptions & { topN?: number }) | undefined,
  step: RankingStep,
): Promise<Document[]> {
  checkRerankInput(owner, documents, query);
  const { trace, options } = readCompressorCall(owner, callbacks, callOptions, "{ signal, topN: 5 }");
  const topN = checkPositiveInteger(owner, "topN", options.topN) ?? step.topN;
  if (documents.length === 0) return [];
  const { ranked } = await traceCompressorRun(
    owner,
    trace,
    { query, documents: documents.length, topN, ...step.traceInputs },
    async () => {
      const results = await step.rank(topN, options.signal);
      const ranked = await rankDocuments(documents, results, { topN, scoreKey: step.scoreKey, rankKey: step.rankKey, reranker: step.stageName() });
      return { ranked, results: results.map(({ index, relevanceScore }) => ({ index, relevanceScore })) };
    },
    ({ results }) => ({ results }),
  );
  return ranked;
}
