import type { PreTrainedModel, PreTrainedTokenizer } from "@huggingface/transformers";
import { abortable } from "../../cancellation.js";
import { explainLoadError, type LoadStage } from "./load_errors.js";
import type { LoadSpec, RerankerDevice, Transformers } from "./load_spec.js";
import { checkModelFolder, explainRuntimeError, locateModel, prepareRuntime } from "./model_files.js";
import type { FileOrigin } from "./model_json.js";
import { importTransformers } from "./transformers_import.js";

// Loads a tokenizer, config and ONNX model of any transformers.js model class, with the checks and error
// translation every local scorer shares. A family says what it loads with a `ModelKind`: `SEQUENCE_CLASSIFIER`
// (huggingface_loader.ts), `CAUSAL_LM` (causal_loader.ts: AutoModelForCausalLM, "logits"), `COLBERT_ENCODER`
// (colbert_loader.ts: AutoModel, "last_hidden_state").

/** The config.json fields the loaders read (others are kept, untyped). */
export interface ModelConfig {
  model_type?: string;
  architectures?: string[];
  id2label?: Record<string, string>;
  max_position_embeddings?: number;
  type_vocab_size?: number;
  [field: string]: unknown;
}

interface PretrainedClass {
  from_pretrained(id: string, options: Record<string, unknown>): Promise<PreTrainedModel>;
}

/** What a scorer loads: the transformers.js class, the output its forward pass reads, and the checks of its kind. */
export interface ModelKind {
  /** Names the kind in the registry key, so one folder loaded as two kinds is two loads. */
  name: string;
  /** The transformers.js class that loads the weights, e.g. `(t) => t.AutoModelForSequenceClassification`. */
  modelClass(transformers: Transformers): PretrainedClass;
  /** The ONNX output `forward` returns, e.g. "logits" or "last_hidden_state". */
  output: string;
  /** Refuses a config.json of another kind before the weights load (throw a clear error). */
  checkConfig?(model: string, config: ModelConfig): void;
  /** The error when the graph has no `output`. */
  wrongOutput(model: string, outputs: readonly string[]): Error;
}

// The tensor and tokenizer types the scorers use are declared here, not imported: a class's declarations reach these through its
// base class, and transformers.js's types in the published .d.cts would fail a strict CommonJS project (TS1479: an ES
// module cannot be `require`d), or any project without the optional peer.

/** What the scorers read of a transformers.js (v3 or v4) Tensor. */
export interface ModelTensor {
  readonly dims: number[];
  readonly data: ArrayLike<number> | ArrayLike<bigint>;
}

/** transformers.js's `Tensor` class, as the scorers build their inputs with it. */
export type ModelTensorClass = new (type: "int64" | "float32", data: BigInt64Array | Float32Array, dims: number[]) => ModelTensor;

/** What every scorer reads of a transformers.js (v3 or v4) tokenizer; each family's loader types the rest it uses. */
export interface ModelTokenizer {
  encode(text: string, options?: { add_special_tokens?: boolean }): number[];
}

/** A loaded model, shared by every instance that asked for the same load key. */
export interface LoadedModel {
  /** transformers.js's tokenizer (v3 or v4), typed only as far as all scorers use it. */
  tokenizer: ModelTokenizer;
  config: ModelConfig;
  /** Inputs the ONNX graph takes (XLM-R rerankers take no token_type_ids). */
  inputNames: readonly string[];
  /**
   * Runs one forward pass and returns the kind's output; passes are queued so concurrent callers take turns instead
   * of oversubscribing cores. An aborted caller stops waiting at once, and its pass is skipped when its turn comes.
   */
  forward(feeds: Record<string, ModelTensor>, signal?: AbortSignal): Promise<ModelTensor>;
  TensorClass: ModelTensorClass;
  /** The device the model runs on: the one asked for, or for "auto" the one chosen. */
  device: RerankerDevice;
  /** For "auto" on a CPU device: why no GPU device was used. */
  deviceFallbackReason?: string;
  dispose(): Promise<void>;
}

/** Loads `kind` as `spec` says; `owner` is the scorer class a missing transformers.js is reported for. */
export async function loadModel(spec: LoadSpec, kind: ModelKind, owner: string): Promise<LoadedModel> {
  const transformers = await importTransformers(owner);
  const location = await locateModel(spec);
  const { id } = location;
  const cacheDir = spec.cacheDir ?? transformers.env.cacheDir;
  const origin: FileOrigin = location.local ? "folder" : "cache";
  // Node: makes a failed first session harmless (transformers.js 3), checks cached copies' files and finds a device
  // that works; browsers: WASM paths and WebGPU.
  const runtime = await prepareRuntime(transformers, spec, location);
  if (location.local) await checkModelFolder(spec, id);
  const options = {
    ...(spec.cacheDir !== undefined ? { cache_dir: spec.cacheDir } : {}),
    ...(spec.revision !== undefined ? { revision: spec.revision } : {}),
    local_files_only: spec.localFilesOnly ?? location.localFilesOnly ?? false,
    ...(spec.progressCallback !== undefined ? { progress_callback: spec.progressCallback as never } : {}),
  };
  let tokenizer: PreTrainedTokenizer;
  let model: PreTrainedModel;
  let config: ModelConfig;
  let stage: LoadStage = "config";
  try {
    const autoConfig = await transformers.AutoConfig.from_pretrained(id, options);
    config = autoConfig as unknown as ModelConfig;
    kind.checkConfig?.(spec.model, config);
    // Both load at once; settled (not Promise.all) so a failed tokenizer does not leave a loaded model undisposed
    // and the error says which of the two failed.
    const [tokenizerLoad, modelLoad] = await Promise.allSettled([
      transformers.AutoTokenizer.from_pretrained(runtime.tokenizerFolder ?? id, options),
      kind.modelClass(transformers).from_pretrained(id, {
        ...options,
        config: autoConfig,
        dtype: spec.dtype,
        device: runtime.device,
        ...(spec.sessionOptions !== undefined ? { session_options: spec.sessionOptions } : {}),
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
  if (session === undefined || !session.outputNames.includes(kind.output)) {
    await model.dispose();
    throw kind.wrongOutput(spec.model, session?.outputNames ?? []);
  }
  let queue: Promise<unknown> = Promise.resolve();
  return {
    tokenizer,
    config,
    inputNames: session.inputNames,
    TensorClass: transformers.Tensor,
    device: runtime.device,
    ...(runtime.deviceFallbackReason !== undefined ? { deviceFallbackReason: runtime.deviceFallbackReason } : {}),
    forward(feeds, signal) {
      const run = queue.then(async () => {
        signal?.throwIfAborted();
        const pass = model(feeds) as Promise<Record<string, ModelTensor>>;
        return (await (runtime.guardPass?.(pass) ?? pass))[kind.output]!;
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

/** Key under which loads are shared: the same kind, model, weights, device and revision is loaded once per process. */
export async function modelKey(spec: LoadSpec, kind?: ModelKind): Promise<string> {
  const { key } = await locateModel(spec);
  return kind === undefined ? key : `${kind.name}:${key}`;
}
