// langchain-rerank/huggingface: cross-encoders, causal-LM and late-interaction (ColBERT) rerankers running in-process with transformers.js (ONNX).
// `@huggingface/transformers` is an optional peer, imported when a model first loads.
export { HuggingFaceCrossEncoder, type HuggingFaceCrossEncoderArgs } from "./local/cross_encoder/huggingface_cross_encoder.js";
export { HuggingFaceCausalCrossEncoder, type HuggingFaceCausalCrossEncoderArgs } from "./local/causal/huggingface_causal_cross_encoder.js";
export { ColBERTCrossEncoder, type ColBERTCrossEncoderArgs, type IndexResult } from "./local/colbert/colbert_cross_encoder.js";
export { COLBERT_PRESETS, type ColBERTConventions } from "./local/colbert/colbert_conventions.js";
export type { VectorPrecision } from "./local/colbert/token_vectors.js";
export { CAUSAL_PRESETS, CAUSAL_TEMPLATES, type CausalRerankerFamily, type CausalRerankerTemplate } from "./local/causal/causal_prompts.js";
export { DTYPE_FILES, type LoadProgressCallback, type RerankerDevice, type RerankerDtype, type WasmPaths } from "./local/loading/load_spec.js";
export {
  CorruptModelFileError,
  DeviceUnavailableError,
  MissingDependencyError,
  MissingOnnxFileError,
  ModelNotFoundError,
  UnsupportedModelError,
  OverloadedError,
} from "./errors.js";
