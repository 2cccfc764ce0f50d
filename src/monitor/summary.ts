import type { AttributionSummary } from "./attribution.js";
import { type LatencySummary, type Mean, type QueryAggregates, type Rate, type ScoreWindow, latencySummary } from "./aggregates.js";
import type { RankBucket } from "./rank_histogram.js";

export interface StageSummary {
  name: string;
  runs: number;
  latencyMs: LatencySummary;
  /** Scores of the documents it returned, under `scoreKey`; quantiles within `relativeAccuracy` (see the sketch). */
  scores: { scoreKey: string | null; p10: number | null; p50: number | null; p90: number | null; values: number };
  /** The same quantiles per window of `windowQueries` queries, oldest first: drift shows here. */
  scoreWindows: ScoreWindow[];
  vsFirstStage: { topSame: Rate; tauB: Mean };
  /** Against the stage before it in the query (`of` is 0 for the first reranking stage). */
  vsPreviousStage: { topSame: Rate; tauB: Mean };
  /** FallbackReranker: how often each reranker (or `first-stage`) served. */
  servedBy?: Record<string, number>;
}

/** An item of advice: the sentence and the figures it rests on. */
export interface Advice {
  topic: "sample" | "agreement" | "depth" | "thresholds" | "fallback" | "cost" | "attribution";
  text: string;
  figures: Record<string, number | null>;
}

export interface MonitorSummary {
  /** Reranked queries seen (an outermost retrieval or rerank whose final documents carry first-stage ranks). */
  queries: number;
  /** Outermost retrievals whose documents carried no first-stage rank (not reranked), and failed queries. */
  skipped: number;
  failed: number;
  /**
   * Queries (or runs outside any query) the monitor could not read: a value LangChain passed it threw when read or
   * had a shape it cannot use (a serialized id that is not an array, document metadata whose getter throws). They
   * are not in `queries`; the monitor never throws from a handler.
   */
  unreadable: number;
  agreement: {
    /** The final top document is the first stage's top document. */
    topSame: Rate;
    /** Kendall's τ-b between the final order and the first-stage order of the documents kept. */
    tauB: Mean;
    /** τ-b is 1: the reranker kept the first stage's relative order. */
    sameOrder: Rate;
    /** Overlap@k: share of the final top k that were in the first stage's top k. */
    overlapAtK: Record<string, Mean>;
  };
  depth: {
    picks: number;
    /** First-stage ranks of the final documents (exact nearest-rank quantiles below). */
    histogram: RankBucket[];
    quantiles: { p25: number | null; p50: number | null; p75: number | null };
    /** The smallest candidate count that would have held 90%, 95% and 99% of the picks (exact). */
    covering: { p90: number | null; p95: number | null; p99: number | null };
    /** Candidates per query given to the first reranking stage. */
    candidates: { p50: number | null; max: number | null };
  };
  stages: StageSummary[];
  latencyMs: { retrieval: LatencySummary; firstStage: LatencySummary; rerank: LatencySummary };
  /** Reranking time over retrieval time: all queries pooled (`pooled`), and the per-query median. */
  rerankShare: { pooled: number | null; p50: number | null; of: number };
  thresholds: { droppedAll: Rate; keptFewerThanAsked: Rate };
  attribution: AttributionSummary;
  /** The sketches' stated relative error. */
  relativeAccuracy: number;
  advice: Advice[];
}

const nullIfNaN = (value: number) => (Number.isNaN(value) ? null : value);
const finiteOrNull = (value: number) => (Number.isFinite(value) ? value : null);

function stageSummaries(aggregates: QueryAggregates): StageSummary[] {
  return [...aggregates.stages.entries()].map(([name, stage]) => {
    const summary: StageSummary = {
      name,
      runs: stage.runs,
      latencyMs: latencySummary(stage.latency),
      scores: {
        scoreKey: stage.scoreKey,
        p10: nullIfNaN(stage.scores.quantile(0.1)),
        p50: nullIfNaN(stage.scores.quantile(0.5)),
        p90: nullIfNaN(stage.scores.quantile(0.9)),
        values: stage.scores.count,
      },
      scoreWindows: stage.windows(),
      vsFirstStage: { topSame: stage.topSameAsFirstStage.get(), tauB: stage.tauBVsFirstStage.get() },
      vsPreviousStage: { topSame: stage.topSameAsPreviousStage.get(), tauB: stage.tauBVsPreviousStage.get() },
    };
    if (stage.servedBy.size > 0) summary.servedBy = Object.fromEntries(stage.servedBy);
    return summary;
  });
}

/** The summary without its advice (advice.ts reads this). */
export function summarize(
  aggregates: QueryAggregates,
  counts: { skipped: number; failed: number; unreadable: number },
  attribution: AttributionSummary,
): Omit<MonitorSummary, "advice"> {
  const { depth, candidates } = aggregates;
  const covering = (share: number) => nullIfNaN(finiteOrNull(depth.covering(share)) ?? NaN);
  return {
    queries: aggregates.queries,
    skipped: counts.skipped,
    failed: counts.failed,
    unreadable: counts.unreadable,
    agreement: {
      topSame: aggregates.topSame.get(),
      tauB: aggregates.tauB.get(),
      sameOrder: aggregates.sameOrder.get(),
      overlapAtK: Object.fromEntries([...aggregates.overlap.entries()].map(([k, mean]) => [k, mean.get()])),
    },
    depth: {
      picks: depth.total,
      histogram: depth.buckets(),
      quantiles: { p25: covering(0.25), p50: covering(0.5), p75: covering(0.75) },
      covering: { p90: covering(0.9), p95: covering(0.95), p99: covering(0.99) },
      candidates: { p50: nullIfNaN(candidates.covering(0.5)), max: candidates.total === 0 ? null : candidates.max },
    },
    stages: stageSummaries(aggregates),
    latencyMs: {
      retrieval: latencySummary(aggregates.total),
      firstStage: latencySummary(aggregates.firstStage),
      rerank: latencySummary(aggregates.rerank),
    },
    rerankShare: {
      pooled: aggregates.retrievalMsSum > 0 ? aggregates.rerankMsSum / aggregates.retrievalMsSum : null,
      p50: nullIfNaN(aggregates.rerankShare.quantile(0.5)),
      of: aggregates.rerankShare.count,
    },
    thresholds: { droppedAll: aggregates.thresholdDroppedAll.get(), keptFewerThanAsked: aggregates.thresholdKeptFewer.get() },
    attribution,
    relativeAccuracy: aggregates.settings.relativeAccuracy,
  };
}
