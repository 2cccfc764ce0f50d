/**
 * Cascade speed on proxies of the real shapes (random weights: speed only, never quality). Per query, BM25 top-100:
 *
 *   alone    CrossEncoderReranker over a BGE-reranker-base-shaped model (XLM-R, 278M parameters), all 100
 *   cascade  DocumentCompressorPipeline: CrossEncoderReranker over a MiniLM-L6-shaped model (22M) keeping 20,
 *            then the BGE-shaped CrossEncoderReranker over those 20
 *
 * Both keep the top 10, both use HuggingFaceCrossEncoder's defaults (q8 on CPU, length-sorted token-budget
 * batches). The two run back to back on each query, alternating which goes first; reported as medians of
 * per-query milliseconds and the per-query speed-up (median and interquartile range).
 *
 *   npm run bench:cascade [-- --queries 6 --collections trec-dl-2019,scifact --threads 1 --out bench-results/cascade.md]
 */
import { writeFileSync } from "node:fs";
import { cpus, loadavg } from "node:os";
import { parseArgs } from "node:util";
import { DocumentCompressorPipeline } from "@langchain/classic/retrievers/document_compressors";
import { Document } from "@langchain/core/documents";
import { HuggingFaceCrossEncoder } from "../src/huggingface.js";
import { CrossEncoderReranker } from "../src/index.js";
import { ensureBgeBaseProxy, ensureMiniLmProxy } from "../scripts/proxy_models.js";
import { formatSpread, loadCandidates, median, pairsOf, spread, time } from "./common.js";

const { values } = parseArgs({
  options: {
    queries: { type: "string", default: "6" },
    depth: { type: "string", default: "100" },
    keep: { type: "string", default: "20" },
    collections: { type: "string", default: "trec-dl-2019,scifact" },
    out: { type: "string" },
    threads: { type: "string" },
  },
});
// `--threads N`: N intra-op threads without spin-waiting (see bench/scorer.bench.ts), for a busy machine.
const sessionOptions =
  values.threads === undefined
    ? {}
    : {
        sessionOptions: {
          intraOpNumThreads: Number(values.threads),
          interOpNumThreads: 1,
          extra: { session: { intra_op: { allow_spinning: "0" } } },
        },
      };
const QUERIES = Number(values.queries);
const DEPTH = Number(values.depth);
const KEEP = Number(values.keep);
const TOP = 10;

const mini = new HuggingFaceCrossEncoder({ model: ensureMiniLmProxy(), ...sessionOptions });
const bge = new HuggingFaceCrossEncoder({ model: ensureBgeBaseProxy(), ...sessionOptions });
await Promise.all([mini.load(), bge.load()]);
const alone = new CrossEncoderReranker({ model: bge, topN: TOP });
const cascade = new DocumentCompressorPipeline({
  transformers: [new CrossEncoderReranker({ model: mini, topN: KEEP }), new CrossEncoderReranker({ model: bge, topN: TOP })],
});

interface Row {
  collection: string;
  tokens: number;
  alone: number[];
  cascade: number[];
  speedups: number[];
}
const rows: Row[] = [];
for (const collection of values.collections.split(",")) {
  const queries = loadCandidates(collection, QUERIES, DEPTH);
  const tokens = median((await Promise.all(queries.map((q) => bge.encode(pairsOf(q))))).flat().map((p) => p.inputIds.length));
  const row: Row = { collection, tokens, alone: [], cascade: [], speedups: [] };
  const warm = queries[0]!.texts.slice(0, 8).map((t) => new Document({ pageContent: t }));
  await alone.compressDocuments(warm, queries[0]!.query);
  await cascade.compressDocuments(warm, queries[0]!.query);
  for (const [i, { query, texts }] of queries.entries()) {
    const docs = texts.map((pageContent, rank) => new Document({ pageContent, metadata: { rank } }));
    const runs = { alone: () => alone.compressDocuments(docs, query), cascade: () => cascade.compressDocuments(docs, query) };
    const order = i % 2 === 0 ? (["alone", "cascade"] as const) : (["cascade", "alone"] as const);
    const ms: Record<string, number> = {};
    for (const name of order) ms[name] = await time(runs[name]);
    row.alone.push(ms.alone!);
    row.cascade.push(ms.cascade!);
    row.speedups.push(ms.alone! / ms.cascade!);
    process.stderr.write(`\r${collection}: query ${i + 1}/${queries.length} (speed-up ${(ms.alone! / ms.cascade!).toFixed(2)}×)   `);
  }
  process.stderr.write("\n");
  rows.push(row);
  process.stderr.write(`${JSON.stringify(row)}\n`); // partial results survive an interrupted run
}
await mini.dispose();
await bge.dispose();

const lines = [
  `Cascade vs BGE-shaped model alone: BM25 top-${DEPTH}, first stage keeps ${KEEP}, top ${TOP} returned; first ${QUERIES} queries per collection.`,
  `Proxies with random weights (speed only). Defaults: q8, CPU batch limits. Node ${process.version}, ${cpus().length} CPU cores, ` +
    `${values.threads === undefined ? "onnxruntime's default threads" : `${values.threads} intra-op thread(s) without spinning`}, load average ${loadavg()[0]!.toFixed(1)} at the end.`,
  "",
  "| collection | median pair tokens | BGE alone over 100, ms/query (median) | cascade MiniLM 100→20 + BGE 20, ms/query (median) | speed-up per query: median [IQR] |",
  "|---|---|---|---|---|",
  ...rows.map(
    (r) =>
      `| ${r.collection} | ${r.tokens} | ${median(r.alone).toFixed(0)} | ${median(r.cascade).toFixed(0)} | ${formatSpread(spread(r.speedups))}× |`,
  ),
  "",
  `VERDICT cascade ≥ 3× faster: ${rows.every((r) => median(r.speedups) >= 3) ? "PASS" : "FAIL"} (${rows.map((r) => `${r.collection} ${median(r.speedups).toFixed(2)}×`).join(", ")})`,
];
const text = lines.join("\n");
console.log(text);
if (values.out) writeFileSync(values.out, text + "\n");
