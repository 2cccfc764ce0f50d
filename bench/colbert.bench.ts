/**
 * Late-interaction (ColBERT) reranking against cross-encoders over the same BM25 top-100, side by side in one run.
 * Models are random-weight proxies of real shapes (speed only, never quality):
 *
 *   ce-L6    HuggingFaceCrossEncoder on the ms-marco-MiniLM-L-6-v2-shaped proxy (6 layers, hidden 384)
 *   ce-L12   HuggingFaceCrossEncoder on an ms-marco-MiniLM-L-12-v2-shaped proxy (12 layers, hidden 384: the same
 *            encoder shape as answerai-colbert-small-v1)
 *   cold     ColBERTCrossEncoder on the answerai-colbert-small-v1-shaped proxy (12 layers, hidden 384, projection to 96,
 *            query length 32, document length 180), with a fresh store: the 100 documents are encoded in the call
 *   warm     the same model, documents stored ahead by `scorer.index(...)`: only the query is encoded (median of
 *            --warm-repeats calls per query)
 *
 * Per query every condition runs once, in an order rotated from query to query, and each ratio is taken inside the
 * query, so slow spells of a busy machine hit both sides. Medians over queries, [interquartile range] and min–max.
 * Also: `index()` per 1,000 documents, the bytes the store holds per precision (the Uint8Array values' byte
 * lengths), and where a warm call's time goes.
 *
 *   flock /tmp/bench.lock npm run bench:colbert [-- --queries 8 --depth 100 --threads 1 --out bench-results/colbert.md]
 */
import { writeFileSync } from "node:fs";
import { cpus, loadavg } from "node:os";
import { parseArgs } from "node:util";
import { InMemoryStore } from "@langchain/core/stores";
import * as ort from "onnxruntime-node";
import { threadSessionOptions } from "../src/eval/cli/session_threads.js";
import { ColBERTCrossEncoder, HuggingFaceCrossEncoder, type RerankerDtype, type VectorPrecision } from "../src/huggingface.js";
import type { TextPair } from "../src/index.js";
import { sha256Hex } from "../src/stores/sha256.js";
import { bytesPerToken, maxSimScores, unpackWindows } from "../src/local/colbert/token_vectors.js";
import { ortMatMul } from "../test/support/maxsim.js";
import { ensureColbertProxy, ensureMiniLmL12Proxy, ensureMiniLmProxy } from "../scripts/proxy_models.js";
import { loadCandidates, median, pairsOf, quantile, type QueryCandidates, time } from "./common.js";

const { values } = parseArgs({
  options: {
    queries: { type: "string", default: "8" },
    depth: { type: "string", default: "100" },
    collections: { type: "string", default: "trec-dl-2019,scifact" },
    dtype: { type: "string", default: "q8" },
    "warm-repeats": { type: "string", default: "5" },
    threads: { type: "string" },
    out: { type: "string" },
  },
});
const QUERIES = Number(values.queries);
const DEPTH = Number(values.depth);
const DTYPE = values.dtype as RerankerDtype;
const WARM_REPEATS = Number(values["warm-repeats"]);
const BAR = 20;
/** The main figures' precision: ColBERTCrossEncoder's default. */
const PRECISION: VectorPrecision = "float16";
const SESSION = values.threads === undefined ? {} : { sessionOptions: threadSessionOptions(Number(values.threads)) };

const CONDITIONS = ["ce-L6", "ce-L12", "cold", "warm"] as const;
type Condition = (typeof CONDITIONS)[number];

interface Summary {
  median: number;
  q1: number;
  q3: number;
  min: number;
  max: number;
}
const summary = (xs: readonly number[]): Summary => ({
  median: median(xs),
  q1: quantile(xs, 0.25),
  q3: quantile(xs, 0.75),
  min: Math.min(...xs),
  max: Math.max(...xs),
});
const fmt = (s: Summary, digits: number) =>
  `${s.median.toFixed(digits)} [${s.q1.toFixed(digits)}–${s.q3.toFixed(digits)}] (${s.min.toFixed(digits)}–${s.max.toFixed(digits)})`;

