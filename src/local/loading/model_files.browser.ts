import { DeviceUnavailableError, MissingDependencyError, MissingOnnxFileError, ModelNotFoundError } from "../../errors.js";
import {
  DTYPE_FILES,
  type LoadSpec,
  loadKey,
  type ModelLocation,
  type PreparedRuntime,
  type RerankerDevice,
  type Transformers,
} from "./load_spec.js";
import { MODEL_JSON_FILES } from "./model_json.js";
import { guardPass, pageLostError, webGpuError, webGpuUnavailable } from "./webgpu.js";

// Browser variant of model_files.ts (the browser build swaps it in; same exports, no Node built-in). A model folder
// is a URL the app serves (`/models/x/`, `./models/x`, or a full same-origin URL); anything else is a hub id.

/** onnxruntime-web runs on WASM (or WebGPU when asked for); its CPU device is onnxruntime-node's. */
export const DEFAULT_DEVICE: RerankerDevice = "wasm";
const NODE_ONLY_DEVICES: readonly RerankerDevice[] = ["cpu", "cuda", "dml"];

/** transformers.js points onnxruntime-web at a CDN unless told otherwise; this package never fetches from one by default. */
const TRANSFORMERS_CDN = "https://cdn.jsdelivr.net/npm/@huggingface/transformers@";

function isServedFolder(model: string): boolean {
  return /^(\/|\.\/|\.\.\/|https?:\/\/)/.test(model) || model === ".";
}

function pageUrl(): string {
  const g = globalThis as { document?: { baseURI?: string }; location?: { href?: string } };
  const base = g.document?.baseURI ?? g.location?.href;
  if (base === undefined) throw new ModelNotFoundError("A model folder URL needs a page or worker location to resolve against; pass a full URL.");
  return base;
}

function folderUrl(model: string): URL {
  return new URL(model.endsWith("/") ? model : `${model}/`, pageUrl());
}

/** A served folder loads by its path on this origin (transformers.js fetches local models relative to the page). */
export async function locateModel(spec: LoadSpec): Promise<ModelLocation> {
  if (!isServedFolder(spec.model)) {
    return { id: spec.model, local: false, key: loadKey(spec.model, spec) };
  }
  const url = folderUrl(spec.model);
  const origin = new URL(pageUrl()).origin;
  if (url.origin !== origin) {
    throw new ModelNotFoundError(
      `Model folder ${url.href} is on another origin than the page (${origin}): transformers.js loads model folders from the page's ` +
        'origin only. Serve the folder beside the app (e.g. Vite\'s public/models/) and pass its path, such as "/models/my-reranker/".',
    );
  }
  const id = url.pathname.replace(/\/+$/, "");
  return { id, local: true, localFilesOnly: true, key: loadKey(url.href, spec) };
}

/** Whether the server serves `url`: a 404, or an HTML page where a model file should be (an SPA fallback), is "no". */
async function served(folder: string, file: string): Promise<boolean> {
  const url = `${folder}${file}`;
  let response: Response;
  try {
    response = await fetch(url, { method: "HEAD" });
  } catch (error) {
    throw new ModelNotFoundError(
      `Cannot reach the model folder ${folder}: fetching ${url} failed (${(error as Error).message}). Check the URL and that the server is up.`,
      {
        cause: error,
      },
    );
  }
  if (response.status === 404 || response.status === 410) return false;
  if (response.ok && (response.headers.get("content-type") ?? "").includes("text/html")) return false;
  return true; // other statuses (405 for HEAD, auth) are left to the real request, which reports them
}

/** One file of a served model folder (see model_files.ts), or undefined when the server has none (404, an SPA's HTML page). */
export async function readFolderFile(id: string, file: string): Promise<Uint8Array | undefined> {
  const url = new URL(file, new URL(`${id}/`, pageUrl())).href;
  let response: Response;
  try {
    response = await fetch(url);
  } catch (error) {
    throw new ModelNotFoundError(`Cannot fetch the model file ${url} (${(error as Error).message}). Check the URL and that the server is up.`, {
      cause: error,
    });
  }
  if (response.status === 404 || response.status === 410) return undefined;
  if (response.ok && (response.headers.get("content-type") ?? "").includes("text/html")) return undefined;
  if (!response.ok) throw new ModelNotFoundError(`The model file ${url} answered HTTP ${response.status}.`);
  return new Uint8Array(await response.arrayBuffer());
}

