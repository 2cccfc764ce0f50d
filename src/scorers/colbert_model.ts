import type { PreTrainedModel, PreTrainedTokenizer, Tensor } from "@huggingface/transformers";
import { abortable } from "../cancellation.js";
import { RerankError } from "../errors.js";
import {
  type ColBERTConventions,
  COLBERT_PRESETS,
  type Projection,
  readFolderConventions,
  readProjection,
  resolveConventions,
} from "./colbert_conventions.js";
import { explainLoadError } from "./load_errors.js";
import type { LoadSpec } from "./load_spec.js";
import { importTransformers } from "./transformers_import.js";
import { checkModelFolder, explainRuntimeError, locateModel, prepareRuntime } from "./model_files.js";

/** A loaded ColBERT checkpoint: its tokenizer, the conventions in effect, and a forward pass to token vectors. */
export interface LoadedColBERT {
  conventions: ColBERTConventions;
  /** Vector dimension after the projection. */
  dim: number;
  /** Token ids of a text, no special tokens. */
  tokenize(text: string): number[];
  /** Ids of a query as the model reads it, with the attention mask and the positions whose vectors are kept. */
  queryInput(text: string): EncodedText;
  /** Ids of a document (or window) from its content ids, cut to the document length. */
  documentInput(contentIds: readonly number[]): EncodedText;
  /** Content tokens a document window may hold (document length less the marker and special tokens). */
  documentBudget: number;
  /** Runs the texts in one padded batch; returns each text's kept vectors, projected and L2-normalised (count × dim). */
  encode(texts: readonly EncodedText[], signal?: AbortSignal): Promise<Float32Array[]>;
  dispose(): Promise<void>;
}

export interface EncodedText {
  ids: number[];
  attention: number[];
  /** Positions whose vectors score: all of a query's (expansion included), a document's minus the skip-list. */
  keep: number[];
}

type Vocab = { tokens_to_ids: Map<string, number>; unk_token_id?: number };

async function readLocal(folder: string) {
  const [{ readFile }, { join }] = await Promise.all([import("node:fs/promises"), import("node:path")]);
  const bytes = async (file: string): Promise<Uint8Array | undefined> => {
    try {
      return new Uint8Array(await readFile(join(folder, file)));
    } catch (error) {
      if ((error as { code?: string }).code === "ENOENT") return undefined;
      throw error;
    }
  };
  const text = async (file: string) => {
    const b = await bytes(file);
    return b === undefined ? undefined : new TextDecoder().decode(b);
  };
  return { text, bytes };
}

/**
 * Loads a ColBERT checkpoint: the encoder through transformers.js's AutoModel (its `last_hidden_state`, or the
 * projected vectors when the ONNX graph ends with the projection), the projection from `1_Dense/` otherwise.
 */
export async function loadColBERT(spec: LoadSpec, overrides: Partial<ColBERTConventions>): Promise<LoadedColBERT> {
  const transformers = await importTransformers("ColBERT loader");
  const location = await locateModel(spec);
  const cacheDir = spec.cacheDir ?? transformers.env.cacheDir;
  const runtime = await prepareRuntime(transformers, spec, location);
  if (location.local) await checkModelFolder(spec, location.id);
  const files = location.local ? await readLocal(location.id) : undefined;
  const folderConventions = files !== undefined ? await readFolderConventions(files.text) : {};
  const conventions = resolveConventions(COLBERT_PRESETS[spec.model] ?? {}, folderConventions, overrides);
  const projection = files !== undefined ? await readProjection(files.text, files.bytes) : undefined;
  const options = {
    ...(spec.cacheDir !== undefined ? { cache_dir: spec.cacheDir } : {}),
    ...(spec.revision !== undefined ? { revision: spec.revision } : {}),
    local_files_only: spec.localFilesOnly ?? location.localFilesOnly ?? false,
    ...(spec.progressCallback !== undefined ? { progress_callback: spec.progressCallback as never } : {}),
  };
  let tokenizer: PreTrainedTokenizer;
  let model: PreTrainedModel;
  let stage: "config" | "tokenizer" | "model" = "tokenizer";
  try {
    tokenizer = await transformers.AutoTokenizer.from_pretrained(runtime.tokenizerFolder ?? location.id, options);
    stage = "model";
    model = await transformers.AutoModel.from_pretrained(location.id, {
      ...options,
      dtype: spec.dtype,
      device: runtime.device,
      ...(spec.sessionOptions !== undefined ? { session_options: spec.sessionOptions as never } : {}),
    });
  } catch (error) {
    throw explainRuntimeError(spec, error) ?? explainLoadError(spec, cacheDir, error, stage, location.local ? "folder" : "cache");
  }
  try {
    return await prepare(spec, transformers.Tensor, tokenizer, model, conventions, projection);
  } catch (error) {
    await model.dispose();
    throw error;
  }
}

