// The independent reference for the late-interaction (ColBERT) scorer. It shares no code with src/: Hugging Face's
// Rust `tokenizers` (what PyLate's fast tokenizer runs), a plain onnxruntime-node session on onnx/model.onnx, the
// Dense projection read here from its safetensors file, and MaxSim written anew. Each step follows PyLate's source
// (lightonai/pylate, read at commit 1f1f47c): pylate/models/colbert.py (`__init__`'s convention resolution,
// `tokenize`, `insert_prefix_token`, `skiplist_mask`, `encode`), pylate/models/Dense.py, and
// pylate/scores/colbert.py `colbert_scores` (pylate/scores/scores.py in older releases); plus
// sentence-transformers' models/Transformer.py `tokenize`, which PyLate's tokenize calls. One text at a time.
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { InferenceSession, Tensor } from "onnxruntime-node";
import { type PaddingOptions, Tokenizer, type TruncationOptions } from "tokenizers";

/** PyLate's `ColBERT.__init__` arguments that decide how text is read (snake_case, as PyLate names them). */
export interface PyLateConventions {
  query_prefix: string;
  document_prefix: string;
  query_length: number;
  document_length: number;
  do_query_expansion: boolean;
  attend_to_expansion_tokens: boolean;
  skiplist_words: string[];
}

/** Deliberate departures from PyLate, for the test that shows parity can fail. */
export interface ReferenceMistakes {
  /** Where `insert_prefix_token` puts the marker (PyLate: 1, after [CLS]). */
  markerAt?: number;
}

/** A linear layer of PyLate's `Dense`: `weight` is `out × in`, row-major, as torch's `nn.Linear` stores it. */
interface DenseLayer {
  inFeatures: number;
  outFeatures: number;
  weight: Float64Array;
  bias: Float64Array | undefined;
}

export interface ColBERTReference {
  conventions: PyLateConventions;
  session: InferenceSession;
  dense: DenseLayer[];
  queryTokenizer: Tokenizer;
  documentTokenizer: Tokenizer;
  queryPrefixId: number | undefined;
  documentPrefixId: number | undefined;
  skiplist: Set<number>;
  doLowerCase: boolean;
  mistakes: ReferenceMistakes;
}

const readJson = (file: string): Record<string, unknown> | undefined =>
  existsSync(file) ? (JSON.parse(readFileSync(file, "utf8")) as Record<string, unknown>) : undefined;

/** Python's `string.punctuation`: PyLate's default `skiplist_words`. */
const STRING_PUNCTUATION = [..."!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~"];

/**
 * The conventions as PyLate resolves them: `_load_sbert_model` reads config_sentence_transformers.json; the
 * Stanford branch reads artifact.metadata (query_token_id, doc_token_id, query_maxlen, doc_maxlen,
 * attend_to_mask_tokens), its markers defaulting to [unused0]/[unused1]; arguments override both; then the
 * defaults ("[Q] ", "[D] ", 32, 180, string.punctuation, expansion on, attention off); no expansion, no attention.
 */
function readConventions(folder: string, overrides: Partial<PyLateConventions>): PyLateConventions {
  const found: Partial<PyLateConventions> = {};
  const st = readJson(join(folder, "config_sentence_transformers.json")) ?? {};
  const keys = [
    "query_prefix",
    "document_prefix",
    "query_length",
    "document_length",
    "do_query_expansion",
    "attend_to_expansion_tokens",
    "skiplist_words",
  ];
  for (const key of keys) if (key in st) (found as Record<string, unknown>)[key] = st[key];
  const meta = readJson(join(folder, "artifact.metadata"));
  if (meta !== undefined) {
    found.query_prefix ??= (meta.query_token_id as string | undefined) ?? "[unused0]";
    found.document_prefix ??= (meta.doc_token_id as string | undefined) ?? "[unused1]";
    if (meta.query_maxlen !== undefined) found.query_length ??= meta.query_maxlen as number;
    if (meta.doc_maxlen !== undefined) found.document_length ??= meta.doc_maxlen as number;
    if (meta.attend_to_mask_tokens !== undefined) found.attend_to_expansion_tokens ??= meta.attend_to_mask_tokens as boolean;
  }
  const c: PyLateConventions = {
    query_prefix: overrides.query_prefix ?? found.query_prefix ?? "[Q] ",
    document_prefix: overrides.document_prefix ?? found.document_prefix ?? "[D] ",
    query_length: overrides.query_length ?? found.query_length ?? 32,
    document_length: overrides.document_length ?? found.document_length ?? 180,
    do_query_expansion: overrides.do_query_expansion ?? found.do_query_expansion ?? true,
    attend_to_expansion_tokens: overrides.attend_to_expansion_tokens ?? found.attend_to_expansion_tokens ?? false,
    skiplist_words: overrides.skiplist_words ?? found.skiplist_words ?? STRING_PUNCTUATION,
  };
  if (!c.do_query_expansion) c.attend_to_expansion_tokens = false;
  return c;
}

