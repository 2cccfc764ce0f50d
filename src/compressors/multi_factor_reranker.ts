import type { Callbacks } from "@langchain/core/callbacks/manager";
import type { DocumentInterface } from "@langchain/core/documents";
import { BaseDocumentCompressor } from "@langchain/core/retrievers/document_compressors";
import { InvalidOptionError, RerankError } from "../errors.js";
import { abortable } from "../cancellation.js";
import { checkDistinctKeys, checkFields, checkFunction, checkPositiveInteger, checkString } from "../options.js";
import { type CrossEncoder, isCrossEncoder } from "../scorers/cross_encoder.js";
import { type Normalization, normalizeValues, parseTimestamp, recencyFactor, weightedMean } from "./factors.js";
import { checkRerankInput } from "../rerank_input.js";
import {
  callCompressor,
  checkCompressor,
  checkCompressorOutput,
  type CompressorCallOptions,
  documentTexts,
  isRetrievalRank,
  keptRetrievalRank,
  loadDocumentClass,
  readCompressorCall,
} from "./compressor_plumbing.js";
import { DEFAULT_RANK_KEY, DEFAULT_SCORE_KEY } from "./ranked_documents.js";
import { type MissingPolicy, type RecencyOptions, checkFactorOptions } from "./multi_factor_options.js";
import { traceCompressorRun } from "./tracing.js";

export type { MissingPolicy, RecencyOptions } from "./multi_factor_options.js";

export interface MultiFactorRerankerArgs {
  /**
   * Supplies relevance: a document compressor (its `scoreKey` output is read, its cut respected) or a
   * `CrossEncoder` (every document scored). Without one, relevance is read from `metadata[scoreKey]`, e.g. after a
   * reranker in a `DocumentCompressorPipeline`.
   * @default undefined (relevance from metadata)
   */
  reranker?: BaseDocumentCompressor | CrossEncoder;
  /**
   * Weight of each factor (≥ 0, at least one > 0); the final score is the weighted mean of the normalised factors.
   * Built-in factors: `relevance`, `recency` (needs `recency`), `firstStageRank` (`1/rank`), `firstStageScore`;
   * any other name must be one of `signals`. Choose them on labelled data with `chooseWeights` (langchain-rerank/eval).
   */
  weights: Record<string, number>;
  /** The recency factor's date field and half-life. @default undefined (no recency factor) */
  recency?: RecencyOptions;
  /** Named numeric signals read from each document, e.g. `{ confidence: (doc) => doc.metadata.sourceReliability }`. @default {} */
  signals?: Record<string, (document: DocumentInterface) => number | null | undefined>;
  /**
   * Per-factor normalisation. @default relevance and firstStageScore `minmax` (per query), recency,
   * firstStageRank and signals `none`
   */
  normalize?: Record<string, Normalization>;
  /**
   * Per-factor policy for a missing value (`undefined`/`null`); a fill value is taken as already normalised.
   * A value that is present but not a finite number (or not a date) is always an error. @default "error" for every factor
   */
  missing?: Record<string, MissingPolicy>;
  /** Documents to keep, best first. @default 3 */
  topN?: number;
  /** Metadata key of the relevance score (read, and written when a CrossEncoder scores). @default "relevanceScore" */
  scoreKey?: string;
  /** Metadata key of the 1-based first-stage rank; absent, the input position is the first-stage rank. @default "retrievalRank" */
  rankKey?: string;
  /** Metadata key of the first stage's score (`@langchain/community`'s BM25Retriever writes `bm25Score`). @default "retrievalScore" */
  firstStageScoreKey?: string;
  /** Metadata key of the final score. @default "finalScore" */
  finalScoreKey?: string;
  /** Metadata key of the factor values (normalised, before weighting). @default "rankingFactors" */
  factorsKey?: string;
  /** The text a CrossEncoder `reranker` scores. @default doc.pageContent */
  documentText?: (document: DocumentInterface) => string;
}

export interface MultiFactorRerankerCallOptions extends CompressorCallOptions {
  /**
   * Overrides the instance's `topN` for this call.
   * @default the instance's `topN`
   */
  topN?: number;
}

const OWNER = "MultiFactorReranker";
// Marks which input a compressor's output came from; a symbol never shows in traces or JSON.
const INPUT_INDEX = Symbol("multiFactorInputIndex");

interface Candidate {
  /** Position in the caller's input. */
  index: number;
  /** Metadata to build the output from (the reranker's output metadata when a compressor ran). */
  metadata: Record<string, unknown>;
  document: DocumentInterface;
  relevance: unknown;
}

