/**
 * RerankMonitor's cost, measured side by side in one run (random weights: speed only, never quality).
 *
 * Overhead: TREC DL 2019 queries with their BM25 top-50, reranked through a ContextualCompressionRetriever by a
 * CrossEncoderReranker over the MiniLM-L6-shaped proxy (q8, the package's defaults), with and without the monitor in
 * `callbacks`, the order alternating per query and round. The monitor's own cost is far below the run-to-run noise
 * of a rerank, so it is also measured where it can be seen: the same retriever over a scorer that costs nothing
 * (precomputed scores), with and without the monitor, in blocks of 200 calls. Reported: medians with the
 * interquartile range, and the isolated overhead as a share of the MiniLM rerank's median.
 *
 * Memory: 100,000 queries (the free scorer with shuffled scores, so every query's ranks differ) through one
 * monitor; the heap after a full GC at 10,000, 50,000 and 100,000 queries.
 *
 * Part `overhead` is the two above; part `scale` (bench/monitor_scale.ts; no model or ../shared needed): one query of up to 40,000 documents, τ-b against the
 * pairwise count, and the sketch's cost per add with hostile score ranges against ordinary ones.
 *
 *   flock /tmp/bench.lock npm run bench:monitor [-- --part overhead,scale --queries 10 --rounds 3 --memory-queries 100000]
 */
import { cpus, loadavg } from "node:os";
import { parseArgs } from "node:util";
import { ContextualCompressionRetriever } from "@langchain/classic/retrievers/contextual_compression";
import { Document } from "@langchain/core/documents";
import { BaseRetriever } from "@langchain/core/retrievers";
import { HuggingFaceCrossEncoder } from "../src/huggingface.js";
import { type CrossEncoder, CrossEncoderReranker, type TextPair } from "../src/index.js";
import { RerankMonitor } from "../src/monitor.js";
import { ensureMiniLmProxy } from "../scripts/proxy_models.js";
import { formatSpread, loadCandidates, spread, time } from "./common.js";
import { scaleBench } from "./monitor_scale.js";

const { values } = parseArgs({
  options: {
    queries: { type: "string", default: "10" },
    rounds: { type: "string", default: "3" },
    depth: { type: "string", default: "50" },
    "memory-queries": { type: "string", default: "100000" },
    part: { type: "string", default: "overhead,scale" },
    "scale-rounds": { type: "string", default: "9" },
  },
});
const PARTS = new Set(values.part.split(","));
const QUERIES = Number(values.queries);
const ROUNDS = Number(values.rounds);
const DEPTH = Number(values.depth);
const MEMORY_QUERIES = Number(values["memory-queries"]);
if (typeof globalThis.gc !== "function") throw new Error("Run with node --expose-gc (npm run bench:monitor does).");
const gc = globalThis.gc as () => void;

/** The BM25 candidates of each query, as a LangChain retriever returns them. */
class CandidateRetriever extends BaseRetriever {
  lc_namespace = ["langchain_rerank", "bench"];
  constructor(private readonly candidates: Map<string, string[]>) {
    super();
  }
  override async _getRelevantDocuments(query: string): Promise<Document[]> {
    return (this.candidates.get(query) ?? []).map((text, i) => new Document({ pageContent: text, metadata: { id: i } }));
  }
}

console.log(`# RerankMonitor overhead, memory and scale`);
console.log(
  `machine: ${cpus().length} × ${cpus()[0]?.model ?? "?"}, load ${loadavg()
    .map((l) => l.toFixed(2))
    .join(" ")}; node ${process.version}; parts: ${[...PARTS].join(", ")}\n`,
);
if (PARTS.has("scale")) await scaleBench(Number(values["scale-rounds"]));
if (PARTS.has("overhead")) await overheadAndMemory(); // the overhead, then the memory over 100,000 queries

