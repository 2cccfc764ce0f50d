import { constants } from "node:fs";
import { access, lstat, mkdir, realpath, rename, stat, statfs, unlink, writeFile } from "node:fs/promises";
import { basename, dirname, join, resolve } from "node:path";
import { RerankError, keepErrorNames } from "../../errors.js";

// rerank-eval writes its files after an evaluation that can take hours: every output path is checked before it
// starts, so a typo costs seconds, not the run. The checks create nothing (a run that fails leaves no folders
// behind); folders are made when the files are written.

/** A file the CLI will write, and the flag that named it (for messages). */
export interface OutputFile {
  flag: string;
  file: string;
}

/**
 * An output path that cannot be written: names the flag, the file and the reason. `atWrite` is false when the
 * check before the run found it (a usage mistake), true when writing after the run failed.
 */
export class OutputPathError extends RerankError {
  constructor(
    message: string,
    readonly file: string,
    readonly atWrite = false,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
keepErrorNames({ OutputPathError });

const exists = (path: string) =>
  lstat(path).then(
    () => true,
    () => false,
  );

/** The nearest ancestor of `path` (itself excluded) that exists, or undefined at the root. */
async function nearestExistingAncestor(path: string): Promise<string> {
  let at = dirname(path);
  while (!(await exists(at)) && dirname(at) !== at) at = dirname(at);
  return at;
}

/**
 * Throws an OutputPathError for the first output that could not be written at the end: two flags naming the same
 * file, a file the run reads (`inputs`: `--run`, qrels, the corpus), an existing folder, a path under a file, a
 * folder or file without write permission, or a full file system.
 */
export async function checkOutputPaths(outputs: OutputFile[], inputs: string[] = []): Promise<void> {
  const seen = new Map<string, string>();
  const readPaths = new Set(await Promise.all(inputs.filter((f) => f !== "").map((f) => realpath(f).catch(() => resolve(f)))));
  for (const { flag, file } of outputs) {
    const path = resolve(file);
    const fail = (reason: string, cause?: unknown) => {
      throw new OutputPathError(`${flag} ${file}: ${reason}`, file, false, cause === undefined ? undefined : { cause });
    };
    const other = seen.get(path);
    if (other !== undefined) fail(`${other} writes the same file; give each output its own path.`);
    seen.set(path, flag);
    const info = await stat(path).catch(() => undefined);
    if (info?.isDirectory()) fail(`is a folder; give a file path, e.g. ${join(file, `rerank-eval${extensionOf(flag)}`)}.`);
    if (info !== undefined) {
      if (readPaths.has(await realpath(path))) fail("is a file this run reads; writing the output there would overwrite it.");
      await access(path, constants.W_OK).catch((error: unknown) => fail(`cannot be written (${codeOf(error)}).`, error));
      if (!info.isFile()) continue; // a device or pipe such as /dev/stdout: written in place
    }
    const folder = info === undefined ? await nearestExistingAncestor(path) : dirname(path);
    const folderInfo = await stat(folder).catch(() => undefined);
    if (folderInfo !== undefined && !folderInfo.isDirectory()) {
      fail(`${folder} is a file, so no folder can be made under it.`);
    }
    await access(folder, constants.W_OK | constants.X_OK).catch((error: unknown) =>
      fail(`the folder ${folder} is not writable (${codeOf(error)}).`, error),
    );
    const space = await statfs(folder).catch(() => undefined);
    if (space !== undefined && space.blocks > 0 && space.bavail === 0) fail(`no space left on the file system of ${folder}.`);
  }
}

/**
 * Writes `text` to the output, making its folders. A regular file is written beside it and renamed over it, so a
 * failed write (a full disk) leaves neither a truncated file nor a stray one, and an older file stays as it was.
 */
export async function writeOutputFile({ flag, file }: OutputFile, text: string): Promise<void> {
  const path = resolve(file);
  try {
    await mkdir(dirname(path), { recursive: true });
    const info = await stat(path).catch(() => undefined);
    if (info !== undefined && !info.isFile()) {
      await writeFile(path, text);
      return;
    }
    const temporary = join(dirname(path), `.${basename(path)}.${process.pid}.tmp`);
    try {
      await writeFile(temporary, text);
      await rename(temporary, path);
    } catch (error) {
      await unlink(temporary).catch(() => {});
      throw error;
    }
  } catch (error) {
    throw new OutputPathError(`${flag} ${file}: could not be written (${codeOf(error)}).`, file, true, { cause: error });
  }
}

/**
 * Writes every output, even when one fails, then throws one OutputPathError naming each file that could not be
 * written (the others are kept).
 */
export async function writeOutputFiles(outputs: { output: OutputFile; text: () => string | Promise<string> }[]): Promise<void> {
  const failures: OutputPathError[] = [];
  for (const { output, text } of outputs) {
    try {
      await writeOutputFile(output, await text());
    } catch (error) {
      if (!(error instanceof OutputPathError)) throw error;
      failures.push(error);
    }
  }
  if (failures.length === 1) throw failures[0];
  if (failures.length > 1) {
    throw new OutputPathError(failures.map((f) => f.message).join("; "), failures[0]!.file, true, { cause: failures });
  }
}

function extensionOf(flag: string): string {
  return flag === "--report" ? ".md" : flag === "--chart" ? ".svg" : ".json";
}

/** "permission denied, EACCES", from Node's system error, or the message. */
function codeOf(error: unknown): string {
  const { code, message } = (error ?? {}) as { code?: unknown; message?: unknown };
  const reasons: Record<string, string> = {
    EACCES: "permission denied",
    EPERM: "operation not permitted",
    EROFS: "read-only file system",
    ENOSPC: "no space left on device",
    EDQUOT: "disk quota exceeded",
    ENOTDIR: "a part of the path is a file, not a folder",
    EISDIR: "is a folder",
    ENOENT: "no such file or folder",
  };
  if (typeof code === "string") return reasons[code] ? `${reasons[code]}, ${code}` : code;
  return typeof message === "string" ? message : String(error);
}
