import type { Callbacks } from "@langchain/core/callbacks/manager";
import type { DocumentInterface } from "@langchain/core/documents";
import { BaseDocumentCompressor } from "@langchain/core/retrievers/document_compressors";
import { InvalidOptionError, RerankError } from "../errors.js";
import { callCompressor, checkCompressor, checkCompressorOutput, type CompressorCallOptions, readCompressorCall } from "./compressor_plumbing.js";
import { checkFields, checkFiniteNumber, checkNonNegativeInteger, checkOneOf, checkPositiveInteger, checkString, describeValue } from "../options.js";
import { checkDocuments, checkRerankInput } from "../rerank_input.js";
import { DEFAULT_SCORE_KEY } from "./ranked_documents.js";
import { traceCompressorRun } from "./tracing.js";

export interface RelevanceThresholdFilterArgs {
  /**
   * Keep documents whose score is ≥ this. Scores are per model and per score mode: choose it from labelled data.
   * @default none (no absolute cut)
   */
  threshold?: number;
  /**
   * Keep documents whose score is ≥ this fraction (0–1] of the best score (needs non-negative scores, e.g. sigmoid).
   * @default none (no relative cut)
   */
  relativeThreshold?: number;
  /**
   * Keep at most this many (the highest-scoring).
   * @default no limit
   */
  topN?: number;
  /**
   * Never return fewer than this many while documents exist: the best ones below the threshold fill up.
   * @default 0
   */
  minDocuments?: number;
  /**
   * Metadata key holding the score.
   * @default "relevanceScore"
   */
  scoreKey?: string;
  /**
   * Reranks first (e.g. a `CrossEncoderReranker` or `CohereRerank`), then filters its output.
   * @default none (filters the scores the documents already carry)
   */
  reranker?: BaseDocumentCompressor;
  /**
   * A document without a numeric score: `error` names the key; `drop` leaves it out.
   * @default "error"
   */
  onMissingScore?: "error" | "drop";
}

const OWNER = "RelevanceThresholdFilter";

/**
 * Drops documents that are not relevant enough: an absolute and/or relative score threshold, with `topN` and
 * `minDocuments` bounds. Works on any scored documents (a reranker's output, or its own `reranker` option) and inside
 * `DocumentCompressorPipeline`. Kept documents are returned in input order (best first after a reranker), unchanged.
 *
 * @example
 * ```ts
 * import { Document } from "@langchain/core/documents";
 * import { CrossEncoderReranker, RelevanceThresholdFilter, type TextPair } from "langchain-rerank";
 *
 * // Any CrossEncoder scores; this one gives the share of query words a text contains (0–1), so the example runs offline.
 * const model = {
 *   score: async (pairs: readonly TextPair[]) =>
 *     pairs.map(([q, text]) => q.split(" ").filter((w) => text.includes(w)).length / q.split(" ").length),
 * };
 * // Rerank, then keep what scores at least 0.5 (choose it on labelled data: see chooseThreshold), but never fewer than 1.
 * const filter = new RelevanceThresholdFilter({ reranker: new CrossEncoderReranker({ model, topN: 10 }), threshold: 0.5, minDocuments: 1 });
 * const candidates = ["coffee can raise blood pressure", "coffee is brewed", "tea"].map((text) => new Document({ pageContent: text }));
 * const kept = await filter.compressDocuments(candidates, "does coffee raise blood pressure");
 * console.log(kept.map((doc) => [doc.pageContent, doc.metadata.relevanceScore])); // [ [ 'coffee can raise blood pressure', 0.8 ] ]
 * ```
 */
export class RelevanceThresholdFilter extends BaseDocumentCompressor {
  readonly threshold: number | undefined;
  readonly relativeThreshold: number | undefined;
  readonly topN: number | undefined;
  readonly minDocuments: number;
  readonly scoreKey: string;
  readonly reranker: BaseDocumentCompressor | undefined;
  readonly onMissingScore: "error" | "drop";

