import { readFileSync } from "node:fs";
import { join } from "node:path";
import { hasShared, SHARED_DIR } from "../../scripts/proxy_models.js";

// The texts the parity tests read: every SciFact and TREC DL 2019/2020 passage and query from ../shared.

export const COLLECTIONS = ["scifact", "trec-dl-2019", "trec-dl-2020"] as const;

interface JsonlRecord {
  _id: string;
  title?: string;
  text: string;
}

function readJsonl(file: string): JsonlRecord[] {
  return readFileSync(file, "utf8")
    .split("\n")
    .filter((line) => line.trim() !== "")
    .map((line) => JSON.parse(line) as JsonlRecord);
}

/** Passages as rerankers read them ("title text" where a title exists), and queries, of one collection. */
export function collectionTexts(name: (typeof COLLECTIONS)[number]): { passages: Map<string, string>; queries: Map<string, string> } {
  // Without ../shared the suites that read these skip (their titles say so); their collection must not fail first.
  if (!hasShared) return { passages: new Map(), queries: new Map() };
  const dir = join(SHARED_DIR, "data", name);
  const passages = new Map(readJsonl(join(dir, "corpus.jsonl")).map((r) => [r._id, r.title ? `${r.title} ${r.text}` : r.text] as const));
  const queries = new Map(readJsonl(join(dir, "queries.jsonl")).map((r) => [r._id, r.text] as const));
  return { passages, queries };
}

/** (query, passage) pairs from the BM25 run: the top `perQuery` candidates of the first `queries` queries. */
export function runPairs(name: (typeof COLLECTIONS)[number], queries: number, perQuery: number): [string, string][] {
  if (!hasShared) return [];
  const { passages, queries: texts } = collectionTexts(name);
  const byQuery = new Map<string, string[]>();
  for (const line of readFileSync(join(SHARED_DIR, "data", name, "runs", "bm25_top100.trec"), "utf8").split("\n")) {
    const [qid, , docid] = line.split(/\s+/);
    if (qid === undefined || docid === undefined || !texts.has(qid) || !passages.has(docid)) continue;
    const list = byQuery.get(qid) ?? [];
    if (list.length < perQuery) list.push(docid);
    byQuery.set(qid, list);
  }
  return [...byQuery.entries()].slice(0, queries).flatMap(([qid, docs]) => docs.map((d) => [texts.get(qid)!, passages.get(d)!] as [string, string]));
}

/** Multi-byte, emoji, combining, right-to-left and CJK text, where byte-level and WordPiece tokenizers most often part. */
export const HARD_TEXTS: readonly string[] = [
  "naïve café — résumé, coöperate, Zürich",
  "emoji 👩‍👩‍👧‍👦 family, flags 🇫🇷🇯🇵, skin tones 👍🏽, keycap 1️⃣",
  "combining e\u0301 vs é, Å vs A\u030a, ﬁ ligature, ＡＢＣ fullwidth",
  "中文分词测试：北京是中国的首都。日本語のテキスト、한국어 문장",
  "العربية من اليمين إلى اليسار עברית",
  "zero\u200bwidth\u00a0nbsp\ttab\nnewline\r\nwindows  double  space",
  "math ∑∫√∞ ≤ ≥ ≠, arrows →⇒, µg/mL, 37°C, €5 £3 ¥100",
  "   leading and trailing spaces   ",
  "<|im_start|>user\nspecial tokens inside text<|im_end|>",
  "Ǆemo Ωmega straße İstanbul",
];

/**
 * Known divergences, asserted as such so a fix in either library shows. transformers.js lowercases with
 * `String.prototype.toLowerCase`, which applies Unicode's final-sigma rule (a capital Σ ending a word becomes ς);
 * `tokenizers` lowercases character by character (Σ becomes σ). No SciFact or TREC DL text has such a word.
 */
export const KNOWN_DIVERGENCES: Readonly<Record<string, { text: string; ours: number[]; reference: number[] }>> = {
  "ms-marco-MiniLM-L-6-v2 (BERT WordPiece)": { text: "ΣΑΣ", ours: [101, 1173, 14608, 19579, 102], reference: [101, 1173, 14608, 29733, 102] },
};
