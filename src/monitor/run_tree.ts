import type { DocumentInterface } from "@langchain/core/documents";

/** What the monitor keeps of a run's documents: never the texts, only each one's first-stage rank and score. */
export interface DocumentSummary {
  /** `metadata.retrievalRank` of each document, in order (NaN where absent). */
  ranks: number[];
  /** Each document's score under `scoreKey` (NaN where absent). */
  scores: number[];
  /** The first of the monitor's `scoreKeys` that the documents carry; undefined if none. */
  scoreKey: string | undefined;
  /** `metadata.rerankedBy` of the first document (FallbackReranker's served-by tag). */
  servedBy: string | undefined;
}

export type RunKind = "retriever" | "compressor" | "chain";

/** An open run. A retriever or compressor run with no such ancestor is the root of a query. */
export interface OpenRun {
  id: string;
  kind: RunKind;
  name: string;
  started: number;
  parent: OpenRun | undefined;
  /** An answer a child run already reported: the same answer in this run's output is not counted again. */
  answered?: string;
  /** The nearest retriever or compressor ancestor (undefined for a root and for plain chains outside a query). */
  owner: OpenRun | undefined;
  /** The query's root run (itself for a root). */
  root: OpenRun | undefined;
  inputs: Record<string, unknown> | undefined;
  documents?: DocumentSummary;
  /** On roots: a handler could not read one of the query's runs, so the query is counted as unreadable, not recorded. */
  unreadable?: boolean;
  /** Only on roots: what the query's parts reported as they ended. */
  query?: QueryParts;
}

/** A finished reranking stage: a compressor run directly under the query root (or the root compressor itself). */
export interface FinishedStage {
  name: string;
  started: number;
  ms: number;
  /** The documents it was given (its traced `inputs.documents`). */
  given: number | undefined;
  documents: DocumentSummary | undefined;
  /** A FallbackReranker's traced choice. */
  servedBy?: string;
  attempts?: { reranker: string; outcome: string }[];
}

/** A finished RelevanceThresholdFilter run, anywhere in the query. */
export interface FinishedThreshold {
  kept: number;
  /** Its `topN`, or else what reached the threshold (its reranker's output, or its input). */
  asked: number;
}

export interface QueryParts {
  stages: FinishedStage[];
  firstStageMs: number;
  firstStageCount: number | undefined;
  thresholds: FinishedThreshold[];
  /** Outputs of nested compressor runs, by their owner's id: how many documents an inner reranker returned. */
  innerCounts: Map<string, number>;
}

const isRecord = (value: unknown): value is Record<string, unknown> => value !== null && typeof value === "object";

/** Reads ranks and scores off documents without keeping them (one pass over the metadata per key read). */
export function summarizeDocuments(documents: readonly DocumentInterface[], rankKey: string, scoreKeys: readonly string[]): DocumentSummary {
  const n = documents.length;
  const metadata: Record<string, unknown>[] = new Array(n);
  const ranks: number[] = new Array(n);
  for (let i = 0; i < n; i++) {
    const m = documents[i]?.metadata;
    metadata[i] = isRecord(m) ? m : {};
    const rank = metadata[i]![rankKey];
    ranks[i] = typeof rank === "number" ? rank : NaN;
  }
  const scoreKey = scoreKeys.find((key) => metadata.some((m) => typeof m[key] === "number"));
  const scores: number[] = scoreKey === undefined ? [] : new Array(n);
  if (scoreKey !== undefined) {
    for (let i = 0; i < n; i++) {
      const score = metadata[i]![scoreKey];
      scores[i] = typeof score === "number" ? score : NaN;
    }
  }
  const servedBy = n > 0 ? metadata[0]!.rerankedBy : undefined;
  return { ranks, scores, scoreKey, servedBy: typeof servedBy === "string" ? servedBy : undefined };
}