interface Memory {
  precision: VectorPrecision;
  dim: number;
  bytes: number;
  tokens: number;
  documents: number;
}
interface Row {
  collection: string;
  queries: number;
  medianDocTokens: number;
  ms: Record<Condition, Summary>;
  ratios: Record<"ce-L6/warm" | "ce-L12/warm" | "ce-L6/cold" | "ce-L12/cold", Summary>;
  indexMsPer1000: Summary;
  memory: Memory[];
  profile: Record<"warm" | "queryPass" | "keys" | "decode" | "maxSim", number>;
}

/** Every value in an InMemoryStore: what the scorer stored, measured as the store holds it. */
async function storedValues(store: InMemoryStore<Uint8Array>): Promise<Uint8Array[]> {
  const keys: string[] = [];
  for await (const key of store.yieldKeys()) keys.push(key);
  return store.mget(keys) as Promise<Uint8Array[]>;
}

function memoryOf(stored: readonly Uint8Array[], precision: VectorPrecision): Memory {
  const tokens = stored.reduce((sum, v) => sum + unpackWindows(v).windows.reduce((n, w) => n + w.vectors.count, 0), 0);
  return { precision, dim: unpackWindows(stored[0]!).dim, bytes: stored.reduce((sum, v) => sum + v.byteLength, 0), tokens, documents: stored.length };
}

const colbert = (model: string, precision: VectorPrecision) =>
  new ColBERTCrossEncoder({ model, dtype: DTYPE, precision, store: new InMemoryStore<Uint8Array>(), ...SESSION });

async function measure(collection: string, models: { l6: string; l12: string; colbert: string }): Promise<Row> {
  const queries = loadCandidates(collection, QUERIES, DEPTH);
  const l6 = new HuggingFaceCrossEncoder({ model: models.l6, dtype: DTYPE, ...SESSION });
  const l12 = new HuggingFaceCrossEncoder({ model: models.l12, dtype: DTYPE, ...SESSION });
  const warm = colbert(models.colbert, PRECISION);
  await Promise.all([l6.load(), l12.load(), warm.load()]);

  // index(): each query's candidates in turn, so the warm condition finds every document stored.
  const indexMsPer1000: number[] = [];
  for (const q of queries) {
    let result = { stored: 0, alreadyStored: 0 };
    const ms = await time(async () => (result = await warm.index(q.texts)));
    if (result.stored > 0) indexMsPer1000.push((ms / result.stored) * 1000);
  }
  process.stderr.write(`${collection}: indexed ${warm.indexStats.misses} documents\n`);

  // Warm-up: a few pairs through every model, so first-call costs (graph optimisation, allocation) stay out.
  const few = pairsOf(queries[0]!).slice(0, 4);
  await Promise.all([l6.score(few), l12.score(few)]);
  await warm.score(few);
  // Cold: one scorer whose store is emptied before each call, so all its documents are encoded in the call.
  const coldScorer = colbert(models.colbert, PRECISION);
  const coldStore = coldScorer.store as InMemoryStore<Uint8Array>;
  await coldScorer.score(few);
  const coldBytes: Uint8Array[][] = [];
  const cold = async (pairs: TextPair[]) => {
    const keys: string[] = [];
    for await (const key of coldStore.yieldKeys()) keys.push(key);
    await coldStore.mdelete(keys);
    const ms = await time(() => coldScorer.score(pairs));
    coldBytes.push(await storedValues(coldStore));
    return ms;
  };

  const times: Record<Condition, number[]> = { "ce-L6": [], "ce-L12": [], cold: [], warm: [] };
  const ratios: Record<keyof Row["ratios"], number[]> = { "ce-L6/warm": [], "ce-L12/warm": [], "ce-L6/cold": [], "ce-L12/cold": [] };
  for (const [i, q] of queries.entries()) {
    const pairs = pairsOf(q);
    const run: Record<Condition, () => Promise<number>> = {
      "ce-L6": () => time(() => l6.score(pairs)),
      "ce-L12": () => time(() => l12.score(pairs)),
      cold: () => cold(pairs),
      warm: async () => {
        const misses = warm.storeStats.misses;
        const repeats: number[] = [];
        for (let r = 0; r < WARM_REPEATS; r++) repeats.push(await time(() => warm.score(pairs)));
        if (warm.storeStats.misses !== misses) throw new Error("a warm call encoded documents: the index did not hold them");
        return median(repeats);
      },
    };
    const t = {} as Record<Condition, number>;
    for (let k = 0; k < CONDITIONS.length; k++) {
      const name = CONDITIONS[(i + k) % CONDITIONS.length]!;
      t[name] = await run[name]();
      times[name].push(t[name]);
    }
    ratios["ce-L6/warm"].push(t["ce-L6"] / t.warm);
    ratios["ce-L12/warm"].push(t["ce-L12"] / t.warm);
    ratios["ce-L6/cold"].push(t["ce-L6"] / t.cold);
    ratios["ce-L12/cold"].push(t["ce-L12"] / t.cold);
    const ms = CONDITIONS.map((c) => `${c} ${t[c].toFixed(1)}`).join(", ");
    process.stderr.write(`${collection} query ${i + 1}/${queries.length}: ${ms} ms\n`);
  }

  // Memory: the first query's candidates stored at each precision (float16's are the cold call's own).
  const memory: Memory[] = [];
  for (const precision of ["float32", "float16", "int8"] as const) {
    if (precision === PRECISION) {
      memory.push(memoryOf(coldBytes[0]!, precision));
      continue;
    }
    const scorer = colbert(models.colbert, precision);
    await scorer.index(queries[0]!.texts);
    memory.push(memoryOf(await storedValues(scorer.store as InMemoryStore<Uint8Array>), precision));
    await scorer.dispose();
  }
  const docTokens = coldBytes.flat().map((v) => unpackWindows(v).windows[0]!.vectors.count);

  const profile = await profileWarm(warm, queries[0]!, coldBytes[0]!);
  await Promise.all([l6.dispose(), l12.dispose(), warm.dispose(), coldScorer.dispose()]);
  return {
    collection,
    queries: queries.length,
    medianDocTokens: median(docTokens),
    ms: Object.fromEntries(CONDITIONS.map((c) => [c, summary(times[c])])) as Row["ms"],
    ratios: Object.fromEntries(Object.entries(ratios).map(([k, v]) => [k, summary(v)])) as Row["ratios"],
    indexMsPer1000: summary(indexMsPer1000),
    memory,
    profile,
  };
}

