import type { Callbacks } from "@langchain/core/callbacks/manager";
import { Document, type DocumentInterface } from "@langchain/core/documents";
import { InvalidOptionError, keepErrorNames, RerankError } from "../errors.js";
import { checkFields, checkFunction, checkMap, checkPositiveInteger, checkSignal, describeValue, isPlainObject } from "../options.js";
import { mapWithConcurrency } from "../remote/batching.js";
import { type LatencyStats, latencyStats } from "./stats/latency.js";
import { type MetricSpec, type Qrels, hasRelevantJudgment, meanMetrics, parseMetrics, queryMetrics } from "./stats/metrics.js";

/** What `evaluate` needs from a first stage: any LangChain retriever (or runnable from text to documents). */
export interface RetrieverLike {
  invoke(query: string): Promise<DocumentInterface[]>;
}

/** Any `BaseDocumentCompressor` (from `@langchain/core` or `@langchain/classic`): matched by shape. */
export interface CompressorLike {
  compressDocuments(documents: DocumentInterface[], query: string, callbacks?: Callbacks): Promise<DocumentInterface[]>;
}

/** One configuration to compare: the first stage alone (no compressor) or followed by a compressor. */
export interface EvalConfiguration {
  name: string;
  compressor?: CompressorLike | null;
}

export interface EvaluateOptions {
  /** Query id → text. The queries evaluated are those with a relevant judgment in `qrels`, in this order. */
  queries: ReadonlyMap<string, string>;
  /** Relevance judgments: query id → document id → grade. */
  qrels: Qrels;
  /** The first stage. Its candidates are computed once per query and given to every configuration. */
  retriever: RetrieverLike;
  /**
   * What to evaluate: named first stages, each with or without a compressor.
   * @default one configuration, "first-stage", without a compressor
   */
  configurations?: readonly EvalConfiguration[];
  /** e.g. `["ndcg@10", "mrr@10", "recall@100"]`. */
  metrics: readonly (string | MetricSpec)[];
  /**
   * Binary metrics count a label ≥ this as relevant.
   * @default 1 (TREC DL: 2)
   */
  relThreshold?: number;
  /**
   * Queries in flight at once. Latencies are measured under this concurrency.
   * @default 4
   */
  concurrency?: number;
  /**
   * Evaluate only the first N eligible queries.
   * @default every eligible query
   */
  limit?: number;
  /**
   * A document's id, to match it with the qrels.
   * @default `doc.id`, else `metadata.id`, else `metadata.docId`
   */
  getDocId?: (doc: DocumentInterface) => string | undefined;
  /**
   * Metadata key of a compressor's score.
   * @default "relevanceScore"
   */
  scoreKey?: string;
  /**
   * Metadata key of the first stage's score.
   * @default "retrievalScore"
   */
  retrievalScoreKey?: string;
  /**
   * Keep each configuration's ranked list per query (ids, scores, labels) in the result.
   * @default true
   */
  keepRankings?: boolean;
  /**
   * Called after each query with the number done and the total.
   * @default none
   */
  onProgress?: (done: number, total: number) => void;
  /**
   * Aborts the evaluation; the promise rejects with the signal's reason.
   * @default none
   */
  signal?: AbortSignal;
}

/** One document of a configuration's output, with its score (when the stage wrote one) and its label. */
export interface RankedDocument {
  docId: string;
  score?: number;
  /** The qrels label; absent when the document is unjudged. */
  label?: number;
}

export interface QueryConfigurationResult {
  metrics: Record<string, number>;
  /** Compressor time for this query (0 without a compressor). */
  rerankMs: number;
  ranking?: RankedDocument[];
}

export interface QueryResult {
  queryId: string;
  query: string;
  candidates: number;
  retrieveMs: number;
  configurations: Record<string, QueryConfigurationResult>;
}

export interface ConfigurationResult {
  name: string;
  /** Mean of each metric over the evaluated queries. */
  mean: Record<string, number>;
  latency: {
    retrieve: LatencyStats;
    /** Absent for a configuration without a compressor. */
    rerank?: LatencyStats;
    /** Retrieval plus rerank, per query. */
    total: LatencyStats;
  };
}

