/**
 * WASM in Chromium against Node (onnxruntime-node) on the MiniLM-L6-shaped proxy (random weights: speed only,
 * never quality), BM25 top-50 TREC DL 2019 candidates. Both score the same pairs with HuggingFaceCrossEncoder,
 * tokenization included: Node on the CPU with its defaults, the example page (examples/browser, Vite build) in
 * Debian's headless Chromium with `device: "wasm"` under a sweep of batch limits. Conditions run side by side,
 * query by query in rotation, so machine noise hits them alike; reported as medians of per-query milliseconds and
 * of per-query ratios.
 *
 *   npm run bench:browser [-- --queries 10 --depth 50 --dtypes q8,fp32 --out bench-results/browser.md]
 */
import { writeFileSync } from "node:fs";
import { cpus, loadavg } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import type { Page } from "playwright-core";
import { HuggingFaceCrossEncoder, type RerankerDtype } from "../src/huggingface.js";
import type { TextPair } from "../src/index.js";
import { ensureMiniLmProxy, PROJECT_DIR } from "../scripts/proxy_models.js";
import { launchChromium } from "../test/browser/chromium.js";
import { loadCandidates, median, pairsOf } from "./common.js";
import { serveStatic } from "../test/support/static_server.js";

const { values } = parseArgs({
  options: {
    queries: { type: "string", default: "10" },
    depth: { type: "string", default: "50" },
    dtypes: { type: "string", default: "q8" },
    out: { type: "string" },
  },
});
const QUERIES = Number(values.queries);
const DEPTH = Number(values.depth);
const MODEL_URL = "/models/minilm-proxy/";

/** Browser conditions: the WASM defaults (one pair per pass), the CPU defaults, larger batches and token budgets. */
const BROWSER: Record<string, Record<string, number>> = {
  "defaults (1 pair)": {},
  "512 tokens, ≤16 pairs (CPU defaults)": { batchSize: 16, maxBatchTokens: 512 },
  "4 pairs": { batchSize: 4 },
  "16 pairs": { batchSize: 16 },
  "2,048 tokens": { maxBatchTokens: 2048 },
};
const NODE = "Node defaults";

/** Scores in the page with a scorer kept per condition (all share one loaded model); time measured in the page. */
async function scoreInPage(page: Page, name: string, fields: Record<string, unknown>, pairs: TextPair[]): Promise<{ ms: number; scores: number[] }> {
  return page.evaluate(
    async ({ name, fields, pairs }) => {
      interface Scorer {
        load(): Promise<void>;
        score(pairs: [string, string][]): Promise<number[]>;
      }
      const g = globalThis as unknown as {
        rerankDemo: { HuggingFaceCrossEncoder: new (f: Record<string, unknown>) => Scorer };
        benchScorers?: Map<string, Scorer>;
      };
      const scorers = (g.benchScorers ??= new Map());
      let scorer = scorers.get(name);
      if (scorer === undefined) {
        scorer = new g.rerankDemo.HuggingFaceCrossEncoder(fields);
        scorers.set(name, scorer);
        await scorer.load();
      }
      const start = performance.now();
      const scores = await scorer.score(pairs);
      return { ms: performance.now() - start, scores };
    },
    { name, fields, pairs: pairs as [string, string][] },
  );
}

interface Result {
  dtype: RerankerDtype;
  times: Record<string, number[]>;
  maxDelta: number;
}

async function measure(page: Page, dtype: RerankerDtype, model: string, queries: TextPair[][]): Promise<Result> {
  const node = new HuggingFaceCrossEncoder({ model, dtype });
  await node.load();
  const conditions: Record<string, (pairs: TextPair[]) => Promise<{ ms: number; scores: number[] }>> = {
    [NODE]: async (pairs) => {
      const start = performance.now();
      const scores = await node.score(pairs);
      return { ms: performance.now() - start, scores };
    },
  };
  for (const [name, limits] of Object.entries(BROWSER)) {
    conditions[name] = (pairs) => scoreInPage(page, `${dtype} ${name}`, { model: MODEL_URL, dtype, device: "wasm", ...limits }, pairs);
  }
  const names = Object.keys(conditions);
  for (const name of names) await conditions[name]!(queries[0]!); // load and warm up
  const times: Record<string, number[]> = Object.fromEntries(names.map((n) => [n, []]));
  let maxDelta = 0;
  for (let q = 0; q < queries.length; q++) {
    const scores: Record<string, number[]> = {};
    // Rotate the starting condition so none always runs first (or right after another) on a query.
    for (let k = 0; k < names.length; k++) {
      const name = names[(q + k) % names.length]!;
      const result = await conditions[name]!(queries[q]!);
      times[name]!.push(result.ms);
      scores[name] = result.scores;
    }
    const wasm = scores[Object.keys(BROWSER)[0]!]!;
    scores[NODE]!.forEach((s, i) => (maxDelta = Math.max(maxDelta, Math.abs(s - wasm[i]!))));
    process.stderr.write(`\r${dtype}: query ${q + 1}/${queries.length}`);
  }
  process.stderr.write("\n");
  await node.dispose();
  return { dtype, times, maxDelta };
}

