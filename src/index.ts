// langchain-rerank: reranking compressors for LangChain.js and the CrossEncoder interface they score with.
// This entry loads no model runtime, no SDK and no Node built-in; integrations have their own entry points:
// `langchain-rerank/huggingface` (local models), `langchain-rerank/cohere`, `langchain-rerank/eval`.
export {
  type ChunkSpan,
  type CrossEncoder,
  type CrossEncoderCallOptions,
  type DetailedScore,
  type ScoreMode,
  type TextPair,
  isCrossEncoder,
} from "./scorers/cross_encoder.js";
export type { RerankResult } from "./results.js";
export type { ChunkAggregation } from "./scorers/chunking.js";
export { DEFAULT_RANK_KEY, DEFAULT_SCORE_KEY, STAGE_SCORES_KEY, type StageScore } from "./compressors/ranked_documents.js";
export {
  CorruptModelFileError,
  DeviceUnavailableError,
  InvalidOptionError,
  MissingDependencyError,
  MissingOnnxFileError,
  ModelNotFoundError,
  UnsupportedModelError,
  OverloadedError,
  RerankError,
} from "./errors.js";
export { type RemoteFailureKind, RemoteRerankError } from "./remote/http_retry.js";

export {
  BEST_CHUNK_KEY,
  CrossEncoderReranker,
  type CrossEncoderRerankerArgs,
  type CrossEncoderRerankerCallOptions,
} from "./compressors/cross_encoder_reranker.js";
export {
  DEFAULT_LISTWISE_RANK_KEY,
  LLMListwiseReranker,
  type LLMListwiseRerankerArgs,
  type LLMListwiseRerankerCallOptions,
  type ListwiseChatModel,
  type ListwisePromptFunction,
  type ListwisePromptInput,
  type ListwiseRanking,
  type ListwiseWindowReport,
} from "./compressors/llm_listwise_reranker.js";
export { RelevanceThresholdFilter, type RelevanceThresholdFilterArgs } from "./compressors/relevance_threshold_filter.js";
export {
  RERANK_SERVER_DIALECTS,
  RerankServerCrossEncoder,
  type RerankServerCrossEncoderArgs,
  type RerankServerDialect,
} from "./scorers/rerank_server_cross_encoder.js";
export { CachedCrossEncoder, type CachedCrossEncoderArgs } from "./scorers/cached_cross_encoder.js";
export { CalibratedCrossEncoder, type CalibratedCrossEncoderArgs } from "./scorers/calibrated_cross_encoder.js";
export {
  CALIBRATION_FORMAT,
  type Calibration,
  type CalibrationMap,
  type CalibrationModel,
  type IsotonicMap,
  type PlattMap,
  applyCalibrationMap,
} from "./scorers/calibration.js";
export { type KeyValueStore, LruStore, type LruStoreArgs } from "./stores/lru_store.js";
export type { StoreStats } from "./stores/store_backed_cache.js";
export type { CompressorCallOptions } from "./compressors/compressor_plumbing.js";
export {
  type MissingPolicy,
  MultiFactorReranker,
  type MultiFactorRerankerArgs,
  type MultiFactorRerankerCallOptions,
  type RecencyOptions,
} from "./compressors/multi_factor_reranker.js";
export { BUILTIN_FACTORS, type BuiltinFactor, DEFAULT_NORMALIZATION, type Normalization } from "./compressors/factors.js";
export {
  type CircuitState,
  FIRST_STAGE,
  type FallbackAttempt,
  FallbackReranker,
  type FallbackRerankerArgs,
  type NamedReranker,
} from "./compressors/fallback_reranker.js";
