/**
 * Causal-LM reranker speed and memory on a Qwen3-Reranker-0.6B-shaped proxy (hidden 1024, 28 layers, 16 query / 8
 * key-value heads, vocabulary 151,669, q8; random weights: speed only, never quality), over TREC DL 2019 BM25
 * candidates:
 *
 *   converted  HuggingFaceCausalCrossEncoder with its defaults (q8, length-sorted 512-token batches, left padding, the
 *              answer-head graph converted on first load: [batch, 2] logits)
 *   full       the same with convertGraph: false (the full graph's [batch, sequence, vocabulary] logits; the default
 *              before the conversion)
 *   floor      a plain onnxruntime-node session over the full graph on the same token ids, in the same batches,
 *              reading the last position's two logits: what any JavaScript caller of this ONNX file pays at least
 *   cascade    CrossEncoderReranker over the MiniLM-L6-shaped proxy keeping `--keep`, then the Qwen3-shaped reranker
 *              over those (against the Qwen3-shaped reranker alone over all candidates)
 *
 * Time: the three sides alternate batch by batch (each scores exactly that batch's pairs, in an order rotated per
 * batch), so all see the same machine load; medians over queries with the interquartile range, and per-query ratios.
 * Peak RSS: each side in its own child process (load, then the first query's candidates), `--rss-runs` times in
 * rotated order. On a 2-core machine a 0.6B pass is seconds per batch: keep --queries small.
 *
 *   flock /tmp/bench.lock npm run bench:causal -- --queries 3 --depths 20,50 --keep 10 [--cascade false] [--out bench-results/causal.md]
 */
import { execFile } from "node:child_process";
import { readFileSync, readdirSync, statSync, writeFileSync } from "node:fs";
import { cpus, loadavg } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { Document } from "@langchain/core/documents";
import { InferenceSession, Tensor } from "onnxruntime-node";
import { DocumentCompressorPipeline } from "@langchain/classic/retrievers/document_compressors";
import { ensureQwen3Proxy } from "../scripts/causal_models.js";
import { ensureMiniLmProxy } from "../scripts/proxy_models.js";
import { HuggingFaceCausalCrossEncoder, HuggingFaceCrossEncoder } from "../src/huggingface.js";
import { CrossEncoderReranker } from "../src/index.js";
import { formatSpread, loadCandidates, median, pairsOf, spread, time } from "./common.js";

const { values } = parseArgs({
  options: {
    queries: { type: "string", default: "3" },
    depths: { type: "string", default: "20,50" },
    keep: { type: "string", default: "10" },
    cascade: { type: "string", default: "true" },
    "rss-runs": { type: "string", default: "2" },
    batches: { type: "string" },
    child: { type: "string" },
    out: { type: "string" },
  },
});
const QUERIES = Number(values.queries);
const DEPTHS = values.depths.split(",").map(Number);
const KEEP = Number(values.keep);

const folder = ensureQwen3Proxy();
const GRAPH = join(folder, "onnx", "model_quantized.onnx");
type Side = "converted" | "full" | "floor";
const SIDES: Side[] = ["converted", "full", "floor"];
const scorerFor = (side: "converted" | "full") =>
  new HuggingFaceCausalCrossEncoder({ model: folder, family: "qwen3-reranker", ...(side === "full" ? { convertGraph: false } : {}) });
let session: InferenceSession;
const config = { layers: 28, kvHeads: 8, headDim: 128 };
const YES = 9693;
const NO = 2152;

/**
 * The batches every side runs: longest first, at most 16 prompts and 512 padded tokens (the scorer's CPU defaults);
 * `--batches N` keeps a query's first N (its longest prompts), for a machine too busy for whole queries.
 */
function batchesOf(prompts: readonly number[][]): number[][] {
  return allBatchesOf(prompts).slice(0, values.batches === undefined ? undefined : Number(values.batches));
}

