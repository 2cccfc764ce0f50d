import { InvalidOptionError, RerankError } from "../../errors.js";

/**
 * How a ColBERT model reads its text, in PyLate's terms (`config_sentence_transformers.json`): the marker token put
 * after the first token of queries and documents, the query length queries are padded to with `[MASK]` (query
 * augmentation), the document length, whether padded query positions are attended to, and the words whose tokens
 * are left out of a document's vectors (PyLate's `skiplist_words`, `string.punctuation` by default).
 */
export interface ColBERTConventions {
  /**
   * Query marker token (`[unused0]` in Stanford checkpoints, `"[Q] "` in PyLate-trained ones).
   * @default the model folder's config, else its preset, else "[Q] " (PyLate's)
   */
  queryPrefix: string;
  /**
   * Document marker token (`[unused1]`, `"[D] "`).
   * @default the model folder's config, else its preset, else "[D] " (PyLate's)
   */
  documentPrefix: string;
  /**
   * Tokens per query, special tokens and marker included; shorter queries are padded with the mask token.
   * @default the model folder's config, else its preset, else 32 (PyLate's)
   */
  queryLength: number;
  /**
   * Most tokens per document (or window), special tokens and marker included.
   * @default the model folder's config, else its preset, else 180 (PyLate's)
   */
  documentLength: number;
  /**
   * Pad queries to `queryLength` with the mask token (ColBERT's query augmentation).
   * @default the model folder's config, else its preset, else true (PyLate's)
   */
  doQueryExpansion: boolean;
  /**
   * Let the encoder attend to the padding mask tokens (jina-colbert-v2); off in the original ColBERT.
   * @default the model folder's config, else its preset, else false (PyLate's)
   */
  attendToExpansionTokens: boolean;
  /**
   * Words whose tokens are dropped from document vectors (they are still encoded, as context).
   * @default the model folder's config, else its preset, else Python's string.punctuation (PyLate's)
   */
  skiplistWords: readonly string[];
}

/** Python's `string.punctuation`, PyLate's default skip-list. */
export const PUNCTUATION = [..."!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~"];

/** PyLate's defaults for a checkpoint that records nothing (ColBERT.__init__). */
export const PYLATE_DEFAULTS: ColBERTConventions = {
  queryPrefix: "[Q] ",
  documentPrefix: "[D] ",
  queryLength: 32,
  documentLength: 180,
  doQueryExpansion: true,
  attendToExpansionTokens: false,
  skiplistWords: PUNCTUATION,
};

const STANFORD_MARKERS = { queryPrefix: "[unused0]", documentPrefix: "[unused1]" };

/**
 * Known hub checkpoints and the conventions their authors use (as PyLate loads them: tests/test_model_loading.py).
 * A model folder's own config overrides a preset; options override both.
 */
export const COLBERT_PRESETS: Readonly<Record<string, Partial<ColBERTConventions>>> = {
  // Stanford-format (colbert-ai / RAGatouille) checkpoints: BERT's [unused0]/[unused1] as markers.
  "answerdotai/answerai-colbert-small-v1": { ...STANFORD_MARKERS, queryLength: 32 },
  "colbert-ir/colbertv2.0": { ...STANFORD_MARKERS, queryLength: 32, documentLength: 180 },
  // XLM-R based; its model card has PyLate attend to the <mask> expansion tokens.
  "jinaai/jina-colbert-v2": { queryPrefix: "[QueryMarker]", documentPrefix: "[DocumentMarker]", queryLength: 32, attendToExpansionTokens: true },
};

/** The linear projection that follows the encoder (PyLate's `Dense`, stored as `1_Dense/`). */
export interface Projection {
  inFeatures: number;
  outFeatures: number;
  /** `outFeatures × inFeatures`, row-major (PyTorch's `linear.weight`). */
  weight: Float32Array;
  bias?: Float32Array;
}

type ReadText = (file: string) => Promise<string | undefined>;
type ReadBytes = (file: string) => Promise<Uint8Array | undefined>;

