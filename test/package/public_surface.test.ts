import ts from "typescript";
import { describe, expect, it } from "vitest";
import { ENTRIES, type EntryName, readDeclarations, resolved } from "../support/declarations.js";

// The public surface, entry by entry, as the built package (dist/, from `npm run build`) declares and exports it:
// a new export, or a name exported from a second entry, is a decision made here. `values` are what the module
// exports at run time (classes, functions, constants); `types` are type-only. Each name comes from one entry:
// error classes and RemoteRerankError from the root, the BM25 first stage from /bm25.
const SURFACE: Record<EntryName, { values: string[]; types: string[] }> = {
  "langchain-rerank": {
    values: [
      "BEST_CHUNK_KEY",
      "BUILTIN_FACTORS",
      "CachedCrossEncoder",
      "CorruptModelFileError",
      "CrossEncoderReranker",
      "DEFAULT_LISTWISE_RANK_KEY",
      "DEFAULT_NORMALIZATION",
      "DEFAULT_RANK_KEY",
      "DEFAULT_SCORE_KEY",
      "DeviceUnavailableError",
      "FIRST_STAGE",
      "FallbackReranker",
      "InvalidOptionError",
      "LLMListwiseReranker",
      "LruStore",
      "MissingDependencyError",
      "MissingOnnxFileError",
      "ModelNotFoundError",
      "MultiFactorReranker",
      "OverloadedError",
      "RERANK_SERVER_DIALECTS",
      "RelevanceThresholdFilter",
      "RemoteRerankError",
      "RerankError",
      "RerankServerCrossEncoder",
      "STAGE_SCORES_KEY",
      "UnsupportedModelError",
      "isCrossEncoder",
    ],
    types: [
      "BuiltinFactor",
      "CacheStats",
      "CachedCrossEncoderArgs",
      "ChunkAggregation",
      "ChunkSpan",
      "CircuitState",
      "CompressorCallOptions",
      "CrossEncoder",
      "CrossEncoderCallOptions",
      "CrossEncoderRerankerArgs",
      "CrossEncoderRerankerCallOptions",
      "DetailedScore",
      "FallbackAttempt",
      "FallbackRerankerArgs",
      "KeyValueStore",
      "LLMListwiseRerankerArgs",
      "LLMListwiseRerankerCallOptions",
      "ListwiseChatModel",
      "ListwisePromptFunction",
      "ListwisePromptInput",
      "ListwiseRanking",
      "ListwiseWindowReport",
      "LruStoreArgs",
      "MissingPolicy",
      "MultiFactorRerankerArgs",
      "MultiFactorRerankerCallOptions",
      "NamedReranker",
      "Normalization",
      "RecencyOptions",
      "RelevanceThresholdFilterArgs",
      "RemoteFailureKind",
      "RerankResult",
      "RerankServerCrossEncoderArgs",
      "RerankServerDialect",
      "ScoreMode",
      "StageScore",
      "TextPair",
    ],
  },
  "langchain-rerank/huggingface": {
    values: [
      "CAUSAL_PRESETS",
      "CAUSAL_TEMPLATES",
      "COLBERT_PRESETS",
      "ColBERTCrossEncoder",
      "HuggingFaceCausalCrossEncoder",
      "HuggingFaceCrossEncoder",
    ],
    types: [
      "CausalRerankerFamily",
      "CausalRerankerTemplate",
      "ColBERTConventions",
      "ColBERTCrossEncoderArgs",
      "HuggingFaceCausalCrossEncoderArgs",
      "HuggingFaceCrossEncoderArgs",
      "IndexResult",
      "LoadProgressCallback",
      "LocalModelArgs",
      "RerankerDevice",
      "RerankerDtype",
      "VectorPrecision",
      "VectorStoreStats",
      "WasmPaths",
    ],
  },
  "langchain-rerank/cohere": {
    values: ["CohereRerank"],
    types: ["CohereRerankArgs", "CohereRerankCallOptions", "CohereRerankClient"],
  },
  "langchain-rerank/bm25": {
    values: ["Bm25Index", "ENGLISH_STOP_WORDS", "OkapiBm25Retriever", "createTokenizer", "minimalEnglishStem"],
    types: ["Bm25Hit", "Bm25Options", "OkapiBm25RetrieverInput", "TokenizerOptions"],
  },
  "langchain-rerank/eval": {
    values: [
      "DatasetError",
      "EvaluationError",
      "RunFileRetriever",
      "bootstrapInterval",
      "chartSpec",
      "chooseThreshold",
      "chooseWeights",
      "compareConfigurations",
      "compareRuns",
      "comparisonSentence",
      "documentText",
      "evaluate",
      "evaluateRun",
      "formatComparisonText",
      "formatMarkdownReport",
      "formatTextReport",
      "formatTrecRun",
      "hasRandomWeights",
      "holmBonferroni",
      "labelledScores",
      "loadBeirDataset",
      "loadCorpus",
      "loadQrels",
      "loadQueries",
      "loadTrecRun",
      "pairedTTest",
      "permutationTest",
      "queriesNeeded",
      "renderChartSvg",
      "summarize",
      "weightQueriesFromEvaluation",
    ],
    types: [
      "BeirDataset",
      "BootstrapInterval",
      "BootstrapOptions",
      "ChooseThresholdOptions",
      "ChooseWeightsOptions",
      "CompareOptions",
      "CompareRunsOptions",
      "Comparison",
      "ComparisonSet",
      "CompressorLike",
      "ConfigurationResult",
      "ConfigurationSummary",
      "Corpus",
      "CorpusDocument",
      "EvalConfiguration",
      "EvaluateOptions",
      "EvaluateRunOptions",
      "EvaluationResult",
      "EvaluationSummary",
      "LabelledScore",
      "LatencyStats",
      "LoadBeirOptions",
      "LoadCorpusOptions",
      "MeasureComparison",
      "MetricName",
      "MetricOptions",
      "MetricSpec",
      "PerQueryValues",
      "PermutationTestOptions",
      "PermutationTestResult",
      "Qrels",
      "QueriesNeededOptions",
      "QueryConfigurationResult",
      "QueryResult",
      "RankedDocument",
      "ReportContext",
      "RetrieverLike",
      "Run",
      "RunEntry",
      "RunEvaluation",
      "RunFileRetrieverInput",
      "ScoredRun",
      "SummarizeOptions",
      "TTestResult",
      "ThresholdChoice",
      "ThresholdPoint",
      "WeightCandidate",
      "WeightQueriesOptions",
      "WeightQuery",
      "WeightResult",
      "WeightsChoice",
    ],
  },
  "langchain-rerank/monitor": {
    values: ["QuantileSketch", "RerankMonitor", "attributeAnswer", "kendallTauB", "overlapAtK"],
    types: [
      "Advice",
      "Attribution",
      "AttributionOptions",
      "AttributionSummary",
      "LatencySummary",
      "Mean",
      "MonitorSummary",
      "QuantileSketchArgs",
      "QueryRecord",
      "RankBucket",
      "Rate",
      "RerankMonitorArgs",
      "ScoreWindow",
      "StageRecord",
      "StageSummary",
    ],
  },
};

describe("the public surface", () => {
  const { checker, exportsOf } = readDeclarations();

  it.each(Object.keys(ENTRIES) as EntryName[])("%s declares and exports exactly its pinned names", async (entry) => {
    const symbols = exportsOf(entry);
    const isValue = (s: ts.Symbol) => (resolved(checker, s).flags & ts.SymbolFlags.Value) !== 0;
    expect({
      values: symbols
        .filter(isValue)
        .map((s) => s.name)
        .sort(),
      types: symbols
        .filter((s) => !isValue(s))
        .map((s) => s.name)
        .sort(),
    }).toEqual(SURFACE[entry]);
    const runtime = Object.keys((await import(`../../dist/${ENTRIES[entry]}.js`)) as object).sort();
    expect(runtime).toEqual(SURFACE[entry].values);
  });

  it("exports each name from one entry only", () => {
    const entriesOf = new Map<string, string[]>();
    for (const [entry, { values, types }] of Object.entries(SURFACE)) {
      for (const name of [...values, ...types]) entriesOf.set(name, [...(entriesOf.get(name) ?? []), entry]);
    }
    expect([...entriesOf].filter(([, entries]) => entries.length > 1)).toEqual([]);
  });
});
