import { MissingOnnxFileError, ModelNotFoundError, RerankError } from "../../errors.js";
import { checkModelFiles, MODEL_JSON_FILES } from "./model_json.js";
import { resolveNodeDevice } from "./device_support.js";
import { primeSessions } from "./session_primer.js";
import {
  DTYPE_FILES,
  type LoadSpec,
  loadKey,
  type ModelLocation,
  type PreparedRuntime,
  type RerankerDevice,
  type RerankerDtype,
  type Transformers,
} from "./load_spec.js";

// Where a model loads from, in Node: a hub id or a local folder checked on disk. Browser builds swap this module
// for model_files.browser.ts (same exports), where folders are URLs and no Node built-in exists.

/** The device when none is given: onnxruntime-node's CPU here, onnxruntime-web's WASM in browsers. */
export const DEFAULT_DEVICE: RerankerDevice = "cpu";

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
/**
 * A folder, not a hub id: an absolute or ./-relative path, an existing folder, or a path no hub id can be (a hub
 * id is `name` or `owner/name`), so a missing `test/fixtures/models/x` is "folder not found", not a hub lookup.
 */
function isLocalModelPath({ fs, path }: NodeFiles, model: string): boolean {
  return (
    path.isAbsolute(model) ||
    model.startsWith("./") ||
    model.startsWith("../") ||
    model === "." ||
    model.split("/").length > 2 ||
    model.includes("\\") ||
    isDirectory(fs, model)
  );
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
  return { id, local, key: loadKey(id, spec) };
}

/** Checks a local folder's files up front so a missing piece is named before transformers.js fails on it. */
export async function checkModelFolder(spec: LoadSpec, folder: string): Promise<void> {
  const { fs, path } = await nodeFiles();
  const { existsSync, readdirSync } = fs;
  const { join } = path;
  if (!isDirectory(fs, folder)) {
    throw new ModelNotFoundError(
      `Model folder not found: ${folder}. Pass a folder that holds config.json, tokenizer.json, tokenizer_config.json and onnx/${DTYPE_FILES[spec.dtype]}, ` +
        'or a Hugging Face hub id such as "Xenova/bge-reranker-base".',
    );
  }
  for (const file of MODEL_JSON_FILES) {
    if (!existsSync(join(folder, file))) {
      throw new ModelNotFoundError(
        `Model folder ${folder} has no ${file}: a transformers.js model folder needs config.json, tokenizer.json, tokenizer_config.json and onnx/*.onnx (both majors read tokenizer_config.json; copy it from the model's source).`,
      );
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
        (offers.length > 0
          ? `It has ${offers.join(", ")}: pass that dtype, or add onnx/${needed}.`
          : `Add onnx/${needed} (an ONNX export of the model).`),
    );
  }
  checkModelFiles({ fs, path }, folder, needed, "folder");
}

/**
 * Node's set-up before a load (the browser variant points onnxruntime-web at its WASM files instead): a first
 * session that cannot fail, so one corrupt model cannot poison every later load (transformers.js 3 keeps the
 * first session's promise), and the files of a cached hub copy checked like a local folder's.
 *
 * Returns the device to load on, and the folder of a cached copy that holds the tokenizer, if there is one: transformers.js 4.3 looks the
 * tokenizer up without the load's `cache_dir` and `local_files_only` (`get_tokenizer_files` passes no options),
 * so a copy in a custom `cacheDir` is not found offline. Loading the tokenizer from that folder works on 3 and 4.
 */
export async function prepareRuntime(transformers: Transformers, spec: LoadSpec, location: ModelLocation): Promise<PreparedRuntime> {
  try {
    await primeSessions(transformers);
  } catch (error) {
    throw new RerankError(
      `onnxruntime cannot create even a one-node session in this process (${(error as Error)?.message ?? String(error)}): check the onnxruntime-node install.`,
      {
        cause: error,
      },
    );
  }
  const { device, reason } = await resolveNodeDevice(transformers, spec.device);
  const resolved = reason === undefined ? { device } : { device, deviceFallbackReason: reason };
  if (location.local) return resolved;
  const files = await nodeFiles();
  const folders = cachedFolders(files, transformers, spec, spec.cacheDir ?? transformers.env.cacheDir);
  for (const folder of folders) checkModelFiles(files, folder, DTYPE_FILES[spec.dtype], "cache");
  // Both files, as AutoTokenizer reads both: a copy missing one (an interrupted download) is left to transformers.js.
  const tokenizerFolder = folders.find((folder) => TOKENIZER_FILES.every((name) => files.fs.existsSync(files.path.join(folder, name))));
  return tokenizerFolder === undefined ? resolved : { ...resolved, tokenizerFolder };
}

const TOKENIZER_FILES = ["tokenizer.json", "tokenizer_config.json"];

/**
 * Where transformers.js looks for a hub model's files before downloading (its local model path, then its file
 * cache: `<cacheDir>/<id>/` for the main revision, `<cacheDir>/<id>/<revision>/` otherwise), so cached copies can be
 * checked like a local folder. A folder that does not exist is skipped; a layout change only loses the early check.
 */
function cachedFolders({ fs, path }: NodeFiles, transformers: Transformers, spec: LoadSpec, cacheDir: string | null | undefined): string[] {
  const folders: string[] = [];
  const { env } = transformers;
  if (env.allowLocalModels && typeof env.localModelPath === "string") folders.push(path.join(env.localModelPath, spec.model));
  if (typeof cacheDir === "string") {
    const revision = spec.revision ?? "main";
    folders.push(revision === "main" ? path.join(cacheDir, spec.model) : path.join(cacheDir, spec.model, revision));
  }
  return folders.filter((folder) => MODEL_JSON_FILES.some((name) => fs.existsSync(path.join(folder, name))));
}

/**
 * One file of a local model folder (a path relative to it, e.g. "1_Dense/config.json"), or undefined when the
 * folder has none: the files transformers.js does not read itself (a ColBERT checkpoint's projection and conventions).
 */
export async function readFolderFile(folder: string, file: string): Promise<Uint8Array | undefined> {
  const { fs, path } = await nodeFiles();
  try {
    return new Uint8Array(await fs.promises.readFile(path.join(folder, file)));
  } catch (error) {
    if ((error as { code?: string }).code === "ENOENT") return undefined;
    throw new ModelNotFoundError(`Cannot read model file ${path.join(folder, file)}: ${(error as Error).message}.`, { cause: error });
  }
}

/** Failures only a browser has (WASM files not served); none in Node. */
export function explainRuntimeError(_spec: LoadSpec, _error: unknown): Error | undefined {
  return undefined;
}