async function prepare(
  spec: LoadSpec,
  TensorClass: typeof Tensor,
  tokenizer: PreTrainedTokenizer,
  model: PreTrainedModel,
  conventions: ColBERTConventions,
  projection: Projection | undefined,
): Promise<LoadedColBERT> {
  const vocab = (tokenizer as unknown as { model: Vocab }).model;
  const markerId = (marker: string, which: string) => {
    const id = vocab.tokens_to_ids.get(marker);
    if (id === undefined) {
      throw new RerankError(
        `"${spec.model}" has no ${which} marker token ${JSON.stringify(marker)} in its vocabulary: it is not a ColBERT checkpoint, or its ` +
          `marker is another token. Pass ${which === "query" ? "queryPrefix" : "documentPrefix"} (e.g. "[unused0]" / "[unused1]" for Stanford ` +
          'checkpoints, "[Q] " / "[D] " for PyLate ones), or "" for a model trained without markers.',
      );
    }
    return id;
  };
  const queryMarker = conventions.queryPrefix === "" ? undefined : markerId(conventions.queryPrefix, "query");
  const documentMarker = conventions.documentPrefix === "" ? undefined : markerId(conventions.documentPrefix, "document");
  const maskId = (tokenizer as unknown as { mask_token_id?: number }).mask_token_id;
  if (conventions.doQueryExpansion && maskId === undefined) {
    throw new RerankError(`"${spec.model}"'s tokenizer has no mask token to expand queries with: pass doQueryExpansion: false.`);
  }
  // PyLate maps each skip-list word with convert_tokens_to_ids, which gives the unknown token for a word outside the vocabulary.
  const skip = new Set(conventions.skiplistWords.map((w) => vocab.tokens_to_ids.get(w) ?? vocab.unk_token_id).filter((id) => id !== undefined));
  const encodeIds = (text: string, special: boolean) => Array.from(tokenizer.encode(text, { add_special_tokens: special }) as number[]);
  // The special tokens around a text (BERT: [CLS] … [SEP]; XLM-R: <s> … </s>), learnt from one word.
  const probe = encodeIds("a", true);
  const content = encodeIds("a", false);
  let headLength = 0;
  while (headLength < probe.length && probe[headLength] !== content[0]) headLength++;
  const head = probe.slice(0, headLength);
  const tail = probe.slice(headLength + content.length);
  const build = (contentIds: readonly number[], length: number, marker: number | undefined) => {
    const room = length - (marker === undefined ? 0 : 1) - head.length - tail.length;
    const ids = [...head, ...contentIds.slice(0, Math.max(0, room)), ...tail];
    if (marker !== undefined) ids.splice(Math.min(1, ids.length), 0, marker);
    return ids;
  };
  const session = (model as unknown as { sessions: Record<string, { inputNames: string[]; outputNames: string[] }> }).sessions["model"];
  const inputNames = session?.inputNames ?? ["input_ids", "attention_mask"];
  const hidden = (model as unknown as { config: { hidden_size?: number } }).config.hidden_size;
  let queue: Promise<unknown> = Promise.resolve();
  const run = async (texts: readonly EncodedText[]): Promise<{ data: Float32Array; width: number; seq: number }> => {
    const seq = Math.max(...texts.map((t) => t.ids.length));
    const size = texts.length * seq;
    const ids = new BigInt64Array(size);
    const mask = new BigInt64Array(size);
    texts.forEach((t, row) => {
      for (let j = 0; j < t.ids.length; j++) {
        ids[row * seq + j] = BigInt(t.ids[j]!);
        mask[row * seq + j] = BigInt(t.attention[j]!);
      }
    });
    const dims = [texts.length, seq];
    const feeds: Record<string, Tensor> = { input_ids: new TensorClass("int64", ids, dims), attention_mask: new TensorClass("int64", mask, dims) };
    if (inputNames.includes("token_type_ids")) feeds.token_type_ids = new TensorClass("int64", new BigInt64Array(size), dims);
    const outputs = (await model(feeds)) as Record<string, Tensor>;
    const output = outputs.last_hidden_state ?? Object.values(outputs).find((t) => t.dims.length === 3);
    if (output === undefined) throw new RerankError(`"${spec.model}" outputs no per-token vectors (last_hidden_state): it is not a ColBERT encoder.`);
    return { data: output.data as Float32Array, width: output.dims[2]!, seq };
  };
  // One pass up front: the output's width tells whether the graph already ends with the projection.
  const probeOut = await run(
    [{ ids: build(content, 8, queryMarker), attention: [1, 1, 1, 1], keep: [] }].map((t) => ({ ...t, attention: t.ids.map(() => 1) })),
  );
  const width = probeOut.width;
  if (projection !== undefined && projection.inFeatures !== width) {
    throw new RerankError(`"${spec.model}"'s projection (1_Dense) takes ${projection.inFeatures} inputs but the encoder outputs ${width} per token.`);
  }
  if (projection === undefined && width === hidden) {
    throw new RerankError(
      `"${spec.model}" has no projection: its ONNX graph outputs the encoder's ${width}-wide hidden states and the folder has no 1_Dense/ ` +
        "(config.json + model.safetensors). It is a plain encoder, not a ColBERT checkpoint; use a ColBERT folder with its projection " +
        "(PyLate's 1_Dense/, or an ONNX export that ends with the linear layer).",
    );
  }
  const dim = projection?.outFeatures ?? width;
  return {
    conventions,
    dim,
    documentBudget: conventions.documentLength - (documentMarker === undefined ? 0 : 1) - head.length - tail.length,
    tokenize: (text) => encodeIds(text, false),
    queryInput(text) {
      const real = build(encodeIds(text, false), conventions.queryLength, queryMarker);
      if (!conventions.doQueryExpansion) return { ids: real, attention: real.map(() => 1), keep: real.map((_, i) => i) };
      const ids = [...real, ...new Array<number>(conventions.queryLength - real.length).fill(maskId!)];
      const attention = ids.map((_, i) => (i < real.length || conventions.attendToExpansionTokens ? 1 : 0));
      return { ids, attention, keep: ids.map((_, i) => i) };
    },
    documentInput(contentIds) {
      const ids = build(contentIds, conventions.documentLength, documentMarker);
      return { ids, attention: ids.map(() => 1), keep: ids.flatMap((id, i) => (skip.has(id) ? [] : [i])) };
    },
    encode(texts, signal) {
      const pass = queue.then(async () => {
        signal?.throwIfAborted();
        const { data, width: w, seq } = await run(texts);
        return texts.map((t, row) => vectorsOf(data, row * seq, w, t.keep, projection, dim));
      });
      queue = pass.catch(() => undefined);
      return abortable(pass, signal);
    },
    dispose: async () => {
      await queue;
      await model.dispose();
    },
  };
}

/** The kept positions' vectors, projected when the projection is separate, each scaled to unit length. */
function vectorsOf(
  data: Float32Array,
  rowOffset: number,
  width: number,
  keep: readonly number[],
  projection: Projection | undefined,
  dim: number,
): Float32Array {
  const out = new Float32Array(keep.length * dim);
  keep.forEach((position, t) => {
    const at = rowOffset + position * width;
    const o = t * dim;
    if (projection === undefined) out.set(data.subarray(at, at + width), o);
    else {
      const { weight, bias } = projection;
      for (let r = 0; r < dim; r++) {
        let sum = bias?.[r] ?? 0;
        const wo = r * width;
        for (let k = 0; k < width; k++) sum += weight[wo + k]! * data[at + k]!;
        out[o + r] = sum;
      }
    }
    let norm = 0;
    for (let k = o; k < o + dim; k++) norm += out[k]! * out[k]!;
    // torch.nn.functional.normalize divides by max(norm, 1e-12).
    const scale = 1 / Math.max(Math.sqrt(norm), 1e-12);
    for (let k = o; k < o + dim; k++) out[k]! *= scale;
  });
  return out;
}
