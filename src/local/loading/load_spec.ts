import type { DataType, DeviceType } from "@huggingface/transformers";

// What a local model load is made of: weights (dtype), device and the load spec, and the key loads are shared
// under. A leaf module: the loader and both model_files variants (Node and browser) import it, and it imports no
// code, only transformers.js's own type names (checked with `satisfies`, never in an exported type).

/** The local reranker loaded when none is named (Python LangChain's default too). */
export const DEFAULT_RERANKER_MODEL = "Xenova/bge-reranker-base";

/**
 * transformers.js's dtypes less "auto" (a reranker's weights are chosen, never guessed) and transformers.js 4's
 * 1- and 2-bit ones (no reranker ships them), so the type is the same under both majors. Listed rather than derived
 * from transformers.js's `DataType` (DTYPE_FILES's `satisfies` checks them against it), so the published types never
 * import transformers.js: an ES module a CommonJS project's types cannot `require`.
 */
export type RerankerDtype = "fp32" | "fp16" | "q8" | "int8" | "uint8" | "q4" | "q4f16" | "bnb4";

/**
 * The file each dtype loads from the model's `onnx/` folder: transformers.js's `model${DEFAULT_DTYPE_SUFFIX_MAPPING[dtype]}.onnx`.
 * transformers.js does not export that table from its root, so this names the files for error messages and folder
 * checks; test/local/loading/load_spec.test.ts checks it against transformers.js's own table under both majors.
 */
export const DTYPE_FILES: Readonly<Record<RerankerDtype, string>> = Object.freeze({
  fp32: "model.onnx",
  fp16: "model_fp16.onnx",
  q8: "model_quantized.onnx",
  int8: "model_int8.onnx",
  uint8: "model_uint8.onnx",
  q4: "model_q4.onnx",
  q4f16: "model_q4f16.onnx",
  bnb4: "model_bnb4.onnx",
} satisfies Partial<Record<DataType, string>>);

/** The devices a reranker may ask for: transformers.js's own names (`satisfies` keeps them so), less WebNN and "gpu". */
export const RERANKER_DEVICES = ["cpu", "cuda", "dml", "webgpu", "wasm", "auto"] as const satisfies readonly DeviceType[];
export type RerankerDevice = (typeof RERANKER_DEVICES)[number];

/** Devices that get GPU defaults (fp32 weights, large batches). */
export const GPU_DEVICES: readonly RerankerDevice[] = ["cuda", "dml", "webgpu"];

/** transformers.js's load progress events (`initiate`, `download`, `progress`, `done`, `ready`). */
export type LoadProgressCallback = (progress: { status: string; name?: string; file?: string; progress?: number }) => void;

/** A URL prefix of the folder holding onnxruntime-web's `.wasm`/`.mjs` files, or each file's URL. */
export type WasmPaths = string | { wasm?: string; mjs?: string };

export interface LoadSpec {
  model: string;
  dtype: RerankerDtype;
  device: RerankerDevice;
  revision?: string;
  cacheDir?: string;
  localFilesOnly?: boolean;
  progressCallback?: LoadProgressCallback;
  /** onnxruntime session options passed through transformers.js (`session_options`). */
  sessionOptions?: Record<string, unknown>;
  /** Browsers: where onnxruntime-web fetches its WASM files (ignored by onnxruntime-node). */
  wasmPaths?: WasmPaths;
}

export type Transformers = typeof import("@huggingface/transformers");

/** What the loader passes to transformers.js, and the key under which loads of it are shared. */
export interface ModelLocation {
  /** The id or folder handed to transformers.js's `from_pretrained`. */
  id: string;
  /** A folder (on disk in Node; served by the app in browsers) rather than a hub id. */
  local: boolean;
  key: string;
  /** Forces transformers.js's `local_files_only` (browsers: a served folder never falls back to the hub). */
  localFilesOnly?: boolean;
}

/** What a load needs from the runtime's set-up. */
export interface PreparedRuntime {
  /** The device to load on: the one asked for, or for "auto" the best one that works here. */
  device: RerankerDevice;
  /** For "auto" on a CPU device (Node's "cpu", the browser's "wasm"): why no GPU device was used. */
  deviceFallbackReason?: string;
  /**
   * Wraps each forward pass where the device can vanish under it (WebGPU in browsers): the pass rejects with a
   * `DeviceUnavailableError` when the device is lost, instead of waiting forever.
   */
  guardPass?<T>(pass: Promise<T>): Promise<T>;
  /** A cached copy's folder to load the tokenizer from (model_files.ts `prepareRuntime`). */
  tokenizerFolder?: string;
}

/**
 * The registry key of a load: the same model (`where`: a hub id, an absolute folder or a folder URL), weights,
 * device, revision and session options is loaded once per process; sessions with other options are others.
 */
export function loadKey(where: string, spec: LoadSpec): string {
  return JSON.stringify([
    where,
    spec.dtype,
    spec.device,
    spec.revision ?? "main",
    ...(spec.sessionOptions !== undefined ? [spec.sessionOptions] : []),
  ]);
}
