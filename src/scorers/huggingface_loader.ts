import type { PreTrainedModel, PreTrainedTokenizer, Tensor } from "@huggingface/transformers";
import {
  CorruptModelFileError,
  MissingDependencyError,
  MissingOnnxFileError,
  ModelNotFoundError,
  NotASequenceClassifierError,
  RerankError,
} from "../errors.js";
import { abortable } from "../cancellation.js";
import { checkModelFolder, explainRuntimeError, locateModel, prepareRuntime } from "./model_files.js";
import { corruptOnnxError, type FileOrigin, onnxLoadFailure } from "./model_json.js";
import { type PairTemplate, type PairTokenizer, pairTemplate } from "./pair_encoder.js";

/** ONNX weight variants transformers.js knows, and the file each one loads from the model's `onnx/` folder. */
export const DTYPE_FILES = {
  fp32: "model.onnx",
  fp16: "model_fp16.onnx",
  q8: "model_quantized.onnx",
  int8: "model_int8.onnx",
  uint8: "model_uint8.onnx",
  q4: "model_q4.onnx",
  q4f16: "model_q4f16.onnx",
  bnb4: "model_bnb4.onnx",
} as const;
export type RerankerDtype = keyof typeof DTYPE_FILES;
export const RERANKER_DEVICES = ["cpu", "cuda", "dml", "webgpu", "wasm", "auto"] as const;
export type RerankerDevice = (typeof RERANKER_DEVICES)[number];

/** transformers.js's load progress events (`initiate`, `download`, `progress`, `done`, `ready`). */
export type LoadProgressCallback = (progress: { status: string; name?: string; file?: string; progress?: number }) => void;

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

/** A URL prefix of the folder holding onnxruntime-web's `.wasm`/`.mjs` files, or each file's URL. */
export type WasmPaths = string | { wasm?: string; mjs?: string };

interface RerankerConfig {
  model_type?: string;
  architectures?: string[];
  id2label?: Record<string, string>;
  max_position_embeddings?: number;
  type_vocab_size?: number;
}

/** A loaded reranker, shared by every instance that asked for the same (model, dtype, device, revision). */
export interface LoadedReranker {
  tokenizer: PairTokenizer;
  template: PairTemplate;
  config: RerankerConfig;
  /** Inputs the ONNX graph takes (XLM-R rerankers take no token_type_ids). */
  inputNames: readonly string[];
  /** Longest pair the model accepts: min(512, tokenizer limit, position embeddings). */
  maxLength: number;
  /**
   * Runs one forward pass; passes are queued so concurrent callers take turns instead of oversubscribing cores.
   * An aborted caller stops waiting at once, and its pass is skipped when its turn comes.
   */
  forward(feeds: Record<string, Tensor>, signal?: AbortSignal): Promise<Tensor>;
  TensorClass: typeof Tensor;
  dispose(): Promise<void>;
}

export type Transformers = typeof import("@huggingface/transformers");

export async function importTransformers(): Promise<Transformers> {
  try {
    return await import("@huggingface/transformers");
  } catch (error) {
    const code = (error as { code?: unknown } | null)?.code;
    if (code === "ERR_MODULE_NOT_FOUND" || code === "MODULE_NOT_FOUND") {
      throw new MissingDependencyError(
        "HuggingFaceCrossEncoder needs the optional peer dependency @huggingface/transformers: npm install @huggingface/transformers",
        { cause: error },
      );
    }
    // Installed but broken (e.g. onnxruntime's native library failed to load): say so, not "not installed".
    throw new RerankError(`@huggingface/transformers is installed but failed to load: ${(error as Error)?.message ?? String(error)}`, {
      cause: error,
    });
  }
}

/** Key under which loads are shared: the same model, weights, device and revision is loaded once per process. */
export async function modelKey(spec: LoadSpec): Promise<string> {
  return (await locateModel(spec)).key;
}

function checkClassifierConfig(model: string, config: RerankerConfig): void {
  const architectures = config.architectures ?? [];
  if (architectures.length > 0 && !architectures.some((a) => a.endsWith("ForSequenceClassification"))) {
    throw new NotASequenceClassifierError(
      `"${model}" is a ${architectures.join("/")} (config.json "architectures"), not a sequence-classification reranker: ` +
        "it has no relevance head. Use a cross-encoder such as Xenova/bge-reranker-base or Xenova/ms-marco-MiniLM-L-6-v2 " +
        "(an embedding model belongs in the first stage).",
    );
  }
}

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

