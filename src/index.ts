// langchain-rerank: reranking compressors for LangChain.js and the CrossEncoder interface they score with.
// This entry loads no model runtime, no SDK and no Node built-in; integrations have their own entry points:
// `langchain-rerank/huggingface` (local models), `langchain-rerank/cohere`, `langchain-rerank/eval`.
export { type CrossEncoder, type CrossEncoderCallOptions, type ScoreMode, type TextPair, isCrossEncoder } from "./scorers/cross_encoder.js";
export type { RerankResult } from "./results.js";
export { DEFAULT_RANK_KEY, DEFAULT_SCORE_KEY } from "./compressors/ranked_documents.js";
export {
  DeviceUnavailableError,
  InvalidOptionError,
  MissingDependencyError,
  MissingOnnxFileError,
  ModelNotFoundError,
  NotASequenceClassifierError,
  RerankError,
} from "./errors.js";
export { type RemoteFailureKind, RemoteRerankError } from "./remote/http_retry.js";

export { CrossEncoderReranker, type CrossEncoderRerankerArgs, type CrossEncoderRerankerCallOptions } from "./compressors/cross_encoder_reranker.js";
export { RelevanceThresholdFilter, type RelevanceThresholdFilterArgs } from "./compressors/relevance_threshold_filter.js";
export {
  RERANK_SERVER_DIALECTS,
  RerankServerCrossEncoder,
  type RerankServerCrossEncoderArgs,
  type RerankServerDialect,
} from "./scorers/rerank_server_cross_encoder.js";
