import { BaseCallbackHandler } from "@langchain/core/callbacks/base";
import type { DocumentInterface } from "@langchain/core/documents";
import type { Serialized } from "@langchain/core/load/serializable";
import { DEFAULT_RANK_KEY } from "../compressors/ranked_documents.js";
import { RETURNED_DOCUMENTS_EVENT } from "../compressors/tracing.js";
import { InvalidOptionError } from "../errors.js";
import { checkFields } from "../options.js";
import { adviseOn } from "./advice.js";
import { QueryAggregates } from "./aggregates.js";
import { type Attribution, AttributionAggregate, type AttributionOptions } from "./attribution.js";
import { formatSummary } from "./format.js";
import { type QueryRecord, buildQueryRecord } from "./query_record.js";
import { type OpenRun, RunTree, type RunKind, fileFinishedRun, finishedStage, finishedThreshold, summarizeDocuments } from "./run_tree.js";
import type { MonitorSummary } from "./summary.js";
import { summarize } from "./summary.js";

export interface RerankMonitorArgs {
  /** Metadata key of the first-stage rank. @default "retrievalRank" */
  rankKey?: string;
  /** Where a stage's scores are read: the first of these keys its documents carry. @default ["finalScore", "relevanceScore"] */
  scoreKeys?: string[];
  /** The k of overlap@k. @default [3, 5, 10] */
  overlapAt?: number[];
  /** Relative error of every latency and score quantile (the sketches' α). @default 0.01 */
  relativeAccuracy?: number;
  /** Queries per score window (score quantiles over time). @default 1000 */
  windowQueries?: number;
  /** Score windows kept per stage; older ones are dropped. @default 24 */
  windows?: number;
  /** Query records kept for the JSON-lines export: a uniform random sample of all queries (reservoir sampling). @default 1000 */
  sampleSize?: number;
  /** Keep each sampled query's text in the export. Off by default: queries can hold personal data. @default false */
  recordQueries?: boolean;
  /** Output keys of a chain run that carry an answer and its context documents (those of `createRetrievalChain`). @default { answer: "answer", context: "context" } */
  answerKeys?: { answer: string; context: string };
  /** How answers are tied to documents: word n-gram length and the share of the answer's n-grams a used document holds. @default { ngram: 3, overlapThreshold: 0.2 } */
  attribution?: AttributionOptions;
  /** The random source of the sample. @default Math.random */
  random?: () => number;
}

const OWNER = "RerankMonitor";

const positiveIntegers = (name: string, value: unknown): number[] | undefined => {
  if (value === undefined) return undefined;
  if (!Array.isArray(value) || value.length === 0 || !value.every((k) => Number.isInteger(k) && k >= 1)) {
    throw new InvalidOptionError(`${OWNER}: \`${name}\` must be a non-empty array of positive integers, such as [3, 5, 10].`);
  }
  return value as number[];
};
const positiveInteger = (name: string, value: unknown, fallback: number): number => {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || (value as number) < 1)
    throw new InvalidOptionError(`${OWNER}: \`${name}\` must be a positive integer; got ${String(value)}.`);
  return value as number;
};

const isCompressorRun = (serialized: Serialized | undefined) => serialized?.id?.[0] === "langchain_rerank" && serialized.id[1] === "compressors";
const isDocumentList = (value: unknown): value is DocumentInterface[] =>
  Array.isArray(value) && value.every((d) => d !== null && typeof d === "object" && typeof (d as DocumentInterface).pageContent === "string");

/**
 * Label-free monitoring of a reranker in production: a LangChain callback handler that watches the reranking runs
 * (this package's compressors and any retriever around them) and aggregates, per query, how often the reranker
 * changed the first stage's top document, the overlap and Kendall's τ-b between the two orders, the first-stage
 * depth its picks came from, score quantiles per stage over time, threshold outcomes, which fallback served, each
 * stage's latency and, given chain answers, which documents the answers used. It never changes a result. Memory is
 * bounded (sketches, fixed histograms, a fixed-size sample), so it can stay attached to a server for months.
 *
 * Its handlers are awaited (`awaitHandlers: true`; they are cheap): `summary()` counts a query as soon as the call
 * that ran it returns.
 *
 * @example
 * ```ts
 * import { Document } from "@langchain/core/documents";
 * import { CrossEncoderReranker } from "langchain-rerank";
 * import { RerankMonitor } from "langchain-rerank/monitor";
 *
 * // Any CrossEncoder works; this one scores by length so the example runs without a model.
 * const model = { score: async (pairs: [string, string][]) => pairs.map(([, text]) => text.length) };
 * const reranker = new CrossEncoderReranker({ model, topN: 2 });
 * const monitor = new RerankMonitor();
 * const docs = ["short", "a longer one", "the longest document"].map((text) => new Document({ pageContent: text }));
 * await reranker.compressDocuments(docs, "which is longest?", [monitor]);
 * monitor.summary().agreement.topSame; // { rate: 0, of: 1 }: the reranker changed the top document
 * console.log(monitor.toString());
 * ```
 */