function describeDocument(document: DocumentInterface, index: number): string {
  const id = document.id ?? document.metadata?.id;
  return `${OWNER}: document ${index}${id !== undefined && id !== null ? ` (id ${JSON.stringify(String(id))})` : ""}`;
}

/**
 * The final ranking stage: combines a reranker's relevance with what a cross-encoder cannot see in the text
 * (recency, source reliability, the first stage's own rank and score) into one score, and keeps the best `topN`.
 * Each factor is normalised per query (see `normalize`), then `finalScore = Σ wᵢ·fᵢ / Σ wᵢ`. New documents are returned
 * (the caller's are not touched) with `metadata.finalScore` and `metadata.rankingFactors` (each factor's value
 * before weighting: a document one half-life old shows `recency: 0.5`); the call is its own traced run.
 *
 * @example
 * ```ts
 * import { Document } from "@langchain/core/documents";
 * import { CrossEncoderReranker, MultiFactorReranker, type TextPair } from "langchain-rerank";
 *
 * const scorer = { score: async (pairs: readonly TextPair[]) => pairs.map(() => 0.5) }; // any CrossEncoder: here a tie
 * const final = new MultiFactorReranker({
 *   reranker: new CrossEncoderReranker({ model: scorer, topN: 20 }),
 *   weights: { relevance: 0.7, recency: 0.2, confidence: 0.1 },
 *   recency: { field: "publishedAt", halfLifeDays: 30, now: () => new Date("2025-06-30") },
 *   signals: { confidence: (doc) => doc.metadata.sourceReliability },
 *   topN: 1,
 * });
 * const docs = [
 *   new Document({ pageContent: "old", metadata: { publishedAt: "2025-01-01", sourceReliability: 0.9 } }),
 *   new Document({ pageContent: "new", metadata: { publishedAt: "2025-06-01", sourceReliability: 0.9 } }),
 * ];
 * const [top] = await final.compressDocuments(docs, "what changed?");
 * console.log(top?.pageContent, top?.metadata.finalScore); // new 0.8923373891996775 (the newer one wins the tie)
 * ```
 */
export class MultiFactorReranker extends BaseDocumentCompressor {
  readonly reranker: BaseDocumentCompressor | CrossEncoder | undefined;
  readonly weights: Readonly<Record<string, number>>;
  readonly recency: Readonly<RecencyOptions> | undefined;
  readonly signals: Readonly<Record<string, (document: DocumentInterface) => number | null | undefined>>;
  readonly normalize: Readonly<Record<string, Normalization>>;
  readonly missing: Readonly<Record<string, MissingPolicy>>;
  readonly topN: number;
  readonly scoreKey: string;
  readonly rankKey: string;
  readonly firstStageScoreKey: string;
  readonly finalScoreKey: string;
  readonly factorsKey: string;
  readonly documentText: (document: DocumentInterface) => string;
  /** The factors computed, in a fixed order: the weighted ones. */
  readonly factorNames: readonly string[];

  constructor(fields: MultiFactorRerankerArgs) {
    super();
    fields = checkFields(OWNER, fields, "{ reranker, weights: { relevance: 0.8, firstStageRank: 0.2 } }");
    const { reranker } = fields;
    // Anything with a compressDocuments is taken for a compressor (as at call time), so a broken one is refused here.
    const compressor = reranker !== null && typeof reranker === "object" && "compressDocuments" in reranker;
    if (compressor) checkCompressor(OWNER, "`reranker`", reranker, " or a CrossEncoder (with score)");
    else if (reranker !== undefined && !isCrossEncoder(reranker)) {
      throw new InvalidOptionError(`${OWNER}: \`reranker\` must be a document compressor (with compressDocuments) or a CrossEncoder (with score).`);
    }
    if (reranker !== undefined && !(fields.weights !== null && typeof fields.weights === "object" && "relevance" in fields.weights)) {
      throw new InvalidOptionError(
        `${OWNER}: a \`reranker\` supplies relevance, but \`weights\` has no \`relevance\`; add one (or drop the reranker).`,
      );
    }
    this.reranker = reranker;

    ({
      signals: this.signals,
      recency: this.recency,
      weights: this.weights,
      factorNames: this.factorNames,
      normalize: this.normalize,
      missing: this.missing,
    } = checkFactorOptions(fields));

    this.topN = checkPositiveInteger(OWNER, "topN", fields.topN) ?? 3;
    this.scoreKey = checkString(OWNER, "scoreKey", fields.scoreKey) ?? DEFAULT_SCORE_KEY;
    this.rankKey = checkString(OWNER, "rankKey", fields.rankKey) ?? DEFAULT_RANK_KEY;
    this.firstStageScoreKey = checkString(OWNER, "firstStageScoreKey", fields.firstStageScoreKey) ?? "retrievalScore";
    this.finalScoreKey = checkString(OWNER, "finalScoreKey", fields.finalScoreKey) ?? "finalScore";
    this.factorsKey = checkString(OWNER, "factorsKey", fields.factorsKey) ?? "rankingFactors";
    checkDistinctKeys(OWNER, {
      scoreKey: this.scoreKey,
      rankKey: this.rankKey,
      firstStageScoreKey: this.firstStageScoreKey,
      finalScoreKey: this.finalScoreKey,
      factorsKey: this.factorsKey,
    });
    this.documentText = checkFunction(OWNER, "documentText", fields.documentText) ?? ((document) => document.pageContent);
  }

