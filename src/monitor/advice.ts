import { FIRST_STAGE } from "../compressors/fallback_reranker.js";
import type { RankHistogram } from "./rank_histogram.js";
import type { Advice, MonitorSummary } from "./summary.js";

/** The usual advice's mark: the same top document 80% of the time means the reranker is probably not earning its keep. */
export const AGREEMENT_MARK = 0.8;
/** Below this many queries every figure is noise. */
export const MIN_QUERIES = 30;
// Candidate counts people fetch; depth advice names the smallest that covers 95% of picks.
const FETCH_SIZES = [5, 10, 20, 30, 50, 75, 100, 150, 200, 300, 500, 1000];

export const percent = (share: number | null): string => (share === null ? "n/a" : `${Math.round(share * 100)}%`);
export const count = (n: number): string => n.toLocaleString("en-US");
/** "1 query", "1,200 queries". */
export const queries = (n: number): string => (n === 1 ? "1 query" : `${count(n)} queries`);
const ms = (value: number | null) => (value === null ? "n/a" : `${value < 10 ? value.toFixed(1) : Math.round(value)} ms`);

/**
 * The advice: plain sentences, each with the figures it rests on. `depth` is the exact pick histogram (for the
 * share of picks within a fetch size).
 */
export function adviseOn(summary: Omit<MonitorSummary, "advice">, depth: RankHistogram): Advice[] {
  const advice: Advice[] = [];
  const n = summary.queries;
  if (n === 0) {
    return [
      {
        topic: "sample",
        text: "No reranked queries seen yet: pass the monitor in `callbacks` to a retriever, chain or compressor.",
        figures: { queries: 0 },
      },
    ];
  }
  if (n < MIN_QUERIES) {
    advice.push({
      topic: "sample",
      text: `Only ${queries(n)} so far: these figures will move. Wait for a few hundred before acting on them.`,
      figures: { queries: n },
    });
  }
  const { topSame, tauB } = summary.agreement;
  const share = summary.rerankShare.pooled;
  if (topSame.rate !== null) {
    const figures = { queries: topSame.of, topSame: topSame.rate, tauB: tauB.mean, rerankShare: share };
    advice.push(
      topSame.rate >= AGREEMENT_MARK
        ? {
            topic: "agreement",
            text:
              `The first stage's top document stayed on top in ${percent(topSame.rate)} of ${queries(topSame.of)}: on this workload the ` +
              `reranker rarely changes what comes first, so it is probably not earning its keep` +
              (share !== null ? ` (it takes ${percent(share)} of retrieval time).` : "."),
            figures,
          }
        : {
            topic: "agreement",
            text:
              `The reranker changed the top document in ${percent(1 - topSame.rate)} of ${queries(topSame.of)}` +
              (tauB.mean !== null ? ` (Kendall's τ-b between the two orders: ${tauB.mean.toFixed(2)}).` : "."),
            figures,
          },
    );
  }
  const depthAdvice = adviseOnDepth(summary, depth);
  if (depthAdvice !== undefined) advice.push(depthAdvice);
  const { droppedAll, keptFewerThanAsked } = summary.thresholds;
  if (droppedAll.of > 0) {
    advice.push({
      topic: "thresholds",
      text:
        `The threshold filter dropped every document in ${percent(droppedAll.rate)} of ${count(droppedAll.of)} filtered queries and kept fewer ` +
        `than asked in ${percent(keptFewerThanAsked.rate)}.` +
        ((droppedAll.rate ?? 0) > 0.05 ? " An empty context leaves the answer with nothing: lower the threshold or set minDocuments." : ""),
      figures: { filtered: droppedAll.of, droppedAll: droppedAll.rate, keptFewerThanAsked: keptFewerThanAsked.rate },
    });
  }
  for (const stage of summary.stages) {
    if (stage.servedBy === undefined) continue;
    const total = Object.values(stage.servedBy).reduce((a, b) => a + b, 0);
    const parts = Object.entries(stage.servedBy)
      .sort((a, b) => b[1] - a[1])
      .map(([name, runs]) => `${name === FIRST_STAGE ? "the first stage (no reranking)" : name} ${percent(runs / total)}`);
    const firstStage = (stage.servedBy[FIRST_STAGE] ?? 0) / total;
    advice.push({
      topic: "fallback",
      text:
        `${stage.name} served ${queries(total)}: ${parts.join(", ")}.` +
        (firstStage > 0.01 ? " Every reranker failed in the first-stage share: the JSON-lines export lists each attempt." : ""),
      figures: { queries: total, firstStage, ...Object.fromEntries(Object.entries(stage.servedBy).map(([k, v]) => [`servedBy.${k}`, v / total])) },
    });
  }
  const rerank = summary.latencyMs.rerank;
  if (rerank.of > 0) {
    advice.push({
      topic: "cost",
      text:
        `Reranking took ${ms(rerank.p50)} at the median (p95 ${ms(rerank.p95)}, p99 ${ms(rerank.p99)})` +
        (share !== null ? `, ${percent(share)} of retrieval time.` : "."),
      figures: { p50: rerank.p50, p95: rerank.p95, p99: rerank.p99, rerankShare: share },
    });
  }
  const { answers, usedWasFirstStageTop, usedWasRerankerTop } = summary.attribution;
  if (answers > 0 && usedWasFirstStageTop.rate !== null) {
    advice.push({
      topic: "attribution",
      text:
        `In ${count(usedWasFirstStageTop.of)} attributed answers (of ${count(answers)}), the document the answer used most was the first stage's ` +
        `top document ${percent(usedWasFirstStageTop.rate)} of the time, and the reranker's top document ${percent(usedWasRerankerTop.rate)}.` +
        (usedWasFirstStageTop.rate >= AGREEMENT_MARK ? " The answers mostly use what the first stage already put first." : ""),
      figures: {
        answers,
        attributed: usedWasFirstStageTop.of,
        usedWasFirstStageTop: usedWasFirstStageTop.rate,
        usedWasRerankerTop: usedWasRerankerTop.rate,
      },
    });
  }
  return advice;
}

function adviseOnDepth(summary: Omit<MonitorSummary, "advice">, depth: RankHistogram): Advice | undefined {
  const { picks, covering, candidates } = summary.depth;
  const fetched = candidates.p50;
  if (picks === 0 || covering.p95 === null || fetched === null) return undefined;
  const figures = { picks, candidates: fetched, covering90: covering.p90, covering95: covering.p95, covering99: covering.p99 };
  const enough = FETCH_SIZES.find((size) => size >= covering.p95!) ?? covering.p95;
  if (enough < fetched) {
    const within = depth.shareAtMost(enough);
    return {
      topic: "depth",
      text:
        `${percent(within)} of the documents it kept came from the first ${count(enough)} of ${count(fetched)} candidates: fetching ` +
        `${count(fetched)} costs ${(fetched / enough).toFixed(1)}× the scoring of ${count(enough)}, for the ${percent(1 - within)} of picks ranked below ${count(enough)}.`,
      figures: { ...figures, fetchSize: enough, shareWithin: within, scoringCost: fetched / enough },
    };
  }
  return {
    topic: "depth",
    text:
      `Picks reach deep into the candidate list: covering 95% of them takes ${count(covering.p95)} of ${count(fetched)} candidates ` +
      `(99%: ${covering.p99 === null ? "more than the histogram holds" : count(covering.p99)}). Fetching more candidates may find better documents.`,
    figures,
  };
}