/**
 * Where a warm call over the first query's candidates goes, each part timed on its own (median of 7): the whole
 * call; a call on one stored document (the query pass, plus one lookup); the store keys (one SHA-256 per document,
 * of an identity and the text, as the store hashes them); decoding the stored bytes; MaxSim over the decoded
 * vectors (with unit query vectors of the query's shape: the cost does not depend on their values).
 */
async function profileWarm(warm: ColBERTCrossEncoder, candidates: QueryCandidates, stored: readonly Uint8Array[]): Promise<Row["profile"]> {
  const docs = stored.map((v) => unpackWindows(v).windows[0]!.vectors);
  const { queryLength } = await warm.conventions();
  const dim = docs[0]!.dim;
  const q = new Float32Array(queryLength * dim).fill(1 / Math.sqrt(dim));
  const identity = warm.cacheKey;
  const repeat = async (fn: () => unknown) => {
    const xs: number[] = [];
    for (let r = 0; r < 7; r++) xs.push(await time(async () => fn()));
    return median(xs);
  };
  return {
    warm: await repeat(() => warm.score(pairsOf(candidates))),
    queryPass: await repeat(() => warm.score([[candidates.query, candidates.texts[0]!]])),
    keys: await repeat(() => Promise.all(candidates.texts.map((t) => sha256Hex(JSON.stringify([identity, t]))))),
    decode: await repeat(() => stored.map((v) => unpackWindows(v))),
    maxSim: await repeat(() => maxSimScores(q, queryLength, docs, ortMatMul)),
  };
}

