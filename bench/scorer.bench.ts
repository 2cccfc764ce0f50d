/**
 * Scorer speed on a MiniLM-L6-shaped proxy (random weights: speed only, never quality), BM25 candidates of SciFact
 * (long abstracts) and TREC DL 2019 (short passages), q8 and fp32. Built for ratios that repeat on a shared machine:
 *
 *   defaults  HuggingFaceCrossEncoder.score with its default batching: tokenization + wrapper + forward passes
 *   tokenize  HuggingFaceCrossEncoder.encode alone (the tokenization inside `defaults`)
 *   plan      a raw onnxruntime-node session over the same token ids under the scorer's own batch plan
 *   floor     the same raw session under the best plan: sorted batches of the size that a separate calibration
 *             phase found fastest (chosen before measuring, so the floor is not the luckiest of several noisy runs)
 *
 * The work is cut into many short blocks (one query's candidates each); within a block every condition runs once,
 * in an order rotated from block to block, and each ratio is computed inside the block, so slow spells of a busy
 * machine hit numerator and denominator alike. Each ratio is reported as the median over blocks with its
 * interquartile range:
 *
 *   defaults / floor    the bar (≤ 1.10)
 *   defaults / plan     the scorer's overhead: tokenization and wrapper work, same forward passes
 *   plan / floor        the batch plan's cost against the best plan
 *   tokenize / plan     tokenization's share, for reference
 *
 *   npm run bench [-- --queries 8 --depth 30 --blocks 16 --threads 1 --json run1.json --out bench-results/scorer.md]
 *   npm run bench -- --compare run1.json run2.json run3.json     (do three runs agree?)
 */
import { readFileSync, writeFileSync } from "node:fs";
import { cpus, loadavg } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import * as ort from "onnxruntime-node";
import { threadSessionOptions } from "../src/eval/cli/session_threads.js";
import { HuggingFaceCrossEncoder, type RerankerDtype } from "../src/huggingface.js";
import type { TextPair } from "../src/index.js";
import { planBatches } from "../src/local/runtime/batch_planner.js";
import type { EncodedPair } from "../src/local/runtime/pair_encoder.js";
import { ensureMiniLmProxy } from "../scripts/proxy_models.js";
import { formatSpread, loadCandidates, median, pairsOf, type Spread, spread, time } from "./common.js";

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    queries: { type: "string", default: "8" },
    depth: { type: "string", default: "30" },
    blocks: { type: "string", default: "16" },
    sweep: { type: "string", default: "1,2,4,8,16" },
    calibration: { type: "string", default: "3" },
    collections: { type: "string", default: "scifact,trec-dl-2019" },
    dtypes: { type: "string", default: "q8,fp32" },
    out: { type: "string" },
    json: { type: "string" },
    compare: { type: "boolean", default: false },
    threads: { type: "string" },
  },
});

/**
 * `--threads N`: N intra-op threads without spin-waiting, for both the scorer's session and the raw one. On a busy
 * machine, onnxruntime's default spinning threads wait on peers that are descheduled, and a forward pass can take
 * many times its idle duration; single-threaded sessions degrade gracefully instead.
 */
export const SESSION_OPTIONS: Record<string, unknown> | undefined =
  values.threads === undefined ? undefined : threadSessionOptions(Number(values.threads));

const RATIOS = ["defaults/floor", "defaults/plan", "plan/floor", "tokenize/plan"] as const;
type RatioName = (typeof RATIOS)[number];
const BAR = 1.1;

interface Row {
  collection: string;
  dtype: string;
  medianTokens: number;
  floorBatch: number;
  ms: Record<"defaults" | "tokenize" | "plan" | "floor", number>;
  ratios: Record<RatioName, Spread>;
}

if (values.compare) {
  compare(positionals);
} else {
  await main();
}

async function main(): Promise<void> {
  const QUERIES = Number(values.queries);
  const DEPTH = Number(values.depth);
  const BLOCKS = Number(values.blocks);
  const SWEEP = values.sweep.split(",").map(Number);
  const model = ensureMiniLmProxy();
  const rows: Row[] = [];
  const started = performance.now();
  for (const collection of values.collections.split(",")) {
    const queries = loadCandidates(collection, QUERIES, DEPTH).map(pairsOf);
    for (const dtype of values.dtypes.split(",") as RerankerDtype[]) {
      const row = await measure(collection, dtype, model, queries, { blocks: BLOCKS, sweep: SWEEP, calibration: Number(values.calibration) });
      rows.push(row);
      process.stderr.write(`${JSON.stringify(row)}\n`); // partial results survive an interrupted run
    }
  }
  const minutes = (performance.now() - started) / 60_000;
  const text = report(rows, { queries: QUERIES, depth: DEPTH, blocks: BLOCKS, minutes });
  console.log(text);
  if (values.out) writeFileSync(values.out, text + "\n");
  if (values.json) writeFileSync(values.json, JSON.stringify({ rows, minutes }, null, 1) + "\n");
}