  /**
   * LangChain's compressor call; the optional fourth argument carries a per-call `signal` and `topN`.
   * `callbacks` may also be one handler or a RunnableConfig-like `{ callbacks, signal, tags, metadata, runName }`
   * (LCEL's `invoke(input, config)` form): its signal aborts the call, the rest traces it.
   */
  override async compressDocuments(
    documents: DocumentInterface[],
    query: string,
    callbacks?: Callbacks,
    callOptions: MultiFactorRerankerCallOptions = {},
  ): Promise<DocumentInterface[]> {
    // The query matters only when a reranker supplies relevance; without one it must at least be a string.
    checkRerankInput(OWNER, documents, query, { nonEmptyQuery: this.reranker !== undefined });
    const { trace, options } = readCompressorCall(OWNER, callbacks, callOptions, "{ signal, topN: 5 }");
    const topN = checkPositiveInteger(OWNER, "topN", options.topN) ?? this.topN;
    if (documents.length === 0) return [];
    return traceCompressorRun(
      OWNER,
      trace,
      { query, documents: documents.length, topN, weights: this.weights, normalize: this.normalize },
      async (runManager) => {
        options.signal?.throwIfAborted();
        const candidates = await this.#candidates(documents, query, runManager?.getChild("reranker"), options.signal);
        return this.#rank(candidates, topN);
      },
      (ranked) => ({
        results: ranked.map((document) => ({
          retrievalRank: document.metadata[this.rankKey],
          finalScore: document.metadata[this.finalScoreKey],
          factors: document.metadata[this.factorsKey],
        })),
      }),
    );
  }

