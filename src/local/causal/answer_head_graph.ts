import protobuf from "protobufjs/light.js";
import { CorruptModelFileError, InvalidOptionError } from "../../errors.js";
import { ANSWER_HEAD_KEY, ANSWER_HEAD_VERSION } from "./answer_head_keys.js";
import { ONNX_SCHEMA } from "./onnx_schema.js";

// The answer-head conversion of a causal LM's ONNX graph: the score needs the logits of one or two answer tokens at
// the last position, and the export computes every token's logits at every position. The converted graph gathers
// the hidden state at the last position (the scorer pads on the left, so that is each row's last real token) and
// multiplies it by the answer tokens' columns of the head only: `logits` becomes [batch, answer tokens]. The rest of
// the head's rows and the KV-cache outputs are dropped. Quantized heads (DynamicQuantizeLinear → MatMulInteger, or a
// DequantizeLinear weight) are gathered after the activation's quantization, whose scale spans the whole batch, so
// the two logits equal the full graph's. Pure: bytes in, bytes out; files are answer_head_files.ts's.

const TENSOR_EXTERNAL = 1;
const ELEMENT_BYTES: Record<number, number> = { 1: 4, 2: 1, 3: 1, 4: 2, 5: 2, 6: 4, 7: 8, 9: 1, 10: 2, 11: 8, 12: 4, 13: 8, 16: 2 };
const INT32_CARRIED = new Set([2, 3, 4, 5, 6, 9, 10, 16]); // uint8, int8, uint16, int16, int32, bool, fp16, bf16 in int32_data
const ELEMENTWISE = new Set(["Identity", "Cast", "Mul", "Add", "Div"]);
const HEADS = new Set(["MatMul", "MatMulInteger"]);

/* eslint-disable @typescript-eslint/no-explicit-any -- protobufjs messages are untyped objects of the ONNX schema */
type Message = Record<string, any>;
type Long = number | { toNumber(): number };
const num = (value: Long | null | undefined): number =>
  value === null || value === undefined ? 0 : typeof value === "number" ? value : value.toNumber();

let types: { model: protobuf.Type } | undefined;
function modelType(): protobuf.Type {
  types ??= { model: protobuf.Root.fromJSON(ONNX_SCHEMA).lookupType("onnx.ModelProto") };
  return types.model;
}

/** Reads bytes of an external-data file: (location as the graph names it, offset, length). */
export type ExternalReader = (location: string, offset: number, length: number) => Uint8Array;

/** One stretch of a kept initializer's bytes to copy from the source's external data into the converted graph's. */
export interface ExternalCopy {
  source: string;
  sourceOffset: number;
  length: number;
  offset: number;
}

export interface ConvertedAnswerHead {
  /** The converted ModelProto. */
  graph: Uint8Array;
  /** Where the kept external initializers go (`location`, beside the graph), or undefined when all are inline. */
  externalData: { location: string; copies: ExternalCopy[] } | undefined;
}

export interface AnswerHeadOptions {
  /** Vocabulary ids of the answer tokens, in the order the converted `logits` columns hold them. */
  tokens: readonly number[];
  readExternal: ExternalReader;
  /** Name of the converted graph's external-data file (transformers.js reads `<graph file>_data`). */
  externalLocation: string;
  /** Recorded in the graph's metadata: what it was converted from. */
  source: string;
}

/** Decodes an ONNX file, refusing bytes that are not one with CorruptModelFileError. */
export function decodeModel(bytes: Uint8Array, file: string): Message {
  let model: Message;
  try {
    model = modelType().decode(bytes) as unknown as Message;
  } catch (error) {
    throw new CorruptModelFileError(file, `${file} is not a readable ONNX model (${(error as Error).message}): the file is damaged or not ONNX.`, {
      cause: error,
    });
  }
  if (model.graph === undefined || model.graph === null || (model.graph.node ?? []).length === 0) {
    throw new CorruptModelFileError(file, `${file} holds no ONNX graph: the file is damaged or not an ONNX model.`);
  }
  return model;
}

/** The answer-head record of a converted graph, or undefined for any other graph. */
export function answerHeadRecord(model: Message): { tokens: number[]; version: number; source: string } | undefined {
  const entry = (model.metadata_props ?? []).find((p: Message) => p.key === ANSWER_HEAD_KEY);
  return entry === undefined ? undefined : (JSON.parse(entry.value) as { tokens: number[]; version: number; source: string });
}

