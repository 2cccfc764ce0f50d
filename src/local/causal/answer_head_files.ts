import { createHash } from "node:crypto";
import {
  closeSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  readSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
  writeSync,
} from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { CorruptModelFileError, InvalidOptionError } from "../../errors.js";
import type { ExternalCopy } from "./answer_head_graph.js";
import { ANSWER_HEAD_KEY, ANSWER_HEAD_VERSION } from "./answer_head_keys.js";
import { DTYPE_FILES, type LoadSpec, type ModelLocation } from "../loading/load_spec.js";
import { importTransformers } from "../loading/transformers_import.js";

// Answer-head graphs on disk (Node; browsers load a folder converted ahead of time, see answer_head_files.browser.ts):
// a model folder converted into another folder transformers.js loads like any (config and tokenizer copied, the
// converted graph and its own external data under onnx/), and the cache of folders converted on first load, keyed
// by the source graph's identity and the answer tokens.

/** What a converted folder's config.json records under ANSWER_HEAD_KEY. */
export interface AnswerHeadConfig {
  tokens: number[];
  version: number;
  /** sha256 of the source graph file. */
  source: string;
}

/**
 * Converts `<source>/onnx/<graphFile>` for the answer `tokens` into the model folder `out` (written under a
 * temporary name, then renamed, so a reader never sees half a folder). The source's other top-level files are
 * copied; config.json gains the ANSWER_HEAD_KEY record the scorer reads.
 */
export async function convertModelFolder(source: string, graphFile: string, tokens: readonly number[], out: string): Promise<string> {
  const onnxDir = join(source, "onnx");
  const graphPath = join(onnxDir, graphFile);
  if (!existsSync(graphPath)) throw new InvalidOptionError(`${source} has no onnx/${graphFile} to convert.`);
  const bytes = readFileSync(graphPath);
  const sha = createHash("sha256").update(bytes).digest("hex");
  const { convertAnswerHead } = await import("./answer_head_graph.js");
  const converted = convertAnswerHead(bytes, graphPath, {
    tokens,
    source: sha,
    externalLocation: `${graphFile}_data`,
    readExternal: (location, offset, length) => readStretch(externalPath(onnxDir, location, graphPath), offset, length),
  });
  const staging = `${out}.partial-${process.pid}`;
  rmSync(staging, { recursive: true, force: true });
  mkdirSync(join(staging, "onnx"), { recursive: true });
  for (const name of readdirSync(source)) {
    const path = join(source, name);
    if (name === "config.json" || !statSync(path).isFile()) continue;
    copyFileSync(path, join(staging, name));
  }
  const config = JSON.parse(readFileSync(join(source, "config.json"), "utf8")) as Record<string, unknown>;
  const record: AnswerHeadConfig = { tokens: [...tokens], version: ANSWER_HEAD_VERSION, source: sha };
  writeFileSync(join(staging, "config.json"), JSON.stringify({ ...config, [ANSWER_HEAD_KEY]: record }, null, 1));
  writeFileSync(join(staging, "onnx", graphFile), converted.graph);
  if (converted.externalData !== undefined) {
    copyExternal(onnxDir, graphPath, join(staging, "onnx", converted.externalData.location), converted.externalData.copies);
  }
  rmSync(out, { recursive: true, force: true });
  mkdirSync(dirname(out), { recursive: true });
  renameSync(staging, out);
  return out;
}

/**
 * The converted copy of `folder`'s graph in `cacheRoot`, made on the first call. The key hashes the path, size and
 * modification time of the source graph, its external data and the tokenizer files, the answer tokens as text and
 * the conversion's version: a changed file is converted again, and a cached copy is found without reading the
 * gigabytes of the source or loading the tokenizer (`tokensOf` runs only to convert).
 */
export async function cachedAnswerHead(
  folder: string,
  graphFile: string,
  answer: readonly (string | undefined)[],
  tokensOf: () => Promise<number[]>,
  cacheRoot: string,
): Promise<string> {
  const onnx = readdirSync(join(folder, "onnx"))
    .filter((f) => f === graphFile || f.startsWith(`${graphFile}_data`))
    .map((f) => join(folder, "onnx", f));
  const tokenizer = ["tokenizer.json", "tokenizer_config.json"].map((f) => join(folder, f)).filter((f) => existsSync(f));
  const identity = [...onnx, ...tokenizer].map((path) => {
    const { size, mtimeMs } = statSync(path);
    return `${resolve(path)}:${size}:${mtimeMs}`;
  });
  const key = createHash("sha256")
    .update(JSON.stringify({ identity, answer, version: ANSWER_HEAD_VERSION }))
    .digest("hex")
    .slice(0, 32);
  const out = join(cacheRoot, key);
  if (existsSync(join(out, "onnx", graphFile)) && existsSync(join(out, "config.json"))) return out;
  return convertModelFolder(folder, graphFile, await tokensOf(), out);
}