export interface EvaluationResult {
  metrics: string[];
  relThreshold: number;
  concurrency: number;
  queriesEvaluated: number;
  /** Query ids given but not evaluated because no judgment above 0 exists for them (trec_eval skips those). */
  skippedWithoutRelevant: string[];
  configurations: ConfigurationResult[];
  perQuery: QueryResult[];
}

/** A failure while evaluating one query: names the query and the stage. */
export class EvaluationError extends RerankError {}
keepErrorNames({ EvaluationError });

function defaultDocId(doc: DocumentInterface): string | undefined {
  const meta = doc.metadata ?? {};
  const id = doc.id ?? meta.id ?? meta.docId;
  return id === undefined || id === null ? undefined : String(id);
}

function copyDocument(doc: DocumentInterface): Document {
  return new Document({ pageContent: doc.pageContent, metadata: { ...doc.metadata }, ...(doc.id !== undefined ? { id: doc.id } : {}) });
}

function numberOrUndefined(value: unknown): number | undefined {
  return typeof value === "number" && Number.isFinite(value) ? value : undefined;
}

/**
 * The queries `evaluate` scores, in order: those with a relevant judgment (the others are skipped, as trec_eval
 * skips them), the first `limit` of them. rerank-eval checks its inputs against these before any request.
 */
export function selectQueries(
  queries: Iterable<[string, string]>,
  qrels: Qrels,
  limit?: number,
): { selected: [string, string][]; skippedWithoutRelevant: string[] } {
  const skippedWithoutRelevant: string[] = [];
  const selected: [string, string][] = [];
  for (const [queryId, text] of queries) {
    if (hasRelevantJudgment(qrels.get(queryId))) selected.push([queryId, text]);
    else skippedWithoutRelevant.push(queryId);
  }
  return { selected: limit === undefined ? selected : selected.slice(0, limit), skippedWithoutRelevant };
}

/**
 * Measures a first stage and any number of compressors on the same candidates: for each judged query, the
 * retriever runs once; each configuration gets its own copies of the candidates (some compressors write into
 * their input's metadata), and its output order is the ranking scored against the qrels. Returns mean metrics,
 * per-query values and per-stage latency percentiles. Stops at the first failure with an `EvaluationError`.
 */