/** Converts `bytes` (an ONNX causal LM with a `logits` output) to its answer head; see the module's comment. */
export function convertAnswerHead(bytes: Uint8Array, file: string, options: AnswerHeadOptions): ConvertedAnswerHead {
  const model = decodeModel(bytes, file);
  const foreign = (why: string) =>
    new InvalidOptionError(`${file} cannot be converted to an answer head: ${why}. Load it with the full graph (convertGraph: false).`);
  if (answerHeadRecord(model) !== undefined) throw foreign("it is already an answer-head graph");
  const graph = model.graph as Message;
  const inits = new Map<string, Message>((graph.initializer ?? []).map((t: Message) => [t.name as string, t]));
  const producer = new Map<string, Message>();
  for (const node of graph.node as Message[]) for (const out of node.output as string[]) producer.set(out, node);
  if (!(graph.output as Message[]).some((o) => o.name === "logits")) throw foreign("the graph has no `logits` output");

  // From `logits` back through elementwise ops (Identity, Cast, the quantized head's scale Mul, a bias Add) to the head.
  const reachesHead = (name: string, depth: number): boolean => {
    const node = producer.get(name);
    if (node === undefined || depth > 6) return false;
    if (HEADS.has(node.op_type)) return !inits.has(node.input[0]);
    return ELEMENTWISE.has(node.op_type) && (node.input as string[]).some((input) => reachesHead(input, depth + 1));
  };
  const chain: Message[] = [];
  let head: Message | undefined;
  for (let name = "logits"; head === undefined;) {
    const node = producer.get(name);
    if (node === undefined || !(HEADS.has(node.op_type) || ELEMENTWISE.has(node.op_type))) {
      throw foreign(`\`logits\` comes from ${node === undefined ? "no node" : `a ${node.op_type} node`}, not from a MatMul head`);
    }
    if (HEADS.has(node.op_type)) head = node;
    else {
      chain.push(node);
      const next = (node.input as string[]).find((input) => reachesHead(input, 0));
      if (next === undefined) throw foreign(`\`logits\` is not a MatMul over the vocabulary (a ${node.op_type} leads nowhere)`);
      name = next;
    }
  }
  const added: Message[] = [];
  const addInit = (tensor: Message) => (added.push(tensor), tensor.name as string);
  const tensorOf = (name: string) => ({ tensor: inits.get(name), bytes: (t: Message) => tensorBytes(t, options.readExternal, file) });

  // The head's weight [hidden, vocab]: an initializer, a Transpose of one [vocab, hidden] (tied embeddings), or a
  // DequantizeLinear of one; each becomes its answer columns under a new name (the original may feed the embedding).
  const vocabOf = (dims: number[]) => dims.at(-1)!;
  let vocab = -1;
  const sliceWeight = (name: string): string => {
    const { tensor } = tensorOf(name);
    if (tensor !== undefined) {
      const dims = (tensor.dims as Long[]).map(num);
      if (dims.length !== 2) throw foreign(`the head weight ${name} is not a matrix (dims ${JSON.stringify(dims)})`);
      vocab = vocabOf(dims);
      return addInit(takeColumns(tensor, tensorBytes(tensor, options.readExternal, file), options.tokens, file));
    }
    const node = producer.get(name);
    if (node?.op_type === "Transpose" && inits.has(node.input[0])) {
      const source = inits.get(node.input[0])!;
      const dims = (source.dims as Long[]).map(num);
      const perm = (node.attribute ?? []).find((a: Message) => a.name === "perm")?.ints?.map(num) ?? [1, 0];
      if (dims.length !== 2 || perm[0] !== 1 || perm[1] !== 0)
        throw foreign(`the head weight is a Transpose of ${node.input[0]} that is not [vocab, hidden]`);
      vocab = dims[0]!;
      return addInit(takeRowsTransposed(source, tensorBytes(source, options.readExternal, file), options.tokens, file));
    }
    if (node?.op_type === "DequantizeLinear" && inits.has(node.input[0])) {
      const sliced = sliceWeight(node.input[0]);
      node.input = (node.input as string[]).map((input, i) => (i === 0 ? sliced : perVocab(input)));
      return name;
    }
    throw foreign(`the head weight ${name} is computed by ${node?.op_type ?? "nothing"}, not stored as an initializer`);
  };
  // A per-column scale, zero point or bias (one value per vocabulary entry) keeps the answer tokens' entries.
  const perVocab = (name: string): string => {
    const tensor = inits.get(name);
    if (tensor === undefined) return name;
    const dims = (tensor.dims as Long[]).map(num);
    const size = dims.reduce((a, b) => a * b, 1);
    if (size !== vocab || size === 1) return name;
    return addInit(
      takeColumns({ ...tensor, dims: [1, size] }, tensorBytes(tensor, options.readExternal, file), options.tokens, file, [options.tokens.length]),
    );
  };

  const weightSlot = 1;
  head.input[weightSlot] = sliceWeight(head.input[weightSlot]);
  if (head.op_type === "MatMulInteger" && head.input[3] !== undefined) head.input[3] = perVocab(head.input[3]);
  for (const node of chain) {
    node.input = (node.input as string[]).map(perVocab);
    for (const input of node.input as string[]) {
      const scale = producer.get(input);
      if (scale !== undefined && !reachesHead(input, 0)) scale.input = (scale.input as string[]).map(perVocab);
    }
  }
  // The last position of every row: Gather with index -1 on the sequence axis drops that axis ([batch, hidden]).
  const last = addInit({ name: `${ANSWER_HEAD_KEY}/last_index`, data_type: 7, dims: [], raw_data: new Uint8Array(new BigInt64Array([-1n]).buffer) });
  const gathered = `${ANSWER_HEAD_KEY}/last_position`;
  graph.node.push({
    op_type: "Gather",
    name: gathered,
    input: [head.input[0], last],
    output: [gathered],
    attribute: [{ name: "axis", type: 2, i: 1 }],
  });
  head.input[0] = gathered;
  sortTopologically(graph);

  const logits = (graph.output as Message[]).find((o) => o.name === "logits")!;
  const batch = logits.type?.tensor_type?.shape?.dim?.[0] ?? { dim_param: "batch_size" };
  logits.type = {
    tensor_type: { elem_type: logits.type?.tensor_type?.elem_type ?? 1, shape: { dim: [batch, { dim_value: options.tokens.length }] } },
  };
  graph.output = [logits];
  const rewritten = new Set([...chain, head].flatMap((n) => n.output as string[]));
  graph.value_info = (graph.value_info ?? []).filter((v: Message) => !rewritten.has(v.name));
  graph.initializer = [...(graph.initializer as Message[]), ...added];
  prune(graph);
  const externalData = relocateExternal(graph, options.externalLocation);
  model.metadata_props = [
    ...(model.metadata_props ?? []),
    { key: ANSWER_HEAD_KEY, value: JSON.stringify({ tokens: options.tokens, version: ANSWER_HEAD_VERSION, source: options.source }) },
  ];
  return { graph: modelType().encode(model).finish(), externalData };
}