/** How the causal loader reaches a converted graph: the answer tokens from the model's tokenizer, and where to cache. */
export interface AnswerHeadRequest {
  /** The answer tokens as text (the cache key) and their ids read from the model's tokenizer (transformers.js's). */
  answer: readonly (string | undefined)[];
  tokensOf(tokenizer: unknown): number[];
  /** Folder of converted graphs; default `<cacheDir>/langchain-rerank-answer-head`. */
  cacheRoot: string | undefined;
  owner: string;
}

/**
 * The folder to load instead of `location` (its answer-head copy, converted now if it is not cached yet), or
 * undefined when the model's own folder is already converted (its config.json carries the record). Throws, with
 * the reason, when no converted copy can be had: the caller loads the full graph and records why.
 */
export async function prepareAnswerHead(spec: LoadSpec, location: ModelLocation, request: AnswerHeadRequest): Promise<string | undefined> {
  const transformers = await importTransformers(request.owner);
  const cacheDir = spec.cacheDir ?? transformers.env.cacheDir;
  const folder = location.local ? location.id : typeof cacheDir === "string" ? hubFolder(cacheDir, spec) : undefined;
  const graphFile = DTYPE_FILES[spec.dtype];
  if (folder === undefined || !existsSync(join(folder, "onnx", graphFile))) {
    throw new Error(
      `the hub model's onnx/${graphFile} is not in the cache yet: this load uses the full graph, and a load after the download converts it`,
    );
  }
  const config = JSON.parse(readFileSync(join(folder, "config.json"), "utf8")) as Record<string, unknown>;
  if (config[ANSWER_HEAD_KEY] !== undefined) return undefined;
  const root = request.cacheRoot ?? (typeof cacheDir === "string" ? join(cacheDir, "langchain-rerank-answer-head") : undefined);
  if (root === undefined) throw new Error("transformers.js has no file cache (env.cacheDir) to keep converted graphs in: pass convertedGraphDir");
  const tokensOf = async () => request.tokensOf(await transformers.AutoTokenizer.from_pretrained(folder, { local_files_only: true }));
  return cachedAnswerHead(folder, graphFile, request.answer, tokensOf, root);
}

/** Removes a cached converted copy that failed to load, so the next load converts the source again. */
export function discardAnswerHead(folder: string): void {
  rmSync(folder, { recursive: true, force: true });
}

/** Where transformers.js keeps a hub model's files (`<cacheDir>/<id>/`, `<cacheDir>/<id>/<revision>/` off main). */
function hubFolder(cacheDir: string, spec: LoadSpec): string {
  const revision = spec.revision ?? "main";
  return revision === "main" ? join(cacheDir, spec.model) : join(cacheDir, spec.model, revision);
}

/** An external-data location as the graph names it, inside the graph's folder (a path out of it is refused). */
function externalPath(onnxDir: string, location: string, graphPath: string): string {
  const path = resolve(onnxDir, location);
  if (location === "" || relative(onnxDir, path).startsWith("..")) {
    throw new CorruptModelFileError(graphPath, `${graphPath} names external data "${location}" outside its folder: the graph is damaged or foreign.`);
  }
  return path;
}

function readStretch(path: string, offset: number, length: number): Uint8Array {
  const fd = openSync(path, "r");
  try {
    const out = Buffer.alloc(length);
    const read = readSync(fd, out, 0, length, offset);
    if (read !== length)
      throw new CorruptModelFileError(path, `${path} ends before the ${length} bytes at offset ${offset} its graph names: the file is damaged.`);
    return out;
  } finally {
    closeSync(fd);
  }
}

const CHUNK = 64 * 1024 * 1024;

function copyExternal(onnxDir: string, graphPath: string, target: string, copies: readonly ExternalCopy[]): void {
  const out = openSync(target, "w");
  const sources = new Map<string, number>();
  try {
    for (const { source, sourceOffset, length, offset } of copies) {
      let fd = sources.get(source);
      if (fd === undefined) sources.set(source, (fd = openSync(externalPath(onnxDir, source, graphPath), "r")));
      const buffer = Buffer.alloc(Math.min(CHUNK, length));
      for (let done = 0; done < length;) {
        const want = Math.min(buffer.length, length - done);
        const read = readSync(fd, buffer, 0, want, sourceOffset + done);
        if (read !== want)
          throw new CorruptModelFileError(source, `${source} ends before the bytes ${graphPath} names for a tensor: the file is damaged.`);
        writeSync(out, buffer, 0, want, offset + done);
        done += want;
      }
    }
  } finally {
    closeSync(out);
    for (const fd of sources.values()) closeSync(fd);
  }
}
