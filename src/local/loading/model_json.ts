import { CorruptModelFileError } from "../../errors.js";

// transformers.js parses a model's JSON files with a bare JSON.parse (a SyntaxError that names no file) and reads a
// zero-byte file as the whole 64 KiB scratch buffer Node's readFile returned it in (`buffer.buffer` instead of the
// bytes read), so an empty config.json parses uninitialised memory: a different error on every run. Reading the
// files here first, before transformers.js does, names the file and the fix.

type NodeFs = typeof import("node:fs");
type NodePath = typeof import("node:path");

/** The JSON files transformers.js reads to load a sequence classifier and its tokenizer. */
export const MODEL_JSON_FILES = ["config.json", "tokenizer.json", "tokenizer_config.json"] as const;

/** JSON files transformers.js reads when they are there (a causal LM's generation settings): checked when present. */
export const OPTIONAL_MODEL_JSON_FILES = ["generation_config.json"] as const;

/** Where a file came from decides the fix: a local folder is restored, a cached download is deleted and fetched again. */
export type FileOrigin = "folder" | "cache";

function fix(file: string, origin: FileOrigin): string {
  return origin === "cache"
    ? `Delete ${file} (a cached download) so the next load downloads it again, or load from a folder with a good copy.`
    : "Restore it from the model's source (download or export the folder again).";
}

/** "line 3, column 7" for a JSON.parse error that gives a character position; undefined when it gives none. */
function errorLocation(text: string, message: string): string | undefined {
  const lineColumn = /line (\d+) column (\d+)/.exec(message);
  if (lineColumn) return `line ${lineColumn[1]}, column ${lineColumn[2]}`;
  const position = /end of JSON input/.test(message) ? text.length : Number(/position (\d+)/.exec(message)?.[1] ?? Number.NaN);
  if (Number.isNaN(position)) return undefined;
  const before = text.slice(0, position);
  const line = before.split("\n").length;
  const column = before.length - before.lastIndexOf("\n");
  return `line ${line}, column ${column}`;
}

/**
 * Reads and parses one JSON model file: an empty file, invalid JSON or anything but a JSON object becomes a
 * CorruptModelFileError naming the file and the fix. Returns the parsed object; a missing file is left to the caller.
 */
export function readModelJson(fs: NodeFs, file: string, origin: FileOrigin): Record<string, unknown> | undefined {
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch (error) {
    if ((error as { code?: string }).code === "ENOENT") return undefined;
    throw new CorruptModelFileError(file, `Cannot read model file ${file}: ${(error as Error).message}. ${fix(file, origin)}`, { cause: error });
  }
  if (text.trim().length === 0) {
    throw new CorruptModelFileError(
      file,
      `Model file ${file} is empty (${text.length} bytes): it was cut short or never written. ${fix(file, origin)}`,
    );
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text.replace(/^\uFEFF/, ""));
  } catch (error) {
    const reason = (error as Error).message;
    const where = errorLocation(text, reason);
    throw new CorruptModelFileError(
      file,
      `Model file ${file} is not valid JSON (${where === undefined ? reason : `${/end of JSON input/.test(reason) ? "ends early at" : "error at"} ${where}`}): ` +
        `it is corrupt or was cut short. ${fix(file, origin)}`,
      { cause: error },
    );
  }
  if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) {
    throw new CorruptModelFileError(
      file,
      `Model file ${file} holds ${parsed === null ? "null" : Array.isArray(parsed) ? "an array" : `a ${typeof parsed}`}, not a JSON object. ${fix(file, origin)}`,
    );
  }
  return parsed as Record<string, unknown>;
}

/** A zero-byte ONNX file would be read as a scratch buffer too (see above): reject it before onnxruntime sees it. */
export function checkOnnxFile(fs: NodeFs, file: string, origin: FileOrigin): void {
  let size: number;
  try {
    size = fs.statSync(file).size;
  } catch {
    return;
  }
  if (size === 0) {
    throw new CorruptModelFileError(file, `Model file ${file} is empty (0 bytes): it was cut short or never written. ${fix(file, origin)}`);
  }
}

/** Checks the JSON files and the ONNX weights of one model folder (local, or a model's folder in the cache). */
export function checkModelFiles({ fs, path }: { fs: NodeFs; path: NodePath }, folder: string, onnxFile: string, origin: FileOrigin): void {
  for (const name of [...MODEL_JSON_FILES, ...OPTIONAL_MODEL_JSON_FILES]) readModelJson(fs, path.join(folder, name), origin);
  checkOnnxFile(fs, path.join(folder, "onnx", onnxFile), origin);
}

/** onnxruntime's "Load model from <path> failed:<reason>": the ONNX file it could not load, when the message names it. */
export function onnxLoadFailure(message: string): { file: string; reason: string } | undefined {
  const match = /Load model from (.+?) failed:\s*(.*)$/s.exec(message);
  return match ? { file: match[1]!, reason: match[2]!.trim() } : undefined;
}

/** The error for an ONNX file onnxruntime rejects (truncated, corrupt, or an export it cannot run). */
export function corruptOnnxError(file: string, reason: string, origin: FileOrigin, cause: unknown): CorruptModelFileError {
  return new CorruptModelFileError(
    file,
    `onnxruntime cannot load ${file} (${reason.replace(/\.$/, "")}): the ONNX file is truncated, corrupt or not an ONNX model. ${fix(file, origin)}`,
    { cause },
  );
}
