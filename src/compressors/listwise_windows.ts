// The pure part of listwise reranking (RankGPT): which windows to visit, and how a model's answer becomes a
// permutation of the window. No model, no prompt, no LangChain: tested directly in test/compressors/listwise_windows.test.ts.

/** What happened in one window; ids are the window-relative ids the model saw. */
export interface ListwiseWindowReport {
  /** 0-based positions in the working list covered by this window: `[start, end)`. */
  start: number;
  end: number;
  /** Model calls made for this window: 1, or 2 after an unusable first answer. 0 for a one-document list. */
  attempts: number;
  /** `ranked`: the model's order was used (after repairs below); `fallback`: both answers were unusable, the window kept its order. */
  outcome: "ranked" | "fallback";
  /** Entries that were not an id of this window (out of range, not an integer), as the model gave them (the first 50; long strings cut). */
  invalidIds: unknown[];
  /** Ids the model repeated; the first occurrence counts (the first 50 repeats are listed). */
  duplicateIds: number[];
  /** Ids the model left out; appended after the ranked ones, in their order before this window. */
  omittedIds: number[];
  /** Why an answer was unusable (first attempt, and the second if it failed too). */
  errors: string[];
}

/** The full ranking: every input document's index, best first, and a report per window in the order they ran. */
export interface ListwiseRanking {
  order: number[];
  windows: ListwiseWindowReport[];
}

/** The structured-output schema's name: the tool the model calls with its ranking. */
export const SCHEMA_NAME = "RankDocuments";
/** The schema's one property: the window's ids, most relevant first. */
export const IDS_KEY = "ranked_document_ids";

/** The `[start, end)` windows RankGPT visits: the last `windowSize` first, then up by `stepSize` until the top. */
export function slidingWindows(count: number, windowSize: number, stepSize: number): [number, number][] {
  if (count <= windowSize) return count > 0 ? [[0, count]] : [];
  const windows: [number, number][] = [];
  for (let end = count, start = count - windowSize; ; end -= stepSize, start -= stepSize) {
    windows.push([Math.max(start, 0), end]);
    if (start <= 0) return windows;
  }
}

/** JSON for a message, whatever the model returned (BigInt, cycles and getters that throw included), cut to `max`. */
export function preview(value: unknown, max = 200): string {
  try {
    return String(JSON.stringify(value, (_key, v: unknown) => (typeof v === "bigint" ? `${v}n` : v))).slice(0, max);
  } catch {
    return `an unserializable ${typeof value}`;
  }
}

/** How many invalid or repeated entries a window report keeps: a runaway answer must not become a runaway report. */
export const MAX_REPORTED_IDS = 50;

const ID_STRING = /^\s*\[?\s*(\d+)\s*\]?\s*$/;

/** An answer's entry as a window id, or undefined. Integer strings ("3", "[3]") count: models emit them. */
function toId(entry: unknown, size: number): number | undefined {
  const value = typeof entry === "string" && ID_STRING.test(entry) ? Number(ID_STRING.exec(entry)![1]) : entry;
  return typeof value === "number" && Number.isInteger(value) && value >= 0 && value < size ? value : undefined;
}

/** The id list of a structured-output answer, or undefined when the answer has none. */
export function answerIds(answer: unknown): unknown[] | undefined {
  if (Array.isArray(answer)) return answer;
  if (answer !== null && typeof answer === "object") {
    const ids = (answer as Record<string, unknown>)[IDS_KEY];
    if (Array.isArray(ids)) return ids;
    // Some models send the list as a JSON string ("[2, 0, 1]").
    if (typeof ids === "string" && /^\s*\[[\s\S]*\]\s*$/.test(ids)) {
      try {
        const parsed: unknown = JSON.parse(ids);
        if (Array.isArray(parsed)) return parsed;
      } catch {
        // not JSON: unusable, reported by the caller
      }
    }
  }
  return undefined;
}

export type Repaired = Pick<ListwiseWindowReport, "invalidIds" | "duplicateIds" | "omittedIds"> & { permutation: number[] };

/** Turns the model's id list into a permutation of `0..size-1`: unknown ids dropped, repeats dropped, omissions appended in order. */
export function repairRanking(ids: readonly unknown[], size: number): Repaired {
  const seen = new Set<number>();
  const permutation: number[] = [];
  const invalidIds: unknown[] = [];
  const duplicateIds: number[] = [];
  for (const entry of ids) {
    const id = toId(entry, size);
    if (id === undefined) {
      if (invalidIds.length < MAX_REPORTED_IDS) invalidIds.push(typeof entry === "string" && entry.length > 100 ? `${entry.slice(0, 100)}…` : entry);
    } else if (seen.has(id)) {
      if (duplicateIds.length < MAX_REPORTED_IDS) duplicateIds.push(id);
    } else {
      seen.add(id);
      permutation.push(id);
    }
  }
  const omittedIds: number[] = [];
  for (let id = 0; id < size; id++) if (!seen.has(id)) omittedIds.push(id);
  return { permutation: [...permutation, ...omittedIds], invalidIds, duplicateIds, omittedIds };
}

/** The arguments of the model message's `RankDocuments` tool call, or undefined when it made none. */
export function rankToolCallArgs(raw: unknown): unknown {
  const calls = raw !== null && typeof raw === "object" ? (raw as { tool_calls?: unknown }).tool_calls : undefined;
  if (!Array.isArray(calls)) return undefined;
  const call: unknown = calls.find((c: unknown) => c !== null && typeof c === "object" && (c as { name?: unknown }).name === SCHEMA_NAME);
  const args = (call as { args?: unknown } | undefined)?.args;
  return args !== null && typeof args === "object" ? args : undefined;
}
