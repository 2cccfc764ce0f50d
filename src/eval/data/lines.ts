import { createReadStream } from "node:fs";
import { stat } from "node:fs/promises";
import { createInterface } from "node:readline";
import { keepErrorNames, RerankError } from "../../errors.js";

/** A data file that cannot be read or has a malformed line: names the file, the line and what was expected. */
export class DatasetError extends RerankError {
  constructor(
    message: string,
    readonly file?: string,
    readonly line?: number,
    options?: { cause?: unknown },
  ) {
    super(file === undefined ? message : `${file}${line === undefined ? "" : `:${line}`}: ${message}`, options);
  }
}
keepErrorNames({ DatasetError });

/** Throws a DatasetError naming the file when it is missing or not a regular file. */
export async function assertFile(file: string, what: string): Promise<void> {
  const info = await stat(file).catch(() => undefined);
  if (info === undefined) throw new DatasetError(`${what} not found.`, file);
  if (!info.isFile()) throw new DatasetError(`${what} is not a file.`, file);
}

/**
 * Calls `onLine(text, lineNumber)` for each non-blank line, streaming (a corpus can be large).
 * Trailing `\r` and a leading byte-order mark are removed so files written on Windows parse too (JSON.parse
 * rejects a BOM).
 */
export async function forEachLine(file: string, what: string, onLine: (text: string, line: number) => void): Promise<void> {
  await assertFile(file, what);
  const lines = createInterface({ input: createReadStream(file, { encoding: "utf8" }), crlfDelay: Infinity });
  let n = 0;
  for await (const raw of lines) {
    n += 1;
    const unmarked = n === 1 && raw.startsWith("\uFEFF") ? raw.slice(1) : raw;
    const text = unmarked.endsWith("\r") ? unmarked.slice(0, -1) : unmarked;
    if (text.trim() === "") continue;
    onLine(text, n);
  }
}