function allBatchesOf(prompts: readonly number[][]): number[][] {
  const order = prompts.map((_, i) => i).sort((a, b) => prompts[b]!.length - prompts[a]!.length || a - b);
  const batches: number[][] = [];
  for (let start = 0; start < order.length;) {
    const width = prompts[order[start]!]!.length;
    const size = Math.max(1, Math.min(16, Math.floor(512 / width), order.length - start));
    batches.push(order.slice(start, start + size));
    start += size;
  }
  return batches;
}

/** The floor: one left-padded batch of ids through the plain session, reading the last position's two logits. */
async function floor(prompts: readonly number[][]): Promise<number[]> {
  const size = prompts.length;
  const width = Math.max(...prompts.map((p) => p.length));
  const ids = new BigInt64Array(size * width);
  const mask = new BigInt64Array(size * width);
  const positions = new BigInt64Array(size * width).fill(1n);
  prompts.forEach((p, row) => {
    const offset = row * width + width - p.length;
    p.forEach((id, j) => {
      ids[offset + j] = BigInt(id);
      mask[offset + j] = 1n;
      positions[offset + j] = BigInt(j);
    });
  });
  const dims = [size, width];
  const feeds: Record<string, Tensor> = {
    input_ids: new Tensor("int64", ids, dims),
    attention_mask: new Tensor("int64", mask, dims),
    position_ids: new Tensor("int64", positions, dims),
  };
  for (let layer = 0; layer < config.layers; layer++) {
    for (const kind of ["key", "value"]) {
      feeds[`past_key_values.${layer}.${kind}`] = new Tensor("float32", new Float32Array(0), [size, config.kvHeads, 0, config.headDim]);
    }
  }
  const { logits } = await session.run(feeds, ["logits"]);
  const vocab = logits!.dims[2]!;
  const data = logits!.data as Float32Array;
  return prompts.map((_, row) => {
    const last = (row * width + width - 1) * vocab;
    return 1 / (1 + Math.exp(-(data[last + YES]! - data[last + NO]!)));
  });
}

if (values.child !== undefined) {
  // One side alone in this process: load, score the first query's candidates at the depth, report peak RSS.
  const side = values.child as Side;
  const [query] = loadCandidates("trec-dl-2019", 1, DEPTHS[0]!);
  const loadStart = performance.now();
  const scorer = side === "floor" ? undefined : scorerFor(side);
  if (scorer) await scorer.load();
  else session = await InferenceSession.create(GRAPH);
  const loadMs = performance.now() - loadStart;
  const encoder = scorer ?? scorerFor("full");
  const prompts = await encoder.encode(pairsOf(query!));
  const kept = batchesOf(prompts);
  const scoreMs = await time(async () => {
    if (scorer) await scorer.score(kept.flat().map((i) => pairsOf(query!)[i]!));
    else for (const batch of kept) await floor(batch.map((i) => prompts[i]!));
  });
  const graph = scorer?.answerHead?.converted ? join(scorer.answerHead.folder, "onnx") : join(folder, "onnx");
  const diskBytes = readdirSync(graph)
    .filter((f) => f.startsWith("model_quantized.onnx"))
    .reduce((sum, f) => sum + statSync(join(graph, f)).size, 0);
  const hwm = Number(/VmHWM:\s+(\d+) kB/.exec(readFileSync("/proc/self/status", "utf8"))?.[1]);
  console.log(JSON.stringify({ side, loadMs, scoreMs, maxRssMb: hwm / 1024, diskBytes, converted: scorer?.answerHead }));
  process.exit(0);
}

const sides = { converted: scorerFor("converted"), full: scorerFor("full") };
await sides.converted.load(); // converts on its first run (not timed: the conversion is once per model)
await sides.full.load();
if (!sides.converted.answerHead?.converted) throw new Error(`the converted side runs the full graph: ${JSON.stringify(sides.converted.answerHead)}`);
session = await InferenceSession.create(GRAPH);
const ours = sides.converted;

