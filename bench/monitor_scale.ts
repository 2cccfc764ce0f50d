/**
 * The monitor at scale (part `scale` of bench:monitor; no model and no ../shared needed): what one query of many
 * documents costs inside the monitor's handlers, Kendall's τ-b against the pairwise count it replaced, and the
 * quantile sketch's cost per add with ordinary and hostile score ranges, each measured side by side in one run.
 */
import { ContextualCompressionRetriever } from "@langchain/classic/retrievers/contextual_compression";
import { Document } from "@langchain/core/documents";
import { BaseRetriever } from "@langchain/core/retrievers";
import { type CrossEncoder, CrossEncoderReranker, type TextPair } from "../src/index.js";
import { QuantileSketch, RerankMonitor, kendallTauB } from "../src/monitor.js";
import { createPrng } from "../src/eval/stats/prng.js";
import { pairwiseTauB } from "../test/support/kendall.js";
import { formatSpread, spread } from "./common.js";

/** A RerankMonitor that adds up the time spent inside its own handlers: the monitor's cost, without LangChain's. */
class TimedMonitor extends RerankMonitor {
  ms = 0;
  #timed<T>(fn: () => T): T {
    const started = performance.now();
    try {
      return fn();
    } finally {
      this.ms += performance.now() - started;
    }
  }
  override handleChainStart(...args: Parameters<RerankMonitor["handleChainStart"]>) {
    this.#timed(() => super.handleChainStart(...args));
  }
  override handleChainEnd(...args: Parameters<RerankMonitor["handleChainEnd"]>) {
    this.#timed(() => super.handleChainEnd(...args));
  }
  override handleCustomEvent(...args: Parameters<RerankMonitor["handleCustomEvent"]>) {
    this.#timed(() => super.handleCustomEvent(...args));
  }
  override handleRetrieverStart(...args: Parameters<RerankMonitor["handleRetrieverStart"]>) {
    this.#timed(() => super.handleRetrieverStart(...args));
  }
  override handleRetrieverEnd(...args: Parameters<RerankMonitor["handleRetrieverEnd"]>) {
    this.#timed(() => super.handleRetrieverEnd(...args));
  }
}

class CountRetriever extends BaseRetriever {
  lc_namespace = ["langchain_rerank", "bench"];
  constructor(private readonly count: number) {
    super();
  }
  override async _getRelevantDocuments(): Promise<Document[]> {
    return Array.from({ length: this.count }, (_, i) => new Document({ pageContent: `d${i}`, metadata: { id: i } }));
  }
}

const timeSync = (fn: () => unknown): number => {
  const started = performance.now();
  fn();
  return performance.now() - started;
};

