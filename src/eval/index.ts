// langchain-rerank/eval: what docs/evaluation.md teaches — the evaluate() harness and trec_eval metrics, the
// dataset loaders, the first stages, thresholds, weights and calibrations from labelled data, paired tests, reports and charts,
// with the types of their arguments and results. Helpers they are built from (metric parsing, trec_eval ordering,
// percentiles, the t distribution, the seeded PRNG) stay internal; tests import their modules directly.
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
} from "./stats/metrics.js";
export { DatasetError } from "./data/lines.js";
export { formatTrecRun, loadQrels, loadTrecRun } from "./data/trec.js";
export {
  type BeirDataset,
  type Corpus,
  type CorpusDocument,
  type LoadBeirOptions,
  type LoadCorpusOptions,
  documentText,
  loadBeirDataset,
  loadCorpus,
  loadQueries,
} from "./data/beir.js";
export { RunFileRetriever, type RunFileRetrieverInput } from "./data/run_file_retriever.js";
// The built-in first stage (its home is langchain-rerank/bm25), here beside the loaders that feed it.
export { type TokenizerOptions, createTokenizer } from "../retrievers/bm25_index.js";
export { OkapiBm25Retriever, type OkapiBm25RetrieverInput } from "../retrievers/okapi_bm25_retriever.js";
export type { LatencyStats } from "./stats/latency.js";
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
} from "./stats/significance.js";
export {
  type CompareOptions,
  type CompareRunsOptions,
  type Comparison,
  type ComparisonSet,
  type MeasureComparison,
  type PerQueryValues,
  compareConfigurations,
  compareRuns,
} from "./comparison.js";
export { comparisonSentence, formatComparisonText } from "./comparison_report.js";
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
export { hasRandomWeights } from "./random_weights.js";
export {
  type CalibrateOptions,
  type CalibrationMethod,
  type CalibrationPoint,
  type CalibrationReport,
  type CalibrationRow,
  calibrate,
  splitQueries,
} from "./calibration/calibrate.js";
export { CalibrationError, fitIsotonic, fitPlatt } from "./calibration/fit.js";
export {
  type CalibrationMeasures,
  type ReliabilityBin,
  brierScore,
  calibrationMeasures,
  expectedCalibrationError,
  logLoss,
  reliabilityBins,
} from "./calibration/metrics.js";
export { type CalibrationSummary, formatCalibrationMarkdown, formatCalibrationText, reliabilityPanel } from "./calibration_report.js";