export class RerankMonitor extends BaseCallbackHandler {
  name = OWNER;
  override awaitHandlers = true;
  readonly rankKey: string;
  readonly scoreKeys: readonly string[];
  readonly overlapAt: readonly number[];
  readonly relativeAccuracy: number;
  readonly windowQueries: number;
  readonly windows: number;
  readonly sampleSize: number;
  readonly recordQueries: boolean;
  readonly answerKeys: { answer: string; context: string };
  readonly #attributionOptions: Required<AttributionOptions>;
  readonly #random: () => number;
  readonly #runs = new RunTree();
  #aggregates!: QueryAggregates;
  #attribution!: AttributionAggregate;
  #sample: QueryRecord[] = [];
  #seen = 0;
  #skipped = 0;
  #failed = 0;

  constructor(fields: RerankMonitorArgs = {}) {
    super();
    fields = checkFields(OWNER, fields, "{ sampleSize: 1000 }");
    this.rankKey = fields.rankKey ?? DEFAULT_RANK_KEY;
    this.scoreKeys = fields.scoreKeys ?? ["finalScore", "relevanceScore"];
    this.overlapAt = positiveIntegers("overlapAt", fields.overlapAt) ?? [3, 5, 10];
    this.relativeAccuracy = fields.relativeAccuracy ?? 0.01;
    if (!(this.relativeAccuracy > 0 && this.relativeAccuracy < 1)) {
      throw new InvalidOptionError(`${OWNER}: \`relativeAccuracy\` must be in (0, 1), such as 0.01; got ${String(this.relativeAccuracy)}.`);
    }
    this.windowQueries = positiveInteger("windowQueries", fields.windowQueries, 1000);
    this.windows = positiveInteger("windows", fields.windows, 24);
    this.sampleSize = positiveInteger("sampleSize", fields.sampleSize, 1000);
    this.recordQueries = fields.recordQueries ?? false;
    this.answerKeys = fields.answerKeys ?? { answer: "answer", context: "context" };
    const { ngram = 3, overlapThreshold = 0.2 } = fields.attribution ?? {};
    if (!Number.isInteger(ngram) || ngram < 1)
      throw new InvalidOptionError(`${OWNER}: \`attribution.ngram\` must be a positive integer; got ${String(ngram)}.`);
    if (!(overlapThreshold > 0 && overlapThreshold <= 1)) {
      throw new InvalidOptionError(`${OWNER}: \`attribution.overlapThreshold\` must be in (0, 1]; got ${String(overlapThreshold)}.`);
    }
    this.#attributionOptions = { ngram, overlapThreshold };
    this.#random = fields.random ?? Math.random;
    this.reset();
  }

  /** Runs started and not yet ended (in-flight calls; bounded, so abandoned runs cannot grow it). */
  get openRuns(): number {
    return this.#runs.size;
  }

  /** The monitor aggregates across every run it is attached to: LangChain's copies of it are itself. */
  override copy(): this {
    return this;
  }

