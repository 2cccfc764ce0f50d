import type { CallbackManagerForChainRun, Callbacks } from "@langchain/core/callbacks/manager";
import type { Document, DocumentInterface } from "@langchain/core/documents";
import type { BaseChatModel } from "@langchain/core/language_models/chat_models";
import type { BaseLanguageModelInput } from "@langchain/core/language_models/base";
import type { BasePromptTemplate } from "@langchain/core/prompts";
import type { RunnableConfig } from "@langchain/core/runnables";
import { BaseDocumentCompressor } from "@langchain/core/retrievers/document_compressors";
import { InvalidOptionError, RerankError } from "../errors.js";
import { abortable, anySignal } from "../cancellation.js";
import { checkCallOptions, checkFields, checkFunction, checkPositiveInteger, checkSignal, checkString } from "../options.js";
import { checkRerankInput } from "../rerank_input.js";
import { callSignal, documentTexts, keptRetrievalRank, loadDocumentClass, readCompressorCall } from "./compressor_plumbing.js";
import { type ListwisePromptFunction, RANK_DOCUMENTS_SCHEMA, checkPrompt, formatContext, loadDefaultPrompt } from "./listwise_prompt.js";
import {
  IDS_KEY,
  type ListwiseRanking,
  type ListwiseWindowReport,
  SCHEMA_NAME,
  answerIds,
  preview,
  rankToolCallArgs,
  repairRanking,
  slidingWindows,
} from "./listwise_windows.js";
import { DEFAULT_RANK_KEY, DEFAULT_SCORE_KEY } from "./ranked_documents.js";

import { traceCompressorRun } from "./tracing.js";

export type { ListwisePromptFunction, ListwisePromptInput } from "./listwise_prompt.js";
export { type ListwiseRanking, type ListwiseWindowReport, MAX_REPORTED_IDS, slidingWindows } from "./listwise_windows.js";

/** Metadata key for the 1-based position in the model's ranking (1 = judged most relevant). Not a score. */
export const DEFAULT_LISTWISE_RANK_KEY = "listwiseRank";

/** A chat model with structured output (`withStructuredOutput`), e.g. `ChatOpenAI`, `ChatAnthropic`, `ChatOllama`. */
export type ListwiseChatModel = Pick<BaseChatModel, "withStructuredOutput">;

export interface LLMListwiseRerankerArgs {
  /** The chat model that ranks; it must implement `withStructuredOutput` (tool calling or JSON output). */
  llm: ListwiseChatModel;
  /**
   * Documents to keep, best first.
   * @default 3 (as Python LangChain's `LLMListwiseRerank`)
   */
  topN?: number;
  /**
   * Documents shown to the model in one prompt. More candidates than this are ranked with sliding windows from
   * the bottom of the list up (RankGPT), so the best ones bubble to the top.
   * @default 20 (RankGPT)
   */
  windowSize?: number;
  /**
   * How far each window moves up the list; must be smaller than `windowSize` so windows overlap and a document can
   * travel from the bottom to the top. One pass guarantees the top `windowSize - stepSize` documents.
   * @default half of windowSize, i.e. 10 for the default window (RankGPT)
   */
  stepSize?: number;
  /**
   * The prompt: a prompt template (e.g. `ChatPromptTemplate`) with the input variables `context` and `query`, or a
   * function of {@link ListwisePromptInput}. The model answers through the `RankDocuments` schema either way.
   * @default a system message with the documents and "Sort the Documents by their relevance to the Query.", then the query (as Python LangChain)
   */
  prompt?: BasePromptTemplate | ListwisePromptFunction;
  /**
   * Metadata key for the 1-based position in the first stage's list. An existing value is kept, so in a cascade it
   * stays the position in the original list.
   * @default "retrievalRank"
   */
  rankKey?: string;
  /**
   * Metadata key for the 1-based position in the model's final ranking. A listwise model gives an order, not a
   * relevance score, so no `relevanceScore` is written.
   * @default "listwiseRank"
   */
  listwiseRankKey?: string;
  /**
   * The text of a document shown to the model.
   * @default doc.pageContent
   */
  documentText?: (document: DocumentInterface) => string;
  /**
   * Aborts every call of this instance (`ContextualCompressionRetriever` passes no signal of its own).
   * @default none
   */
  signal?: AbortSignal;
}