/** Raw session over pre-tokenized pairs, batch by batch as `plan` says, each batch padded to its longest pair. */
async function rawScore(session: ort.InferenceSession, pairs: readonly EncodedPair[], plan: readonly number[][]): Promise<Float32Array> {
  const scores = new Float32Array(pairs.length);
  const types = session.inputNames.includes("token_type_ids");
  for (const batch of plan) {
    const width = Math.max(...batch.map((i) => pairs[i]!.inputIds.length));
    const ids = new BigInt64Array(batch.length * width);
    const mask = new BigInt64Array(batch.length * width);
    const typeIds = new BigInt64Array(batch.length * width);
    batch.forEach((i, row) => {
      const p = pairs[i]!;
      for (let j = 0; j < p.inputIds.length; j++) {
        ids[row * width + j] = BigInt(p.inputIds[j]!);
        mask[row * width + j] = 1n;
        typeIds[row * width + j] = BigInt(p.tokenTypeIds[j]!);
      }
    });
    const dims = [batch.length, width];
    const feeds: Record<string, ort.Tensor> = { input_ids: new ort.Tensor("int64", ids, dims), attention_mask: new ort.Tensor("int64", mask, dims) };
    if (types) feeds.token_type_ids = new ort.Tensor("int64", typeIds, dims);
    const logits = (await session.run(feeds)).logits!.data as Float32Array;
    batch.forEach((i, row) => (scores[i] = logits[row]!));
  }
  return scores;
}

/** Sorted by length, longest first, in batches of `size`. */
function sortedPlan(pairs: readonly EncodedPair[], size: number): number[][] {
  const order = pairs.map((_, i) => i).sort((a, b) => pairs[b]!.inputIds.length - pairs[a]!.inputIds.length || a - b);
  const plan: number[][] = [];
  for (let start = 0; start < order.length; start += size) plan.push(order.slice(start, start + size));
  return plan;
}

async function measure(
  collection: string,
  dtype: RerankerDtype,
  model: string,
  queries: TextPair[][],
  options: { blocks: number; sweep: number[]; calibration: number },
): Promise<Row> {
  const scorer = new HuggingFaceCrossEncoder({ model, dtype, ...(SESSION_OPTIONS ? { sessionOptions: SESSION_OPTIONS } : {}) });
  await scorer.load();
  const session = await ort.InferenceSession.create(
    join(model, "onnx", dtype === "q8" ? "model_quantized.onnx" : "model.onnx"),
    SESSION_OPTIONS ?? {},
  );
  const encoded = await Promise.all(queries.map((pairs) => scorer.encode(pairs)));
  const scorerPlans = encoded.map((pairs) =>
    planBatches(
      pairs.map((p) => p.inputIds.length),
      scorer.batchLimits,
    ),
  );
  const label = `${collection} ${dtype}`;

  // Calibration: which sorted batch size is fastest, on the first queries, every size in rotated order.
  const sweepTimes: Record<number, number[]> = Object.fromEntries(options.sweep.map((b) => [b, []]));
  const calibrationQueries = Math.min(options.calibration, queries.length);
  for (const b of options.sweep) await rawScore(session, encoded[0]!, sortedPlan(encoded[0]!, b)); // warm-up
  for (let round = 0; round < 2; round++) {
    for (let q = 0; q < calibrationQueries; q++) {
      for (let k = 0; k < options.sweep.length; k++) {
        const b = options.sweep[(q + round + k) % options.sweep.length]!;
        sweepTimes[b]!.push(await time(() => rawScore(session, encoded[q]!, sortedPlan(encoded[q]!, b))));
      }
    }
    process.stderr.write(`\r${label}: calibration ${round + 1}/2   `);
  }
  const floorBatch = options.sweep.reduce((best, b) => (median(sweepTimes[b]!) < median(sweepTimes[best]!) ? b : best), options.sweep[0]!);
  const floorPlans = encoded.map((pairs) => sortedPlan(pairs, floorBatch));

  const conditions = {
    defaults: (q: number) => scorer.score(queries[q]!),
    tokenize: (q: number) => scorer.encode(queries[q]!),
    plan: (q: number) => rawScore(session, encoded[q]!, scorerPlans[q]!),
    floor: (q: number) => rawScore(session, encoded[q]!, floorPlans[q]!),
  };
  const names = Object.keys(conditions) as (keyof typeof conditions)[];
  for (const name of names) await conditions[name](0); // warm-up
  const times: Record<string, number[]> = Object.fromEntries(names.map((n) => [n, []]));
  const ratios: Record<RatioName, number[]> = Object.fromEntries(RATIOS.map((r) => [r, []])) as never;
  for (let block = 0; block < options.blocks; block++) {
    const q = block % queries.length;
    const t: Record<string, number> = {};
    for (let k = 0; k < names.length; k++) {
      const name = names[(block + k) % names.length]!;
      t[name] = await time(() => conditions[name](q));
      times[name]!.push(t[name]!);
    }
    ratios["defaults/floor"].push(t.defaults! / t.floor!);
    ratios["defaults/plan"].push(t.defaults! / t.plan!);
    ratios["plan/floor"].push(t.plan! / t.floor!);
    ratios["tokenize/plan"].push(t.tokenize! / t.plan!);
    process.stderr.write(`\r${label}: block ${block + 1}/${options.blocks}   `);
  }
  process.stderr.write("\n");
  await session.release();
  await scorer.dispose();
  return {
    collection,
    dtype,
    medianTokens: median(encoded.flat().map((p) => p.inputIds.length)),
    floorBatch,
    ms: { defaults: median(times.defaults!), tokenize: median(times.tokenize!), plan: median(times.plan!), floor: median(times.floor!) },
    ratios: Object.fromEntries(RATIOS.map((r) => [r, spread(ratios[r])])) as Record<RatioName, Spread>,
  };
}