export async function evaluate(options: EvaluateOptions): Promise<EvaluationResult> {
  options = checkFields("evaluate", options, "{ queries, qrels, retriever, metrics }");
  checkMap("evaluate", "queries", options.queries, 'query id → text, e.g. new Map([["q1", "what is BM25?"]])');
  checkMap("evaluate", "qrels", options.qrels, "query id → (document id → label), as loadQrels returns");
  if (typeof (options.retriever as { invoke?: unknown } | null | undefined)?.invoke !== "function") {
    throw new InvalidOptionError("evaluate: `retriever` must be a retriever (an object with invoke(query)), e.g. OkapiBm25Retriever.");
  }
  if (options.configurations !== undefined && !Array.isArray(options.configurations)) {
    throw new InvalidOptionError(
      `evaluate: \`configurations\` must be an array such as [{ name: "reranked", compressor }], got ${describeValue(options.configurations)}.`,
    );
  }
  const metrics = parseMetrics(options.metrics);
  const relThreshold = options.relThreshold ?? 1;
  if (!Number.isFinite(relThreshold)) throw new InvalidOptionError(`evaluate: \`relThreshold\` must be a number, got ${relThreshold}.`);
  const concurrency = checkPositiveInteger("evaluate", "concurrency", options.concurrency) ?? 4;
  const limit = checkPositiveInteger("evaluate", "limit", options.limit);
  const configurations = options.configurations ?? [{ name: "first-stage" }];
  if (configurations.length === 0) throw new InvalidOptionError("evaluate: `configurations` is empty; give at least one.");
  const names = new Set<string>();
  for (const c of configurations) {
    if (!isPlainObject(c))
      throw new InvalidOptionError(`evaluate: each configuration must be an object such as { name, compressor }, got ${describeValue(c)}.`);
    if (typeof c.name !== "string" || c.name === "") throw new InvalidOptionError("evaluate: every configuration needs a non-empty `name`.");
    if (names.has(c.name)) throw new InvalidOptionError(`evaluate: configuration name ${JSON.stringify(c.name)} is used twice.`);
    names.add(c.name);
  }
  const getDocId = options.getDocId ?? defaultDocId;
  const scoreKey = options.scoreKey ?? "relevanceScore";
  const retrievalScoreKey = options.retrievalScoreKey ?? "retrievalScore";
  const keepRankings = options.keepRankings ?? true;

  checkSignal("evaluate", options.signal);
  checkFunction("evaluate", "onProgress", options.onProgress);
  const { selected, skippedWithoutRelevant } = selectQueries(options.queries, options.qrels, limit);

  let done = 0;

  const runQuery = async (queryId: string, query: string): Promise<QueryResult> => {
    const judgments = options.qrels.get(queryId) ?? new Map<string, number>();
    let started = performance.now();
    let candidates: DocumentInterface[];
    try {
      candidates = await options.retriever.invoke(query);
    } catch (error) {
      throw new EvaluationError(`query ${queryId}, first stage: ${(error as Error)?.message ?? String(error)}`, { cause: error });
    }
    const retrieveMs = performance.now() - started;
    const perConfiguration: Record<string, QueryConfigurationResult> = {};
    for (const configuration of configurations) {
      options.signal?.throwIfAborted();
      const input = candidates.map(copyDocument);
      started = performance.now();
      let output: DocumentInterface[];
      try {
        output = configuration.compressor ? await configuration.compressor.compressDocuments(input, query) : input;
      } catch (error) {
        throw new EvaluationError(`query ${queryId}, ${configuration.name}: ${(error as Error)?.message ?? String(error)}`, { cause: error });
      }
      const rerankMs = configuration.compressor ? performance.now() - started : 0;
      const key = configuration.compressor ? scoreKey : retrievalScoreKey;
      const ranking = output.map((doc, i): RankedDocument => {
        const docId = getDocId(doc);
        if (docId === undefined) {
          throw new EvaluationError(
            `query ${queryId}, ${configuration.name}: document at position ${i + 1} has no id; set Document.id or metadata.id (or pass getDocId).`,
          );
        }
        const label = judgments.get(docId);
        const score = numberOrUndefined(doc.metadata?.[key]);
        return { docId, ...(score !== undefined ? { score } : {}), ...(label !== undefined ? { label } : {}) };
      });
      perConfiguration[configuration.name] = {
        metrics: queryMetrics(
          ranking.map((r) => r.docId),
          judgments,
          metrics,
          { relThreshold },
        ),
        rerankMs,
        ...(keepRankings ? { ranking } : {}),
      };
    }
    return { queryId, query, candidates: candidates.length, retrieveMs, configurations: perConfiguration };
  };

  const results = await mapWithConcurrency(
    selected,
    concurrency,
    async ([queryId, query], signal) => {
      signal.throwIfAborted();
      const result = await runQuery(queryId, query);
      done += 1;
      options.onProgress?.(done, selected.length);
      return result;
    },
    options.signal,
  );

  const retrieveTimes = results.map((r) => r.retrieveMs);
  const configurationResults = configurations.map((configuration): ConfigurationResult => {
    const perQuery = results.map((r) => r.configurations[configuration.name] as QueryConfigurationResult);
    const rerankTimes = perQuery.map((p) => p.rerankMs);
    return {
      name: configuration.name,
      mean: meanMetrics(
        perQuery.map((p) => p.metrics),
        metrics,
      ),
      latency: {
        retrieve: latencyStats(retrieveTimes),
        ...(configuration.compressor ? { rerank: latencyStats(rerankTimes) } : {}),
        total: latencyStats(results.map((r, i) => r.retrieveMs + (rerankTimes[i] as number))),
      },
    };
  });
  return {
    metrics: metrics.map((m) => m.label),
    relThreshold,
    concurrency,
    queriesEvaluated: results.length,
    skippedWithoutRelevant,
    configurations: configurationResults,
    perQuery: results,
  };
}
