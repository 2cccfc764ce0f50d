import { ModelNotFoundError, MissingOnnxFileError } from "../errors.js";
import { DTYPE_FILES, type LoadSpec, type RerankerDevice, type RerankerDtype, type Transformers } from "./huggingface_loader.js";

// Where a model loads from, in Node: a hub id or a local folder checked on disk. Browser builds swap this module
// for model_files.browser.ts (same exports), where folders are URLs and no Node built-in exists.

/** The device when none is given: onnxruntime-node's CPU here, onnxruntime-web's WASM in browsers. */
export const DEFAULT_DEVICE: RerankerDevice = "cpu";

/** What the loader passes to transformers.js, and the key under which loads of it are shared. */
export interface ModelLocation {
  /** The id or folder handed to transformers.js's `from_pretrained`. */
  id: string;
  /** A folder (on disk here; served by the app in browsers) rather than a hub id. */
  local: boolean;
  key: string;
  /** Forces transformers.js's `local_files_only` (browsers: a served folder never falls back to the hub). */
  localFilesOnly?: boolean;
}

// Node's fs and path are imported when a model loads, not with this module, so importing the package's root
// loads no Node built-in.
type NodeFs = typeof import("node:fs");
type NodePath = typeof import("node:path");
interface NodeFiles {
  fs: NodeFs;
  path: NodePath;
}

async function nodeFiles(): Promise<NodeFiles> {
  const [fs, path] = await Promise.all([import("node:fs"), import("node:path")]);
  return { fs, path };
}

/** A path (absolute, `./`, `../`, or an existing directory) rather than a hub id like `Xenova/bge-reranker-base`. */
function isLocalModelPath({ fs, path }: NodeFiles, model: string): boolean {
  return path.isAbsolute(model) || model.startsWith("./") || model.startsWith("../") || model === "." || isDirectory(fs, model);
}

function isDirectory(fs: NodeFs, folder: string): boolean {
  try {
    return fs.statSync(folder).isDirectory();
  } catch {
    return false;
  }
}

/** Resolves the model: a local folder becomes an absolute path, so the same folder is loaded once per process. */
export async function locateModel(spec: LoadSpec): Promise<ModelLocation> {
  const files = await nodeFiles();
  const local = isLocalModelPath(files, spec.model);
  const id = local ? files.path.resolve(spec.model) : spec.model;
  return { id, local, key: JSON.stringify([id, spec.dtype, spec.device, spec.revision ?? "main"]) };
}

/** Checks a local folder's files up front so a missing piece is named before transformers.js fails on it. */
export async function checkModelFolder(spec: LoadSpec, folder: string): Promise<void> {
  const { fs, path } = await nodeFiles();
  const { existsSync, readdirSync } = fs;
  const { join } = path;
  if (!isDirectory(fs, folder)) {
    throw new ModelNotFoundError(
      `Model folder not found: ${folder}. Pass a folder that holds config.json, tokenizer.json and onnx/${DTYPE_FILES[spec.dtype]}, ` +
        'or a Hugging Face hub id such as "Xenova/bge-reranker-base".',
    );
  }
  for (const file of ["config.json", "tokenizer.json"]) {
    if (!existsSync(join(folder, file))) {
      throw new ModelNotFoundError(`Model folder ${folder} has no ${file}: a transformers.js model folder needs config.json, tokenizer.json and onnx/*.onnx.`);
    }
  }
  const needed = DTYPE_FILES[spec.dtype];
  if (!existsSync(join(folder, "onnx", needed))) {
    const present = existsSync(join(folder, "onnx")) ? readdirSync(join(folder, "onnx")).filter((f) => f.endsWith(".onnx")) : [];
    const offers = (Object.entries(DTYPE_FILES) as [RerankerDtype, string][])
      .filter(([, file]) => present.includes(file))
      .map(([dtype, file]) => `onnx/${file} (dtype "${dtype}")`);
    throw new MissingOnnxFileError(
      `Model folder ${folder} has no onnx/${needed}, the file dtype "${spec.dtype}" loads. ` +
        (offers.length > 0 ? `It has ${offers.join(", ")}: pass that dtype, or add onnx/${needed}.` : `Add onnx/${needed} (an ONNX export of the model).`),
    );
  }
}

/** Node needs no set-up: onnxruntime-node ships its binaries (the browser variant points onnxruntime-web at its WASM files). */
export async function prepareRuntime(_transformers: Transformers, _spec: LoadSpec, _location: ModelLocation): Promise<void> {}

/** Failures only a browser has (WASM files not served); none in Node. */
export function explainRuntimeError(_spec: LoadSpec, _error: unknown): Error | undefined {
  return undefined;
}
