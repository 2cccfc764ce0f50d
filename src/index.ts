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
