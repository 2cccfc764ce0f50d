import type { Callbacks } from "@langchain/core/callbacks/manager";
import type { DocumentInterface } from "@langchain/core/documents";
import { BaseDocumentCompressor } from "@langchain/core/retrievers/document_compressors";
import { InvalidOptionError } from "../errors.js";
import { checkCallOptions, checkDistinctKeys, checkFields, checkFunction, checkPositiveInteger, checkString } from "../options.js";
import { type CrossEncoder, isCrossEncoder, scorerName } from "../scorers/cross_encoder.js";
import { rankTexts } from "../scorers/rank_texts.js";
import { LazyHuggingFaceCrossEncoder } from "../local/cross_encoder/lazy_huggingface_cross_encoder.js";
import { checkRerankInput } from "../rerank_input.js";
import type { RerankResult } from "../results.js";
import { DEFAULT_RANK_KEY, DEFAULT_SCORE_KEY, type RankedResult, STAGE_SCORES_KEY, compressByRanking } from "./ranked_documents.js";
import { documentTexts } from "./compressor_plumbing.js";

export interface CrossEncoderRerankerArgs {
  /**
   * A `CrossEncoder` (local or remote), or a model id/folder for a `HuggingFaceCrossEncoder` (loaded on the first rerank).
   * @default "Xenova/bge-reranker-base"
   */
  model?: CrossEncoder | string;
  /**
   * Documents to keep, best first.
   * @default 3 (as Python LangChain's `CrossEncoderReranker`)
   */
  topN?: number;
  /**
   * Metadata key for the score.
   * @default "relevanceScore" (the key `@langchain/cohere` uses)
   */
  scoreKey?: string;
  /**
   * Metadata key for the 1-based first-stage position.
   * @default "retrievalRank"
   */
  rankKey?: string;
  /**
   * The text of a document that is scored, e.g. a title from metadata before the content.
   * @default (doc) => doc.pageContent
   */
  documentText?: (document: DocumentInterface) => string;
}

export interface CrossEncoderRerankerCallOptions {
  /**
   * Overrides the instance's `topN` for this call.
   * @default the instance's `topN`
   */
  topN?: number;
  /**
   * Aborts this call; the promise rejects with the signal's reason.
   * @default none
   */
  signal?: AbortSignal;
}

const OWNER = "CrossEncoderReranker";

/** The metadata key of the best window of a long document scored in windows: `{ start, end, text }`. */
export const BEST_CHUNK_KEY = "bestChunk";

/**
 * Reorders first-stage candidates by a cross-encoder's relevance scores and keeps the best `topN`, as a LangChain
 * document compressor (plug it into `ContextualCompressionRetriever`). Returns new Documents, highest score first,
 * ties in first-stage order, with `metadata.relevanceScore`, `metadata.retrievalRank` and `metadata.stageScores`
 * added and the rest kept. In a cascade of rerankers, `retrievalRank` stays the original first-stage position.
 * When the scorer split a long document into windows, `metadata.bestChunk` holds the winning window:
 * `{ start, end, text }`, offsets into the scored text (`documentText(doc)`, by default `pageContent`).
 *
 * Same name, defaults and split as Python LangChain's `CrossEncoderReranker`: a `CrossEncoder` scores, this orders.
 *
 * @example
 * ```ts
 * import { Document } from "@langchain/core/documents";
 * import { ContextualCompressionRetriever } from "@langchain/classic/retrievers/contextual_compression";
 * import { CrossEncoderReranker, type TextPair } from "langchain-rerank";
 * import { OkapiBm25Retriever } from "langchain-rerank/bm25";
 *
 * // `model` is any CrossEncoder: a model id string (a local HuggingFaceCrossEncoder, loaded on first use),
 * // a HuggingFaceCrossEncoder, a RerankServerCrossEncoder, ... This one counts shared words, so the example runs offline.
 * const model = { score: async (pairs: readonly TextPair[]) => pairs.map(([q, text]) => text.split(" ").filter((w) => q.includes(w)).length) };
 * const reranker = new CrossEncoderReranker({ model, topN: 1 });
 * const texts = ["Espresso is brewed coffee.", "Caffeine can raise blood pressure for a short time.", "Tea has caffeine."];
 * const baseRetriever = OkapiBm25Retriever.fromDocuments(texts.map((text) => new Document({ pageContent: text })), { k: 3 });
 * const retriever = new ContextualCompressionRetriever({ baseRetriever, baseCompressor: reranker });
 * const [top] = await retriever.invoke("does caffeine raise blood pressure");
 * console.log(top?.pageContent, top?.metadata);
 * // Caffeine can raise blood pressure for a short time. {
 * //   retrievalScore: 3.056147109881747,
 * //   retrievalRank: 1,
 * //   relevanceScore: 4,
 * //   stageScores: [ { reranker: 'CrossEncoderReranker', score: 4, rank: 1 } ]
 * // }
 * ```
 */