async function overheadAndMemory(): Promise<void> {
  const sets = loadCandidates("trec-dl-2019", QUERIES, DEPTH);
  const first = new CandidateRetriever(new Map(sets.map(({ query, texts }) => [query, texts])));
  const mini = new HuggingFaceCrossEncoder({ model: ensureMiniLmProxy() });
  await mini.load();
  const retrieverOver = (model: CrossEncoder) =>
    new ContextualCompressionRetriever({ baseRetriever: first, baseCompressor: new CrossEncoderReranker({ model, topN: 10 }) });
  const minilm = retrieverOver(mini);

  // A scorer that costs nothing: a fixed pseudo-random score per pair, so orders vary as a model's would.
  let seed = 1;
  const nextRandom = () => {
    seed = (seed * 16807) % 2147483647;
    return seed / 2147483647;
  };
  const free: CrossEncoder = { score: async (pairs: readonly TextPair[]) => pairs.map(() => nextRandom()) };
  const freeRetriever = retrieverOver(free);
  console.log(`\n## Overhead and memory\n`);
  console.log(`${sets.length} TREC DL 2019 queries × BM25 top-${DEPTH}, MiniLM-L6-shaped proxy (q8), topN 10, ${ROUNDS} rounds\n`);

  // Warm both paths (model session, LangChain's lazy imports, the monitor's first summary).
  const warmMonitor = new RerankMonitor();
  for (const { query } of sets.slice(0, 2)) {
    await minilm.invoke(query);
    await minilm.invoke(query, { callbacks: [warmMonitor] });
  }

  const monitor = new RerankMonitor();
  const plainMs: number[] = [];
  const monitoredMs: number[] = [];
  const ratios: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    for (const [i, { query }] of sets.entries()) {
      const runPlain = () => time(() => minilm.invoke(query));
      const runMonitored = () => time(() => minilm.invoke(query, { callbacks: [monitor] }));
      const monitoredFirst = (i + round) % 2 === 0;
      const a = monitoredFirst ? await runMonitored() : await runPlain();
      const b = monitoredFirst ? await runPlain() : await runMonitored();
      const [plain, monitored] = monitoredFirst ? [b, a] : [a, b];
      plainMs.push(plain);
      monitoredMs.push(monitored);
      ratios.push(monitored / plain);
    }
  }

  // The isolated overhead: per-call difference of block medians over the free scorer.
  const BLOCK = 200;
  const BLOCKS = 15;
  const freePlain: number[] = [];
  const freeMonitored: number[] = [];
  const freeMonitor = new RerankMonitor();
  const block = async (callbacks?: RerankMonitor[]) => {
    const started = performance.now();
    for (let i = 0; i < BLOCK; i++) await freeRetriever.invoke(sets[i % sets.length]!.query, callbacks ? { callbacks } : {});
    return (performance.now() - started) / BLOCK;
  };
  await block();
  await block([freeMonitor]);
  for (let b = 0; b < BLOCKS; b++) {
    if (b % 2 === 0) {
      freePlain.push(await block());
      freeMonitored.push(await block([freeMonitor]));
    } else {
      freeMonitored.push(await block([freeMonitor]));
      freePlain.push(await block());
    }
  }
  const overheadMs = freeMonitored.map((m, b) => m - freePlain[b]!);
  const rerank = spread(plainMs);
  const overhead = spread(overheadMs);

  console.log(`| measurement | median [IQR] | n |`);
  console.log(`|---|---|---|`);
  console.log(`| MiniLM rerank of ${DEPTH}, no monitor (ms per query) | ${formatSpread(rerank, 1)} | ${rerank.n} |`);
  console.log(`| MiniLM rerank of ${DEPTH}, with the monitor (ms per query) | ${formatSpread(spread(monitoredMs), 1)} | ${monitoredMs.length} |`);
  console.log(`| paired ratio, with ÷ without | ${formatSpread(spread(ratios), 3)} | ${ratios.length} |`);
  console.log(
    `| free scorer, no monitor (µs per query) | ${formatSpread(spread(freePlain.map((ms) => ms * 1000)), 0)} | ${BLOCKS} blocks of ${BLOCK} |`,
  );
  console.log(
    `| free scorer, with the monitor (µs per query) | ${formatSpread(spread(freeMonitored.map((ms) => ms * 1000)), 0)} | ${BLOCKS} blocks of ${BLOCK} |`,
  );
  console.log(`| monitor overhead (µs per query, block-paired) | ${formatSpread(spread(overheadMs.map((ms) => ms * 1000)), 0)} | ${BLOCKS} |`);
  console.log(
    `| overhead ÷ MiniLM rerank median | ${((overhead.median / rerank.median) * 100).toFixed(3)}% [${((overhead.q1 / rerank.median) * 100).toFixed(3)}–${((overhead.q3 / rerank.median) * 100).toFixed(3)}%] | |`,
  );
  console.log(`\nmonitored queries: ${monitor.summary().queries} (MiniLM), ${freeMonitor.summary().queries} (free scorer)\n`);

  // Memory: one monitor, 100,000 queries, heap after GC at checkpoints.
  const memoryMonitor = new RerankMonitor();
  const checkpoints = [10_000, 50_000, 100_000].filter((n) => n <= MEMORY_QUERIES);
  const heap: { queries: number; mb: number }[] = [];
  gc();
  const baseline = process.memoryUsage().heapUsed;
  let done = 0;
  for (const checkpoint of checkpoints) {
    for (; done < checkpoint; done++) await freeRetriever.invoke(sets[done % sets.length]!.query, { callbacks: [memoryMonitor] });
    gc();
    gc();
    heap.push({ queries: checkpoint, mb: process.memoryUsage().heapUsed / 2 ** 20 });
  }
  console.log(`| queries through one monitor | heap used after GC (MiB) | change since the start (MiB) |`);
  console.log(`|---|---|---|`);
  console.log(`| 0 | ${(baseline / 2 ** 20).toFixed(2)} | |`);
  for (const { queries, mb } of heap) {
    console.log(`| ${queries.toLocaleString("en-US")} | ${mb.toFixed(2)} | ${(mb - baseline / 2 ** 20).toFixed(2)} |`);
  }
  const summary = memoryMonitor.summary();
  console.log(`\nmonitor: ${summary.queries} queries, ${memoryMonitor.queries().length} sampled, ${memoryMonitor.openRuns} open runs`);
  console.log(
    `load after: ${loadavg()
      .map((l) => l.toFixed(2))
      .join(" ")}`,
  );
}
