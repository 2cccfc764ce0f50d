import { UnsupportedModelError, RerankError } from "../../errors.js";
import { type ColBERTConventions, type Projection, readFolderConventions, readProjection } from "./colbert_conventions.js";
import type { LoadSpec } from "../loading/load_spec.js";
import { locateModel, readFolderFile } from "../loading/model_files.js";
import { sha256Hex } from "../../stores/sha256.js";
import type { MatMul } from "./token_vectors.js";
import { importTransformers } from "../loading/transformers_import.js";
import { type LoadedModel, loadModel, type ModelConfig, type ModelKind, modelKey } from "../loading/model_loader.js";

// A ColBERT checkpoint's load: the encoder through AutoModel read at `last_hidden_state`, plus what transformers.js
// does not read itself — the conventions the folder records and the projection in 1_Dense/ (PyLate's layout). An
// export whose graph already ends with the projection (Stanford / answerai layout) has no 1_Dense/.

const OWNER = "ColBERTCrossEncoder";

/** A per-token encoder: AutoModel, read at its `last_hidden_state`. */
export const COLBERT_ENCODER: ModelKind = {
  name: "colbert",
  modelClass: (transformers) => transformers.AutoModel,
  output: "last_hidden_state",
  checkConfig(model: string, config: ModelConfig) {
    const heads = (config.architectures ?? []).filter((a) => /For(SequenceClassification|CausalLM)$/.test(a));
    if (heads.length > 0) {
      throw new UnsupportedModelError(
        `"${model}" is a ${heads.join("/")} (config.json "architectures"), not a ColBERT encoder: ColBERTCrossEncoder runs late-interaction ` +
          "checkpoints such as answerdotai/answerai-colbert-small-v1; a reranker head belongs in HuggingFaceCrossEncoder or HuggingFaceCausalCrossEncoder.",
      );
    }
  },
  wrongOutput: (model, outputs) =>
    new UnsupportedModelError(
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
   * The weights' fingerprint: the token vectors of a fixed probe text, rounded to 1e-3 (so thread counts and
   * kernels do not move it). Part of the stored vectors' key, so a folder re-exported in place never reads the old
   * weights' vectors from a persistent store.
   */
  weightsFingerprint: string;
  /** onnxruntime's MatMul (transformers.js's `matmul`), for MaxSim over many documents at once. */
  matmul: MatMul;
  /**
   * Token vectors from `count` rows of the graph's output (`count × outputWidth`): through the projection when it is
   * separate (W·x + b, PyLate's Dense, in one MatMul), then each scaled to unit length (`count × dim`).
   */
  tokenVectors(rows: Float32Array, count: number): Promise<Float32Array>;
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
    const { matmul, Tensor } = await importTransformers(OWNER);
    const product: MatMul = async (a, rows, inner, b, cols) =>
      (await matmul(new Tensor("float32", a, [rows, inner]), new Tensor("float32", b, [inner, cols]))).data as Float32Array;
    const tokenVectors = vectorsFromRows(projection, outputWidth, product);
    const weightsFingerprint = await sha256Hex(
      fingerprint(await tokenVectors(probe.data, probe.data.length / outputWidth), projection?.outFeatures ?? outputWidth),
    );
    return {
      ...loaded,
      matmul: product,
      tokenVectors,
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

/** The probe's token vectors rounded to 1e-3, so thread counts and kernels do not move them. */
function fingerprint(vectors: Float32Array, dim: number): string {
  const parts: string[] = [];
  for (let at = 0; at < vectors.length; at += dim) parts.push(Array.from(vectors.subarray(at, at + dim), (v) => v.toFixed(3)).join(","));
  return parts.join(";");
}

/** The model's rows-to-token-vectors step (see `LoadedColBERT.tokenVectors`), with the projection transposed once. */
function vectorsFromRows(projection: Projection | undefined, width: number, matmul: MatMul): LoadedColBERT["tokenVectors"] {
  const weightT = projection === undefined ? undefined : transpose(projection.weight, projection.outFeatures, projection.inFeatures);
  return async (rows, count) => {
    if (projection === undefined || count === 0) return normalizeRows(rows.slice(0, count * width), width);
    const out = await matmul(rows, count, width, weightT!, projection.outFeatures);
    const { bias, outFeatures } = projection;
    if (bias !== undefined) for (let k = 0; k < out.length; k++) out[k]! += bias[k % outFeatures]!;
    return normalizeRows(out, outFeatures);
  };
}

/** Each `dim`-wide row scaled to unit length, in place; torch.nn.functional.normalize divides by max(norm, 1e-12). */
function normalizeRows(data: Float32Array, dim: number): Float32Array {
  for (let o = 0; o < data.length; o += dim) {
    let norm = 0;
    for (let k = o; k < o + dim; k++) norm += data[k]! * data[k]!;
    const scale = 1 / Math.max(Math.sqrt(norm), 1e-12);
    for (let k = o; k < o + dim; k++) data[k]! *= scale;
  }
  return data;
}

/** A `rows × cols` row-major matrix transposed. */
function transpose(matrix: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(matrix.length);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c * rows + r] = matrix[r * cols + c]!;
  return out;
}

/** Instances share a load when the folder, weights and device agree. */
export function colbertModelKey(spec: LoadSpec): Promise<string> {
  return modelKey(spec, COLBERT_ENCODER);
}