  /** Forgets everything counted so far (open runs too). */
  reset(): void {
    this.#aggregates = new QueryAggregates(this.overlapAt, {
      relativeAccuracy: this.relativeAccuracy,
      windowQueries: this.windowQueries,
      windows: this.windows,
    });
    this.#attribution = new AttributionAggregate(this.#attributionOptions);
    this.#sample = [];
    this.#seen = this.#skipped = this.#failed = 0;
    this.#runs.clear();
  }

  // The order CallbackManager calls it with (as BaseTracer reads it): parentRunId fourth, runType and runName last.
  // @langchain/core's declared order differs, but every position is an optional string, so the types agree.
  override handleChainStart(
    chain: Serialized,
    inputs: Record<string, unknown>,
    runId: string,
    parentRunId?: string,
    _tags?: string[],
    _metadata?: Record<string, unknown>,
    _runType?: string,
    runName?: string,
  ): void {
    const kind: RunKind = isCompressorRun(chain) ? "compressor" : "chain";
    this.#runs.start(runId, kind, runName ?? String(chain?.id?.at(-1) ?? "chain"), parentRunId, kind === "compressor" ? inputs : undefined);
  }

  override handleCustomEvent(eventName: string, data: unknown, runId: string): void {
    if (eventName !== RETURNED_DOCUMENTS_EVENT) return;
    const run = this.#runs.get(runId);
    const documents = (data as { documents?: unknown })?.documents;
    if (run !== undefined && isDocumentList(documents)) run.documents = summarizeDocuments(documents, this.rankKey, this.scoreKeys);
  }

  override handleChainEnd(outputs: Record<string, unknown>, runId: string): void {
    const run = this.#runs.end(runId);
    const answer = outputs?.[this.answerKeys.answer];
    const context = outputs?.[this.answerKeys.context];
    if (typeof answer === "string" && isDocumentList(context)) {
      // A sequence ending in the step that produced the answer outputs it too: count it once, at the innermost run.
      if (run?.answered !== answer) this.recordAnswer(answer, context);
      if (run?.parent !== undefined) run.parent.answered = answer;
    }
    if (run !== undefined && run.kind === "compressor") this.#finish(run, outputs);
  }

  override handleChainError(_error: unknown, runId: string): void {
    this.#fail(runId);
  }

  override handleRetrieverStart(
    retriever: Serialized,
    query: string,
    runId: string,
    parentRunId?: string,
    _tags?: string[],
    _metadata?: Record<string, unknown>,
    name?: string,
  ): void {
    this.#runs.start(runId, "retriever", name ?? String(retriever?.id?.at(-1) ?? "retriever"), parentRunId, { query });
  }

  override handleRetrieverEnd(documents: DocumentInterface[], runId: string): void {
    const run = this.#runs.end(runId);
    if (run === undefined) return;
    if (isDocumentList(documents)) run.documents = summarizeDocuments(documents, this.rankKey, this.scoreKeys);
    this.#finish(run, undefined);
  }

  override handleRetrieverError(_error: unknown, runId: string): void {
    this.#fail(runId);
  }

  /**
   * Records an answer and the documents it was given (in the order the prompt showed them), for answer
   * attribution. Chains whose output holds both under `answerKeys` (as `createRetrievalChain`'s does) are recorded
   * without this call.
   */
  recordAnswer(answer: string, context: readonly DocumentInterface[]): Attribution {
    if (typeof answer !== "string" || !isDocumentList(context)) {
      throw new InvalidOptionError(`${OWNER}.recordAnswer: give the answer as a string and its context as an array of Documents.`);
    }
    const ranks = summarizeDocuments(context, this.rankKey, []).ranks;
    return this.#attribution.add(
      answer,
      context.map((d) => d.pageContent),
      ranks,
    );
  }

  /** Everything measured so far, as an object (with the advice). */
  summary(): MonitorSummary {
    const summary = summarize(this.#aggregates, { skipped: this.#skipped, failed: this.#failed }, this.#attribution.summary());
    return { ...summary, advice: adviseOn(summary, this.#aggregates.depth) };
  }

  /** The summary and the advice as text. */
  override toString(): string {
    return formatSummary(this.summary());
  }

  /** The sampled query records (at most `sampleSize`, a uniform sample of every query seen). */
  queries(): QueryRecord[] {
    return [...this.#sample];
  }

  /** JSON lines for offline analysis: one `{"type":"summary",…}` line, then one `{"type":"query",…}` line per sampled query. */
  toJSONLines(): string {
    const lines = [
      JSON.stringify({ type: "summary", ...this.summary() }),
      ...this.#sample.map((record) => JSON.stringify({ type: "query", ...record })),
    ];
    return `${lines.join("\n")}\n`;
  }

  #fail(runId: string): void {
    const run = this.#runs.end(runId);
    if (run !== undefined && run.root === run) this.#failed += 1;
  }

  #finish(run: OpenRun, outputs: Record<string, unknown> | undefined): void {
    const ms = performance.now() - run.started;
    if (run.root !== run) {
      fileFinishedRun(run, outputs, ms);
      return;
    }
    const parts = run.query!;
    if (run.kind === "compressor") {
      parts.stages.push(finishedStage(run, outputs, ms));
      const threshold = finishedThreshold(run, outputs, parts);
      if (threshold !== undefined) parts.thresholds.push(threshold);
    }
    const record =
      run.documents === undefined
        ? undefined
        : buildQueryRecord({ root: run.name, final: run.documents, parts, totalMs: ms, retrieverRoot: run.kind === "retriever", ks: this.overlapAt });
    if (record === undefined) {
      this.#skipped += 1;
      return;
    }
    const query = run.inputs?.query;
    if (this.recordQueries && typeof query === "string") record.query = query;
    this.#aggregates.add(record);
    this.#keepSample(record);
  }

  // Reservoir sampling (Vitter's algorithm R): every query seen has the same chance to be in the sample.
  #keepSample(record: QueryRecord): void {
    this.#seen += 1;
    if (this.#sample.length < this.sampleSize) this.#sample.push(record);
    else {
      const slot = Math.floor(this.#random() * this.#seen);
      if (slot < this.sampleSize) this.#sample[slot] = record;
    }
  }
}
