import { CorruptModelFileError, ModelNotFoundError, MissingOnnxFileError, UnsupportedModelError, RerankError } from "../../errors.js";
import { DTYPE_FILES, type LoadSpec } from "./load_spec.js";
import { corruptOnnxError, type FileOrigin, onnxLoadFailure } from "./model_json.js";

// transformers.js's load failures, turned into errors that name the file, the cause and the fix. Every local
// scorer's loads go through here (model_loader.ts), whatever model class they load.

const OFFLINE_CODES = new Set(["ENOTFOUND", "EAI_AGAIN", "ECONNREFUSED", "ECONNRESET", "ETIMEDOUT", "UND_ERR_CONNECT_TIMEOUT", "ENETUNREACH"]);

function offlineReason(error: unknown): string | undefined {
  const err = error as { message?: string; cause?: { code?: string } };
  const code = err.cause?.code;
  if (code !== undefined && OFFLINE_CODES.has(code)) return `the Hugging Face hub is unreachable (${code})`;
  if (err.message === "fetch failed") return "the Hugging Face hub is unreachable";
  if (/local_files_only=true|allowRemoteModels=false/.test(err.message ?? "")) return "remote downloads are disabled (localFilesOnly)";
  return undefined;
}

// transformers.js (3 and 4) reports an HTTP failure of the hub or a mirror (env.remoteHost) as one of these texts
// followed by `: "<url>".`, or as "Error (<status>) occurred while trying to load file" for a status it does not list.
const HTTP_TEXTS: Record<string, number> = {
  "Bad request error occurred while trying to load file": 400,
  "Unauthorized access to file": 401,
  "Forbidden access to file": 403,
  "Request timeout error occurred while trying to load file": 408,
  "Internal server error error occurred while trying to load file": 500,
  "Bad gateway error occurred while trying to load file": 502,
  "Service unavailable error occurred while trying to load file": 503,
  "Gateway timeout error occurred while trying to load file": 504,
};

/** The status and URL of a hub answer transformers.js failed on (a 404 is "Could not locate file", handled apart). */
export function hubHttpFailure(message: string): { status: number; url: string } | undefined {
  const match = /^(.*?): "([^"]+)"\.?$/.exec(message.trim());
  if (!match) return undefined;
  const status = HTTP_TEXTS[match[1]!] ?? Number(/^Error \((\d{3})\) occurred while trying to load file$/.exec(match[1]!)?.[1] ?? Number.NaN);
  return Number.isNaN(status) ? undefined : { status, url: match[2]! };
}

