const ERROR_BRAND = Symbol.for("langchain-rerank.error");

/**
 * Base class of every error this package throws on purpose, so callers can tell ours from a crash. The classes
 * below spell out their `name`: minifiers rename classes, so in a minified browser bundle `new.target.name` is not it.
 */
export class RerankError extends Error {
  /** Marks our errors across copies of this module (see `Symbol.hasInstance` below). */
  readonly [ERROR_BRAND] = true;

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target === RerankError ? "RerankError" : new.target.name;
  }

  /**
   * An app that both `require`s and `import`s this package loads two copies of each class (the CJS and the ESM
   * build), and a plain `instanceof` fails across them. An error carrying our brand is an instance of a class when
   * its prototype chain holds a class of the same name, whichever copy made it.
   */
  static override [Symbol.hasInstance](value: unknown): boolean {
    if (Function.prototype[Symbol.hasInstance].call(this, value)) return true;
    if (typeof value !== "object" || value === null || (value as { [ERROR_BRAND]?: unknown })[ERROR_BRAND] !== true) return false;
    for (
      let proto = Object.getPrototypeOf(value) as { constructor?: { name?: string } } | null;
      proto !== null;
      proto = Object.getPrototypeOf(proto)
    ) {
      if (proto.constructor?.name === this.name) return true;
    }
    return false;
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
export class UnsupportedModelError extends RerankError {
  override name = "UnsupportedModelError";
}
/**
 * A model file exists but cannot be read: empty, cut short, not valid JSON, or an ONNX file onnxruntime rejects.
 * `file` is its path (or its name within the model when transformers.js does not say where it read it).
 */
export class CorruptModelFileError extends RerankError {
  override name = "CorruptModelFileError";
  readonly file: string;
  constructor(file: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.file = file;
  }
}
/** An optional peer dependency (e.g. `@huggingface/transformers`) is not installed, or its runtime files are not served. */
export class MissingDependencyError extends RerankError {
  override name = "MissingDependencyError";
}
/** The execution device asked for cannot run here (e.g. `device: "webgpu"` in a browser without WebGPU). */
export class DeviceUnavailableError extends RerankError {
  override name = "DeviceUnavailableError";
}

/**
 * A local scorer already has more pairs waiting for its model than its `maxQueuedPairs` allows: the call is
 * rejected at once, before any work, so a burst cannot grow the queue (and every caller's latency) without limit.
 * Retry later with backoff, or spread the load.
 */
export class OverloadedError extends RerankError {
  override name = "OverloadedError";
  /** Pairs waiting for the model (admitted, not yet scored) when the call came. */
  readonly queuedPairs: number;
  /** Pairs the rejected call asked for. */
  readonly requestedPairs: number;
  readonly maxQueuedPairs: number;
  constructor(message: string, fields: { queuedPairs: number; requestedPairs: number; maxQueuedPairs: number }) {
    super(message);
    this.queuedPairs = fields.queuedPairs;
    this.requestedPairs = fields.requestedPairs;
    this.maxQueuedPairs = fields.maxQueuedPairs;
  }
}

/**
 * Each class's `name` as written here. Bundlers may rename a class (the CJS build turns some into `_class2`,
 * minifiers into `Gt`), and both `instanceof` across builds and messages rely on the name.
 */
export function keepErrorNames(classes: Record<string, abstract new (...args: never[]) => unknown>): void {
  for (const [name, cls] of Object.entries(classes)) Object.defineProperty(cls, "name", { value: name, configurable: true });
}

keepErrorNames({
  RerankError,
  InvalidOptionError,
  ModelNotFoundError,
  MissingOnnxFileError,
  UnsupportedModelError,
  CorruptModelFileError,
  MissingDependencyError,
  DeviceUnavailableError,
  OverloadedError,
});