function report(rows: Row[], run: { queries: number; depth: number; blocks: number; minutes: number }): string {
  const f = (x: number) => x.toFixed(1);
  const worst = rows.reduce((a, b) => (b.ratios["defaults/floor"].median > a.ratios["defaults/floor"].median ? b : a));
  const pass = rows.every((r) => r.ratios["defaults/floor"].median <= BAR);
  return [
    `MiniLM-L6-shaped proxy (random weights), BM25 top-${run.depth}, ${run.queries} queries per collection, ${run.blocks} interleaved blocks per row.`,
    `Node ${process.version}, onnxruntime-node ${ort.env.versions.common}, ${cpus().length} CPU cores, ` +
      `${SESSION_OPTIONS ? `${values.threads} intra-op thread(s) without spinning` : "onnxruntime's default threads"}; ${run.minutes.toFixed(1)} min, load average ${loadavg()[0]!.toFixed(1)} at the end.`,
    "Ratios: median over blocks [interquartile range]. Milliseconds: median per query.",
    "",
    "| collection | dtype | median pair tokens | defaults / floor | defaults / plan (overhead) | plan / floor (batch plan) | tokenize / plan | defaults ms | plan ms | floor ms (batch) |",
    "|---|---|---|---|---|---|---|---|---|---|",
    ...rows.map(
      (x) =>
        `| ${x.collection} | ${x.dtype} | ${x.medianTokens} | ${formatSpread(x.ratios["defaults/floor"])} | ${formatSpread(x.ratios["defaults/plan"])} | ` +
        `${formatSpread(x.ratios["plan/floor"])} | ${formatSpread(x.ratios["tokenize/plan"], 3)} | ${f(x.ms.defaults)} | ${f(x.ms.plan)} | ${f(x.ms.floor)} (${x.floorBatch}) |`,
    ),
    "",
    `VERDICT defaults ≤ ${BAR.toFixed(2)}× floor: ${pass ? "PASS" : "FAIL"} (worst: ${worst.collection} ${worst.dtype} ${formatSpread(worst.ratios["defaults/floor"])})`,
  ].join("\n");
}

/** Do runs agree? Each run's median within ±0.05 of the runs' median on defaults/floor, within ±10% on the others. */
function compare(files: string[]): void {
  if (files.length < 2) throw new Error("--compare needs two or more --json files");
  const runs = files.map((file) => (JSON.parse(readFileSync(file, "utf8")) as { rows: Row[] }).rows);
  const lines: string[] = ["| collection | dtype | ratio | runs | spread | agrees |", "|---|---|---|---|---|---|"];
  let allAgree = true;
  let allUnderBar = true;
  for (const row of runs[0]!) {
    for (const ratio of RATIOS.slice(0, 3)) {
      const medians = runs.map((rows) => rows.find((r) => r.collection === row.collection && r.dtype === row.dtype)!.ratios[ratio].median);
      const mid = median(medians);
      const absolute = ratio === "defaults/floor";
      const deviation = Math.max(...medians.map((m) => (absolute ? Math.abs(m - mid) : Math.abs(m / mid - 1))));
      const agrees = deviation <= (absolute ? 0.05 : 0.1);
      allAgree &&= agrees;
      if (absolute) allUnderBar &&= medians.every((m) => m <= BAR);
      lines.push(
        `| ${row.collection} | ${row.dtype} | ${ratio} | ${medians.map((m) => m.toFixed(3)).join(", ")} | ${absolute ? `±${deviation.toFixed(3)}` : `±${(deviation * 100).toFixed(1)}%`} | ${agrees ? "yes" : "NO"} |`,
      );
    }
  }
  console.log(lines.join("\n"));
  console.log(
    `\nVERDICT ${files.length} runs agree (±0.05 defaults/floor, ±10% others): ${allAgree ? "PASS" : "FAIL"}; defaults ≤ ${BAR.toFixed(2)}× floor in every run: ${allUnderBar ? "PASS" : "FAIL"}`,
  );
}