export async function scaleBench(rounds: number): Promise<void> {
  const random = createPrng(1);

  console.log(`## Kendall's τ-b: Knight's O(n log n) count against the pairwise O(n²) count\n`);
  console.log(`| documents | Knight (ms) | pairwise (ms) | pairwise ÷ Knight | same value |`);
  console.log(`|---|---|---|---|---|`);
  for (const n of [100, 1_000, 10_000, 40_000]) {
    const positions = Array.from({ length: n }, (_, i) => i + 1);
    const ranks = positions.map((p) => (random() < 0.5 ? p : Math.floor(random() * n) + 1));
    const knight: number[] = [];
    const pairwise: number[] = [];
    const values = new Set<number>();
    for (let r = 0; r < rounds; r++) {
      knight.push(timeSync(() => values.add(kendallTauB(positions, ranks))));
      if (r < (n > 10_000 ? 3 : rounds)) pairwise.push(timeSync(() => values.add(pairwiseTauB(positions, ranks))));
    }
    const same = values.size === 1;
    const [k, p] = [spread(knight), spread(pairwise)];
    console.log(
      `| ${n.toLocaleString("en-US")} | ${formatSpread(k, 3)} | ${formatSpread(p, 1)} (${p.n} runs) | ${(p.median / k.median).toFixed(0)}× | ${same} |`,
    );
  }

  console.log(`\n## One query of many documents through the monitor (time inside its handlers)\n`);
  console.log(`| documents per query | monitor handlers (ms per query) | whole rerank call without the monitor (ms) | queries |`);
  console.log(`|---|---|---|---|`);
  for (const n of [1_000, 10_000, 40_000]) {
    const free: CrossEncoder = { score: async (pairs: readonly TextPair[]) => pairs.map(() => random()) };
    const retriever = new ContextualCompressionRetriever({
      baseRetriever: new CountRetriever(n),
      baseCompressor: new CrossEncoderReranker({ model: free, topN: n }),
    });
    const monitorMs: number[] = [];
    const plainMs: number[] = [];
    for (let r = 0; r < rounds; r++) {
      const monitor = new TimedMonitor();
      await retriever.invoke("q", { callbacks: [monitor] });
      if (monitor.summary().queries !== 1) throw new Error("the monitor did not count the query");
      monitorMs.push(monitor.ms);
      const started = performance.now();
      await retriever.invoke("q");
      plainMs.push(performance.now() - started);
    }
    console.log(`| ${n.toLocaleString("en-US")} | ${formatSpread(spread(monitorMs), 1)} | ${formatSpread(spread(plainMs), 1)} | ${rounds} |`);
  }

  console.log(`\n## Score ranges: the quantile sketch's cost per add, ordinary against hostile values\n`);
  const ADDS = 100_000;
  const ranges = {
    "ordinary (sigmoid scores in (0, 1))": () => 1 / (1 + Math.exp(-12 * (random() - 0.5))),
    "hostile (±1e-9 to ±1e300, log-uniform)": () => (random() < 0.5 ? -1 : 1) * 10 ** (309 * random() - 9),
  };
  const values = Object.fromEntries(Object.entries(ranges).map(([name, draw]) => [name, Float64Array.from({ length: ADDS }, draw)]));
  const perAdd: Record<string, number[]> = Object.fromEntries(Object.keys(ranges).map((name) => [name, []]));
  for (let r = 0; r < rounds; r++) {
    const names = r % 2 === 0 ? Object.keys(ranges) : Object.keys(ranges).reverse();
    for (const name of names) {
      const sketch = new QuantileSketch();
      const ms = timeSync(() => {
        for (const v of values[name]!) sketch.add(v);
      });
      perAdd[name]!.push((ms * 1e6) / ADDS);
    }
  }
  console.log(`| values (${ADDS.toLocaleString("en-US")} adds into a fresh sketch, α = 0.01) | ns per add | rounds |`);
  console.log(`|---|---|---|`);
  for (const [name, ns] of Object.entries(perAdd)) console.log(`| ${name} | ${formatSpread(spread(ns), 1)} | ${ns.length} |`);
  const [ordinary, hostile] = Object.values(perAdd).map((ns) => spread(ns).median);
  console.log(`| **hostile ÷ ordinary** | **${(hostile! / ordinary!).toFixed(2)}** | |`);

  console.log(`\n## Score ranges through the monitor: 5,000 queries of 10 documents, handler time per query\n`);
  const QUERIES = 5_000;
  const through: Record<string, number[]> = Object.fromEntries(Object.keys(ranges).map((name) => [name, []]));
  for (let r = 0; r < rounds; r++) {
    const names = r % 2 === 0 ? Object.keys(ranges) : Object.keys(ranges).reverse();
    for (const name of names) {
      const draw = ranges[name as keyof typeof ranges];
      const scorer: CrossEncoder = { score: async (pairs: readonly TextPair[]) => pairs.map(() => draw()) };
      const retriever = new ContextualCompressionRetriever({
        baseRetriever: new CountRetriever(10),
        baseCompressor: new CrossEncoderReranker({ model: scorer, topN: 10 }),
      });
      const monitor = new TimedMonitor();
      for (let q = 0; q < QUERIES; q++) await retriever.invoke("q", { callbacks: [monitor] });
      through[name]!.push((monitor.ms * 1000) / QUERIES);
    }
  }
  console.log(`| scores | monitor handlers (µs per query) | rounds |`);
  console.log(`|---|---|---|`);
  for (const [name, us] of Object.entries(through)) console.log(`| ${name} | ${formatSpread(spread(us), 1)} | ${us.length} |`);
  const [ordinaryQ, hostileQ] = Object.values(through).map((us) => spread(us).median);
  console.log(`| **hostile ÷ ordinary** | **${(hostileQ! / ordinaryQ!).toFixed(2)}** | |`);
}
