import { InvalidOptionError } from "../../errors.js";

// Thread settings for the local scorer's onnxruntime session, as the benchmarks and rerank-eval's --threads set
// them. On a machine whose cores are busy, onnxruntime's default intra-op threads spin while they wait for peers
// the OS has descheduled, and a forward pass can take many times its idle duration (docs/benchmarks.md).

/** Session options for `threads` intra-op threads that do not spin-wait, and one inter-op thread. */
export function threadSessionOptions(threads: number): Record<string, unknown> {
  if (!Number.isSafeInteger(threads) || threads < 1) {
    throw new InvalidOptionError(`threads must be a positive integer, got ${JSON.stringify(threads)}.`);
  }
  return { intraOpNumThreads: threads, interOpNumThreads: 1, extra: { session: { intra_op: { allow_spinning: "0" } } } };
}

/**
 * rerank-eval's `--threads N` and `--session-options JSON` as the local scorer's `sessionOptions`: one or the
 * other (a JSON object of onnxruntime session options says everything --threads would).
 */
export function sessionOptionsFromFlags(threads: string | undefined, json: string | undefined): Record<string, unknown> | undefined {
  if (threads !== undefined && json !== undefined) {
    throw new InvalidOptionError("--threads and --session-options go separately: put intraOpNumThreads in the --session-options object instead.");
  }
  if (threads !== undefined) {
    if (!/^\s*\d+\s*$/.test(threads) || Number(threads) < 1) {
      throw new InvalidOptionError(`--threads must be a positive integer, got ${JSON.stringify(threads)}.`);
    }
    return threadSessionOptions(Number(threads));
  }
  if (json === undefined) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch (error) {
    throw new InvalidOptionError(
      `--session-options must be a JSON object of onnxruntime session options such as '{"intraOpNumThreads":1}': ${(error as Error).message}.`,
    );
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new InvalidOptionError(
      `--session-options must be a JSON object of onnxruntime session options such as '{"intraOpNumThreads":1}', got ${JSON.stringify(json)}.`,
    );
  }
  return value as Record<string, unknown>;
}
