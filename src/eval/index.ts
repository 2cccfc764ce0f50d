// Evaluation: IR metrics with trec_eval semantics, dataset loaders, first stages and the evaluate() harness.
export {
  type EvaluateRunOptions,
  type MetricName,
  type MetricOptions,
  type MetricSpec,
  type Qrels,
  type Run,
  type RunEntry,
  type RunEvaluation,
  evaluateRun,
  hasRelevantJudgment,
  meanMetrics,
  parseMetric,
  parseMetrics,
  queryMetrics,
  trecOrder,
} from "./metrics.js";
export { DatasetError } from "./lines.js";
export { formatTrecRun, loadQrels, loadTrecRun } from "./trec.js";
export {
  type BeirDataset,
  type Corpus,
  type CorpusDocument,
  type LoadBeirOptions,
  type LoadCorpusOptions,
  documentText,
  findQrelsFile,
  loadBeirDataset,
  loadCorpus,
  loadQueries,
} from "./beir.js";
export { RunFileRetriever, type RunFileRetrieverInput } from "./run_file_retriever.js";
export { type Bm25Hit, Bm25Index, type Bm25Options, ENGLISH_STOP_WORDS, type TokenizerOptions, createTokenizer, minimalEnglishStem } from "./bm25.js";
export { OkapiBm25Retriever, type OkapiBm25RetrieverInput } from "./bm25_retriever.js";
export { type LatencyStats, latencyStats, percentile } from "./latency.js";
export {
  type CompressorLike,
  type ConfigurationResult,
  type EvalConfiguration,
  type EvaluateOptions,
  type EvaluationResult,
  EvaluationError,
  type QueryConfigurationResult,
  type QueryResult,
  type RankedDocument,
  type RetrieverLike,
  evaluate,
} from "./evaluate.js";
export {
  type ChooseThresholdOptions,
  type LabelledScore,
  type ThresholdChoice,
  type ThresholdPoint,
  chooseThreshold,
  labelledScores,
} from "./threshold.js";
export {
  type ConfigurationSummary,
  type EvaluationSummary,
  type ReportContext,
  type ScoredRun,
  type SummarizeOptions,
  formatMarkdownReport,
  formatTextReport,
  summarize,
} from "./report.js";
export {
  type BootstrapInterval,
  type BootstrapOptions,
  type PermutationTestOptions,
  type PermutationTestResult,
  type QueriesNeededOptions,
  type TTestResult,
  bootstrapInterval,
  holmBonferroni,
  pairedTTest,
  permutationTest,
  queriesNeeded,
  winsTiesLosses,
} from "./significance.js";
export { studentTCdf, studentTQuantile, studentTTwoSided } from "./student_t.js";
export { type Prng, createPrng } from "./prng.js";
export {
  type CompareOptions,
  type CompareRunsOptions,
  type Comparison,
  type ComparisonSet,
  type MeasureComparison,
  type PerQueryValues,
  compareAll,
  compareConfigurations,
  compareRuns,
} from "./comparison.js";
export { comparisonSentence, formatComparisonMarkdown, formatComparisonText } from "./comparison_report.js";
export { chartSpec, renderChartSvg } from "./chart.js";
export {
  type ChooseWeightsOptions,
  type WeightCandidate,
  type WeightQueriesOptions,
  type WeightQuery,
  type WeightResult,
  type WeightsChoice,
  chooseWeights,
  weightQueriesFromEvaluation,
} from "./weights.js";
