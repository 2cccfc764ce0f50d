import type { Callbacks } from "@langchain/core/callbacks/manager";
import type { Document, DocumentInterface } from "@langchain/core/documents";
import type { BaseDocumentCompressor } from "@langchain/core/retrievers/document_compressors";
import { abortable, anySignal } from "../cancellation.js";
import { InvalidOptionError, RerankError } from "../errors.js";
import { checkCallOptions, checkSignal, describeValue, isPlainObject } from "../options.js";
import type { RunTrace } from "./tracing.js";

// What every compressor of this package shares: the per-call options, checking and calling an inner compressor,
// the texts a reranker scores, the Document class, and which first-stage rank a reranked document keeps.

/**
 * Compressors that accept per-call options as a fourth argument (this package's do), e.g. to be aborted. Their third
 * argument takes LangChain's `Callbacks`, a single handler, or a RunnableConfig-like `{ callbacks, signal, tags,
 * metadata, runName }` (see readCompressorCall).
 */
export interface CompressorCallOptions {
  /**
   * Aborts this call (together with the instance's `signal`, if any); the call rejects with its reason.
   * @default none
   */
  signal?: AbortSignal;
}

/** RunnableConfig's fields: a config object passed where `Callbacks` belongs is read by these names. */
const CONFIG_KEYS = new Set([
  "callbacks",
  "signal",
  "tags",
  "metadata",
  "runName",
  // Read by LCEL, meaningless to one compressor call: accepted (a config handed down by a runnable has them) and ignored.
  "configurable",
  "recursionLimit",
  "maxConcurrency",
  "runId",
  "timeout",
  "store",
  "writer",
  "interrupt",
  "context",
]);

const RIGHT_CALL =
  "compressDocuments(documents, query, { callbacks: [handler], signal }) or compressDocuments(documents, query, [handler], { signal })";

/** A callback handler object (BaseCallbackHandler or a plain object with `handle…` methods). */
function isHandler(value: object): boolean {
  // Up the prototype chain: a tracer inherits its handle… methods from BaseTracer.
  for (let level: object | null = value; level !== null && level !== Object.prototype; level = Object.getPrototypeOf(level) as object | null) {
    for (const key of Object.getOwnPropertyNames(level)) {
      if (key.startsWith("handle") && typeof (value as Record<string, unknown>)[key] === "function") return true;
    }
  }
  return false;
}

/** A CallbackManager (LangChain's own `Callbacks` form), recognised by shape so that this module does not load it. */
function isCallbackManager(value: object): boolean {
  const manager = value as { copy?: unknown; handlers?: unknown; addHandler?: unknown };
  return typeof manager.copy === "function" && typeof manager.addHandler === "function" && Array.isArray(manager.handlers);
}

/** `callbacks` in LangChain's `Callbacks` form (a manager or an array of handlers); a bare handler becomes `[handler]`. */
function readCallbacks(owner: string, value: unknown, where: string): Callbacks | undefined {
  if (value === undefined || value === null) return undefined;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const handler: unknown = value[i];
      if (handler === null || typeof handler !== "object" || !isHandler(handler)) {
        throw new InvalidOptionError(`${owner}: ${where}[${i}] is ${describeValue(handler)}, not a callback handler. Call ${RIGHT_CALL}.`);
      }
    }
    return value as Callbacks;
  }
  if (typeof value === "object" && (isCallbackManager(value) || isHandler(value))) {
    return isCallbackManager(value) ? (value as Callbacks) : ([value] as Callbacks);
  }
  throw new InvalidOptionError(
    `${owner}: ${where} must be callback handlers (an array), a CallbackManager or a handler, got ${describeValue(value)}. Call ${RIGHT_CALL}.`,
  );
}

/** What a compressor call's third and fourth arguments come to. */
export interface CompressorCall<O extends CompressorCallOptions> {
  /** How the call's run is traced: its callbacks, and a config's tags, metadata and runName. */
  trace: RunTrace;
  /** The per-call options (checked), with a config's `signal` joined into `signal`. */
  options: O;
}