/** safetensors: an 8-byte little-endian header size, a JSON header (dtype, shape, data_offsets), then the data. */
export function readSafetensorsFile(file: string): Map<string, { shape: number[]; values: Float64Array }> {
  const bytes = readFileSync(file);
  const headerSize = Number(bytes.readBigUInt64LE(0));
  const header = JSON.parse(bytes.subarray(8, 8 + headerSize).toString("utf8")) as Record<
    string,
    { dtype: string; shape: number[]; data_offsets: [number, number] }
  >;
  const start = 8 + headerSize;
  const tensors = new Map<string, { shape: number[]; values: Float64Array }>();
  for (const [name, entry] of Object.entries(header)) {
    if (name === "__metadata__") continue;
    const [from, to] = entry.data_offsets;
    const raw = bytes.subarray(start + from, start + to);
    const count = entry.shape.reduce((a, b) => a * b, 1);
    const values = new Float64Array(count);
    for (let i = 0; i < count; i++) {
      if (entry.dtype === "F32") values[i] = raw.readFloatLE(4 * i);
      else if (entry.dtype === "F64") values[i] = raw.readDoubleLE(8 * i);
      else if (entry.dtype === "F16") values[i] = halfToFloat(raw.readUInt16LE(2 * i));
      else if (entry.dtype === "BF16") values[i] = new Float32Array(new Uint32Array([raw.readUInt16LE(2 * i) << 16]).buffer)[0]!;
      else throw new Error(`${file}: tensor ${name} has dtype ${entry.dtype}, which this reference does not read.`);
    }
    tensors.set(name, { shape: entry.shape, values });
  }
  return tensors;
}

function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exponent = (h >> 10) & 0x1f;
  const fraction = h & 0x3ff;
  if (exponent === 0) return sign * 2 ** -14 * (fraction / 1024);
  if (exponent === 31) return fraction === 0 ? sign * Infinity : NaN;
  return sign * 2 ** (exponent - 15) * (1 + fraction / 1024);
}

/**
 * PyLate's Dense modules in modules.json order (pylate/models/Dense.py: `activation(linear(x))`, the activation
 * nn.Identity in ColBERT checkpoints); a folder without modules.json but with 1_Dense/ holds one.
 */
function readDense(folder: string): DenseLayer[] {
  const modules = readJson(join(folder, "modules.json")) as unknown as { path: string; type: string }[] | undefined;
  const paths =
    modules !== undefined ? modules.filter((m) => /Dense$/.test(m.type)).map((m) => m.path) : existsSync(join(folder, "1_Dense")) ? ["1_Dense"] : [];
  return paths.map((path) => {
    const config = readJson(join(folder, path, "config.json"))!;
    if ((config.activation_function ?? "torch.nn.modules.linear.Identity") !== "torch.nn.modules.linear.Identity" || config.use_residual === true) {
      throw new Error(`${path}: only an identity-activated, non-residual Dense is read by this reference.`);
    }
    const tensors = readSafetensorsFile(join(folder, path, "model.safetensors"));
    const weight = tensors.get("linear.weight")!;
    const [outFeatures, inFeatures] = weight.shape as [number, number];
    if (outFeatures !== config.out_features || inFeatures !== config.in_features)
      throw new Error(`${path}: weight shape disagrees with config.json.`);
    return { inFeatures, outFeatures, weight: weight.values, bias: config.bias === false ? undefined : tensors.get("linear.bias")?.values };
  });
}