function parseJson(file: string, text: string): Record<string, unknown> {
  try {
    const value: unknown = JSON.parse(text);
    if (value !== null && typeof value === "object" && !Array.isArray(value)) return value as Record<string, unknown>;
  } catch {
    // reported below
  }
  throw new RerankError(`${file} is not a JSON object: it is damaged or cut short. Restore it from the model's source.`);
}

/**
 * What the folder records: PyLate's `config_sentence_transformers.json` keys, else colbert-ai's `artifact.metadata`
 * (`query_token_id`, `doc_token_id`, `query_maxlen`, `doc_maxlen`, `attend_to_mask_tokens`).
 */
export async function readFolderConventions(read: ReadText): Promise<Partial<ColBERTConventions>> {
  const found: Partial<ColBERTConventions> = {};
  const st = await read("config_sentence_transformers.json");
  if (st !== undefined) {
    const c = parseJson("config_sentence_transformers.json", st);
    if (typeof c.query_prefix === "string") found.queryPrefix = c.query_prefix;
    if (typeof c.document_prefix === "string") found.documentPrefix = c.document_prefix;
    if (typeof c.query_length === "number") found.queryLength = c.query_length;
    if (typeof c.document_length === "number") found.documentLength = c.document_length;
    if (typeof c.do_query_expansion === "boolean") found.doQueryExpansion = c.do_query_expansion;
    if (typeof c.attend_to_expansion_tokens === "boolean") found.attendToExpansionTokens = c.attend_to_expansion_tokens;
    if (Array.isArray(c.skiplist_words) && c.skiplist_words.every((w) => typeof w === "string")) found.skiplistWords = c.skiplist_words as string[];
  }
  const meta = await read("artifact.metadata");
  if (meta !== undefined) {
    const m = parseJson("artifact.metadata", meta);
    found.queryPrefix ??= typeof m.query_token_id === "string" ? m.query_token_id : STANFORD_MARKERS.queryPrefix;
    found.documentPrefix ??= typeof m.doc_token_id === "string" ? m.doc_token_id : STANFORD_MARKERS.documentPrefix;
    if (typeof m.query_maxlen === "number") found.queryLength ??= m.query_maxlen;
    if (typeof m.doc_maxlen === "number") found.documentLength ??= m.doc_maxlen;
    if (typeof m.attend_to_mask_tokens === "boolean") found.attendToExpansionTokens ??= m.attend_to_mask_tokens;
  }
  return found;
}

/** Options over the folder's config over the preset over PyLate's defaults; PyLate turns attention off without expansion. */
export function resolveConventions(...layers: Partial<ColBERTConventions>[]): ColBERTConventions {
  const merged = { ...PYLATE_DEFAULTS };
  for (const layer of layers) for (const [k, v] of Object.entries(layer)) if (v !== undefined) (merged as Record<string, unknown>)[k] = v;
  if (!merged.doQueryExpansion) merged.attendToExpansionTokens = false;
  return merged;
}

/**
 * The projection in `1_Dense/` (or the Dense module `modules.json` names): `config.json` and `model.safetensors`
 * holding `linear.weight` and, when `bias` is set, `linear.bias`. Undefined when the folder has none.
 */
