import { BaseCallbackHandler } from "@langchain/core/callbacks/base";
import type { DocumentInterface } from "@langchain/core/documents";
import type { Serialized } from "@langchain/core/load/serializable";
import { RETURNED_DOCUMENTS_EVENT } from "../compressors/tracing.js";
import { InvalidOptionError } from "../errors.js";
import { adviseOn } from "./advice.js";
import { QueryAggregates } from "./aggregates.js";
import { type Attribution, AttributionAggregate, type AttributionOptions } from "./attribution.js";
import { formatSummary } from "./format.js";
import { type RerankMonitorArgs, resolveMonitorOptions } from "./monitor_options.js";
import { type QueryRecord, buildQueryRecord } from "./query_record.js";
import { type OpenRun, RunTree, type RunKind, fileFinishedRun, finishedStage, finishedThreshold, summarizeDocuments } from "./run_tree.js";
import type { MonitorSummary } from "./summary.js";
import { summarize } from "./summary.js";

export type { RerankMonitorArgs };

const OWNER = "RerankMonitor";

const idOf = (serialized: Serialized | undefined): unknown[] => {
  const id: unknown = serialized?.id;
  return Array.isArray(id) ? id : [];
};
const isCompressorRun = (serialized: Serialized | undefined) => {
  const id = idOf(serialized);
  return id[0] === "langchain_rerank" && id[1] === "compressors";
};
/** The run's name: the one LangChain passes, else the last part of its serialized id. */
const nameOf = (serialized: Serialized | undefined, given: unknown, fallback: string): string => {
  if (typeof given === "string" && given.length > 0) return given;
  const last = idOf(serialized).at(-1);
  return typeof last === "string" && last.length > 0 ? last : fallback;
};
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
  #unreadable = 0;

  constructor(fields: RerankMonitorArgs = {}) {
    super();
    const options = resolveMonitorOptions(OWNER, fields);
    this.rankKey = options.rankKey;
    this.scoreKeys = options.scoreKeys;
    this.overlapAt = options.overlapAt;
    this.relativeAccuracy = options.relativeAccuracy;
    this.windowQueries = options.windowQueries;
    this.windows = options.windows;
    this.sampleSize = options.sampleSize;
    this.recordQueries = options.recordQueries;
    this.answerKeys = options.answerKeys;
    this.#attributionOptions = options.attribution;
    this.#random = options.random;
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
    this.#seen = this.#skipped = this.#failed = this.#unreadable = 0;
    this.#runs.clear();
  }

  // Every handler reads values LangChain passes from user code (serialized ids, inputs, outputs, document metadata),
  // and any of them can be malformed or throw from a getter. A handler that threw would lose the query (LangChain
  // logs it and goes on), so each one is guarded: a run it cannot read is counted in `unreadable` instead.

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
    this.#guard(
      () => {
        const kind: RunKind = isCompressorRun(chain) ? "compressor" : "chain";
        this.#runs.start(runId, kind, nameOf(chain, runName, "chain"), parentRunId, kind === "compressor" ? inputs : undefined);
      },
      // Kept in the tree all the same, so that its children find their query (which is then counted as unreadable).
      () => this.#runs.start(runId, "chain", "chain", parentRunId),
    );
  }

  override handleCustomEvent(eventName: string, data: unknown, runId: string): void {
    if (eventName !== RETURNED_DOCUMENTS_EVENT) return;
    const run = this.#runs.get(runId);
    this.#guard(
      () => {
        const documents = (data as { documents?: unknown })?.documents;
        if (run !== undefined && isDocumentList(documents)) run.documents = summarizeDocuments(documents, this.rankKey, this.scoreKeys);
      },
      () => run,
    );
  }

  override handleChainEnd(outputs: Record<string, unknown>, runId: string): void {
    const run = this.#runs.end(runId);
    this.#guard(
      () => {
        const answer = outputs?.[this.answerKeys.answer];
        const context = outputs?.[this.answerKeys.context];
        if (typeof answer === "string" && isDocumentList(context)) {
          // A sequence ending in the step that produced the answer outputs it too: count it once, at the innermost run.
          if (run?.answered !== answer) this.recordAnswer(answer, context);
          if (run?.parent !== undefined) run.parent.answered = answer;
        }
        if (run !== undefined && run.kind === "compressor") this.#finish(run, outputs);
      },
      () => run,
      true,
    );
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
    this.#guard(
      () => this.#runs.start(runId, "retriever", nameOf(retriever, name, "retriever"), parentRunId, { query }),
      () => this.#runs.start(runId, "retriever", "retriever", parentRunId),
    );
  }

  override handleRetrieverEnd(documents: DocumentInterface[], runId: string): void {
    const run = this.#runs.end(runId);
    if (run === undefined) return;
    this.#guard(
      () => {
        if (isDocumentList(documents)) run.documents = summarizeDocuments(documents, this.rankKey, this.scoreKeys);
        this.#finish(run, undefined);
      },
      () => run,
      true,
    );
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
    const summary = summarize(
      this.#aggregates,
      { skipped: this.#skipped, failed: this.#failed, unreadable: this.#unreadable },
      this.#attribution.summary(),
    );
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

  /**
   * Runs `read`; if it throws, the run `unreadable()` returns is counted as unreadable: an open query it belongs to
   * is marked (and counted once, when it ends), anything else is counted at once. Never throws.
   */
  #guard(read: () => void, unreadable: () => OpenRun | undefined, ended = false): void {
    try {
      read();
    } catch {
      try {
        const run = unreadable();
        const root = run?.root;
        if (root !== undefined && !(ended && root === run)) root.unreadable = true;
        else this.#unreadable += 1;
      } catch {
        this.#unreadable += 1;
      }
    }
  }

  #finish(run: OpenRun, outputs: Record<string, unknown> | undefined): void {
    const ms = performance.now() - run.started;
    if (run.root !== run) {
      fileFinishedRun(run, outputs, ms);
      return;
    }
    if (run.unreadable === true) {
      this.#unreadable += 1;
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
    // The sample first: a `random` that throws leaves nothing half counted.
    this.#keepSample(record);
    this.#aggregates.add(record);
  }

  // Reservoir sampling (Vitter's algorithm R): every query seen has the same chance to be in the sample.
  #keepSample(record: QueryRecord): void {
    if (this.#sample.length < this.sampleSize) this.#sample.push(record);
    else {
      // A `random` outside [0, 1) (NaN, negative) replaces nothing rather than writing outside the sample.
      const slot = Math.floor(this.#random() * (this.#seen + 1));
      if (slot >= 0 && slot < this.sampleSize) this.#sample[slot] = record;
    }
    this.#seen += 1;
  }
}
