/**
 * The batch-size sweep behind the CPU batch defaults (docs/benchmarks.md, "Why the defaults are a token budget").
 * Scorer speed on a MiniLM-L6-shaped proxy (random weights: speed only, never quality), BM25 top-50 candidates of
 * SciFact (long abstracts) and TREC DL 2019 (short passages), q8 and fp32. Conditions run side by side, query by
 * query in rotation, so machine noise hits them alike; reported as medians of per-query milliseconds and ratios.
 *
 *   defaults  HuggingFaceCrossEncoder with its default batching, tokenization included
 *   floor     the fastest raw onnxruntime-node session over the same token ids, sorted, batch size swept 1–32
 *   fixed-32  raw session, batches of 32 in input order (what sentence-transformers does)
 *   one-pair  raw session, one pair per pass
 *
 *   npm run bench:sweep [-- --queries 12 --depth 50 --out bench-results/sweep.md]
 *
 * Its "defaults / floor" divides by the fastest of six noisy medians, so it leans high and varies from run to run;
 * `npm run bench` (bench/scorer.bench.ts) measures that ratio for the bar.
 */
import { writeFileSync } from "node:fs";
import { cpus } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import * as ort from "onnxruntime-node";
import { HuggingFaceCrossEncoder, type RerankerDtype } from "../src/huggingface.js";
import type { TextPair } from "../src/index.js";
import type { EncodedPair } from "../src/local/runtime/pair_encoder.js";
import { ensureMiniLmProxy } from "../scripts/proxy_models.js";
import { loadCandidates, median, pairsOf } from "./common.js";

const { values } = parseArgs({
  options: {
    queries: { type: "string", default: "20" },
    depth: { type: "string", default: "50" },
    collections: { type: "string", default: "scifact,trec-dl-2019" },
    dtypes: { type: "string", default: "q8,fp32" },
    out: { type: "string" },
  },
});
const QUERIES = Number(values.queries);
const DEPTH = Number(values.depth);
const SWEEP = [1, 2, 4, 8, 16, 32];

/** Raw session over pre-tokenized pairs: `order` decides which pairs share a batch, each padded to its longest. */
async function rawScore(session: ort.InferenceSession, pairs: EncodedPair[], order: number[], batchSize: number): Promise<Float32Array> {
  const scores = new Float32Array(pairs.length);
  for (let start = 0; start < order.length; start += batchSize) {
    const batch = order.slice(start, start + batchSize);
    const width = Math.max(...batch.map((i) => pairs[i]!.inputIds.length));
    const ids = new BigInt64Array(batch.length * width);
    const mask = new BigInt64Array(batch.length * width);
    const types = new BigInt64Array(batch.length * width);
    batch.forEach((i, row) => {
      const p = pairs[i]!;
      for (let j = 0; j < p.inputIds.length; j++) {
        ids[row * width + j] = BigInt(p.inputIds[j]!);
        mask[row * width + j] = 1n;
        types[row * width + j] = BigInt(p.tokenTypeIds[j]!);
      }
    });
    const dims = [batch.length, width];
    const out = await session.run({
      input_ids: new ort.Tensor("int64", ids, dims),
      attention_mask: new ort.Tensor("int64", mask, dims),
      token_type_ids: new ort.Tensor("int64", types, dims),
    });
    const logits = out.logits!.data as Float32Array;
    batch.forEach((i, row) => (scores[i] = logits[row]!));
  }
  return scores;
}

async function time(fn: () => Promise<unknown>): Promise<number> {
  const start = performance.now();
  await fn();
  return performance.now() - start;
}

interface Row {
  collection: string;
  dtype: string;
  medianTokens: number;
  defaults: number;
  floor: number;
  floorBatch: number;
  fixed32: number;
  onePair: number;
  sweep: Record<number, number>;
  maxDeltaVsOnePair: number;
  maxDelta1vs32: number;
}

