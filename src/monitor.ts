// langchain-rerank/monitor: label-free monitoring of a reranker in production, as a LangChain callback handler.
// Its own entry, so the root import does not grow.
export { RerankMonitor, type RerankMonitorArgs } from "./monitor/rerank_monitor.js";
export { QuantileSketch, type QuantileSketchArgs } from "./monitor/quantile_sketch.js";
export { type Attribution, type AttributionOptions, type AttributionSummary, attributeAnswer } from "./monitor/attribution.js";
export { kendallTauB, overlapAtK } from "./monitor/rank_agreement.js";
export type { Advice, MonitorSummary, StageSummary } from "./monitor/summary.js";
export type { LatencySummary, Mean, Rate, ScoreWindow } from "./monitor/aggregates.js";
export type { RankBucket } from "./monitor/rank_histogram.js";
export type { QueryRecord, StageRecord } from "./monitor/query_record.js";
