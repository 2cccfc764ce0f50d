// langchain-rerank/huggingface: cross-encoders, causal-LM and late-interaction (ColBERT) rerankers running in-process with transformers.js (ONNX).
// `@huggingface/transformers` is an optional peer, imported when a model first loads.
export { HuggingFaceCrossEncoder, type HuggingFaceCrossEncoderArgs } from "./scorers/huggingface_cross_encoder.js";
export { LazyHuggingFaceCrossEncoder, type LazyHuggingFaceCrossEncoderArgs } from "./scorers/lazy_huggingface_cross_encoder.js";
export { HuggingFaceCausalReranker, type HuggingFaceCausalRerankerArgs } from "./scorers/huggingface_causal_reranker.js";
export { ColBERTScorer, type ColBERTScorerArgs, type IndexResult } from "./scorers/colbert_scorer.js";
export { COLBERT_PRESETS, type ColBERTConventions } from "./scorers/colbert_conventions.js";
export type { VectorPrecision } from "./scorers/token_vectors.js";
export type { VectorStoreStats } from "./scorers/document_vector_store.js";
export { CAUSAL_PRESETS, CAUSAL_TEMPLATES, type CausalRerankerFamily, type CausalRerankerTemplate } from "./scorers/causal_prompts.js";
export { DTYPE_FILES, type LoadProgressCallback, type RerankerDevice, type RerankerDtype, type WasmPaths } from "./scorers/load_spec.js";
export {
  CorruptModelFileError,
  DeviceUnavailableError,
  MissingDependencyError,
  MissingOnnxFileError,
  ModelNotFoundError,
  NotASequenceClassifierError,
  OverloadedError,
} from "./errors.js";