function modelLimit(tokenizer: { model_max_length?: number }, config: RerankerConfig): number {
  const limits = [512];
  const fromTokenizer = tokenizer.model_max_length;
  if (typeof fromTokenizer === "number" && Number.isFinite(fromTokenizer) && fromTokenizer > 0 && fromTokenizer < 1e6) limits.push(fromTokenizer);
  if (typeof config.max_position_embeddings === "number") {
    // RoBERTa-family position ids start after the padding index, so 514 positions hold 512 tokens.
    const offset = ["roberta", "xlm-roberta", "camembert"].includes(config.model_type ?? "") ? 2 : 0;
    limits.push(config.max_position_embeddings - offset);
  }
  return Math.min(...limits);
}

/** Loads tokenizer and model (never the text-classification pipeline: it has no text_pair and softmaxes one logit to 1.0). */
export async function loadReranker(spec: LoadSpec): Promise<LoadedReranker> {
  const transformers = await importTransformers();
  const location = await locateModel(spec);
  const { id } = location;
  const cacheDir = spec.cacheDir ?? transformers.env.cacheDir;
  const origin: FileOrigin = location.local ? "folder" : "cache";
  // Node: makes a failed first session harmless (transformers.js 3) and checks cached copies' files; browsers: WASM paths.
  const cachedTokenizerFolder = await prepareRuntime(transformers, spec, location);
  if (location.local) await checkModelFolder(spec, id);
  const options = {
    ...(spec.cacheDir !== undefined ? { cache_dir: spec.cacheDir } : {}),
    ...(spec.revision !== undefined ? { revision: spec.revision } : {}),
    local_files_only: spec.localFilesOnly ?? location.localFilesOnly ?? false,
    ...(spec.progressCallback !== undefined ? { progress_callback: spec.progressCallback as never } : {}),
  };
  let tokenizer: PreTrainedTokenizer;
  let model: PreTrainedModel;
  let config: RerankerConfig;
  let stage: LoadStage = "config";
  try {
    const autoConfig = await transformers.AutoConfig.from_pretrained(id, options);
    config = autoConfig as unknown as RerankerConfig;
    checkClassifierConfig(spec.model, config);
    // Both load at once; settled (not Promise.all) so a failed tokenizer does not leave a loaded model undisposed
    // and the error says which of the two failed.
    const [tokenizerLoad, modelLoad] = await Promise.allSettled([
      transformers.AutoTokenizer.from_pretrained(cachedTokenizerFolder ?? id, options),
      transformers.AutoModelForSequenceClassification.from_pretrained(id, {
        ...options,
        config: autoConfig,
        dtype: spec.dtype,
        device: spec.device,
        ...(spec.sessionOptions !== undefined ? { session_options: spec.sessionOptions as never } : {}),
      }),
    ]);
    if (tokenizerLoad.status === "rejected") {
      if (modelLoad.status === "fulfilled") await modelLoad.value.dispose();
      stage = "tokenizer";
      throw tokenizerLoad.reason;
    }
    stage = "model";
    if (modelLoad.status === "rejected") throw modelLoad.reason;
    tokenizer = tokenizerLoad.value;
    model = modelLoad.value;
  } catch (error) {
    throw explainRuntimeError(spec, error) ?? explainLoadError(spec, cacheDir, error, stage, origin);
  }
  const session = (model as unknown as { sessions: Record<string, { inputNames: string[]; outputNames: string[] }> }).sessions["model"];
  if (session === undefined || !session.outputNames.includes("logits")) {
    await model.dispose();
    throw new NotASequenceClassifierError(
      `"${spec.model}" outputs ${session?.outputNames.join(", ") ?? "nothing"}, not logits: it is not a sequence-classification reranker.`,
    );
  }
  const pairTokenizer = tokenizer as unknown as PairTokenizer;
  let queue: Promise<unknown> = Promise.resolve();
  return {
    tokenizer: pairTokenizer,
    template: pairTemplate(pairTokenizer, { typeVocabSize: config.type_vocab_size }),
    config,
    inputNames: session.inputNames,
    maxLength: modelLimit(tokenizer as unknown as { model_max_length?: number }, config),
    TensorClass: transformers.Tensor,
    forward(feeds, signal) {
      const run = queue.then(async () => {
        signal?.throwIfAborted();
        return ((await model(feeds)) as { logits: Tensor }).logits;
      });
      queue = run.catch(() => undefined);
      return abortable(run, signal);
    },
    dispose: async () => {
      // A pass still running (an aborted call's, which its caller no longer waits for) finishes first: freeing the
      // session under it fails the pass and makes transformers.js print its inputs to the console.
      await queue;
      await model.dispose();
    },
  };
}