/** Checks the served folder's files up front (HEAD requests), so a 404 names the URL and the fix. */
export async function checkModelFolder(spec: LoadSpec, id: string): Promise<void> {
  const folder = new URL(`${id}/`, pageUrl()).href;
  const needed = DTYPE_FILES[spec.dtype];
  for (const file of MODEL_JSON_FILES) {
    if (!(await served(folder, file))) {
      throw new ModelNotFoundError(
        `Model folder ${folder} is not served: ${folder}${file} returned 404 (or the app's HTML page). Serve the folder with the app ` +
          `(config.json, tokenizer.json, tokenizer_config.json and onnx/${needed}; with Vite, put it under public/), or pass the URL it is served at.`,
      );
    }
  }
  if (!(await served(folder, `onnx/${needed}`))) {
    throw new MissingOnnxFileError(
      `Model folder ${folder} serves no onnx/${needed} (404), the file dtype "${spec.dtype}" loads. Serve that file, or pass the dtype of ` +
        `an ONNX file the folder has (${Object.entries(DTYPE_FILES)
          .map(([dtype, file]) => `${dtype}: onnx/${file}`)
          .join(", ")}).`,
    );
  }
}

interface WasmEnv {
  wasmPaths?: unknown;
}

function wasmEnv(transformers: Transformers): WasmEnv | undefined {
  return (transformers.env.backends.onnx as { wasm?: WasmEnv } | undefined)?.wasm;
}

/**
 * Points onnxruntime-web at its WASM files before the first session: `wasmPaths` when given; otherwise transformers.js's
 * CDN default is dropped, so onnxruntime-web loads the files next to its own module, where bundlers (Vite) emit them.
 * A served folder needs transformers.js's local-model loading, which is off in browsers by default.
 */
export async function prepareRuntime(transformers: Transformers, spec: LoadSpec, location: ModelLocation): Promise<PreparedRuntime> {
  transformersSeen = transformers;
  if (NODE_ONLY_DEVICES.includes(spec.device)) {
    throw new DeviceUnavailableError(
      `device "${spec.device}" is onnxruntime-node's and does not exist in browsers: use device "wasm" (the default there) or "webgpu".`,
    );
  }
  const lost = pageLostError();
  if (lost !== undefined) throw lost;
  const device = await browserDevice(spec);
  const wasm = wasmEnv(transformers);
  if (wasm !== undefined) {
    if (spec.wasmPaths !== undefined) wasm.wasmPaths = spec.wasmPaths;
    else if (typeof wasm.wasmPaths === "string" && wasm.wasmPaths.startsWith(TRANSFORMERS_CDN)) wasm.wasmPaths = undefined;
  }
  if (location.local) transformers.env.allowLocalModels = true;
  // The browser's cache is the Cache API, not a folder: nothing to point the tokenizer at.
  return {
    device: device.device,
    ...(device.reason !== undefined ? { deviceFallbackReason: device.reason } : {}),
    guardPass: <T>(pass: Promise<T>) => guardPass(transformers, device.device === "webgpu", pass),
  };
}

/** "webgpu" once checked (else the error naming why not); "auto": WebGPU where it can run the dtype, else WASM and why. */
async function browserDevice(spec: LoadSpec): Promise<{ device: RerankerDevice; reason?: string }> {
  if (spec.device !== "webgpu" && spec.device !== "auto") return { device: spec.device };
  const reason = await webGpuUnavailable(spec.dtype);
  if (reason === undefined) return { device: "webgpu" };
  if (spec.device === "webgpu") throw webGpuError(reason, spec.dtype);
  return { device: "wasm", reason };
}

let transformersSeen: Transformers | undefined;

function wasmLocation(transformers: Transformers | undefined, spec: LoadSpec): string {
  const paths = spec.wasmPaths ?? (transformers ? wasmEnv(transformers)?.wasmPaths : undefined);
  if (paths === undefined) return "beside onnxruntime-web's module (where the bundler emitted it)";
  return typeof paths === "string" ? paths : JSON.stringify(paths);
}

/** onnxruntime-web's failures to fetch or compile its WASM runtime, named with where it looked and the fix. */
export function explainRuntimeError(spec: LoadSpec, error: unknown): Error | undefined {
  const message = (error as Error)?.message ?? String(error);
  if (!/no available backend found|\.wasm|wasm streaming|fetching of the wasm|dynamically imported module|WebAssembly/i.test(message))
    return undefined;
  return new MissingDependencyError(
    `onnxruntime-web could not load its WASM runtime from ${wasmLocation(transformersSeen, spec)} (${message}). Serve ` +
      "ort-wasm-simd-threaded.jsep.wasm and ort-wasm-simd-threaded.jsep.mjs (from @huggingface/transformers/dist or onnxruntime-web/dist) " +
      'with the app and pass their folder as wasmPaths, e.g. wasmPaths: "/ort/".',
    { cause: error },
  );
}
