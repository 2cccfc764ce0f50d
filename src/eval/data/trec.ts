import { InvalidOptionError } from "../../errors.js";
import { DatasetError, forEachLine } from "./lines.js";
import type { Qrels, Run, RunEntry } from "../stats/metrics.js";

// TREC run files (`qid Q0 docid rank score tag`) and qrels in both layouts found in the wild:
// TREC (`qid iter docid label`, whitespace-separated) and BEIR (`query-id<TAB>corpus-id<TAB>score`, header line).

const DECIMAL = /^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i;
const BEIR_HEADER = /^query[-_]?id\s+corpus[-_]?id\s+score$/i;

/** Reads a TREC run. Like trec_eval: the score orders documents (the rank column is only checked), a document
 * listed twice for one query is an error. */
export async function loadTrecRun(file: string): Promise<Run> {
  const run: Run = new Map();
  const seen = new Map<string, Set<string>>();
  await forEachLine(file, "Run file", (text, line) => {
    const fields = text.trim().split(/\s+/);
    if (fields.length !== 6) {
      throw new DatasetError(
        `expected 6 whitespace-separated fields "query-id Q0 doc-id rank score tag", got ${fields.length}: ${JSON.stringify(text.slice(0, 80))}.`,
        file,
        line,
      );
    }
    const [queryId, , docId, rank, scoreText] = fields as [string, string, string, string, string, string];
    const score = Number(scoreText);
    // Decimal only, as trec_eval reads it: Number() would also take hex or binary ("0x10" → 16).
    if (!DECIMAL.test(scoreText) || !Number.isFinite(score)) {
      throw new DatasetError(`expected a finite number as the score (5th field), got ${JSON.stringify(scoreText)}.`, file, line);
    }
    if (!/^-?\d+$/.test(rank)) {
      throw new DatasetError(`expected an integer rank (4th field), got ${JSON.stringify(rank)}.`, file, line);
    }
    let docs = seen.get(queryId);
    if (docs === undefined) seen.set(queryId, (docs = new Set()));
    if (docs.has(docId)) throw new DatasetError(`document ${docId} is listed twice for query ${queryId}.`, file, line);
    docs.add(docId);
    const entries = run.get(queryId);
    const entry: RunEntry = { docId, score };
    if (entries === undefined) run.set(queryId, [entry]);
    else entries.push(entry);
  });
  if (run.size === 0) throw new DatasetError("the run file has no entries.", file);
  return run;
}

/**
 * Reads qrels in TREC (`qid iter docid label`) or BEIR TSV (`query-id corpus-id score`, optional header) layout,
 * detected from the first line. Labels must be integers. A pair judged twice with different labels is an error.
 */
export async function loadQrels(file: string): Promise<Qrels> {
  const qrels: Qrels = new Map();
  let columns: 3 | 4 | undefined;
  let first = true;
  await forEachLine(file, "Qrels file", (text, line) => {
    const trimmed = text.trim();
    const isFirst = first;
    first = false;
    if (isFirst && BEIR_HEADER.test(trimmed)) {
      columns = 3;
      return;
    }
    const fields = trimmed.split(/\s+/);
    if (columns === undefined) {
      if (fields.length !== 3 && fields.length !== 4) {
        throw new DatasetError(
          `expected qrels as "query-id 0 doc-id label" (TREC) or "query-id<TAB>corpus-id<TAB>score" (BEIR), got ${fields.length} fields.`,
          file,
          line,
        );
      }
      columns = fields.length as 3 | 4;
    }
    if (fields.length !== columns) {
      const layout = columns === 4 ? `"query-id 0 doc-id label" (TREC)` : `"query-id<TAB>corpus-id<TAB>score" (BEIR)`;
      throw new DatasetError(`expected ${columns} fields as ${layout} like the lines before, got ${fields.length}.`, file, line);
    }
    const queryId = fields[0] as string;
    const docId = fields[columns === 4 ? 2 : 1] as string;
    const labelText = fields[columns - 1] as string;
    if (!/^-?\d+$/.test(labelText)) {
      throw new DatasetError(`expected an integer relevance label (last field), got ${JSON.stringify(labelText)}.`, file, line);
    }
    const label = Number(labelText);
    let judgments = qrels.get(queryId);
    if (judgments === undefined) qrels.set(queryId, (judgments = new Map()));
    const previous = judgments.get(docId);
    if (previous !== undefined && previous !== label) {
      throw new DatasetError(`document ${docId} is judged twice for query ${queryId} (labels ${previous} and ${label}).`, file, line);
    }
    judgments.set(docId, label);
  });
  if (qrels.size === 0) throw new DatasetError("the qrels file has no judgments.", file);
  return qrels;
}

/** Writes a run in TREC format (ranks 1..n in the given order), e.g. to check a result with trec_eval. */
export function formatTrecRun(rankings: ReadonlyMap<string, readonly RunEntry[]>, tag = "langchain-rerank"): string {
  // Fields are whitespace-separated: an id or tag holding a space, or a NaN score, would write a line that neither
  // loadTrecRun nor trec_eval can read back.
  checkField("tag", tag);
  const lines: string[] = [];
  for (const [queryId, entries] of rankings) {
    checkField("query id", queryId);
    entries.forEach((e, i) => {
      checkField(`document id (query ${queryId}, entry ${i})`, e?.docId);
      if (typeof e.score !== "number" || !Number.isFinite(e.score)) {
        throw new InvalidOptionError(
          `formatTrecRun: the score of document ${e.docId} for query ${queryId} is ${String(e.score)}, not a finite number.`,
        );
      }
      lines.push(`${queryId} Q0 ${e.docId} ${i + 1} ${e.score} ${tag}`);
    });
  }
  return lines.length > 0 ? `${lines.join("\n")}\n` : "";
}

function checkField(what: string, value: unknown): void {
  if (typeof value !== "string" || value === "" || /\s/.test(value)) {
    throw new InvalidOptionError(
      `formatTrecRun: the ${what} must be a non-empty string without whitespace (a TREC run separates fields by whitespace), got ${JSON.stringify(value)}.`,
    );
  }
}
