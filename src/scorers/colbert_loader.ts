import { NotASequenceClassifierError, RerankError } from "../errors.js";
import { type ColBERTConventions, type Projection, readFolderConventions, readProjection } from "./colbert_conventions.js";
import type { LoadSpec } from "./load_spec.js";
import { locateModel, readFolderFile } from "./model_files.js";
import { sha256Hex } from "./sha256.js";
import type { MatMul } from "./token_vectors.js";
import { importTransformers } from "./transformers_import.js";
import { type LoadedModel, loadModel, type ModelConfig, type ModelKind, modelKey } from "./model_loader.js";

// A ColBERT checkpoint's load: the encoder through AutoModel read at `last_hidden_state`, plus what transformers.js
// does not read itself — the conventions the folder records and the projection in 1_Dense/ (PyLate's layout). An
// export whose graph already ends with the projection (Stanford / answerai layout) has no 1_Dense/.

const OWNER = "ColBERTScorer";

/** A per-token encoder: AutoModel, read at its `last_hidden_state`. */
export const COLBERT_ENCODER: ModelKind = {
  name: "colbert",
  modelClass: (transformers) => transformers.AutoModel,
  output: "last_hidden_state",
  checkConfig(model: string, config: ModelConfig) {
    const heads = (config.architectures ?? []).filter((a) => /For(SequenceClassification|CausalLM)$/.test(a));
    if (heads.length > 0) {
      throw new NotASequenceClassifierError(
        `"${model}" is a ${heads.join("/")} (config.json "architectures"), not a ColBERT encoder: ColBERTScorer runs late-interaction ` +
          "checkpoints such as answerdotai/answerai-colbert-small-v1; a reranker head belongs in HuggingFaceCrossEncoder or HuggingFaceCausalReranker.",
      );
    }
  },
  wrongOutput: (model, outputs) =>
    new NotASequenceClassifierError(
      `"${model}" outputs ${outputs.join(", ") || "nothing"}, not last_hidden_state (one vector per token): it is not a ColBERT encoder.`,
    ),
};

/** A loaded ColBERT encoder, shared by every scorer instance that loads the same folder with the same weights. */
export interface LoadedColBERT extends LoadedModel {
  /** Conventions the folder records (config_sentence_transformers.json, artifact.metadata); presets and options go over them. */
  folderConventions: Partial<ColBERTConventions>;
  /** The separate projection (1_Dense/); undefined when the graph's output is already projected. */
  projection: Projection | undefined;
  /** Width of the graph's per-token output. */
  outputWidth: number;
  /** Width of the token vectors scored: the projection's output, or the graph's. */
  dim: number;
  /**
   * The weights' fingerprint: the projected vectors of a fixed probe text, rounded to 1e-3 (so thread counts and
   * kernels do not move it). Part of the stored vectors' key, so a folder re-exported in place never reads the old
   * weights' vectors from a persistent store.
   */
  weightsFingerprint: string;
  /** onnxruntime's MatMul (transformers.js's `matmul`), for MaxSim over many documents at once. */
  matmul: MatMul;
}

export async function loadColBERT(spec: LoadSpec): Promise<LoadedColBERT> {
  const { local, id } = await locateModel(spec);
  const read = async (file: string) => (local ? readFolderFile(id, file) : undefined);
  const readText = async (file: string) => {
    const bytes = await read(file);
    return bytes === undefined ? undefined : new TextDecoder().decode(bytes);
  };
  // The folder's own files first: a damaged projection is named before the weights load.
  const folderConventions = await readFolderConventions(readText);
  const projection = await readProjection(readText, read);
  const loaded = await loadModel(local ? { ...spec, localFilesOnly: spec.localFilesOnly ?? true } : spec, COLBERT_ENCODER, OWNER);
  try {
    const probe = await probeOutput(loaded);
    const outputWidth = probe.width;
    const hidden = loaded.config.hidden_size;
    if (projection !== undefined && projection.inFeatures !== outputWidth) {
      throw new RerankError(
        `"${spec.model}"'s projection (1_Dense) takes ${projection.inFeatures} inputs but the encoder outputs ${outputWidth} per token: ` +
          "the folder mixes two checkpoints. Restore it from the model's source.",
      );
    }
    if (projection === undefined && outputWidth === hidden) {
      throw new RerankError(
        `"${spec.model}" has no projection: its ONNX graph outputs the encoder's ${outputWidth}-wide hidden states and ` +
          `${local ? "the folder has no 1_Dense/ (config.json + model.safetensors)" : "a hub id is read without its 1_Dense/ folder"}. ` +
          "A plain encoder is not a ColBERT checkpoint. Use a ColBERT folder with its projection (PyLate's 1_Dense/, downloaded " +
          "beside onnx/), or an ONNX export whose graph ends with the linear layer.",
      );
    }
    const weightsFingerprint = await sha256Hex(fingerprint(probe.data, outputWidth, projection));
    const { matmul, Tensor } = await importTransformers(OWNER);
    const product: MatMul = async (a, rows, inner, b, cols) =>
      (await matmul(new Tensor("float32", a, [rows, inner]), new Tensor("float32", b, [inner, cols]))).data as Float32Array;
    return {
      ...loaded,
      matmul: product,
      folderConventions,
      projection,
      outputWidth,
      dim: projection?.outFeatures ?? outputWidth,
      weightsFingerprint,
    };
  } catch (error) {
    await loaded.dispose();
    throw error;
  }
}

/** One pass over a short fixed text: the output's width tells whether the graph already ends with the projection. */
async function probeOutput(loaded: LoadedModel): Promise<{ width: number; data: Float32Array }> {
  const ids = Array.from(loaded.tokenizer.encode(PROBE_TEXT) as number[]);
  const dims = [1, ids.length];
  const feed = (values: readonly number[]) => new loaded.TensorClass("int64", BigInt64Array.from(values, BigInt), dims);
  const feeds = { input_ids: feed(ids), attention_mask: feed(ids.map(() => 1)), token_type_ids: feed(ids.map(() => 0)) };
  if (!loaded.inputNames.includes("token_type_ids")) delete (feeds as Partial<typeof feeds>).token_type_ids;
  const output = await loaded.forward(feeds);
  return { width: output.dims[2] ?? 0, data: output.data as Float32Array };
}

const PROBE_TEXT = "a late interaction probe";

function fingerprint(data: Float32Array, width: number, projection: Projection | undefined): string {
  const parts: string[] = [];
  for (let at = 0; at + width <= data.length; at += width) {
    const row = data.subarray(at, at + width);
    const out = projection === undefined ? Array.from(row) : project(row, projection);
    const norm = Math.hypot(...out) || 1;
    parts.push(out.map((v) => (v / norm).toFixed(3)).join(","));
  }
  return parts.join(";");
}

function project(row: Float32Array, { weight, bias, inFeatures, outFeatures }: Projection): number[] {
  return Array.from({ length: outFeatures }, (_, r) => {
    let sum = bias?.[r] ?? 0;
    for (let k = 0; k < inFeatures; k++) sum += weight[r * inFeatures + k]! * row[k]!;
    return sum;
  });
}

/** Instances share a load when the folder, weights and device agree. */
export function colbertModelKey(spec: LoadSpec): Promise<string> {
  return modelKey(spec, COLBERT_ENCODER);
}
