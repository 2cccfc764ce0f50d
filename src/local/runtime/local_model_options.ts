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
import type { ChunkAggregation } from "../../scorers/chunking.js";

// The options every local (transformers.js) scorer shares: where the model comes from, on which device, with which
// weights and batches. The scorer base class (local_scoring.ts) checks them here and fills the defaults.

/** The options every local scorer takes (`HuggingFaceCrossEncoder`, `HuggingFaceCausalCrossEncoder`, `ColBERTCrossEncoder`). */
export interface LocalModelArgs {
  /**
   * ONNX weights to load.
   * @default "q8" on CPU/WASM (about 2× faster than fp32), "fp32" on GPUs
   */
  dtype?: RerankerDtype;
  /**
   * onnxruntime execution device (`webgpu` where the browser has it).
   * @default "cpu" in Node, "wasm" in browsers
   */
  device?: RerankerDevice;
  /**
   * Most pairs (or texts) per forward pass.
   * @default 16 on CPU, 1 on WASM (browsers), 64 on GPUs
   */
  batchSize?: number;
  /**
   * Most padded tokens (rows × longest row) per forward pass; no limit when only `batchSize` is given.
   * @default 512 on CPU/WASM, 65536 on GPUs
   */
  maxBatchTokens?: number;
  /**
   * Where downloaded models are cached.
   * @default transformers.js's env.cacheDir
   */
  cacheDir?: string;
  /**
   * Never download: load from the cache or a local folder only.
   * @default false
   */
  localFilesOnly?: boolean;
  /**
   * Hub revision (branch, tag or commit).
   * @default "main"
   */
  revision?: string;
  /**
   * Receives transformers.js's load progress events (download progress included).
   * @default none
   */
  progressCallback?: LoadProgressCallback;
  /**
   * onnxruntime session options, passed through transformers.js, e.g. `{ intraOpNumThreads: 1 }` for a process that
   * shares its cores with others. Instances with different options load separate sessions.
   * @default onnxruntime's defaults
   */
  sessionOptions?: Record<string, unknown>;
  /**
   * Browsers only: where onnxruntime-web fetches its WASM runtime, as a folder URL (`"/ort/"`) or per file
   * (`{ wasm: wasmUrl }`). onnxruntime-web initializes once per page, so the first load's setting holds.
   * @default beside onnxruntime-web's module, where bundlers such as Vite emit it (never transformers.js's CDN)
   */
  wasmPaths?: WasmPaths;
  /**
   * Load shedding: most pairs this instance holds at once (accepted by `score` and not yet scored). A call that
   * would go over it rejects at once with `OverloadedError`, before any work, and nothing else is affected; a
   * call larger than the bound still runs when nothing else is waiting. An aborted call gives its pairs back
   * at once. `Infinity` turns shedding off.
   * @default 10000 (minutes of work on a CPU: callers would have timed out long before the queue drains)
   */
  maxQueuedPairs?: number;
  /**
   * Long documents: a document that does not fit is split into token windows, at most this many per document
   * (Cohere's v1 name); every window is scored in the same length-sorted batches and the document gets
   * `chunkAggregation` of its windows' scores. Text past the last window is not read. `1` reads the document's
   * first tokens only (truncation).
   * @default 1
   */
  maxChunksPerDoc?: number;
  /**
   * Tokens shared by consecutive windows (whole words, never more than this nor half a window), so a passage cut
   * by one is whole in the next.
   * @default 32
   */
  chunkOverlap?: number;
  /**
   * How window scores become the document's score: `max` (the best window: a document is as relevant as its best
   * passage), or `mean` (rewards documents relevant throughout). The best window is reported either way.
   * @default "max"
   */
  chunkAggregation?: ChunkAggregation;
}

/** Checked options with their defaults: the load spec, and batching by device. */
export interface LocalModelSettings {
  spec: LoadSpec;
  batchLimits: BatchLimits;
}

/** Checks the shared options of a scorer named `owner` loading `model`, and fills the per-device defaults. */
export function localModelSettings(owner: string, model: string, options: LocalModelArgs): LocalModelSettings {
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
