// langchain-rerank/huggingface: cross-encoders running in-process with transformers.js (ONNX).
// `@huggingface/transformers` is an optional peer, imported when a model first loads.
export { HuggingFaceCrossEncoder, type HuggingFaceCrossEncoderArgs } from "./scorers/huggingface_cross_encoder.js";
export { LazyHuggingFaceCrossEncoder } from "./scorers/lazy_huggingface_cross_encoder.js";
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
