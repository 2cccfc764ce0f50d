import { CorruptModelFileError, ModelNotFoundError, MissingOnnxFileError, NotASequenceClassifierError, RerankError } from "../errors.js";
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

/** Which step of a load failed: it tells which file a bare SyntaxError came from. */
export type LoadStage = "config" | "tokenizer" | "model";

/** Turns transformers.js's load failures into errors that say what to do. */
export function explainLoadError(spec: LoadSpec, cacheDir: string, error: unknown, stage: LoadStage, origin: FileOrigin): Error {
  if (error instanceof RerankError) return error;
  const message = (error as Error)?.message ?? String(error);
  const onnx = onnxLoadFailure(message);
  if (onnx !== undefined) return corruptOnnxError(onnx.file, onnx.reason, origin, error);
  if (error instanceof SyntaxError && stage !== "model") {
    // Checked up front where the files could be found; this is a copy transformers.js found elsewhere.
    const files = stage === "config" ? "config.json" : "tokenizer.json or tokenizer_config.json";
    const where = origin === "cache" ? `in the cache at ${cacheDir}` : "in the model folder";
    return new CorruptModelFileError(
      stage === "config" ? "config.json" : "tokenizer.json",
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
        `or pass a local folder: model: "/path/to/folder" with config.json, tokenizer.json and onnx/${DTYPE_FILES[spec.dtype]}.`,
      { cause: error },
    );
  }
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
    return new NotASequenceClassifierError(
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
