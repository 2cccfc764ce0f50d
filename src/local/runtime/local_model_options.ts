import { InvalidOptionError } from "../../errors.js";
import { checkBoolean, checkFunction, checkOneOf, checkPositiveInteger, checkString } from "../../options.js";
import { type BatchLimits, CPU_BATCH_LIMITS, GPU_BATCH_LIMITS, WASM_BATCH_LIMITS } from "./batch_planner.js";
import {
  DTYPE_FILES,
  GPU_DEVICES,
  type LoadProgressCallback,
  type LoadSpec,
  RERANKER_DEVICES,
  type RerankerDevice,
  type RerankerDtype,
  type WasmPaths,
} from "../loading/load_spec.js";
import { DEFAULT_DEVICE } from "../loading/model_files.js";

// The options every local (transformers.js) scorer shares: where the model comes from, on which device, with which
// weights and batches. Each scorer's `…Args` lists them with its own docs; this checks them and fills the defaults.

/** The shared load options, as a scorer's `…Args` spell them. */
export interface LocalModelOptions {
  dtype?: RerankerDtype;
  device?: RerankerDevice;
  batchSize?: number;
  maxBatchTokens?: number;
  cacheDir?: string;
  localFilesOnly?: boolean;
  revision?: string;
  progressCallback?: LoadProgressCallback;
  sessionOptions?: Record<string, unknown>;
  wasmPaths?: WasmPaths;
}

/** Checked options with their defaults: the load spec, and batching by device. */
export interface LocalModelSettings {
  spec: LoadSpec;
  batchLimits: BatchLimits;
}

/** Checks the shared options of a scorer named `owner` loading `model`, and fills the per-device defaults. */
export function localModelSettings(owner: string, model: string, options: LocalModelOptions): LocalModelSettings {
  const device = checkOneOf(owner, "device", options.device, RERANKER_DEVICES) ?? DEFAULT_DEVICE;
  const gpu = GPU_DEVICES.includes(device);
  const dtype = checkOneOf(owner, "dtype", options.dtype, Object.keys(DTYPE_FILES) as RerankerDtype[]) ?? (gpu ? "fp32" : "q8");
  const defaults = gpu ? GPU_BATCH_LIMITS : device === "wasm" ? WASM_BATCH_LIMITS : CPU_BATCH_LIMITS;
  const batchSize = checkPositiveInteger(owner, "batchSize", options.batchSize);
  const maxBatchTokens = checkPositiveInteger(owner, "maxBatchTokens", options.maxBatchTokens);
  const batchLimits = {
    batchSize: batchSize ?? defaults.batchSize,
    // A pair count chosen alone means fixed-size (sorted) batches, not the default token budget.
    maxBatchTokens: maxBatchTokens ?? (batchSize !== undefined ? Number.POSITIVE_INFINITY : defaults.maxBatchTokens),
  };
  const spec: LoadSpec = {
    model,
    dtype,
    device,
    revision: checkString(owner, "revision", options.revision),
    cacheDir: checkString(owner, "cacheDir", options.cacheDir),
    localFilesOnly: checkBoolean(owner, "localFilesOnly", options.localFilesOnly),
    progressCallback: checkFunction<LoadProgressCallback>(owner, "progressCallback", options.progressCallback),
    ...(options.sessionOptions !== undefined ? { sessionOptions: checkSessionOptions(owner, options.sessionOptions) } : {}),
    wasmPaths: checkWasmPaths(owner, options.wasmPaths),
  };
  return { spec, batchLimits };
}

function checkSessionOptions(owner: string, value: unknown): Record<string, unknown> {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new InvalidOptionError(
      `${owner}: sessionOptions must be an object of onnxruntime session options such as { intraOpNumThreads: 1 }, got ${Array.isArray(value) ? "an array" : String(value)}.`,
    );
  }
  return value as Record<string, unknown>;
}

function checkWasmPaths(owner: string, value: unknown): WasmPaths | undefined {
  if (value === undefined || (typeof value === "string" && value.length > 0)) return value;
  const files = value as Record<string, unknown>;
  const isFiles =
    typeof value === "object" &&
    value !== null &&
    !Array.isArray(value) &&
    Object.entries(files).every(([k, v]) => (k === "wasm" || k === "mjs") && typeof v === "string" && v.length > 0);
  if (!isFiles) {
    throw new InvalidOptionError(
      `${owner}: \`wasmPaths\` must be a folder URL such as "/ort/" or { wasm?: string, mjs?: string }, got ${JSON.stringify(value) ?? typeof value}.`,
    );
  }
  return value as WasmPaths;
}