const lines: string[] = [];
const load = () => loadavg()[0]!.toFixed(1);
const startLoad = load();
let maxScoreDiff = 0;
for (const depth of DEPTHS) {
  const queries = loadCandidates("trec-dl-2019", QUERIES, depth);
  const prompts = await Promise.all(queries.map((q) => ours.encode(pairsOf(q))));
  const tokens = median(prompts.flat().map((p) => p.length));
  for (const side of Object.values(sides)) await side.score(pairsOf(queries[0]!).slice(0, 2)); // warm-up
  await floor(prompts[0]!.slice(0, 2));
  const ms: Record<Side, number[]> = { converted: [], full: [], floor: [] };
  const speedups: number[] = [];
  const overFloor: number[] = [];
  for (const [i, q] of queries.entries()) {
    // Batch by batch the three sides alternate, in an order rotated per batch, seconds apart: on a busy machine a
    // whole query of one side and then another would compare different loads. Each scorer is the public `score`
    // over exactly one batch's pairs (tokenization, feeds, forward, scores); the floor is the session on the same ids.
    const pairs = pairsOf(q);
    const total: Record<Side, number> = { converted: 0, full: 0, floor: 0 };
    for (const [b, batch] of batchesOf(prompts[i]!).entries()) {
      const batchPairs = batch.map((index) => pairs[index]!);
      const scores: Partial<Record<Side, number[]>> = {};
      const run = async (side: Side) => {
        total[side] += await time(async () => {
          scores[side] = side === "floor" ? await floor(batch.map((index) => prompts[i]![index]!)) : await sides[side].score(batchPairs);
        });
      };
      for (let k = 0; k < SIDES.length; k++) await run(SIDES[(k + b + i) % SIDES.length]!);
      for (const side of ["converted", "full"] as const) {
        scores[side]!.forEach((x, j) => (maxScoreDiff = Math.max(maxScoreDiff, Math.abs(x - scores.floor![j]!))));
      }
    }
    for (const side of SIDES) ms[side].push(total[side]);
    speedups.push(total.full / total.converted);
    overFloor.push(total.converted / total.floor);
    process.stderr.write(
      `depth ${depth}: query ${i + 1}/${queries.length}: converted ${total.converted.toFixed(0)} ms, full ${total.full.toFixed(0)} ms, floor ${total.floor.toFixed(0)} ms\n`,
    );
  }
  lines.push(
    `| ${depth} | ${tokens} | ${formatSpread(spread(ms.converted), 0)} | ${formatSpread(spread(ms.full), 0)} | ${formatSpread(spread(ms.floor), 0)} | ` +
      `${formatSpread(spread(speedups))} | ${formatSpread(spread(overFloor))} | ${queries.length} |`,
  );
}

// Peak RSS: each side alone in a child process (VmHWM: getrusage's maxrss would carry this process's peak over
// exec). The three sides of a depth run at once: a process's peak does not depend on the machine's load, and no
// time is taken from these runs.
await Promise.all([sides.converted.dispose(), sides.full.dispose(), session.release()]);
const rssLines: string[] = [];
const RSS_RUNS = Number(values["rss-runs"]);
const child = (side: Side, depth: number) =>
  new Promise<{ maxRssMb: number; diskBytes: number }>((done, fail) => {
    execFile(
      process.execPath,
      [...process.execArgv, process.argv[1]!, "--child", side, "--depths", String(depth)],
      { maxBuffer: 1 << 20 },
      (error, out) => (error ? fail(error) : done(JSON.parse(out.trim().split("\n").at(-1)!))),
    );
  });