export interface LLMListwiseRerankerCallOptions {
  /**
   * Aborts this call (together with the instance's `signal`, if any).
   * @default none
   */
  signal?: AbortSignal;
  /**
   * LangChain callbacks for this call's chat-model runs (tracing), beside the compressor's own.
   * @default none
   */
  callbacks?: Callbacks;
}

const OWNER = "LLMListwiseReranker";
// Errors a structured-output parser throws when the model's text is not the schema. Anything else (network,
// authentication, abort) is the caller's to see, not a reason to fall back silently.
function isParseError(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const code = (error as { lc_error_code?: unknown }).lc_error_code;
  return error instanceof SyntaxError || code === "OUTPUT_PARSING_FAILURE" || error.name === "OutputParserException" || error.name === "ZodError";
}

function describeError(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}`.slice(0, 300) : String(error).slice(0, 300);
}

/**
 * Zero-shot listwise reranking with a chat model, as a LangChain document compressor: the model sees the query and
 * the candidates with ids and answers, through structured output, with the ids sorted by relevance (Python
 * LangChain's `LLMListwiseRerank`). More candidates than `windowSize` are ranked RankGPT-style with overlapping
 * windows from the bottom of the list up.
 *
 * Every answer is validated: ids that do not exist and repeated ids are dropped, omitted documents are appended in
 * their previous order, so no candidate is ever lost to a malformed answer. An unusable answer (unparseable, or
 * without a single valid id) is retried once; if the retry is unusable too, that window keeps its order and the
 * window report (`rank()`, and the trace's outputs) says so. Errors of the model call itself (network,
 * authentication, abort) are thrown.
 *
 * Returns new Documents, best first, cut to `topN`, with `metadata.listwiseRank` (1-based position in the model's
 * ranking; an order, not a relevance score) and `metadata.retrievalRank` (1-based first-stage position, kept if
 * already set). A `relevanceScore` left by an earlier reranking stage is removed: it no longer describes the order.
 *
 * @example
 * ```ts
 * // network: OpenAI's API, with the key from OPENAI_API_KEY
 * import { Document } from "@langchain/core/documents";
 * import { ChatOpenAI } from "@langchain/openai";
 * import { ContextualCompressionRetriever } from "@langchain/classic/retrievers/contextual_compression";
 * import { LLMListwiseReranker } from "langchain-rerank";
 * import { OkapiBm25Retriever } from "langchain-rerank/bm25";
 *
 * const texts = ["Steve is our CTO.", "Steve likes tea.", "Ann is our CEO."];
 * const baseRetriever = OkapiBm25Retriever.fromDocuments(texts.map((text) => new Document({ pageContent: text })), { k: 20 });
 * const reranker = new LLMListwiseReranker({ llm: new ChatOpenAI({ model: "gpt-4o-mini", temperature: 0 }), topN: 3 });
 * const retriever = new ContextualCompressionRetriever({ baseCompressor: reranker, baseRetriever });
 * const docs = await retriever.invoke("Who is Steve?");
 * console.log(docs[0]?.metadata); // { ...original metadata, listwiseRank: 1, retrievalRank: … }
 * ```
 */
export class LLMListwiseReranker extends BaseDocumentCompressor {
  readonly llm: ListwiseChatModel;
  readonly topN: number;
  readonly windowSize: number;
  readonly stepSize: number;
  readonly prompt: BasePromptTemplate | ListwisePromptFunction | undefined;
  readonly rankKey: string;
  readonly listwiseRankKey: string;
  readonly documentText: (document: DocumentInterface) => string;
  readonly #signal: AbortSignal | undefined;
  readonly #structured: { invoke(input: BaseLanguageModelInput, config?: RunnableConfig): Promise<unknown> };

  /** Python LangChain's constructor: `LLMListwiseRerank.from_llm(llm, top_n=3)`. */
  static fromLLM(llm: ListwiseChatModel, fields: Omit<LLMListwiseRerankerArgs, "llm"> = {}): LLMListwiseReranker {
    return new LLMListwiseReranker({ ...fields, llm });
  }

  constructor(fields: LLMListwiseRerankerArgs) {
    super();
    const { llm } = checkFields(OWNER, fields, "{ llm: chatModel, topN: 3 }");
    if (llm === null || typeof llm !== "object" || typeof (llm as { withStructuredOutput?: unknown }).withStructuredOutput !== "function") {
      throw new InvalidOptionError(
        `${OWNER}: \`llm\` must be a LangChain chat model with structured output (withStructuredOutput), e.g. ChatOpenAI or ChatAnthropic.`,
      );
    }
    this.llm = llm;
    this.topN = checkPositiveInteger(OWNER, "topN", fields.topN) ?? 3;
    this.windowSize = checkPositiveInteger(OWNER, "windowSize", fields.windowSize) ?? 20;
    if (this.windowSize < 2)
      throw new InvalidOptionError(`${OWNER}: \`windowSize\` must be at least 2 (documents compared in one prompt), got ${this.windowSize}.`);
    this.stepSize = checkPositiveInteger(OWNER, "stepSize", fields.stepSize) ?? Math.floor(this.windowSize / 2);
    if (this.stepSize >= this.windowSize) {
      throw new InvalidOptionError(
        `${OWNER}: \`stepSize\` (${this.stepSize}) must be smaller than \`windowSize\` (${this.windowSize}), or the windows do not overlap and a relevant document cannot move up past its window; RankGPT uses 20 and 10.`,
      );
    }
    this.prompt = checkPrompt(OWNER, fields.prompt);
    this.rankKey = checkString(OWNER, "rankKey", fields.rankKey) ?? DEFAULT_RANK_KEY;
    this.listwiseRankKey = checkString(OWNER, "listwiseRankKey", fields.listwiseRankKey) ?? DEFAULT_LISTWISE_RANK_KEY;
    if (this.rankKey === this.listwiseRankKey) {
      throw new InvalidOptionError(
        `${OWNER}: \`rankKey\` and \`listwiseRankKey\` are both ${JSON.stringify(this.rankKey)}; one would overwrite the other. Use two keys.`,
      );
    }
    this.documentText = checkFunction(OWNER, "documentText", fields.documentText) ?? ((document) => document.pageContent);
    this.#signal = checkSignal(OWNER, fields.signal);
    try {
      // includeRaw: a parse failure then comes back as `parsed: null` instead of an error indistinguishable from a network failure.
      this.#structured = llm.withStructuredOutput(RANK_DOCUMENTS_SCHEMA, { name: SCHEMA_NAME, includeRaw: true });
    } catch (error) {
      throw new InvalidOptionError(
        `${OWNER}: \`llm\` cannot produce structured output (${describeError(error)}); use a chat model with tool calling or JSON output.`,
        {
          cause: error,
        },
      );
    }
  }

  /**
   * Ranks all documents and reports each window: `order` holds every input index, best first (not cut to `topN`).
   * Traced as its own run, like `compressDocuments`.
   */
  async rank(documents: readonly DocumentInterface[], query: string, options: LLMListwiseRerankerCallOptions = {}): Promise<ListwiseRanking> {
    checkRerankInput(OWNER, documents, query);
    options = checkCallOptions(`${OWNER}.rank`, options, "{ signal, callbacks }");
    const signal = anySignal(this.#signal, options.signal);
    return traceCompressorRun(
      OWNER,
      { callbacks: options.callbacks },
      this.#traceInputs(documents, query),
      (runManager) => this.#rankWindows(documents, query, runManager, signal),
      (ranking) => ({ ...ranking }),
    );
  }

  /**
   * LangChain's compressor call. The optional fourth argument (not part of `BaseDocumentCompressor`) carries a
   * per-call `signal`, e.g. `FallbackReranker`'s timeout, which aborts the model calls together with the instance's.
   * `callbacks` may also be one handler or a RunnableConfig-like `{ callbacks, signal, tags, metadata, runName }`
   * (LCEL's `invoke(input, config)` form): its signal aborts the call, the rest traces it.
   */
  override async compressDocuments(
    documents: DocumentInterface[],
    query: string,
    callbacks?: Callbacks,
    options: Pick<LLMListwiseRerankerCallOptions, "signal"> = {},
  ): Promise<DocumentInterface[]> {
    checkRerankInput(OWNER, documents, query);
    const call = readCompressorCall(OWNER, callbacks, options);
    const signal = callSignal(OWNER, this.#signal, call.options);
    if (documents.length === 0) return [];
    return traceCompressorRun(
      OWNER,
      call.trace,
      this.#traceInputs(documents, query),
      async (runManager) => {
        const ranking = await this.#rankWindows(documents, query, runManager, signal);
        return { ranking, documents: await this.#toDocuments(documents, ranking.order.slice(0, this.topN)) };
      },
      ({ ranking, documents: kept }) => ({
        results: kept.map((document) => ({
          [this.rankKey]: document.metadata[this.rankKey],
          [this.listwiseRankKey]: document.metadata[this.listwiseRankKey],
        })),
        windows: ranking.windows,
      }),
    ).then(({ documents: kept }) => kept);
  }

  #traceInputs(documents: readonly DocumentInterface[], query: string): Record<string, unknown> {
    return { query, documents: documents.length, topN: this.topN, windowSize: this.windowSize, stepSize: this.stepSize };
  }

  async #rankWindows(
    documents: readonly DocumentInterface[],
    query: string,
    runManager: CallbackManagerForChainRun | undefined,
    signal: AbortSignal | undefined,
  ): Promise<ListwiseRanking> {
    const texts = documentTexts(OWNER, documents, this.documentText);
    const order = documents.map((_, i) => i);
    const windows: ListwiseWindowReport[] = [];
    if (documents.length === 1) {
      windows.push({ start: 0, end: 1, attempts: 0, outcome: "ranked", invalidIds: [], duplicateIds: [], omittedIds: [], errors: [] });
      return { order, windows };
    }
    for (const [start, end] of slidingWindows(documents.length, this.windowSize, this.stepSize)) {
      const members = order.slice(start, end);
      const report = await this.#rankWindow(
        query,
        members.map((index) => texts[index]!),
        { start, end },
        runManager,
        signal,
      );
      order.splice(start, members.length, ...report.permutation.map((id) => members[id]!));
      const { permutation: _permutation, ...rest } = report;
      windows.push(rest);
    }
    return { order, windows };
  }

  async #rankWindow(
    query: string,
    texts: readonly string[],
    { start, end }: { start: number; end: number },
    runManager: CallbackManagerForChainRun | undefined,
    signal: AbortSignal | undefined,
  ): Promise<ListwiseWindowReport & { permutation: number[] }> {
    const input = await this.#formatPrompt(query, texts, runManager, signal);
    const errors: string[] = [];
    for (let attempt = 1; attempt <= 2; attempt++) {
      signal?.throwIfAborted();
      const ids = await this.#ask(input, runManager, signal, errors);
      if (ids === undefined) continue;
      const repaired = repairRanking(ids, texts.length);
      if (repaired.omittedIds.length === texts.length) {
        errors.push(`the answer has no valid document id (got ${preview(ids)})`);
        continue;
      }
      return { start, end, attempts: attempt, outcome: "ranked", ...repaired, errors };
    }
    const keep = texts.map((_, id) => id);
    return { start, end, attempts: 2, outcome: "fallback", permutation: keep, invalidIds: [], duplicateIds: [], omittedIds: [], errors };
  }

  /** One model call: the answer's id list, or undefined (with the reason pushed to `errors`) when it cannot be read. */
  async #ask(
    input: BaseLanguageModelInput,
    runManager: CallbackManagerForChainRun | undefined,
    signal: AbortSignal | undefined,
    errors: string[],
  ): Promise<unknown[] | undefined> {
    let answer: unknown;
    try {
      answer = await abortable(this.#structured.invoke(input, { callbacks: runManager?.getChild(), ...(signal ? { signal } : {}) }), signal);
    } catch (error) {
      // A model that ignores includeRaw throws its parser's error instead.
      if (!isParseError(error) || signal?.aborted) throw error;
      errors.push(`unparseable answer (${describeError(error)})`);
      return undefined;
    }
    let ids: unknown[] | undefined;
    // Read once, here, where a throw (a proxy, a getter) means "unusable", and copied so later reads are plain.
    try {
      if (answer !== null && typeof answer === "object" && "raw" in answer && "parsed" in answer) {
        const { raw, parsed, parsingError } = answer as { raw: unknown; parsed: unknown; parsingError?: unknown };
        if (parsed === null || parsed === undefined) {
          // The parser can reject a well-formed tool call: @langchain/core's BaseChatModel parser takes only an
          // AIMessageChunk, so a model answering with an AIMessage gets `parsed: null`. The call is in `raw`.
          const args = rankToolCallArgs(raw);
          if (args === undefined) {
            errors.push(
              `unparseable answer${parsingError === undefined ? ` (no ${SCHEMA_NAME} tool call in the message)` : ` (${describeError(parsingError)})`}`,
            );
            return undefined;
          }
          answer = args;
        } else {
          answer = parsed;
        }
      }
      ids = answerIds(answer);
      if (ids !== undefined) ids = Array.from(ids);
    } catch (error) {
      errors.push(`unreadable answer (${describeError(error)})`);
      return undefined;
    }
    if (ids === undefined) errors.push(`the answer has no ${IDS_KEY} list (got ${preview(answer)})`);
    return ids;
  }

  async #formatPrompt(
    query: string,
    texts: readonly string[],
    runManager: CallbackManagerForChainRun | undefined,
    signal: AbortSignal | undefined,
  ): Promise<BaseLanguageModelInput> {
    const documents = texts.map((text, id) => ({ id, text }));
    const context = formatContext(documents);
    if (typeof this.prompt === "function") return this.prompt({ query, documents, context });
    const template = this.prompt ?? (await loadDefaultPrompt());
    return template.invoke(
      { query, context },
      { callbacks: runManager?.getChild(), ...(signal ? { signal } : {}) },
    ) as Promise<BaseLanguageModelInput>;
  }

  async #toDocuments(documents: readonly DocumentInterface[], indices: readonly number[]): Promise<Document[]> {
    const Document = await loadDocumentClass();
    return indices.map((index, position) => {
      const doc = documents[index];
      if (doc === undefined) throw new RerankError(`${OWNER}: no input document at index ${index}.`);
      const retrievalRank = keptRetrievalRank(doc.metadata?.[this.rankKey], index);
      // An earlier stage's relevanceScore no longer describes this order (and this stage has no score): drop it.
      const { [DEFAULT_SCORE_KEY]: _stale, ...metadata } = doc.metadata ?? {};
      return new Document({
        pageContent: doc.pageContent,
        metadata: { ...metadata, [this.rankKey]: retrievalRank, [this.listwiseRankKey]: position + 1 },
        ...(doc.id !== undefined ? { id: doc.id } : {}),
      });
    });
  }
}
