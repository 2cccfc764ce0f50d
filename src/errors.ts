/** Base class of every error this package throws on purpose, so callers can tell ours from a crash. */
export class RerankError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** An option of the wrong type or value: names the option, what it got and what it accepts. */
export class InvalidOptionError extends RerankError {}

/** A local model is neither a readable folder nor obtainable from the hub or the cache. */
export class ModelNotFoundError extends RerankError {}
/** The model folder lacks the ONNX file the requested dtype loads. */
export class MissingOnnxFileError extends RerankError {}
/** The model has no relevance head (e.g. an embedding model) or transformers.js cannot load it as a classifier. */
export class NotASequenceClassifierError extends RerankError {}
/**
 * A model file exists but cannot be read: empty, cut short, not valid JSON, or an ONNX file onnxruntime rejects.
 * `file` is its path (or its name within the model when transformers.js does not say where it read it).
 */
export class CorruptModelFileError extends RerankError {
  readonly file: string;
  constructor(file: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.file = file;
  }
}
/** An optional peer dependency (e.g. `@huggingface/transformers`) is not installed. */
export class MissingDependencyError extends RerankError {}

/** Throws the signal's reason (an AbortError DOMException unless the caller gave one) when aborted. */
export function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) {
    throw signal.reason ?? new DOMException("This operation was aborted", "AbortError");
  }
}
