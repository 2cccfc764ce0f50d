import { QuantileSketch } from "./quantile_sketch.js";
import type { QueryRecord, StageRecord } from "./query_record.js";
import { type RankBucket, RankHistogram } from "./rank_histogram.js";

/** A share with its base: `rate` of `of` (null when `of` is 0). */
export interface Rate {
  rate: number | null;
  of: number;
}
/** A mean with the number of queries it is over. */
export interface Mean {
  mean: number | null;
  of: number;
}
export interface LatencySummary {
  p50: number | null;
  p95: number | null;
  p99: number | null;
  mean: number | null;
  of: number;
}
export interface ScoreWindow {
  /** 1-based index of the window's first query. */
  fromQuery: number;
  values: number;
  p10: number | null;
  p50: number | null;
  p90: number | null;
}

const LATENCY_QUANTILES = [0.5, 0.95, 0.99];
const nullIfNaN = (value: number) => (Number.isNaN(value) ? null : value);

export class RateCounter {
  hits = 0;
  of = 0;
  add(hit: boolean | null | undefined): void {
    if (hit === null || hit === undefined) return;
    this.of += 1;
    if (hit) this.hits += 1;
  }
  get(): Rate {
    return { rate: this.of === 0 ? null : this.hits / this.of, of: this.of };
  }
}

export class MeanCounter {
  sum = 0;
  of = 0;
  add(value: number | null | undefined): void {
    if (value === null || value === undefined || !Number.isFinite(value)) return;
    this.sum += value;
    this.of += 1;
  }
  get(): Mean {
    return { mean: this.of === 0 ? null : this.sum / this.of, of: this.of };
  }
}

export function latencySummary(sketch: QuantileSketch): LatencySummary {
  const [p50, p95, p99] = LATENCY_QUANTILES.map((q) => nullIfNaN(sketch.quantile(q)));
  return { p50: p50!, p95: p95!, p99: p99!, mean: nullIfNaN(sketch.mean), of: sketch.count };
}

export interface SketchSettings {
  relativeAccuracy: number;
  windowQueries: number;
  windows: number;
}

/** Per reranking stage (by name) across queries. */
export class StageAggregate {
  runs = 0;
  readonly latency: QuantileSketch;
  readonly scores: QuantileSketch;
  scoreKey: string | null = null;
  readonly topSameAsFirstStage = new RateCounter();
  readonly tauBVsFirstStage = new MeanCounter();
  readonly topSameAsPreviousStage = new RateCounter();
  readonly tauBVsPreviousStage = new MeanCounter();
  readonly servedBy = new Map<string, number>();
  readonly #windows: { index: number; sketch: QuantileSketch }[] = [];

  readonly #settings: SketchSettings;

  constructor(settings: SketchSettings) {
    this.#settings = settings;
    this.latency = new QuantileSketch({ relativeAccuracy: settings.relativeAccuracy });
    this.scores = new QuantileSketch({ relativeAccuracy: settings.relativeAccuracy });
  }

  add(stage: StageRecord, queryIndex: number): void {
    this.runs += 1;
    this.latency.add(stage.ms);
    if (stage.scoreKey !== null) this.scoreKey = stage.scoreKey;
    const window = this.#window(Math.floor(queryIndex / this.#settings.windowQueries));
    for (const score of stage.scores) {
      this.scores.add(score);
      window.add(score);
    }
    this.topSameAsFirstStage.add(stage.topSameAsFirstStage);
    this.tauBVsFirstStage.add(stage.tauBVsFirstStage);
    this.topSameAsPreviousStage.add(stage.topSameAsPreviousStage);
    this.tauBVsPreviousStage.add(stage.tauBVsPreviousStage);
    // A bounded number of names: a fallback names a handful of rerankers.
    if (stage.servedBy !== undefined && (this.servedBy.has(stage.servedBy) || this.servedBy.size < 32)) {
      this.servedBy.set(stage.servedBy, (this.servedBy.get(stage.servedBy) ?? 0) + 1);
    }
  }

  windows(): ScoreWindow[] {
    return this.#windows.map(({ index, sketch }) => ({
      fromQuery: index * this.#settings.windowQueries + 1,
      values: sketch.count,
      p10: nullIfNaN(sketch.quantile(0.1)),
      p50: nullIfNaN(sketch.quantile(0.5)),
      p90: nullIfNaN(sketch.quantile(0.9)),
    }));
  }

  #window(index: number): QuantileSketch {
    const last = this.#windows.at(-1);
    if (last?.index === index) return last.sketch;
    const sketch = new QuantileSketch({ relativeAccuracy: this.#settings.relativeAccuracy });
    this.#windows.push({ index, sketch });
    if (this.#windows.length > this.#settings.windows) this.#windows.shift();
    return sketch;
  }
}

/** Everything the monitor counts over queries; each part has a fixed size whatever the traffic. */
export class QueryAggregates {
  queries = 0;
  readonly topSame = new RateCounter();
  readonly sameOrder = new RateCounter();
  readonly tauB = new MeanCounter();
  readonly overlap = new Map<string, MeanCounter>();
  readonly depth = new RankHistogram();
  readonly candidates = new RankHistogram();
  readonly total: QuantileSketch;
  readonly firstStage: QuantileSketch;
  readonly rerank: QuantileSketch;
  readonly rerankShare: QuantileSketch;
  rerankMsSum = 0;
  retrievalMsSum = 0;
  readonly thresholdDroppedAll = new RateCounter();
  readonly thresholdKeptFewer = new RateCounter();
  readonly stages = new Map<string, StageAggregate>();

  constructor(
    readonly ks: readonly number[],
    readonly settings: SketchSettings,
  ) {
    const sketch = () => new QuantileSketch({ relativeAccuracy: settings.relativeAccuracy });
    this.total = sketch();
    this.firstStage = sketch();
    this.rerank = sketch();
    this.rerankShare = sketch();
    for (const k of ks) this.overlap.set(String(k), new MeanCounter());
  }

  add(record: QueryRecord): void {
    const index = this.queries;
    this.queries += 1;
    this.topSame.add(record.topSame);
    this.tauB.add(record.tauB);
    if (record.tauB !== null) this.sameOrder.add(record.tauB === 1);
    for (const [k, value] of Object.entries(record.overlap)) this.overlap.get(k)?.add(value);
    for (const rank of record.ranks) this.depth.add(rank);
    if (record.candidates !== null) this.candidates.add(record.candidates);
    this.total.add(record.totalMs);
    this.rerank.add(record.rerankMs);
    if (record.firstStageMs !== null) this.firstStage.add(record.firstStageMs);
    if (record.rerankShare !== null) {
      this.rerankShare.add(record.rerankShare);
      this.rerankMsSum += record.rerankMs;
      this.retrievalMsSum += record.totalMs;
    }
    for (const threshold of record.thresholds) {
      this.thresholdDroppedAll.add(threshold.kept === 0 && threshold.asked > 0);
      this.thresholdKeptFewer.add(threshold.kept < threshold.asked);
    }
    for (const stage of record.stages) {
      let aggregate = this.stages.get(stage.name);
      if (aggregate === undefined) {
        // A bounded number of stages: a pipeline has a few; anything past 32 names shares one entry.
        const name = this.stages.size < 32 ? stage.name : "other";
        aggregate = this.stages.get(name) ?? new StageAggregate(this.settings);
        this.stages.set(name, aggregate);
      }
      aggregate.add(stage, index);
    }
  }
}

export type { RankBucket };