for (const depth of DEPTHS) {
  const runs: Record<Side, { maxRssMb: number; diskBytes: number }[]> = { converted: [], full: [], floor: [] };
  for (let r = 0; r < RSS_RUNS; r++) {
    const results = await Promise.all(SIDES.map((side) => child(side, depth)));
    SIDES.forEach((side, k) => runs[side].push(results[k]!));
  }
  const mb = (side: Side) => median(runs[side].map((x) => x.maxRssMb));
  const range = (side: Side) =>
    `${Math.min(...runs[side].map((x) => x.maxRssMb)).toFixed(0)}–${Math.max(...runs[side].map((x) => x.maxRssMb)).toFixed(0)}`;
  rssLines.push(
    `| ${depth} | ${mb("converted").toFixed(0)} (${range("converted")}) | ${mb("full").toFixed(0)} (${range("full")}) | ${mb("floor").toFixed(0)} (${range("floor")}) | ` +
      `${(mb("converted") / mb("full")).toFixed(2)} | ${(runs.converted[0]!.diskBytes / 1e6).toFixed(0)} | ${(runs.full[0]!.diskBytes / 1e6).toFixed(0)} | ${RSS_RUNS} |`,
  );
}

const cascadeLines: string[] = [];
if (values.cascade === "true") {
  const depth = Math.max(...DEPTHS);
  const mini = new HuggingFaceCrossEncoder({ model: ensureMiniLmProxy() });
  await mini.load();
  const alone = new CrossEncoderReranker({ model: ours, topN: KEEP });
  const pipeline = new DocumentCompressorPipeline({
    transformers: [new CrossEncoderReranker({ model: mini, topN: 20 }), new CrossEncoderReranker({ model: ours, topN: KEEP })],
  });
  const aloneMs: number[] = [];
  const cascadeMs: number[] = [];
  const speedups: number[] = [];
  for (const [i, { query, texts }] of loadCandidates("trec-dl-2019", QUERIES, depth).entries()) {
    const docs = texts.map((pageContent) => new Document({ pageContent }));
    const runs = [() => time(() => alone.compressDocuments(docs, query)), () => time(() => pipeline.compressDocuments(docs, query))];
    const ms: number[] = [];
    for (let k = 0; k < runs.length; k++) ms[(k + i) % 2] = await runs[(k + i) % 2]!();
    aloneMs.push(ms[0]!);
    cascadeMs.push(ms[1]!);
    speedups.push(ms[0]! / ms[1]!);
    process.stderr.write(`cascade query ${i + 1}: alone ${ms[0]!.toFixed(0)} ms, cascade ${ms[1]!.toFixed(0)} ms\n`);
  }
  cascadeLines.push(
    `| ${depth} → MiniLM keeps 20 → Qwen3 keeps ${KEEP} | ${formatSpread(spread(aloneMs), 0)} | ${formatSpread(spread(cascadeMs), 0)} | ${formatSpread(spread(speedups))} | ${aloneMs.length} |`,
  );
  await Promise.all([mini.dispose(), ours.dispose()]);
}
const report = [
  `Qwen3-Reranker-0.6B-shaped proxy (random weights, q8), TREC DL 2019 BM25 candidates, first ${QUERIES} queries` +
    (values.batches === undefined ? "." : `, each query's first ${values.batches} batch(es) only (its longest prompts).`),
  `Node ${process.version}, ${cpus().length} CPU cores, onnxruntime's default threads; load average ${startLoad} at the start, ${load()} at the end.`,
  "Per query every condition runs once, in rotated order; median [interquartile range] over queries.",
  "",
  "| candidates | median prompt tokens | converted ms | full ms | onnxruntime floor ms | full ÷ converted | converted ÷ floor | queries |",
  "|---|---|---|---|---|---|---|---|",
  ...lines,
  "",
  `Largest difference between a scorer's score and the floor's on the same batch: ${maxScoreDiff.toExponential(2)}.`,
  "",
  "Peak RSS of a child process that loads one side and scores the first query's candidates: median (min–max) over runs.",
  "",
  "| candidates | converted MB | full MB | floor MB | converted ÷ full | converted graph MB on disk | full graph MB on disk | runs |",
  "|---|---|---|---|---|---|---|---|",
  ...rssLines,
  ...(cascadeLines.length > 0
    ? ["", "| cascade | Qwen3 alone ms | cascade ms | speed-up | queries |", "|---|---|---|---|---|", ...cascadeLines]
    : []),
].join("\n");
console.log(report);
if (values.out) writeFileSync(values.out, `${report}\n`);