function report(rows: Row[], minutes: number, startLoad: string): string {
  const lines = [
    `Random-weight proxies (speed only, never quality), dtype ${DTYPE} for every model, stored vectors ${PRECISION} (ColBERTCrossEncoder's default).`,
    `BM25 top-${DEPTH}, the first ${QUERIES} queries per collection; warm: median of ${WARM_REPEATS} calls per query.`,
    `Node ${process.version}, onnxruntime-node ${ort.env.versions.common}, ${cpus().length} CPU cores, ` +
      `${values.threads === undefined ? "onnxruntime's default threads" : `${values.threads} intra-op thread(s) without spinning`}; ` +
      `${minutes.toFixed(1)} min, load average ${startLoad} at the start, ${loadavg()[0]!.toFixed(1)} at the end.`,
    "Median over queries [interquartile range] (min–max).",
    "",
    "| collection | stored tokens per doc (median) | ce-L6 ms | ce-L12 ms | ColBERT cold ms | ColBERT warm ms |",
    "|---|---|---|---|---|---|",
    ...rows.map(
      (r) =>
        `| ${r.collection} | ${r.medianDocTokens} | ${fmt(r.ms["ce-L6"], 0)} | ${fmt(r.ms["ce-L12"], 0)} | ${fmt(r.ms.cold, 0)} | ${fmt(r.ms.warm, 1)} |`,
    ),
    "",
    "| collection | warm speed-up over ce-L6 | over ce-L12 | ce-L6 ÷ cold | ce-L12 ÷ cold | index() ms per 1,000 docs |",
    "|---|---|---|---|---|---|",
    ...rows.map(
      (r) =>
        `| ${r.collection} | ${fmt(r.ratios["ce-L6/warm"], 0)} | ${fmt(r.ratios["ce-L12/warm"], 0)} | ${fmt(r.ratios["ce-L6/cold"], 2)} | ` +
        `${fmt(r.ratios["ce-L12/cold"], 2)} | ${fmt(r.indexMsPer1000, 0)} |`,
    ),
    "",
    "Stored vectors of the first query's candidates (bytes of the store's Uint8Array values, headers included):",
    "",
    "| collection | precision | documents | tokens | bytes | bytes per 1,000 tokens | vectors alone per 1,000 tokens |",
    "|---|---|---|---|---|---|---|",
    ...rows.flatMap((r) =>
      r.memory.map(
        (m) =>
          `| ${r.collection} | ${m.precision} | ${m.documents} | ${m.tokens} | ${m.bytes.toLocaleString("en")} | ` +
          `${Math.round((m.bytes / m.tokens) * 1000).toLocaleString("en")} | ${(bytesPerToken(m.dim, m.precision) * 1000).toLocaleString("en")} |`,
      ),
    ),
    "",
    "Where a warm call goes (first query, each part alone, median of 7, ms):",
    "",
    "| collection | warm call | query pass (one-document call) | store keys (SHA-256) | decode | MaxSim |",
    "|---|---|---|---|---|---|",
    ...rows.map(
      ({ collection, profile: p }) =>
        `| ${collection} | ${p.warm.toFixed(1)} | ${p.queryPass.toFixed(1)} | ${p.keys.toFixed(1)} | ${p.decode.toFixed(1)} | ${p.maxSim.toFixed(1)} |`,
    ),
    "",
  ];
  const worst = rows.reduce((a, b) => (b.ratios["ce-L6/warm"].median < a.ratios["ce-L6/warm"].median ? b : a));
  const pass = rows.every((r) => r.ratios["ce-L6/warm"].median >= BAR);
  lines.push(
    `VERDICT warm ≥ ${BAR}× faster than the MiniLM-L6-shaped cross-encoder: ${pass ? "PASS" : "FAIL"} ` +
      `(lowest: ${worst.collection} ${fmt(worst.ratios["ce-L6/warm"], 0)}; against the L12 shape: ` +
      `${rows.map((r) => `${r.collection} ${r.ratios["ce-L12/warm"].median.toFixed(0)}×`).join(", ")})`,
  );
  return lines.join("\n");
}

const started = performance.now();
const startLoad = loadavg()[0]!.toFixed(1);
const models = { l6: ensureMiniLmProxy(), l12: ensureMiniLmL12Proxy(), colbert: ensureColbertProxy() };
const rows: Row[] = [];
for (const collection of values.collections.split(",")) {
  const row = await measure(collection, models);
  rows.push(row);
  process.stderr.write(`${JSON.stringify(row)}\n`); // partial results survive an interrupted run
}
const text = report(rows, (performance.now() - started) / 60_000, startLoad);
console.log(text);
if (values.out) writeFileSync(values.out, `${text}\n`);
