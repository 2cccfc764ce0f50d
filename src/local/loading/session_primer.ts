// transformers.js 3.x keeps the promise of the first ONNX session a process creates (meant to serialise WASM
// start-up) and awaits it before every later session. If that first session fails (a truncated model.onnx), every
// later load of any model fails with the first file's error, so a failed load could not be retried. The module
// variable is private; what the library does offer is loading a model. So before the first real load we load a
// one-node model we build in memory: the session transformers.js keeps is then one that succeeded. transformers.js
// 4 no longer keeps that promise in Node, so there it is skipped.

type Transformers = typeof import("@huggingface/transformers");

// --- A minimal ONNX model (Identity: float[1] x → y), encoded by hand so the package ships no binary. ---

function varint(value: number): number[] {
  const bytes: number[] = [];
  let rest = value;
  while (rest > 0x7f) {
    bytes.push((rest & 0x7f) | 0x80);
    rest >>>= 7;
  }
  bytes.push(rest);
  return bytes;
}
/** A protobuf field: varint (wire type 0) for numbers, length-delimited (wire type 2) for strings and messages. */
function field(number: number, value: number | string | number[]): number[] {
  if (typeof value === "number") return [...varint(number << 3), ...varint(value)];
  const bytes = typeof value === "string" ? [...new TextEncoder().encode(value)] : value;
  return [...varint((number << 3) | 2), ...varint(bytes.length), ...bytes];
}

function valueInfo(name: string): number[] {
  const dim = field(1, 1); // Dimension.dim_value = 1
  const shape = field(1, dim); // TensorShapeProto.dim
  const tensorType = [...field(1, 1), ...field(2, shape)]; // elem_type FLOAT, shape
  return [...field(1, name), ...field(2, field(1, tensorType))]; // ValueInfoProto { name, type { tensor_type } }
}

/** ModelProto { ir_version 7, graph { Identity x → y }, opset_import { "" 13 } }. */
export function identityOnnxModel(): Uint8Array {
  const node = [...field(1, "x"), ...field(2, "y"), ...field(4, "Identity")];
  const graph = [...field(1, node), ...field(2, "primer"), ...field(11, valueInfo("x")), ...field(12, valueInfo("y"))];
  const opset = [...field(1, ""), ...field(2, 13)];
  return new Uint8Array([...field(1, 7), ...field(7, graph), ...field(8, opset)]);
}

/** Whether this transformers.js keeps its first session's promise (3.x in Node). */
export function keepsFirstSession(transformers: Transformers): boolean {
  const major = Number.parseInt(String(transformers.env?.version ?? "").split(".")[0] ?? "", 10);
  return major === 3;
}

// One priming per transformers.js module instance (the ESM and CJS builds are two).
const PRIMED_KEY = Symbol.for("langchain-rerank.session-primer");
const globals = globalThis as { [PRIMED_KEY]?: WeakMap<object, Promise<void>> };
const primed: WeakMap<object, Promise<void>> = (globals[PRIMED_KEY] ??= new WeakMap());

/**
 * Makes sure the first ONNX session of this transformers.js is one that loads, so a later corrupt model fails
 * alone. Runs once per process; a failed priming is forgotten and tried again on the next load.
 */
export function primeSessions(transformers: Transformers): Promise<void> {
  if (!keepsFirstSession(transformers)) return Promise.resolve();
  let done = primed.get(transformers);
  if (done === undefined) {
    done = loadPrimer(transformers);
    primed.set(transformers, done);
    done.catch(() => {
      if (primed.get(transformers) === done) primed.delete(transformers);
    });
  }
  return done;
}

async function loadPrimer(transformers: Transformers): Promise<void> {
  // No writable temp folder: no session was created, so loads go on unprotected rather than failing here.
  await loadIdentityModel(transformers, "cpu").catch((error: unknown) => {
    if (!(error instanceof NoTempFolderError)) throw error;
  });
}

class NoTempFolderError extends Error {}

/**
 * Creates (and frees) a session of the one-node model on `device`: the cheapest proof that onnxruntime can run
 * there (device_support.ts probes devices with it). Rejects with onnxruntime's or transformers.js's error.
 */
export async function loadIdentityModel(transformers: Transformers, device: string): Promise<void> {
  const [fs, os, path] = await Promise.all([import("node:fs"), import("node:os"), import("node:path")]);
  let folder: string;
  try {
    folder = fs.mkdtempSync(path.join(os.tmpdir(), "langchain-rerank-primer-"));
    fs.mkdirSync(path.join(folder, "onnx"));
    fs.writeFileSync(path.join(folder, "config.json"), JSON.stringify({ model_type: "bert", architectures: ["BertModel"] }));
    fs.writeFileSync(path.join(folder, "onnx", "model.onnx"), identityOnnxModel());
  } catch (error) {
    throw new NoTempFolderError(`no writable temp folder for the one-node model (${(error as Error)?.message ?? String(error)})`);
  }
  try {
    const model = await transformers.AutoModel.from_pretrained(folder, { local_files_only: true, dtype: "fp32", device: device as "cpu" });
    await model.dispose();
  } finally {
    fs.rmSync(folder, { recursive: true, force: true });
  }
}