  /** The documents to rank with their relevance: the reranker's output (its cut respected) or every input. */
  async #candidates(documents: DocumentInterface[], query: string, callbacks: Callbacks | undefined, signal?: AbortSignal): Promise<Candidate[]> {
    const reranker = this.reranker;
    const own = (document: DocumentInterface, index: number, metadata = document.metadata ?? {}): Candidate => ({
      index,
      document,
      metadata,
      relevance: metadata[this.scoreKey],
    });
    if (reranker === undefined) return documents.map((d, i) => own(d, i));
    if (BaseDocumentCompressor.isBaseDocumentCompressor(reranker)) {
      const Document = await loadDocumentClass();
      const marked = documents.map(
        (d, i) =>
          new Document({ pageContent: d.pageContent, metadata: { ...d.metadata, [INPUT_INDEX]: i }, ...(d.id !== undefined ? { id: d.id } : {}) }),
      );
      // A compressor that ignores the signal must not turn an aborted call into a result: callCompressor stops waiting.
      const output = await callCompressor(reranker, marked, query, callbacks, signal);
      checkCompressorOutput(`${OWNER}: its reranker`, output);
      const used = new Set<number>();
      return output.map((out) => {
        let index = (out.metadata as Record<symbol, unknown>)?.[INPUT_INDEX] as number | undefined;
        // A compressor that rebuilt the metadata (e.g. over the network) lost the mark: match by text.
        if (index === undefined) index = documents.findIndex((d, i) => !used.has(i) && d.pageContent === out.pageContent);
        if (index < 0 || used.has(index)) {
          throw new RerankError(
            `${OWNER}: the reranker returned a document that is not one of the inputs (text ${JSON.stringify(out.pageContent.slice(0, 40))}).`,
          );
        }
        used.add(index);
        const metadata = { ...out.metadata } as Record<string | symbol, unknown>;
        delete metadata[INPUT_INDEX];
        return own(documents[index] as DocumentInterface, index, metadata as Record<string, unknown>);
      });
    }
    const pairs = documentTexts(OWNER, documents, this.documentText).map((text) => [query, text] as const);
    const scores = await abortable(reranker.score(pairs, signal ? { signal } : {}), signal);
    if (!Array.isArray(scores) || scores.length !== documents.length) {
      throw new RerankError(
        `${OWNER}: the cross-encoder returned ${Array.isArray(scores) ? scores.length : "no"} scores for ${documents.length} documents.`,
      );
    }
    return documents.map((d, i) => ({ ...own(d, i, { ...d.metadata, [this.scoreKey]: scores[i] }), relevance: scores[i] }));
  }

  /** Raw value of a factor for a candidate: a number, or undefined when missing. Bad values throw. */
  #rawFactor(name: string, candidate: Candidate, nowMs: number): number | undefined {
    const { document, index, metadata } = candidate;
    const where = describeDocument(document, index);
    const numeric = (value: unknown, what: string): number | undefined => {
      if (value === undefined || value === null) return undefined;
      if (typeof value !== "number" || !Number.isFinite(value)) {
        throw new RerankError(`${where}: ${what} is ${typeof value === "number" ? value : `a ${typeof value}`}, not a finite number.`);
      }
      return value;
    };
    switch (name) {
      case "relevance":
        return numeric(candidate.relevance, `the relevance score (metadata.${this.scoreKey})`);
      case "firstStageRank": {
        const rank = document.metadata?.[this.rankKey];
        if (rank === undefined || rank === null) return 1 / (index + 1);
        if (!isRetrievalRank(rank)) {
          throw new RerankError(`${where}: metadata.${this.rankKey} is ${String(rank)}, not a 1-based rank.`);
        }
        return 1 / rank;
      }
      case "firstStageScore":
        return numeric(metadata[this.firstStageScoreKey], `metadata.${this.firstStageScoreKey}`);
      case "recency": {
        const { field, halfLifeDays } = this.recency as RecencyOptions;
        const value = metadata[field];
        if (value === undefined || value === null) return undefined;
        return recencyFactor(parseTimestamp(value, where, field), nowMs, halfLifeDays);
      }
      default: {
        let value: unknown;
        try {
          value = (this.signals[name] as (d: DocumentInterface) => unknown)(document);
        } catch (error) {
          throw new RerankError(`${where}: signal "${name}" threw: ${(error as Error)?.message ?? String(error)}`, { cause: error });
        }
        return numeric(value, `signal "${name}"`);
      }
    }
  }

  async #rank(candidates: Candidate[], topN: number): Promise<DocumentInterface[]> {
    const Document = await loadDocumentClass();
    const nowMs = this.recency ? parseTimestamp((this.recency.now as () => Date | number)(), `${OWNER}: recency.now()`, "now") : 0;
    const factors: Record<string, number>[] = candidates.map(() => ({}));
    for (const name of this.factorNames) {
      const raw = candidates.map((c) => this.#rawFactor(name, c, nowMs));
      const normalized = normalizeValues(raw, this.normalize[name] as Normalization);
      const policy = this.missing[name] ?? "error";
      normalized.forEach((value, i) => {
        const candidate = candidates[i] as Candidate;
        if (value !== undefined) (factors[i] as Record<string, number>)[name] = value;
        else if (typeof policy === "number") (factors[i] as Record<string, number>)[name] = policy;
        else if (policy === "error") {
          throw new RerankError(
            `${describeDocument(candidate.document, candidate.index)} has no ${this.#describeFactor(name)}; ` +
              `set \`missing.${name}\` to "skip" (rank it by its other factors) or a fill value if that is expected.`,
          );
        }
      });
    }
    const scored = candidates.map((candidate, i) => {
      const finalScore = weightedMean(factors[i] as Record<string, number>, this.weights);
      if (finalScore === undefined) {
        throw new RerankError(`${describeDocument(candidate.document, candidate.index)} has none of the weighted factors (all skipped as missing).`);
      }
      return { candidate, finalScore, factors: factors[i] as Record<string, number> };
    });
    scored.sort((a, b) => b.finalScore - a.finalScore || a.candidate.index - b.candidate.index);
    return scored.slice(0, topN).map(({ candidate, finalScore, factors: values }) => {
      const { document, index, metadata } = candidate;
      return new Document({
        pageContent: document.pageContent,
        metadata: {
          ...metadata,
          [this.rankKey]: keptRetrievalRank(document.metadata?.[this.rankKey], index),
          [this.finalScoreKey]: finalScore,
          [this.factorsKey]: values,
        },
        ...(document.id !== undefined ? { id: document.id } : {}),
      });
    });
  }

  #describeFactor(name: string): string {
    switch (name) {
      case "relevance":
        return `relevance score (metadata.${this.scoreKey}${this.reranker ? ", from the reranker" : ""})`;
      case "firstStageScore":
        return `first-stage score (metadata.${this.firstStageScoreKey})`;
      case "recency":
        return `date (metadata.${(this.recency as RecencyOptions).field})`;
      default:
        return `value for signal "${name}"`;
    }
  }
}
