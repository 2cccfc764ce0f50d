export { type CrossEncoder, type CrossEncoderScoreOptions, type ScoreMode, type TextPair, isCrossEncoder } from "./scorers/cross_encoder.js";
export {
  DEFAULT_RANK_KEY,
  DEFAULT_SCORE_KEY,
  type RankDocumentsOptions,
  type RerankResult,
  rankDocuments,
  resultsFromScores,
  sortResults,
  validateRerankResults,
} from "./compressors/ranked_documents.js";
export { InvalidOptionError, RerankError } from "./errors.js";

// Local cross-encoder scorer and the compressors
export { HuggingFaceCrossEncoder, type HuggingFaceCrossEncoderOptions } from "./scorers/huggingface_cross_encoder.js";
export {
  DTYPE_FILES,
  type LoadProgressCallback,
  MissingDependencyError,
  MissingOnnxFileError,
  ModelNotFoundError,
  NotASequenceClassifierError,
  type RerankerDevice,
  type RerankerDtype,
} from "./scorers/huggingface_loader.js";
export { type BatchLimits, CPU_BATCH_LIMITS, GPU_BATCH_LIMITS, planBatches } from "./scorers/batch_planner.js";
export { type EncodedPair, type PairEncoderOptions, PairEncoder, type PairTemplate, pairTemplate } from "./scorers/pair_encoder.js";
export { CrossEncoderReranker, type CrossEncoderRerankerOptions, type RerankOptions } from "./compressors/cross_encoder_reranker.js";
export { RelevanceThresholdFilter, type RelevanceThresholdFilterOptions } from "./compressors/relevance_threshold_filter.js";

// Cohere and rerank servers
export { CohereRerank, type CohereRerankArgs, type CohereRerankCallOptions, type CohereRerankClient } from "./compressors/cohere_rerank.js";
export {
  RERANK_SERVER_DIALECTS,
  RerankServerCrossEncoder,
  type RerankServerCrossEncoderOptions,
  type RerankServerDialect,
} from "./scorers/rerank_server_cross_encoder.js";
export { type RemoteFailureKind, RemoteRerankError } from "./remote/http_retry.js";

// Evaluation
export * from "./eval/index.js";