function report(results: Result[], medianTokens: number, chromium: string, loadStart: number): string {
  const f = (x: number) => x.toFixed(1);
  const ratio = (r: Result, name: string) => median(r.times[name]!.map((ms, q) => ms / r.times[NODE]![q]!));
  const browserNames = Object.keys(BROWSER);
  const lines = [
    `MiniLM-L6-shaped proxy (random weights), TREC DL 2019 BM25 top-${DEPTH}, first ${QUERIES} queries (median pair ${medianTokens} tokens); ms per query (${DEPTH} pairs), medians.`,
    `1-minute load average ${loadStart.toFixed(1)} at the start, ${loadavg()[0]!.toFixed(1)} at the end, on ${cpus().length} cores.`,
    `Node ${process.version} with onnxruntime-node (CPU); ${chromium} headless with onnxruntime-web WASM (1 thread: the page is not cross-origin isolated); ${cpus().length} CPU cores.`,
    "",
    `| dtype | ${NODE} | WASM defaults | WASM / Node (median of per-query ratios) | max Δ score, WASM vs Node |`,
    "|---|---|---|---|---|",
    ...results.map(
      (r) =>
        `| ${r.dtype} | ${f(median(r.times[NODE]!))} | ${f(median(r.times[browserNames[0]!]!))} | ${ratio(r, browserNames[0]!).toFixed(2)}× | ${r.maxDelta.toExponential(1)} |`,
    ),
    "",
    "WASM batch sweep (ms per query; in brackets, the median per-query ratio to Node's defaults):",
    "",
    `| dtype | ${browserNames.join(" | ")} |`,
    `|---|${browserNames.map(() => "---").join("|")}|`,
    ...results.map((r) => `| ${r.dtype} | ${browserNames.map((n) => `${f(median(r.times[n]!))} (${ratio(r, n).toFixed(2)}×)`).join(" | ")} |`),
  ];
  return lines.join("\n");
}

const model = ensureMiniLmProxy();
const queries = loadCandidates("trec-dl-2019", QUERIES, DEPTH).map(pairsOf);
const site = join(PROJECT_DIR, "examples", "browser", "dist");
const server = await serveStatic({ "/": site, [MODEL_URL]: model });
const browser = await launchChromium();
try {
  const page = await browser.context.newPage();
  page.on("crash", () => process.stderr.write("\nThe page crashed.\n"));
  await page.goto(`${server.url}/`);
  await page.waitForFunction(() => (globalThis as { rerankDemo?: unknown }).rerankDemo !== undefined);
  const chromium = `Chromium ${browser.context.browser()?.version() ?? ""}`.trim();
  const tokenizer = new HuggingFaceCrossEncoder({ model, dtype: "q8" });
  const lengths = (await Promise.all(queries.map((pairs) => tokenizer.encode(pairs)))).flat().map((p) => p.inputIds.length);
  await tokenizer.dispose();
  const results: Result[] = [];
  const loadStart = loadavg()[0]!;
  for (const dtype of values.dtypes.split(",") as RerankerDtype[]) {
    const result = await measure(page, dtype, model, queries);
    results.push(result);
    process.stderr.write(`${JSON.stringify(result)}\n`); // partial results survive an interrupted run
  }
  const outside = browser.requests.filter((url) => !url.startsWith(server.url));
  if (outside.length > 0) throw new Error(`The page fetched from outside 127.0.0.1: ${outside.join(", ")}`);
  const text = report(results, median(lengths), chromium, loadStart);
  console.log(text);
  if (values.out) writeFileSync(values.out, `${text}\n`);
} finally {
  await browser.close();
  await server.close();
}