  constructor(fields: RelevanceThresholdFilterArgs) {
    super();
    fields = checkFields(OWNER, fields, "{ threshold: 0.5 }");
    this.threshold = checkFiniteNumber(OWNER, "threshold", fields.threshold);
    this.relativeThreshold = checkFiniteNumber(OWNER, "relativeThreshold", fields.relativeThreshold);
    if (this.relativeThreshold !== undefined && (this.relativeThreshold <= 0 || this.relativeThreshold > 1)) {
      throw new InvalidOptionError(`${OWNER}: \`relativeThreshold\` is a fraction of the best score, in (0, 1]; got ${this.relativeThreshold}.`);
    }
    this.topN = checkPositiveInteger(OWNER, "topN", fields.topN);
    this.minDocuments = checkNonNegativeInteger(OWNER, "minDocuments", fields.minDocuments) ?? 0;
    if (this.topN !== undefined && this.minDocuments > this.topN) {
      throw new InvalidOptionError(`${OWNER}: \`minDocuments\` (${this.minDocuments}) cannot exceed \`topN\` (${this.topN}).`);
    }
    if (this.threshold === undefined && this.relativeThreshold === undefined && this.topN === undefined) {
      throw new InvalidOptionError(`${OWNER}: set \`threshold\`, \`relativeThreshold\` or \`topN\`; without one the filter keeps everything.`);
    }
    this.scoreKey = checkString(OWNER, "scoreKey", fields.scoreKey) ?? DEFAULT_SCORE_KEY;
    this.reranker = fields.reranker === undefined ? undefined : checkCompressor(OWNER, "`reranker`", fields.reranker);
    this.onMissingScore = checkOneOf(OWNER, "onMissingScore", fields.onMissingScore, ["error", "drop"] as const) ?? "error";
  }

  /**
   * LangChain's compressor call. The optional fourth argument (not part of `BaseDocumentCompressor`) carries a
   * per-call `signal`, e.g. `FallbackReranker`'s timeout: it is passed on to the `reranker`, and the call rejects with
   * its reason as soon as it aborts, even if the reranker ignores it.
   * `callbacks` may also be one handler or a RunnableConfig-like `{ callbacks, signal, tags, metadata, runName }`
   * (LCEL's `invoke(input, config)` form): its signal aborts the call, the rest traces it.
   */
  override async compressDocuments(
    documents: DocumentInterface[],
    query: string,
    callbacks?: Callbacks,
    options: CompressorCallOptions = {},
  ): Promise<DocumentInterface[]> {
    // The query matters only to the reranker (which checks it is not empty); here it must at least be a string.
    checkRerankInput(OWNER, documents, query, { nonEmptyQuery: false });
    const call = readCompressorCall(OWNER, callbacks, options);
    const { signal } = call.options;
    signal?.throwIfAborted();
    if (documents.length === 0) return [];
    return traceCompressorRun(
      OWNER,
      call.trace,
      { query, documents: documents.length, topN: this.topN },
      async (runManager) => {
        let candidates: DocumentInterface[] = documents;
        if (this.reranker) {
          const output = await callCompressor(this.reranker, documents, query, runManager?.getChild("reranker"), signal);
          checkCompressorOutput(`${OWNER}: its reranker`, output);
          candidates = output;
        }
        return this.filter(candidates);
      },
      (kept) => ({ kept: kept.length, scores: kept.map((document) => document.metadata[this.scoreKey]) }),
    );
  }

  /** The filtering step alone, on documents that already carry scores. */
  filter(documents: readonly DocumentInterface[]): DocumentInterface[] {
    checkDocuments(OWNER, documents);
    const scored: { index: number; score: number }[] = [];
    documents.forEach((document, index) => {
      const score = document.metadata?.[this.scoreKey];
      if (typeof score === "number" && Number.isFinite(score)) scored.push({ index, score });
      else if (this.onMissingScore === "error") {
        throw new RerankError(
          `${OWNER}: document ${index} has no finite numeric metadata.${this.scoreKey} (got ${score === undefined ? "nothing" : describeValue(score)}). ` +
            'Rerank first (pass `reranker`, or put a reranker before this filter), set `scoreKey` to the key your scores use, or set onMissingScore: "drop".',
        );
      }
    });
    if (scored.length === 0) return [];
    const byScore = [...scored].sort((a, b) => b.score - a.score || a.index - b.index);
    const cutoff = this.#cutoff(byScore[0]!.score, byScore.at(-1)!.score);
    let keep = byScore.filter((entry) => entry.score >= cutoff);
    if (keep.length < this.minDocuments) keep = byScore.slice(0, this.minDocuments);
    if (this.topN !== undefined) keep = keep.slice(0, this.topN);
    return keep.sort((a, b) => a.index - b.index).map((entry) => documents[entry.index]!);
  }

  #cutoff(best: number, lowest: number): number {
    let cutoff = this.threshold ?? -Infinity;
    if (this.relativeThreshold !== undefined) {
      // Any negative score, not only a negative best: "half of the best" of logits such as [2, -1] means nothing.
      if (lowest < 0) {
        throw new RerankError(
          `${OWNER}: relativeThreshold needs non-negative scores, but ${best < 0 ? "the best score" : "a score"} is ${best < 0 ? best : lowest} (raw logits?). Use sigmoid scores or an absolute threshold.`,
        );
      }
      cutoff = Math.max(cutoff, best * this.relativeThreshold);
    }
    return cutoff;
  }
}