/** A tensor's little-endian bytes, whichever field holds them. */
function tensorBytes(tensor: Message, readExternal: ExternalReader, file: string): Uint8Array {
  const size = ELEMENT_BYTES[tensor.data_type as number];
  if (size === undefined)
    throw new InvalidOptionError(
      `${file}: the head tensor ${tensor.name} has ONNX data type ${tensor.data_type}, which the conversion does not read.`,
    );
  const count = (tensor.dims as Long[]).map(num).reduce((a, b) => a * b, 1);
  let bytes: Uint8Array;
  if (tensor.data_location === TENSOR_EXTERNAL) {
    const field = (key: string) => (tensor.external_data as Message[]).find((e) => e.key === key)?.value as string | undefined;
    bytes = readExternal(field("location") ?? "", Number(field("offset") ?? 0), Number(field("length") ?? count * size));
  } else if (tensor.raw_data !== undefined && tensor.raw_data !== null && tensor.raw_data.length > 0) {
    bytes = tensor.raw_data as Uint8Array;
  } else if (tensor.data_type === 1) {
    bytes = new Uint8Array(Float32Array.from(tensor.float_data as number[]).buffer);
  } else if (INT32_CARRIED.has(tensor.data_type)) {
    const out = new DataView(new ArrayBuffer(count * size));
    (tensor.int32_data as number[]).forEach((v, i) =>
      size === 1 ? out.setUint8(i, v & 0xff) : size === 2 ? out.setUint16(i * 2, v & 0xffff, true) : out.setInt32(i * 4, v, true),
    );
    bytes = new Uint8Array(out.buffer);
  } else if (tensor.data_type === 7) {
    bytes = new Uint8Array(BigInt64Array.from((tensor.int64_data as Long[]).map((v) => BigInt(num(v)))).buffer);
  } else {
    bytes = new Uint8Array(new Float64Array(tensor.double_data as number[]).buffer);
  }
  if (bytes.length !== count * size) {
    throw new CorruptModelFileError(
      file,
      `${file}: the tensor ${tensor.name} holds ${bytes.length} bytes where its dims need ${count * size}: the file is damaged.`,
    );
  }
  return bytes;
}

function newTensor(tensor: Message, dims: number[], raw: Uint8Array): Message {
  return { name: `${ANSWER_HEAD_KEY}/${tensor.name}`, data_type: tensor.data_type, dims, raw_data: raw };
}