/**
 * Reads `compressDocuments(documents, query, callbacks, options)`'s last two arguments, for every compressor here.
 * The third is LangChain's `Callbacks` (an array of handlers or a CallbackManager); a single handler is taken as
 * `[handler]`, and a RunnableConfig-like object (`{ callbacks, signal, tags, metadata, runName }`, as LCEL's
 * `invoke(input, config)` takes, or the config a runnable receives) is accepted too: its signal aborts the call
 * and its callbacks, tags, metadata and runName trace it. Anything else, and call options that are not an object
 * (`compressDocuments(docs, q, undefined, 5)`), are refused with the right call. `form` shows the compressor's call
 * options, e.g. `{ signal, topN: 5 }`.
 */
export function readCompressorCall<O extends CompressorCallOptions>(
  owner: string,
  callbacks: unknown,
  options: O | undefined,
  form = "{ signal }",
): CompressorCall<O> {
  const checked = checkCallOptions<O>(owner, options, form);
  if (
    callbacks === undefined ||
    callbacks === null ||
    Array.isArray(callbacks) ||
    (typeof callbacks === "object" && (isCallbackManager(callbacks) || isHandler(callbacks)))
  ) {
    return { trace: { callbacks: readCallbacks(owner, callbacks, "callbacks") }, options: checked };
  }
  if (!isPlainObject(callbacks) || !Object.keys(callbacks).every((key) => CONFIG_KEYS.has(key))) {
    const unknown = isPlainObject(callbacks) ? Object.keys(callbacks).filter((key) => !CONFIG_KEYS.has(key)) : [];
    throw new InvalidOptionError(
      `${owner}: the third argument must be callbacks (an array of handlers) or a config object { callbacks, signal, tags, metadata, runName }, got ${
        unknown.length > 0 ? `an object with ${unknown.map((key) => JSON.stringify(key)).join(", ")}` : describeValue(callbacks)
      }. Call ${RIGHT_CALL}.`,
    );
  }
  const config = callbacks as { callbacks?: unknown; signal?: unknown; tags?: unknown; metadata?: unknown; runName?: unknown };
  const configSignal = checkSignal(owner, config.signal);
  if (config.tags !== undefined && (!Array.isArray(config.tags) || !config.tags.every((tag) => typeof tag === "string"))) {
    throw new InvalidOptionError(`${owner}: the config's \`tags\` must be an array of strings, got ${describeValue(config.tags)}.`);
  }
  if (config.metadata !== undefined && !isPlainObject(config.metadata)) {
    throw new InvalidOptionError(`${owner}: the config's \`metadata\` must be an object, got ${describeValue(config.metadata)}.`);
  }
  if (config.runName !== undefined && (typeof config.runName !== "string" || config.runName === "")) {
    throw new InvalidOptionError(`${owner}: the config's \`runName\` must be a non-empty string, got ${describeValue(config.runName)}.`);
  }
  const signal = anySignal(configSignal, checked.signal);
  return {
    trace: {
      callbacks: readCallbacks(owner, config.callbacks, "the config's callbacks"),
      ...(config.tags !== undefined ? { tags: config.tags as string[] } : {}),
      ...(config.metadata !== undefined ? { metadata: config.metadata as Record<string, unknown> } : {}),
      ...(config.runName !== undefined ? { runName: config.runName as string } : {}),
    },
    options: signal === undefined ? checked : { ...checked, signal },
  };
}

// `@langchain/core/documents` brings Runnable and the tracers with it (about 250 ms): it is loaded on the first
// rerank, so importing this package costs no more than importing `BaseDocumentCompressor`.
let documentClass: Promise<typeof Document> | undefined;
/** LangChain's `Document` class, imported on first use. */
export function loadDocumentClass(): Promise<typeof Document> {
  return (documentClass ??= import("@langchain/core/documents").then((module) => module.Document));
}

/** Whether `value` is an earlier stage's first-stage rank worth keeping: a safe integer ≥ 1. */
export function isRetrievalRank(value: unknown): value is number {
  return Number.isSafeInteger(value) && (value as number) >= 1;
}

/**
 * The `retrievalRank` a reranked document carries: an earlier stage's value when it is a safe integer ≥ 1 (so in a
 * cascade it stays the position in the original first-stage list), otherwise this stage's 1-based input position.
 * Anything else under the key (`0`, `2.5`, `"3"`, `NaN`, `null`, 2^60) is not a rank and is replaced.
 */
export function keptRetrievalRank(existing: unknown, inputIndex: number): number {
  return isRetrievalRank(existing) ? existing : inputIndex + 1;
}