export async function loadColBERTReference(
  folder: string,
  overrides: Partial<PyLateConventions> = {},
  mistakes: ReferenceMistakes = {},
): Promise<ColBERTReference> {
  const conventions = readConventions(folder, overrides);
  const tokenizerConfig = readJson(join(folder, "tokenizer_config.json")) ?? {};
  const load = () => Tokenizer.fromFile(join(folder, "tokenizer.json"));
  const [queryTokenizer, documentTokenizer] = [load(), load()];
  // `convert_tokens_to_ids` (a fast tokenizer's): the token's id, else the unknown token's.
  const unk = queryTokenizer.tokenToId(String(tokenizerConfig.unk_token ?? "[UNK]")) ?? undefined;
  const toId = (token: string) => queryTokenizer.tokenToId(token) ?? unk;
  // PyLate pads queries with the mask token (`tokenizer.pad_token_id = tokenizer.mask_token_id`).
  const maskId = toId(String(tokenizerConfig.mask_token ?? "[MASK]"))!;
  // Transformer.tokenize: truncation="longest_first" to max_seq_length, which PyLate's tokenize sets to the
  // length less one when a marker is inserted; queries with expansion padded "max_length", documents not padded.
  const truncate = (length: number, prefix: string): [number, TruncationOptions] => [
    prefix === "" ? length : length - 1,
    { strategy: "LongestFirst" as TruncationOptions["strategy"], direction: "right", stride: 0 },
  ];
  queryTokenizer.setTruncation(...truncate(conventions.query_length, conventions.query_prefix));
  documentTokenizer.setTruncation(...truncate(conventions.document_length, conventions.document_prefix));
  documentTokenizer.disablePadding();
  if (conventions.do_query_expansion) {
    const padding: PaddingOptions = {
      maxLength: truncate(conventions.query_length, conventions.query_prefix)[0],
      direction: "right",
      padId: maskId,
      padTypeId: 0,
      padToken: String(tokenizerConfig.mask_token ?? "[MASK]"),
    };
    queryTokenizer.setPadding(padding);
  } else queryTokenizer.disablePadding();
  const sbert = readJson(join(folder, "sentence_bert_config.json")) ?? {};
  return {
    conventions,
    session: await InferenceSession.create(join(folder, "onnx", "model.onnx")),
    dense: readDense(folder),
    queryTokenizer,
    documentTokenizer,
    queryPrefixId: conventions.query_prefix === "" ? undefined : toId(conventions.query_prefix),
    documentPrefixId: conventions.document_prefix === "" ? undefined : toId(conventions.document_prefix),
    skiplist: new Set(conventions.skiplist_words.map(toId).filter((id): id is number => id !== undefined)),
    doLowerCase: sbert.do_lower_case === true,
    mistakes,
  };
}

/** The code points for which Python's `str.isspace()` holds. */
const PYTHON_SPACE = new Set([
  ...[0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x1c, 0x1d, 0x1e, 0x1f, 0x20, 0x85, 0xa0, 0x1680],
  ...Array.from({ length: 11 }, (_, k) => 0x2000 + k),
  ...[0x2028, 0x2029, 0x202f, 0x205f, 0x3000],
]);

/** Python's `str.strip()` (Transformer.tokenize strips each text), which is not JavaScript's `trim()`. */
function pythonStrip(text: string): string {
  let start = 0;
  let end = text.length;
  while (start < end && PYTHON_SPACE.has(text.charCodeAt(start))) start++;
  while (end > start && PYTHON_SPACE.has(text.charCodeAt(end - 1))) end--;
  return text.slice(start, end);
}

/** `insert_prefix_token`: `cat([ids[:, :1], prefix, ids[:, 1:]])`. */
const insertPrefix = (values: readonly number[], prefix: number, at: number) => [...values.slice(0, at), prefix, ...values.slice(at)];