/** The columns `ids` of a [rows, columns] tensor (dims `outDims`, default [rows, ids.length]). */
function takeColumns(tensor: Message, bytes: Uint8Array, ids: readonly number[], file: string, outDims?: number[]): Message {
  const [rows, columns] = (tensor.dims as Long[]).map(num) as [number, number];
  const size = ELEMENT_BYTES[tensor.data_type as number]!;
  checkIds(ids, columns, file);
  const out = new Uint8Array(rows * ids.length * size);
  for (let r = 0; r < rows; r++) {
    ids.forEach((id, j) => out.set(bytes.subarray((r * columns + id) * size, (r * columns + id + 1) * size), (r * ids.length + j) * size));
  }
  return newTensor(tensor, outDims ?? [rows, ids.length], out);
}

/** Rows `ids` of a [vocab, hidden] tensor, transposed to [hidden, ids.length]. */
function takeRowsTransposed(tensor: Message, bytes: Uint8Array, ids: readonly number[], file: string): Message {
  const [rows, hidden] = (tensor.dims as Long[]).map(num) as [number, number];
  const size = ELEMENT_BYTES[tensor.data_type as number]!;
  checkIds(ids, rows, file);
  const out = new Uint8Array(hidden * ids.length * size);
  ids.forEach((id, j) => {
    for (let h = 0; h < hidden; h++) out.set(bytes.subarray((id * hidden + h) * size, (id * hidden + h + 1) * size), (h * ids.length + j) * size);
  });
  return newTensor(tensor, [hidden, ids.length], out);
}

function checkIds(ids: readonly number[], vocab: number, file: string): void {
  const bad = ids.find((id) => !Number.isInteger(id) || id < 0 || id >= vocab);
  if (bad !== undefined) throw new InvalidOptionError(`${file}: answer token id ${bad} is outside the head's vocabulary of ${vocab}.`);
}

/** Drops nodes and initializers nothing reaches from the graph's outputs (the full head, the KV-cache outputs). */
function prune(graph: Message): void {
  const needed = new Set<string>((graph.output as Message[]).map((o) => o.name as string));
  const kept: Message[] = [];
  for (const node of [...(graph.node as Message[])].reverse()) {
    if (!(node.output as string[]).some((o) => needed.has(o))) continue;
    kept.push(node);
    for (const input of node.input as string[]) needed.add(input);
    // Subgraphs (If, Loop) read outer names without listing them as inputs: keep everything they mention.
    for (const attribute of node.attribute ?? []) for (const sub of [attribute.g, ...(attribute.graphs ?? [])]) if (sub) mentioned(sub, needed);
  }
  graph.node = kept.reverse();
  graph.initializer = (graph.initializer as Message[]).filter((t) => needed.has(t.name));
  graph.value_info = (graph.value_info ?? []).filter((v: Message) => needed.has(v.name));
}

function mentioned(graph: Message, names: Set<string>): void {
  for (const node of graph.node ?? []) {
    for (const input of node.input as string[]) names.add(input);
    for (const attribute of node.attribute ?? []) for (const sub of [attribute.g, ...(attribute.graphs ?? [])]) if (sub) mentioned(sub, names);
  }
}

/** Puts the appended Gather before its consumer (ONNX requires nodes in topological order). */
function sortTopologically(graph: Message): void {
  const nodes = graph.node as Message[];
  const gather = nodes.pop()!;
  const at = nodes.findIndex((n) => (n.input as string[]).includes(gather.output[0]));
  nodes.splice(at, 0, gather);
}

/** Points each kept external initializer at the converted graph's own data file, packed in order. */
function relocateExternal(graph: Message, location: string): { location: string; copies: ExternalCopy[] } | undefined {
  const copies: ExternalCopy[] = [];
  let offset = 0;
  for (const tensor of graph.initializer as Message[]) {
    if (tensor.data_location !== TENSOR_EXTERNAL) continue;
    const field = (key: string) => (tensor.external_data as Message[]).find((e) => e.key === key)?.value as string | undefined;
    const length = Number(field("length"));
    if (!Number.isFinite(length))
      throw new CorruptModelFileError(location, `The external tensor ${tensor.name} has no length: the graph is damaged.`);
    offset = Math.ceil(offset / 4096) * 4096; // page-aligned, so onnxruntime can map each tensor
    copies.push({ source: field("location") ?? "", sourceOffset: Number(field("offset") ?? 0), length, offset });
    tensor.external_data = [
      { key: "location", value: location },
      { key: "offset", value: String(offset) },
      { key: "length", value: String(length) },
    ];
    offset += length;
  }
  return copies.length === 0 ? undefined : { location, copies };
}
/* eslint-enable @typescript-eslint/no-explicit-any */
