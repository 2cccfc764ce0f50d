import { kendallTauB, overlapAtK } from "./rank_agreement.js";
import type { DocumentSummary, FinishedStage, FinishedThreshold, QueryParts } from "./run_tree.js";

/** One reranking stage of one query, as the JSON-lines export writes it. */
export interface StageRecord {
  /** The compressor's run name; `#2`, `#3` when a query runs the same class again (a cascade). */
  name: string;
  ms: number;
  /** Documents it was given. */
  given: number | null;
  /** First-stage rank of each document it returned, in its order. */
  ranks: number[];
  /** The metadata key its scores were read from, and the scores (in its order). */
  scoreKey: string | null;
  scores: number[];
  /** Its top document is the first stage's top document. */
  topSameAsFirstStage: boolean | null;
  tauBVsFirstStage: number | null;
  /** Its top document is the previous stage's top document (null for the first reranking stage). */
  topSameAsPreviousStage: boolean | null;
  tauBVsPreviousStage: number | null;
  /** FallbackReranker: which reranker served (or `first-stage`), and what each tried reranker did. */
  servedBy?: string;
  attempts?: { reranker: string; outcome: string }[];
}

/** One query (one outermost retrieval or rerank), as the JSON-lines export writes it. */
export interface QueryRecord {
  /** When it ended (ISO 8601). */
  at: string;
  /** The root run's name, e.g. `ContextualCompressionRetriever` or `CrossEncoderReranker`. */
  root: string;
  /** The query text, only with `recordQueries: true`. */
  query?: string;
  /** Candidates the first reranking stage was given (else what the first stage returned). */
  candidates: number | null;
  /** First-stage rank of each final document, in the final order. */
  ranks: number[];
  /** The final top document is the first stage's top (null when nothing was kept). */
  topSame: boolean | null;
  tauB: number | null;
  /** Overlap@k per k; null where the query kept or had fewer than k. */
  overlap: Record<string, number | null>;
  totalMs: number;
  firstStageMs: number | null;
  rerankMs: number;
  /** The reranking stages' share of the retrieval's time (null when the rerank was the root). */
  rerankShare: number | null;
  thresholds: FinishedThreshold[];
  stages: StageRecord[];
}

const orNull = (value: number) => (Number.isNaN(value) ? null : value);

/** Positions (1-based) and the compared ranks of the documents that have one. */
function pairedRanks(ranks: readonly number[], lookup?: (rank: number) => number | undefined): [Float64Array, Float64Array] {
  const own = new Float64Array(ranks.length);
  const other = new Float64Array(ranks.length);
  let n = 0;
  for (let i = 0; i < ranks.length; i++) {
    const rank = ranks[i]!;
    if (!Number.isFinite(rank)) continue;
    const value = lookup === undefined ? rank : lookup(rank);
    if (value === undefined || !Number.isFinite(value)) continue;
    own[n] = i + 1;
    other[n++] = value;
  }
  return [own.subarray(0, n), other.subarray(0, n)];
}

// τ-b against the first stage, by ranks array: a query's final documents and its last stage's usually share theirs.
const tauVsFirstStageCache = new WeakMap<readonly number[], number>();
function tauBVsFirstStage(ranks: readonly number[]): number | null {
  let tau = tauVsFirstStageCache.get(ranks);
  if (tau === undefined) tauVsFirstStageCache.set(ranks, (tau = kendallTauB(...pairedRanks(ranks))));
  return orNull(tau);
}

function stageRecord(stage: FinishedStage, name: string, previous: DocumentSummary | undefined): StageRecord {
  const ranks = stage.documents?.ranks ?? [];
  const top = ranks[0];
  const record: StageRecord = {
    name,
    ms: stage.ms,
    given: stage.given ?? null,
    ranks,
    scoreKey: stage.documents?.scoreKey ?? null,
    scores: stage.documents?.scores ?? [],
    topSameAsFirstStage: top === undefined || !Number.isFinite(top) ? null : top === 1,
    tauBVsFirstStage: tauBVsFirstStage(ranks),
    topSameAsPreviousStage: null,
    tauBVsPreviousStage: null,
  };
  if (previous !== undefined) {
    const positions = new Map<number, number>();
    previous.ranks.forEach((rank, i) => positions.has(rank) || positions.set(rank, i + 1));
    record.topSameAsPreviousStage = top === undefined ? null : positions.get(top) === 1;
    record.tauBVsPreviousStage = orNull(kendallTauB(...pairedRanks(ranks, (rank) => positions.get(rank))));
  }
  if (stage.servedBy !== undefined) record.servedBy = stage.servedBy;
  if (stage.attempts !== undefined) record.attempts = stage.attempts;
  return record;
}

/** Names stages by run name, numbering repeats: `CrossEncoderReranker`, `CrossEncoderReranker#2`. */
function stageNames(stages: readonly FinishedStage[]): string[] {
  const seen = new Map<string, number>();
  return stages.map(({ name }) => {
    const n = (seen.get(name) ?? 0) + 1;
    seen.set(name, n);
    return n === 1 ? name : `${name}#${n}`;
  });
}

export interface QueryRecordInput {
  root: string;
  /** The query's final documents: the root's output. */
  final: DocumentSummary;
  parts: QueryParts;
  totalMs: number;
  /** The root is a retriever (so the first stage's and the rerank's times are parts of the total). */
  retrieverRoot: boolean;
  ks: readonly number[];
}

/**
 * The query's record, or undefined when nothing was reranked: no reranking stage of this package ran, and the final
 * documents carry no first-stage rank or no reranker's score (a bare first stage, which may number its documents).
 * A query whose threshold dropped every document is recorded: its agreement is null, its threshold counts.
 */
export function buildQueryRecord({ root, final, parts, totalMs, retrieverRoot, ks }: QueryRecordInput): QueryRecord | undefined {
  const ranks = final.ranks;
  if (parts.stages.length === 0 && (!ranks.some(Number.isFinite) || final.scoreKey === undefined)) return undefined;
  const stages = [...parts.stages].sort((a, b) => a.started - b.started);
  const names = stageNames(stages);
  let previous: DocumentSummary | undefined;
  const stageRecords = stages.map((stage, i) => {
    const record = stageRecord(stage, names[i]!, previous);
    if (stage.documents !== undefined) previous = stage.documents;
    return record;
  });
  const candidates = stages[0]?.given ?? parts.firstStageCount ?? null;
  const rerankMs = stages.reduce((sum, stage) => sum + stage.ms, 0);
  return {
    at: new Date().toISOString(),
    root,
    candidates,
    ranks,
    topSame: ranks.length === 0 || !Number.isFinite(ranks[0]!) ? null : ranks[0] === 1,
    tauB: tauBVsFirstStage(ranks),
    overlap: Object.fromEntries(ks.map((k) => [String(k), orNull(overlapAtK(ranks, k, candidates ?? Infinity))])),
    totalMs,
    firstStageMs: retrieverRoot ? parts.firstStageMs : null,
    rerankMs,
    rerankShare: retrieverRoot && totalMs > 0 ? rerankMs / totalMs : null,
    thresholds: parts.thresholds,
    stages: stageRecords,
  };
}