/** The token vectors PyLate's `encode` returns for one text (normalize_embeddings=True), each of the model's dim. */
export async function encodeText(model: ColBERTReference, text: string, isQuery: boolean): Promise<Float64Array[]> {
  const c = model.conventions;
  let input = pythonStrip(text);
  if (model.doLowerCase) input = input.toLowerCase();
  const encoding = await (isQuery ? model.queryTokenizer : model.documentTokenizer).encode(input, null, { addSpecialTokens: true });
  let ids = encoding.getIds();
  let attention = encoding.getAttentionMask();
  let types = encoding.getTypeIds();
  const prefixId = isQuery ? model.queryPrefixId : model.documentPrefixId;
  if (prefixId !== undefined) {
    const at = model.mistakes.markerAt ?? 1;
    ids = insertPrefix(ids, prefixId, at);
    attention = insertPrefix(attention, 1, at);
    types = insertPrefix(types, 0, at);
  }
  if (isQuery && c.attend_to_expansion_tokens) attention = attention.map(() => 1);

  const int64 = (values: readonly number[]) => new Tensor("int64", BigInt64Array.from(values, BigInt), [1, values.length]);
  const feeds: Record<string, Tensor> = { input_ids: int64(ids), attention_mask: int64(attention) };
  if (model.session.inputNames.includes("token_type_ids")) feeds.token_type_ids = int64(types);
  const outputs = await model.session.run(feeds);
  const output = outputs.last_hidden_state ?? outputs[model.session.outputNames[0]!]!;
  const width = output.dims[2]!;
  const hidden = output.data as Float32Array;

  // encode(): documents keep `skiplist_mask & attention_mask`; queries with expansion keep every position (the
  // [MASK] pads included); queries without it keep the attended positions.
  const keep = ids.map((id, i) => (isQuery ? c.do_query_expansion || attention[i] === 1 : attention[i] === 1 && !model.skiplist.has(id)));
  const vectors: Float64Array[] = [];
  for (let position = 0; position < ids.length; position++) {
    if (!keep[position]) continue;
    let v: Float64Array = Float64Array.from(hidden.subarray(position * width, (position + 1) * width));
    for (const layer of model.dense) v = linear(layer, v);
    vectors.push(normalize(v));
  }
  return vectors;
}

/** torch's `nn.Linear`: `W x + b`. */
function linear(layer: DenseLayer, x: Float64Array): Float64Array {
  if (x.length !== layer.inFeatures) throw new Error(`Dense takes ${layer.inFeatures} features, the encoder gave ${x.length}.`);
  const out = new Float64Array(layer.outFeatures);
  for (let r = 0; r < layer.outFeatures; r++) {
    let sum = layer.bias?.[r] ?? 0;
    for (let k = 0; k < layer.inFeatures; k++) sum += layer.weight[r * layer.inFeatures + k]! * x[k]!;
    out[r] = sum;
  }
  return out;
}

/** `torch.nn.functional.normalize(p=2, dim=1)`: x / max(‖x‖, 1e-12). */
function normalize(v: Float64Array): Float64Array {
  const norm = Math.sqrt(v.reduce((s, x) => s + x * x, 0));
  return v.map((x) => x / Math.max(norm, 1e-12));
}

/**
 * `colbert_scores` for one query and one document: einsum("ash,bth->abst"), max over the document's tokens t,
 * summed over the query's tokens s (no masks: the vectors are already the kept ones).
 */
export function maxSim(query: readonly Float64Array[], document: readonly Float64Array[]): number {
  let total = 0;
  for (const q of query) {
    let best = -Infinity;
    for (const d of document) {
      let dot = 0;
      for (let h = 0; h < q.length; h++) dot += q[h]! * d[h]!;
      best = Math.max(best, dot);
    }
    total += best;
  }
  return total;
}

/** PyLate's score of each (query, document) pair, each text encoded alone. */
export async function referenceScores(model: ColBERTReference, pairs: readonly (readonly [string, string])[]): Promise<number[]> {
  const queries = new Map<string, Float64Array[]>();
  const documents = new Map<string, Float64Array[]>();
  const scores: number[] = [];
  for (const [query, document] of pairs) {
    if (!queries.has(query)) queries.set(query, await encodeText(model, query, true));
    if (!documents.has(document)) documents.set(document, await encodeText(model, document, false));
    scores.push(maxSim(queries.get(query)!, documents.get(document)!));
  }
  return scores;
}

export async function releaseReference(model: ColBERTReference): Promise<void> {
  await model.session.release();
}