/**
 * The open runs by id, bounded: a run that never ends (an abandoned call) is dropped once `maxOpenRuns` newer ones
 * are open, so a long-running server cannot grow this map.
 */
export class RunTree {
  readonly #runs = new Map<string, OpenRun>();

  constructor(readonly maxOpenRuns = 10_000) {}

  get size(): number {
    return this.#runs.size;
  }

  get(id: string): OpenRun | undefined {
    return this.#runs.get(id);
  }

  start(id: string, kind: RunKind, name: string, parentId: string | undefined, inputs?: Record<string, unknown>): OpenRun {
    const parent = parentId === undefined ? undefined : this.#runs.get(parentId);
    const ranking = kind !== "chain";
    const owner = parent === undefined ? undefined : parent.kind === "chain" ? parent.owner : parent;
    const run: OpenRun = { id, kind, name, started: performance.now(), parent, owner, root: parent?.root, inputs };
    if (ranking && run.root === undefined) {
      run.root = run;
      run.owner = undefined;
      run.query = { stages: [], firstStageMs: 0, firstStageCount: undefined, thresholds: [], innerCounts: new Map() };
    }
    // Plain chains are kept too (until they end): a retriever under a RunnableLambda under a compressor still finds its query.
    this.#runs.set(id, run);
    if (this.#runs.size > this.maxOpenRuns) this.#runs.delete(this.#runs.keys().next().value!);
    return run;
  }

  /** Removes and returns a run that ended (or failed). */
  end(id: string): OpenRun | undefined {
    const run = this.#runs.get(id);
    this.#runs.delete(id);
    return run;
  }

  clear(): void {
    this.#runs.clear();
  }
}

/** Files a finished non-root run under its query. */
export function fileFinishedRun(run: OpenRun, outputs: Record<string, unknown> | undefined, ms: number): void {
  const root = run.root;
  const parts = root?.query;
  if (root === undefined || parts === undefined || run === root) return;
  if (run.kind === "retriever" && run.owner === root) {
    parts.firstStageMs += ms;
    parts.firstStageCount = (parts.firstStageCount ?? 0) + (run.documents?.ranks.length ?? 0);
    return;
  }
  if (run.kind !== "compressor") return;
  if (run.owner === root) parts.stages.push(finishedStage(run, outputs, ms));
  else if (run.owner !== undefined && run.documents !== undefined) parts.innerCounts.set(run.owner.id, run.documents.ranks.length);
  const threshold = finishedThreshold(run, outputs, parts);
  if (threshold !== undefined) parts.thresholds.push(threshold);
}

export function finishedStage(run: OpenRun, outputs: Record<string, unknown> | undefined, ms: number): FinishedStage {
  const given = run.inputs?.documents;
  const stage: FinishedStage = {
    name: run.name,
    started: run.started,
    ms,
    given: typeof given === "number" ? given : undefined,
    documents: run.documents,
  };
  // A FallbackReranker's own run says who served; one nested in another stage still tags the documents.
  const servedBy = typeof outputs?.servedBy === "string" ? outputs.servedBy : run.documents?.servedBy;
  if (servedBy !== undefined) stage.servedBy = servedBy;
  if (Array.isArray(outputs?.attempts)) {
    stage.attempts = outputs.attempts.filter(isRecord).map((a) => ({ reranker: String(a.reranker), outcome: String(a.outcome) }));
  }
  return stage;
}

export function finishedThreshold(run: OpenRun, outputs: Record<string, unknown> | undefined, parts: QueryParts): FinishedThreshold | undefined {
  if (run.name !== "RelevanceThresholdFilter" || typeof outputs?.kept !== "number") return undefined;
  const topN = run.inputs?.topN;
  const given = run.inputs?.documents;
  const reached = parts.innerCounts.get(run.id) ?? (typeof given === "number" ? given : outputs.kept);
  return { kept: outputs.kept, asked: typeof topN === "number" ? Math.min(topN, reached) : reached };
}
