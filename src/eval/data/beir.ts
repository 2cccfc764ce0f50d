import { readdir, stat } from "node:fs/promises";
import { join } from "node:path";
import { DatasetError, forEachLine } from "./lines.js";
import type { Qrels } from "../stats/metrics.js";
import { loadQrels } from "./trec.js";
import { InvalidOptionError } from "../../errors.js";
import { describeValue } from "../../options.js";

// A BEIR folder: corpus.jsonl ({"_id","title","text"}), queries.jsonl ({"_id","text"}), qrels/<split>.tsv.
// The TREC DL collections prepared for this project use the same layout, with qrels also as qrels/<split>.trec.txt.

export interface CorpusDocument {
  title: string;
  text: string;
}

export type Corpus = Map<string, CorpusDocument>;

export interface BeirDataset {
  dir: string;
  split: string;
  corpus: Corpus;
  /** Query id → text, restricted to the queries judged in the split. */
  queries: Map<string, string>;
  qrels: Qrels;
}

function parseJsonLine(text: string, file: string, line: number): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new DatasetError(`expected one JSON object per line: ${(error as Error).message}.`, file, line);
  }
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    throw new DatasetError("expected one JSON object per line.", file, line);
  }
  return value as Record<string, unknown>;
}

function idOf(record: Record<string, unknown>, file: string, line: number): string {
  const id = record._id;
  if (typeof id === "string" && id !== "") return id;
  // A number is read back exactly only as a safe integer: 12345678901234567890 would become "12345678901234567000"
  // and 1.0 "1", no longer the id the qrels and run files spell.
  if (typeof id === "number" && Number.isSafeInteger(id)) return String(id);
  if (typeof id === "number") {
    throw new DatasetError(
      `"_id" ${JSON.stringify(id)} is a number that JSON cannot carry exactly here; write the id as a string ("_id": "…").`,
      file,
      line,
    );
  }
  throw new DatasetError(`expected an "_id" (string), got ${JSON.stringify(id)}.`, file, line);
}

function stringField(record: Record<string, unknown>, key: string, file: string, line: number, required: boolean): string {
  const value = record[key];
  if (value === undefined || value === null) {
    if (required) throw new DatasetError(`expected a "${key}" string.`, file, line);
    return "";
  }
  if (typeof value !== "string") throw new DatasetError(`expected "${key}" to be a string, got ${typeof value}.`, file, line);
  return value;
}

export interface LoadCorpusOptions {
  /**
   * Keep only these document ids (e.g. the candidates of a run), to save memory on a large corpus.
   * @default every document
   */
  ids?: ReadonlySet<string>;
}

/** Reads a BEIR corpus.jsonl. A document id seen twice is an error. */
export async function loadCorpus(file: string, options: LoadCorpusOptions = {}): Promise<Corpus> {
  const corpus: Corpus = new Map();
  const seen = new Set<string>();
  await forEachLine(file, "Corpus file", (text, line) => {
    const record = parseJsonLine(text, file, line);
    const id = idOf(record, file, line);
    if (seen.has(id)) throw new DatasetError(`document id ${JSON.stringify(id)} appears twice.`, file, line);
    seen.add(id);
    if (options.ids !== undefined && !options.ids.has(id)) return;
    corpus.set(id, { title: stringField(record, "title", file, line, false), text: stringField(record, "text", file, line, true) });
  });
  return corpus;
}

/** Reads a BEIR queries.jsonl: query id → text. */
export async function loadQueries(file: string): Promise<Map<string, string>> {
  const queries = new Map<string, string>();
  await forEachLine(file, "Queries file", (text, line) => {
    const record = parseJsonLine(text, file, line);
    const id = idOf(record, file, line);
    if (queries.has(id)) throw new DatasetError(`query id ${JSON.stringify(id)} appears twice.`, file, line);
    queries.set(id, stringField(record, "text", file, line, true));
  });
  return queries;
}

/** The qrels file of a split: qrels/<split>.tsv (BEIR), else qrels/<split>.trec.txt or qrels/<split>.txt (TREC). */
export async function findQrelsFile(dir: string, split: string): Promise<string> {
  const qrelsDir = join(dir, "qrels");
  for (const name of [`${split}.tsv`, `${split}.trec.txt`, `${split}.txt`, `${split}.trec`]) {
    const file = join(qrelsDir, name);
    if ((await stat(file).catch(() => undefined))?.isFile()) return file;
  }
  const available = await readdir(qrelsDir).catch(() => undefined);
  if (available === undefined) throw new DatasetError(`no qrels folder: expected ${join(qrelsDir, `${split}.tsv`)}.`, dir);
  const splits = [...new Set(available.map((f) => f.replace(/(\.trec)?\.(tsv|txt|trec)$/, "")))].sort();
  throw new DatasetError(`no qrels for split "${split}" in ${qrelsDir}; available splits: ${splits.join(", ") || "none"}.`, dir);
}

export interface LoadBeirOptions {
  /**
   * The qrels split to read (`qrels/<split>.tsv`, else `qrels/<split>.trec.txt`).
   * @default "test"
   */
  split?: string;
  /**
   * A qrels file to use instead of qrels/<split>.* (either layout).
   * @default qrels/<split>.tsv or .txt in the dataset folder
   */
  qrelsFile?: string;
  /**
   * Keep only these corpus documents (see `LoadCorpusOptions.ids`).
   * @default every document
   */
  corpusIds?: ReadonlySet<string>;
}

/**
 * Loads a BEIR-layout folder. Queries are restricted to those judged in the split; a judged query missing from
 * queries.jsonl is an error (the split and the queries file disagree).
 */
export async function loadBeirDataset(dir: string, options: LoadBeirOptions = {}): Promise<BeirDataset> {
  const info = await stat(dir).catch(() => undefined);
  if (info === undefined) throw new DatasetError("dataset folder not found: expected a folder with corpus.jsonl, queries.jsonl and qrels/.", dir);
  if (!info.isDirectory()) throw new DatasetError("not a folder: --dataset expects a BEIR-layout folder.", dir);
  const split = options.split ?? "test";
  const qrelsFile = options.qrelsFile ?? (await findQrelsFile(dir, split));
  const [qrels, allQueries] = await Promise.all([loadQrels(qrelsFile), loadQueries(join(dir, "queries.jsonl"))]);
  const queries = new Map<string, string>();
  for (const queryId of qrels.keys()) {
    const text = allQueries.get(queryId);
    if (text === undefined)
      throw new DatasetError(`query ${queryId} is judged in ${qrelsFile} but missing from queries.jsonl.`, join(dir, "queries.jsonl"));
    queries.set(queryId, text);
  }
  const corpus = await loadCorpus(join(dir, "corpus.jsonl"), options.corpusIds ? { ids: options.corpusIds } : {});
  return { dir, split, corpus, queries, qrels };
}

/** The text a reranker or BM25 reads for a document: title and text joined by a space (as BEIR's reranking does). */
export function documentText(doc: CorpusDocument): string {
  if (doc === null || typeof doc !== "object" || typeof doc.text !== "string") {
    throw new InvalidOptionError(`documentText: pass a corpus document { title, text }, got ${describeValue(doc)}.`);
  }
  return doc.title === "" ? doc.text : `${doc.title} ${doc.text}`.trim();
}
