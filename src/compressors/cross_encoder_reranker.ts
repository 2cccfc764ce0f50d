import type { Callbacks } from "@langchain/core/callbacks/manager";
import type { DocumentInterface } from "@langchain/core/documents";
import { BaseDocumentCompressor } from "@langchain/core/retrievers/document_compressors";
import { InvalidOptionError, RerankError, throwIfAborted } from "../errors.js";
import { checkFunction, checkPositiveInteger, checkString } from "../options.js";
import { type CrossEncoder, isCrossEncoder } from "../scorers/cross_encoder.js";
import { HuggingFaceCrossEncoder } from "../scorers/huggingface_cross_encoder.js";
import { checkRerankInput } from "../rerank_input.js";
import { type RerankResult, resultsFromScores, sortResults, validateRerankResults } from "../results.js";
import { DEFAULT_RANK_KEY, DEFAULT_SCORE_KEY, rankDocuments } from "./ranked_documents.js";
import { traceCompressorRun } from "./tracing.js";

export interface CrossEncoderRerankerArgs {
  /** A `CrossEncoder` (local or remote), or a model id/folder for a `HuggingFaceCrossEncoder`. Default `Xenova/bge-reranker-base`. */
  model?: CrossEncoder | string;
  /** Documents to keep, best first. Default 3 (as Python LangChain's `CrossEncoderReranker`). */
  topN?: number;
  /** Metadata key for the score. Default `relevanceScore` (the key `@langchain/cohere` uses). */
  scoreKey?: string;
  /** Metadata key for the 1-based first-stage position. Default `retrievalRank`. */
  rankKey?: string;
  /** The text of a document that is scored. Default `doc.pageContent`; e.g. prepend a title from metadata. */
  documentText?: (document: DocumentInterface) => string;
}

export interface CrossEncoderRerankerCallOptions {
  /** Overrides the instance's `topN` for this call. */
  topN?: number;
  signal?: AbortSignal;
}

const OWNER = "CrossEncoderReranker";

/**
 * Reorders first-stage candidates by a cross-encoder's relevance scores and keeps the best `topN`, as a LangChain
 * document compressor (plug it into `ContextualCompressionRetriever`). Returns new Documents, highest score first,
 * ties in first-stage order, with `metadata.relevanceScore` and `metadata.retrievalRank` added and the rest kept.
 */
export class CrossEncoderReranker extends BaseDocumentCompressor {
  readonly model: CrossEncoder;
  readonly topN: number;
  readonly scoreKey: string;
  readonly rankKey: string;
  readonly documentText: (document: DocumentInterface) => string;

  constructor(options: CrossEncoderRerankerArgs = {}) {
    super();
    const { model } = options;
    if (model === undefined || typeof model === "string") this.model = new HuggingFaceCrossEncoder(model === undefined ? {} : { model });
    else if (isCrossEncoder(model)) this.model = model;
    else throw new InvalidOptionError(`${OWNER}: \`model\` must be a CrossEncoder (an object with score(pairs)) or a model id string.`);
    this.topN = checkPositiveInteger(OWNER, "topN", options.topN) ?? 3;
    this.scoreKey = checkString(OWNER, "scoreKey", options.scoreKey) ?? DEFAULT_SCORE_KEY;
    this.rankKey = checkString(OWNER, "rankKey", options.rankKey) ?? DEFAULT_RANK_KEY;
    this.documentText = checkFunction(OWNER, "documentText", options.documentText) ?? ((document) => document.pageContent);
  }

  /** Scores every document; returns `[{ index, relevanceScore }]` best first, cut to `topN` (as `CohereRerank.rerank`). */
  async rerank(documents: readonly DocumentInterface[], query: string, options: CrossEncoderRerankerCallOptions = {}): Promise<RerankResult[]> {
    checkRerankInput(OWNER, documents, query);
    const topN = checkPositiveInteger(OWNER, "topN", options.topN) ?? this.topN;
    if (documents.length === 0) return [];
    return this.scoreAndSort(documents, query, topN, options.signal);
  }

  private async scoreAndSort(documents: readonly DocumentInterface[], query: string, topN: number, signal?: AbortSignal): Promise<RerankResult[]> {
    throwIfAborted(signal);
    const pairs = documents.map((document, i) => {
      const text = this.documentText(document);
      if (typeof text !== "string") throw new InvalidOptionError(`${OWNER}: documentText returned ${typeof text} for document ${i}; it must return a string.`);
      return [query, text] as const;
    });
    const scores = await this.model.score(pairs, signal ? { signal } : {});
    if (!Array.isArray(scores) || scores.length !== documents.length) {
      throw new RerankError(`${OWNER}: the cross-encoder returned ${Array.isArray(scores) ? scores.length : "no"} scores for ${documents.length} documents.`);
    }
    const results = resultsFromScores(scores);
    validateRerankResults(results, documents.length, "The cross-encoder");
    return sortResults(results).slice(0, topN);
  }

  /**
   * LangChain's compressor call. The optional fourth argument (not part of `BaseDocumentCompressor`) carries a
   * per-call `signal` and `topN`, e.g. from `FallbackReranker`'s timeouts; LangChain's own callers never pass it.
   */
  override async compressDocuments(
    documents: DocumentInterface[],
    query: string,
    callbacks?: Callbacks,
    options: CrossEncoderRerankerCallOptions = {},
  ): Promise<DocumentInterface[]> {
    checkRerankInput(OWNER, documents, query);
    const topN = checkPositiveInteger(OWNER, "topN", options?.topN) ?? this.topN;
    if (documents.length === 0) return [];
    return traceCompressorRun(
      OWNER,
      callbacks,
      { query, documents: documents.length, topN },
      async () => rankDocuments(documents, await this.scoreAndSort(documents, query, topN, options?.signal), { scoreKey: this.scoreKey, rankKey: this.rankKey }),
      (ranked) => ({
        results: ranked.map((document) => ({ index: (document.metadata[this.rankKey] as number) - 1, relevanceScore: document.metadata[this.scoreKey] })),
      }),
    );
  }
}