async function measure(collection: string, dtype: RerankerDtype, model: string, queries: TextPair[][]): Promise<Row> {
  const scorer = new HuggingFaceCrossEncoder({ model, dtype, scoreMode: "raw" });
  await scorer.load();
  const session = await ort.InferenceSession.create(join(model, "onnx", dtype === "q8" ? "model_quantized.onnx" : "model.onnx"));
  const encoded = await Promise.all(queries.map((pairs) => scorer.encode(pairs)));
  const lengths = encoded.flat().map((p) => p.inputIds.length);
  const sortedOrder = (pairs: EncodedPair[]) => pairs.map((_, i) => i).sort((a, b) => pairs[b]!.inputIds.length - pairs[a]!.inputIds.length);
  const inputOrder = (pairs: EncodedPair[]) => pairs.map((_, i) => i);
  const conditions: Record<string, (q: number) => Promise<unknown>> = {
    defaults: (q) => scorer.score(queries[q]!),
    fixed32: (q) => rawScore(session, encoded[q]!, inputOrder(encoded[q]!), 32),
    onePair: (q) => rawScore(session, encoded[q]!, inputOrder(encoded[q]!), 1),
  };
  for (const b of SWEEP) conditions[`sorted${b}`] = (q) => rawScore(session, encoded[q]!, sortedOrder(encoded[q]!), b);
  const names = Object.keys(conditions);
  for (const name of names) await conditions[name]!(0); // warm-up
  const times: Record<string, number[]> = Object.fromEntries(names.map((n) => [n, []]));
  for (let q = 0; q < queries.length; q++) {
    // Rotate the starting condition so none always runs first (or right after another) on a query.
    for (let k = 0; k < names.length; k++) {
      const name = names[(q + k) % names.length]!;
      times[name]!.push(await time(() => conditions[name]!(q)));
    }
    process.stderr.write(`\r${collection} ${dtype}: query ${q + 1}/${queries.length}`);
  }
  process.stderr.write("\n");
  // How far scores move with batch composition, on the 0–1 (sigmoid) scale: exactly 0 in fp32 up to float noise;
  // in q8 dynamic quantization scales activations per batch tensor.
  const sig = (x: number) => 1 / (1 + Math.exp(-x));
  let maxDelta = 0;
  let maxDelta1vs32 = 0;
  for (let q = 0; q < queries.length; q++) {
    const batched = await scorer.score(queries[q]!);
    const single = await rawScore(session, encoded[q]!, inputOrder(encoded[q]!), 1);
    const big = await rawScore(session, encoded[q]!, sortedOrder(encoded[q]!), 32);
    batched.forEach((s, i) => (maxDelta = Math.max(maxDelta, Math.abs(sig(s) - sig(single[i]!)))));
    big.forEach((s, i) => (maxDelta1vs32 = Math.max(maxDelta1vs32, Math.abs(sig(s) - sig(single[i]!)))));
  }
  const sweep = Object.fromEntries(SWEEP.map((b) => [b, median(times[`sorted${b}`]!)]));
  const floorBatch = SWEEP.reduce((best, b) => (sweep[b]! < sweep[best]! ? b : best), SWEEP[0]!);
  await session.release();
  await scorer.dispose();
  return {
    collection,
    dtype,
    medianTokens: median(lengths),
    defaults: median(times.defaults!),
    floor: sweep[floorBatch]!,
    floorBatch,
    fixed32: median(times.fixed32!),
    onePair: median(times.onePair!),
    sweep,
    maxDeltaVsOnePair: maxDelta,
    maxDelta1vs32,
  };
}

function report(rows: Row[]): string {
  const f = (x: number) => x.toFixed(1);
  const r = (x: number) => x.toFixed(2);
  const lines = [
    `MiniLM-L6-shaped proxy (random weights), BM25 top-${DEPTH}, first ${QUERIES} queries per collection; ms per query, medians.`,
    `Node ${process.version}, onnxruntime-node ${ort.env.versions.common}, ${cpus().length} CPU cores.`,
    "",
    "| collection | dtype | median pair tokens | defaults | floor (batch) | fixed 32, input order | one pair per pass | defaults / floor | fixed 32 / defaults | max Δ score, defaults vs one pair | max Δ score, batch 32 vs one pair |",
    "|---|---|---|---|---|---|---|---|---|---|---|",
    ...rows.map(
      (x) =>
        `| ${x.collection} | ${x.dtype} | ${x.medianTokens} | ${f(x.defaults)} | ${f(x.floor)} (${x.floorBatch}) | ${f(x.fixed32)} | ${f(x.onePair)} | ${r(x.defaults / x.floor)}× | ${r(x.fixed32 / x.defaults)}× | ${x.maxDeltaVsOnePair.toExponential(1)} | ${x.maxDelta1vs32.toExponential(1)} |`,
    ),
    "",
    "Raw sorted sweep (ms per query, by batch size):",
    "",
    `| collection | dtype | ${SWEEP.join(" | ")} |`,
    `|---|---|${SWEEP.map(() => "---").join("|")}|`,
    ...rows.map((x) => `| ${x.collection} | ${x.dtype} | ${SWEEP.map((b) => f(x.sweep[b]!)).join(" | ")} |`),
  ];
  return lines.join("\n");
}

const model = ensureMiniLmProxy();
const rows: Row[] = [];
for (const collection of values.collections.split(",")) {
  const queries = loadCandidates(collection, QUERIES, DEPTH).map(pairsOf);
  for (const dtype of values.dtypes.split(",") as RerankerDtype[]) {
    const row = await measure(collection, dtype, model, queries);
    rows.push(row);
    process.stderr.write(`${JSON.stringify(row)}\n`); // partial results survive an interrupted run
  }
}
const text = report(rows);
console.log(text);
if (values.out) writeFileSync(values.out, text + "\n");
