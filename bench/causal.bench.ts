/**
 * Causal-LM reranker speed on a Qwen3-Reranker-0.6B-shaped proxy (hidden 1024, 28 layers, 16 query / 8 key-value
 * heads, vocabulary 151,669, q8; random weights: speed only, never quality), over TREC DL 2019 BM25 candidates:
 *
 *   ours     HuggingFaceCausalCrossEncoder with its defaults (q8, length-sorted 512-token batches, left padding)
 *   floor    a plain onnxruntime-node session on the same token ids, in the same length-sorted batches, reading the
 *            last position's two logits: what any JavaScript caller of this ONNX file pays at least. The two sides
 *            alternate batch by batch (ours scores exactly that batch's pairs), so both see the same machine load
 *   cascade  CrossEncoderReranker over the MiniLM-L6-shaped proxy keeping `--keep`, then the Qwen3-shaped reranker
 *            over those (against the Qwen3-shaped reranker alone over all candidates)
 *
 * Per query every condition runs once, in an order rotated from query to query; medians over queries with the
 * interquartile range. On a 2-core machine a 0.6B pass is seconds per batch: keep --queries small.
 *
 *   flock /tmp/bench.lock npm run bench:causal -- --queries 3 --depths 20,50 --keep 10 [--out bench-results/causal.md]
 */
import { writeFileSync } from "node:fs";
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
    out: { type: "string" },
  },
});
const QUERIES = Number(values.queries);
const DEPTHS = values.depths.split(",").map(Number);
const KEEP = Number(values.keep);

const folder = ensureQwen3Proxy();
const ours = new HuggingFaceCausalCrossEncoder({ model: folder, family: "qwen3-reranker" });
await ours.load();
const session = await InferenceSession.create(join(folder, "onnx", "model_quantized.onnx"));
const config = { layers: 28, kvHeads: 8, headDim: 128 };
const YES = 9693;
const NO = 2152;

/** The batches both sides run: longest first, at most 16 prompts and 512 padded tokens (the scorer's CPU defaults). */
function batchesOf(prompts: readonly number[][]): number[][] {
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

const lines: string[] = [];
const load = () => loadavg()[0]!.toFixed(1);
const startLoad = load();
for (const depth of DEPTHS) {
  const queries = loadCandidates("trec-dl-2019", QUERIES, depth);
  const prompts = await Promise.all(queries.map((q) => ours.encode(pairsOf(q))));
  const tokens = median(prompts.flat().map((p) => p.length));
  await ours.score(pairsOf(queries[0]!).slice(0, 2)); // warm-up
  await floor(prompts[0]!.slice(0, 2));
  for (const prompt of prompts) for (const batch of batchesOf(prompt)) if (batch.length > 16) throw new Error("bad batch plan");
  const oursMs: number[] = [];
  const floorMs: number[] = [];
  const ratios: number[] = [];
  for (const [i, q] of queries.entries()) {
    // Batch by batch, the two sides alternate (which goes first alternates too), seconds apart: on a busy machine
    // a whole query of one side and then the other would compare different loads. Ours is the public `score` over
    // exactly one batch's pairs (tokenization, feeds, forward, scores); the floor is the session on the same ids.
    const pairs = pairsOf(q);
    let oursTotal = 0;
    let floorTotal = 0;
    for (const [b, batch] of batchesOf(prompts[i]!).entries()) {
      const runs = [
        async () => (oursTotal += await time(() => ours.score(batch.map((index) => pairs[index]!)))),
        async () => (floorTotal += await time(() => floor(batch.map((index) => prompts[i]![index]!)))),
      ];
      for (let k = 0; k < 2; k++) await runs[(k + b + i) % 2]!();
    }
    const ms = [oursTotal, floorTotal];
    oursMs.push(ms[0]!);
    floorMs.push(ms[1]!);
    ratios.push(ms[0]! / ms[1]!);
    process.stderr.write(`depth ${depth}: query ${i + 1}/${queries.length}: ours ${ms[0]!.toFixed(0)} ms, floor ${ms[1]!.toFixed(0)} ms\n`);
  }
  lines.push(
    `| ${depth} | ${tokens} | ${formatSpread(spread(oursMs), 0)} | ${formatSpread(spread(floorMs), 0)} | ${formatSpread(spread(ratios))} | ${queries.length} |`,
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
  await mini.dispose();
}
await ours.dispose();

const report = [
  `Qwen3-Reranker-0.6B-shaped proxy (random weights, q8), TREC DL 2019 BM25 candidates, first ${QUERIES} queries.`,
  `Node ${process.version}, ${cpus().length} CPU cores, onnxruntime's default threads; load average ${startLoad} at the start, ${load()} at the end.`,
  "Per query every condition runs once, in rotated order; median [interquartile range] over queries.",
  "",
  "| candidates | median prompt tokens | ours ms | onnxruntime floor ms | ours ÷ floor | queries |",
  "|---|---|---|---|---|---|",
  ...lines,
  ...(cascadeLines.length > 0
    ? ["", "| cascade | Qwen3 alone ms | cascade ms | speed-up | queries |", "|---|---|---|---|---|", ...cascadeLines]
    : []),
].join("\n");
console.log(report);
if (values.out) writeFileSync(values.out, `${report}\n`);
