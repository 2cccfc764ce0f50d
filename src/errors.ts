/**
 * Base class of every error this package throws on purpose, so callers can tell ours from a crash. The classes
 * below spell out their `name`: minifiers rename classes, so in a minified browser bundle `new.target.name` is not it.
 */
export class RerankError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target === RerankError ? "RerankError" : new.target.name;
  }
}

/** An option of the wrong type or value: names the option, what it got and what it accepts. */
export class InvalidOptionError extends RerankError {
  override name = "InvalidOptionError";
}

/** A local model is neither a readable folder nor obtainable from the hub or the cache. */
export class ModelNotFoundError extends RerankError {
  override name = "ModelNotFoundError";
}
/** The model folder lacks the ONNX file the requested dtype loads. */
export class MissingOnnxFileError extends RerankError {
  override name = "MissingOnnxFileError";
}
/** The model has no relevance head (e.g. an embedding model) or transformers.js cannot load it as a classifier. */
export class NotASequenceClassifierError extends RerankError {
  override name = "NotASequenceClassifierError";
}
/** An optional peer dependency (e.g. `@huggingface/transformers`) is not installed, or its runtime files are not served. */
export class MissingDependencyError extends RerankError {
  override name = "MissingDependencyError";
}
/** The execution device asked for cannot run here (e.g. `device: "webgpu"` in a browser without WebGPU). */
export class DeviceUnavailableError extends RerankError {
  override name = "DeviceUnavailableError";
}

/** Throws the signal's reason (an AbortError DOMException unless the caller gave one) when aborted. */
export function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) {
    throw signal.reason ?? new DOMException("This operation was aborted", "AbortError");
  }
}
