import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { TextPair } from "../src/index.js";
import { SHARED_DIR } from "../scripts/proxy_models.js";

// Shared by the benchmarks: BM25 candidates from ../shared's collections, and robust summaries.

function readJsonl<T>(path: string): T[] {
  return readFileSync(path, "utf8")
    .split("\n")
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l) as T);
}

export interface QueryCandidates {
  query: string;
  /** Passage texts (title + text), best BM25 first. */
  texts: string[];
}

/** BM25 top-`depth` candidates for the first `queries` queries of the collection's run that have text. */
export function loadCandidates(collection: string, queries: number, depth: number): QueryCandidates[] {
  const dir = join(SHARED_DIR, "data", collection);
  const corpus = new Map(
    readJsonl<{ _id: string; title?: string; text: string }>(join(dir, "corpus.jsonl")).map((d) => [
      d._id,
      d.title ? `${d.title} ${d.text}` : d.text,
    ]),
  );
  const texts = new Map(readJsonl<{ _id: string; text: string }>(join(dir, "queries.jsonl")).map((q) => [q._id, q.text]));
  const run = new Map<string, { doc: string; rank: number }[]>();
  for (const line of readFileSync(join(dir, "runs", "bm25_top100.trec"), "utf8").split("\n")) {
    const [qid, , doc, rank] = line.trim().split(/\s+/);
    if (!qid || !doc || !texts.has(qid)) continue;
    if (!run.has(qid)) run.set(qid, []);
    run.get(qid)!.push({ doc, rank: Number(rank) });
  }
  return [...run.entries()].slice(0, queries).map(([qid, docs]) => ({
    query: texts.get(qid)!,
    texts: docs
      .sort((a, b) => a.rank - b.rank)
      .slice(0, depth)
      .map(({ doc }) => corpus.get(doc) ?? ""),
  }));
}

export const pairsOf = ({ query, texts }: QueryCandidates): TextPair[] => texts.map((text) => [query, text] as const);

/** The q-quantile (0–1) by linear interpolation. */
export function quantile(xs: readonly number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b);
  if (s.length === 0) return Number.NaN;
  const at = (s.length - 1) * q;
  const lo = Math.floor(at);
  const hi = Math.ceil(at);
  return s[lo]! + (s[hi]! - s[lo]!) * (at - lo);
}
export const median = (xs: readonly number[]) => quantile(xs, 0.5);

/** Median with its interquartile range. */
export interface Spread {
  median: number;
  q1: number;
  q3: number;
  n: number;
}
export const spread = (xs: readonly number[]): Spread => ({ median: median(xs), q1: quantile(xs, 0.25), q3: quantile(xs, 0.75), n: xs.length });
export const formatSpread = (s: Spread, digits = 2) => `${s.median.toFixed(digits)} [${s.q1.toFixed(digits)}–${s.q3.toFixed(digits)}]`;

export async function time(fn: () => Promise<unknown>): Promise<number> {
  const start = performance.now();
  await fn();
  return performance.now() - start;
}