/** Where the answer came from and for which file, without anything but origin and path (no credentials, no query). */
function describeUrl(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.origin}${parsed.pathname}`;
  } catch {
    return "the hub";
  }
}

function hubHttpError(spec: LoadSpec, cacheDir: string, failure: { status: number; url: string }, error: unknown): ModelNotFoundError {
  const { status } = failure;
  const what =
    status >= 500 || status === 408
      ? "the server failed or is overloaded (a hub outage, or a mirror or proxy in front of it): retry later, or"
      : status === 429
        ? "the server is rate-limiting this machine: retry later with fewer parallel loads, or"
        : status === 401 || status === 403
          ? "the model is private or gated, or the mirror needs credentials it did not get: check the id and access, or"
          : "the server refused the request: check the id, revision and env.remoteHost, or";
  return new ModelNotFoundError(
    `Cannot load "${spec.model}": the model server answered HTTP ${status} for ${describeUrl(failure.url)}, and it is not in the cache at ${cacheDir}. ` +
      `${what} point cacheDir at a cache that holds it, or pass a local folder: model: "/path/to/folder" with ${folderFiles(spec)}.`,
    { cause: error },
  );
}

/** The files a local model folder needs, as the errors name them. */
function folderFiles(spec: LoadSpec): string {
  return `config.json, tokenizer.json, tokenizer_config.json and onnx/${DTYPE_FILES[spec.dtype]}`;
}

/** Which step of a load failed: it tells which file a bare SyntaxError came from. */
export type LoadStage = "config" | "tokenizer" | "model";

/** Turns transformers.js's load failures into errors that say what to do. */
export function explainLoadError(spec: LoadSpec, cacheDir: string, error: unknown, stage: LoadStage, origin: FileOrigin): Error {
  if (error instanceof RerankError) return error;
  const message = (error as Error)?.message ?? String(error);
  const onnx = onnxLoadFailure(message);
  if (onnx !== undefined) return corruptOnnxError(onnx.file, onnx.reason, origin, error);
  if (error instanceof SyntaxError) {
    // Checked up front where the files could be found; this is a copy transformers.js found elsewhere. The model
    // step parses one JSON file, a causal LM's generation_config.json (a hub may serve an HTML page for it).
    const file = { config: "config.json", tokenizer: "tokenizer.json", model: "generation_config.json" }[stage];
    const files = stage === "tokenizer" ? "tokenizer.json or tokenizer_config.json" : file;
    const where = origin === "cache" ? `in the cache at ${cacheDir}` : "in the model folder";
    return new CorruptModelFileError(
      file,
      // The parse message is left out: for an empty file it quotes whatever memory transformers.js parsed.
      `"${spec.model}"'s ${files} (${where}) is not valid JSON: it is corrupt, empty or was cut short. ` +
        (origin === "cache"
          ? `Delete the model's folder under ${cacheDir} so the next load downloads it again.`
          : "Restore it from the model's source."),
      { cause: error },
    );
  }
  const offline = offlineReason(error);
  if (offline !== undefined) {
    return new ModelNotFoundError(
      `Cannot load "${spec.model}": ${offline} and it is not in the cache at ${cacheDir}. ` +
        "Run once where the hub is reachable (files are cached there), point cacheDir at a cache that holds it, " +
        `or pass a local folder: model: "/path/to/folder" with ${folderFiles(spec)}.`,
      { cause: error },
    );
  }
  const http = hubHttpFailure(message);
  if (http !== undefined) return hubHttpError(spec, cacheDir, http, error);
  const missing = /Could not locate file: "([^"]+)"/.exec(message);
  if (missing) {
    const file = missing[1]!;
    if (file.endsWith(".onnx")) {
      return new MissingOnnxFileError(
        `"${spec.model}" has no onnx/${DTYPE_FILES[spec.dtype]} for dtype "${spec.dtype}" on the hub (${file}). Try another dtype.`,
        {
          cause: error,
        },
      );
    }
    return new ModelNotFoundError(`"${spec.model}" was not found on the Hugging Face hub (${file}): check the id and revision.`, { cause: error });
  }
  if (/Unsupported model type/.test(message)) {
    return new UnsupportedModelError(
      `transformers.js has no sequence-classification class for "${spec.model}" (${message}). Supported rerankers include bert, roberta, xlm-roberta (BGE), deberta-v2, electra and modernbert models.`,
      { cause: error },
    );
  }
  if (stage === "model" && /protobuf parsing failed|failed to load model/i.test(message)) {
    // onnxruntime loaded the model from a buffer, so its message names no file: name the one the dtype loads.
    return corruptOnnxError(`onnx/${DTYPE_FILES[spec.dtype]} of "${spec.model}"`, message, origin, error);
  }
  if (stage === "tokenizer" && error instanceof Error) {
    // Valid JSON of the wrong shape (`{}`, a file from another tool): transformers.js trips over a missing field
    // (3: a TypeError; 4: "Tokenizer must contain a \"model\" property"). Unreachable and missing files are handled above.
    const where = origin === "cache" ? `in the cache at ${cacheDir}` : "in the model folder";
    return new CorruptModelFileError(
      "tokenizer.json",
      `"${spec.model}"'s tokenizer.json or tokenizer_config.json (${where}) is not a tokenizer transformers.js can read (${message}): ` +
        "it is damaged or not a Hugging Face tokenizers file. " +
        (origin === "cache"
          ? `Delete the model's folder under ${cacheDir} so the next load downloads it again.`
          : "Restore it from the model's source."),
      { cause: error },
    );
  }
  return error instanceof Error ? error : new Error(message);
}