export async function readProjection(read: ReadText, readBytes: ReadBytes): Promise<Projection | undefined> {
  let folder = "1_Dense";
  const modules = await read("modules.json");
  if (modules !== undefined) {
    let list: unknown;
    try {
      list = JSON.parse(modules);
    } catch {
      throw new RerankError("modules.json is not valid JSON: it is damaged or cut short. Restore it from the model's source.");
    }
    const dense = Array.isArray(list) ? list.find((m: { type?: unknown }) => typeof m?.type === "string" && /Dense$/.test(m.type)) : undefined;
    if (dense !== undefined && typeof dense.path === "string") folder = dense.path;
    else if (Array.isArray(list)) return undefined;
  }
  const configText = await read(`${folder}/config.json`);
  if (configText === undefined) return undefined;
  const config = parseJson(`${folder}/config.json`, configText);
  const activation = config.activation_function;
  if (activation !== undefined && activation !== "torch.nn.modules.linear.Identity") {
    throw new RerankError(
      `${folder}/config.json has activation ${String(activation)}; only the identity (ColBERT's plain linear projection) is supported.`,
    );
  }
  const bytes = await readBytes(`${folder}/model.safetensors`);
  if (bytes === undefined) {
    throw new RerankError(
      `${folder}/model.safetensors is missing: the projection's weights are needed (a pytorch_model.bin cannot be read here; convert it to safetensors).`,
    );
  }
  const tensors = readSafetensors(bytes, `${folder}/model.safetensors`);
  const weight = tensors.get("linear.weight");
  if (weight === undefined || weight.shape.length !== 2) throw new RerankError(`${folder}/model.safetensors holds no 2-D linear.weight.`);
  const [outFeatures, inFeatures] = weight.shape as [number, number];
  const bias = tensors.get("linear.bias");
  return { inFeatures, outFeatures, weight: weight.data, ...(bias !== undefined ? { bias: bias.data } : {}) };
}

/** The safetensors format: an 8-byte little-endian header length, a JSON header of offsets, then raw data (F32 read here). */
export function readSafetensors(bytes: Uint8Array, file: string): Map<string, { shape: number[]; data: Float32Array }> {
  const fail = (why: string) => new RerankError(`${file} is not a readable safetensors file (${why}). Restore it from the model's source.`);
  if (bytes.byteLength < 8) throw fail("too short");
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLength = Number(view.getBigUint64(0, true));
  if (8 + headerLength > bytes.byteLength) throw fail("cut short");
  let header: Record<string, { dtype?: string; shape?: number[]; data_offsets?: [number, number] }>;
  try {
    header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + headerLength)));
  } catch {
    throw fail("bad header");
  }
  const tensors = new Map<string, { shape: number[]; data: Float32Array }>();
  for (const [name, entry] of Object.entries(header)) {
    if (name === "__metadata__") continue;
    const [start, end] = entry.data_offsets ?? [0, -1];
    if (entry.dtype !== "F32") throw fail(`${name} is ${entry.dtype}; convert the projection to float32`);
    if (8 + headerLength + end > bytes.byteLength || end < start) throw fail("cut short");
    const raw = bytes.slice(8 + headerLength + start, 8 + headerLength + end);
    tensors.set(name, { shape: entry.shape ?? [], data: new Float32Array(raw.buffer, 0, (end - start) / 4) });
  }
  return tensors;
}

/** Checks a conventions override passed as options. */
export function checkConventions(owner: string, value: Partial<ColBERTConventions>): void {
  for (const key of ["queryLength", "documentLength"] as const) {
    const n = value[key];
    if (n !== undefined && !(Number.isInteger(n) && n >= 4))
      throw new InvalidOptionError(`${owner}: \`${key}\` must be an integer of at least 4 tokens, got ${String(n)}.`);
  }
  for (const key of ["queryPrefix", "documentPrefix"] as const) {
    const s = value[key];
    if (s !== undefined && typeof s !== "string")
      throw new InvalidOptionError(`${owner}: \`${key}\` must be the marker token's text, such as "[unused0]".`);
  }
  if (value.skiplistWords !== undefined && !(Array.isArray(value.skiplistWords) && value.skiplistWords.every((w) => typeof w === "string"))) {
    throw new InvalidOptionError(`${owner}: \`skiplistWords\` must be an array of strings (PyLate's skiplist_words), such as [".", ","].`);
  }
  for (const key of ["doQueryExpansion", "attendToExpansionTokens"] as const) {
    const b = value[key];
    if (b !== undefined && typeof b !== "boolean") throw new InvalidOptionError(`${owner}: \`${key}\` must be true or false.`);
  }
}