export class CrossEncoderReranker extends BaseDocumentCompressor {
  readonly model: CrossEncoder;
  readonly topN: number;
  readonly scoreKey: string;
  readonly rankKey: string;
  readonly documentText: (document: DocumentInterface) => string;

  constructor(fields: CrossEncoderRerankerArgs = {}) {
    super();
    fields = checkFields(OWNER, fields, '{ model: "Xenova/bge-reranker-base", topN: 3 }');
    const { model } = fields;
    // A string reaches the local scorer through a dynamic import, so this module's graph holds no local-model code.
    if (model === undefined || typeof model === "string") this.model = new LazyHuggingFaceCrossEncoder({ model });
    else if (isCrossEncoder(model)) this.model = model;
    else throw new InvalidOptionError(`${OWNER}: \`model\` must be a CrossEncoder (an object with score(pairs)) or a model id string.`);
    this.topN = checkPositiveInteger(OWNER, "topN", fields.topN) ?? 3;
    this.scoreKey = checkString(OWNER, "scoreKey", fields.scoreKey) ?? DEFAULT_SCORE_KEY;
    this.rankKey = checkString(OWNER, "rankKey", fields.rankKey) ?? DEFAULT_RANK_KEY;
    // The stage history and the best window are written too: neither key may hide the score or the rank.
    checkDistinctKeys(OWNER, {
      scoreKey: this.scoreKey,
      rankKey: this.rankKey,
      "the stage history": STAGE_SCORES_KEY,
      "the best window": BEST_CHUNK_KEY,
    });
    this.documentText = checkFunction(OWNER, "documentText", fields.documentText) ?? ((document) => document.pageContent);
  }

  /** Scores every document; returns `[{ index, relevanceScore }]` best first, cut to `topN` (as `CohereRerank.rerank`). */
  async rerank(documents: readonly DocumentInterface[], query: string, options: CrossEncoderRerankerCallOptions = {}): Promise<RerankResult[]> {
    checkRerankInput(OWNER, documents, query);
    options = checkCallOptions(`${OWNER}.rerank`, options, "{ signal, topN: 5 }");
    const topN = checkPositiveInteger(OWNER, "topN", options.topN) ?? this.topN;
    if (documents.length === 0) return [];
    const results = await this.#scoreAndSort(documents, query, topN, options.signal);
    return results.map(({ index, relevanceScore }) => ({ index, relevanceScore }));
  }

  async #scoreAndSort(documents: readonly DocumentInterface[], query: string, topN: number, signal?: AbortSignal): Promise<RankedResult[]> {
    signal?.throwIfAborted();
    const texts = documentTexts(OWNER, documents, this.documentText);
    const ranked = await rankTexts(OWNER, this.model, query, texts, signal ? { signal } : {});
    return ranked.slice(0, topN).map(({ index, relevanceScore, chunk }) => {
      const result: RankedResult = { index, relevanceScore };
      if (chunk !== undefined)
        result.metadata = { [BEST_CHUNK_KEY]: { start: chunk.start, end: chunk.end, text: texts[index]!.slice(chunk.start, chunk.end) } };
      return result;
    });
  }

  /**
   * This reranker's name in `metadata.stageScores`: the class and who scored, from the scorer's `modelName` (a
   * model id, a server's masked URL), else a string `model` property, else the scorer's class name.
   */
  get stageName(): string {
    const name = scorerName(this.model);
    return name === undefined ? OWNER : `${OWNER}(${name})`;
  }

  /**
   * LangChain's compressor call. The optional fourth argument (not part of `BaseDocumentCompressor`) carries a
   * per-call `signal` and `topN`, e.g. from `FallbackReranker`'s timeouts; LangChain's own callers never pass it.
   * `callbacks` may also be one handler or a RunnableConfig-like `{ callbacks, signal, tags, metadata, runName }`
   * (LCEL's `invoke(input, config)` form): its signal aborts the call, the rest traces it.
   */
  override async compressDocuments(
    documents: DocumentInterface[],
    query: string,
    callbacks?: Callbacks,
    options?: CrossEncoderRerankerCallOptions,
  ): Promise<DocumentInterface[]> {
    return compressByRanking(OWNER, documents, query, callbacks, options, {
      topN: this.topN,
      scoreKey: this.scoreKey,
      rankKey: this.rankKey,
      stageName: () => this.stageName,
      rank: (topN, signal) => this.#scoreAndSort(documents, query, topN, signal),
    });
  }
}