/** The text `documentText` gives each document, checked to be a string (a JavaScript caller's function may return anything). */
export function documentTexts(
  owner: string,
  documents: readonly DocumentInterface[],
  documentText: (document: DocumentInterface) => unknown,
): string[] {
  return documents.map((document, i) => {
    const text = documentText(document);
    if (typeof text !== "string")
      throw new InvalidOptionError(`${owner}: documentText returned ${typeof text} for document ${i}; it must return a string.`);
    return text;
  });
}

function functionKind(fn: (...args: never[]) => unknown): string | undefined {
  const tag = Object.prototype.toString.call(fn);
  if (tag === "[object AsyncGeneratorFunction]") return "an async generator function";
  if (tag === "[object GeneratorFunction]") return "a generator function";
  return undefined;
}

/**
 * Checks an inner compressor option at construction: an object whose `compressDocuments` is a function returning a
 * promise. `BaseDocumentCompressor.isBaseDocumentCompressor` only tests `compressDocuments !== undefined`, so
 * `{ compressDocuments: "x" }` would pass it and then fail on every call. `label` names the option as the message
 * shows it (`` `reranker` ``, `rerankers[2]`); `alternative` adds what else the option accepts.
 */
export function checkCompressor(owner: string, label: string, value: unknown, alternative = ""): BaseDocumentCompressor {
  const refuse = (problem: string, cause?: unknown): never => {
    throw new InvalidOptionError(
      `${owner}: ${label} must be a document compressor (an object with an async compressDocuments(documents, query))${alternative}; ${problem}.`,
      cause === undefined ? undefined : { cause },
    );
  };
  if (value === null || (typeof value !== "object" && typeof value !== "function")) return refuse(`got ${describeValue(value)}`);
  let method: unknown;
  try {
    method = (value as { compressDocuments?: unknown }).compressDocuments;
  } catch (error) {
    return refuse(`reading its compressDocuments threw (${error instanceof Error ? error.message : String(error)})`, error);
  }
  if (typeof method !== "function") return refuse(`its compressDocuments is ${method === undefined ? "missing" : describeValue(method)}`);
  const kind = functionKind(method as (...args: never[]) => unknown);
  if (kind !== undefined) return refuse(`its compressDocuments is ${kind}, which yields Documents instead of returning a promise of them`);
  return value as BaseDocumentCompressor;
}

/**
 * Calls an inner compressor, passing `{ signal }` as the fourth argument when there is a signal (this package's
 * compressors stop on it; others ignore it). The wait ends when the signal aborts even if the compressor ignores it,
 * and a compressor that throws synchronously (or whose method is a getter that throws) rejects like one that fails.
 */
export async function callCompressor(
  compressor: BaseDocumentCompressor,
  documents: DocumentInterface[],
  query: string,
  callbacks: Callbacks | undefined,
  signal: AbortSignal | undefined,
): Promise<unknown> {
  const work = (async () => {
    const call = compressor.compressDocuments as (d: DocumentInterface[], q: string, c?: Callbacks, o?: CompressorCallOptions) => unknown;
    return signal ? call.call(compressor, documents, query, callbacks, { signal }) : call.call(compressor, documents, query, callbacks);
  })();
  return abortable(work, signal);
}

/**
 * Checks what an inner compressor returned: an array of Documents. A broken one is its fault, not the caller's, so
 * this is a RerankError naming it (`who`, e.g. `RelevanceThresholdFilter: its reranker`), not an InvalidOptionError.
 */
export function checkCompressorOutput(who: string, output: unknown): asserts output is DocumentInterface[] {
  const bad = !Array.isArray(output)
    ? describeValue(output)
    : (() => {
        for (let i = 0; i < output.length; i++) {
          const doc: unknown = output[i];
          if (doc === null || typeof doc !== "object" || typeof (doc as { pageContent?: unknown }).pageContent !== "string") {
            return `an array whose entry ${i} is not a Document`;
          }
        }
        return undefined;
      })();
  if (bad !== undefined) throw new RerankError(`${who} returned ${bad}, not an array of Documents.`);
}

/**
 * The signal a call runs under: the instance's `signal` and the call's (checked), either of which may be absent.
 * Throws at once when it has already aborted, before any work.
 */
export function callSignal(
  owner: string,
  instanceSignal: AbortSignal | undefined,
  options: CompressorCallOptions | undefined,
): AbortSignal | undefined {
  const signal = anySignal(instanceSignal, checkSignal(owner, options?.signal));
  signal?.throwIfAborted();
  return signal;
}
