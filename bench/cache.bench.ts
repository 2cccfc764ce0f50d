/**
 * CachedCrossEncoder: a repeated 50-candidate query against the first call, on a MiniLM-L6-shaped proxy (random
 * weights: speed only, never quality). Each round takes a new SciFact query with its BM25 top-50, a new cache, and
 * times the first call (every pair scored) and then the same call again (every pair from the cache), side by side.
 * Reported as medians over the rounds and their ratio; the bar is a repeat at least 20× faster.
 *
 *   npm run bench:cache [-- --rounds 9 --depth 50 --dtype q8]
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { HuggingFaceCrossEncoder, type RerankerDtype } from "../src/huggingface.js";
import { CachedCrossEncoder, type CrossEncoder, type TextPair } from "../src/index.js";
import { ensureMiniLmProxy, SHARED_DIR } from "../scripts/proxy_models.js";

const { values } = parseArgs({
  options: {
    rounds: { type: "string", default: "9" },
    depth: { type: "string", default: "50" },
    dtype: { type: "string", default: "q8" },
  },
});
const ROUNDS = Number(values.rounds);
const DEPTH = Number(values.depth);

function readJsonl<T>(path: string): T[] {
  return readFileSync(path, "utf8")
    .split("\n")
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l) as T);
}

/** BM25 top-`DEPTH` (query, passage) pairs of the first `count` SciFact queries of the run. */
function loadQueries(count: number): TextPair[][] {
  const dir = join(SHARED_DIR, "data", "scifact");
  const corpus = new Map(
    readJsonl<{ _id: string; title?: string; text: string }>(join(dir, "corpus.jsonl")).map((d) => [
      d._id,
      d.title ? `${d.title} ${d.text}` : d.text,
    ]),
  );
  const queries = new Map(readJsonl<{ _id: string; text: string }>(join(dir, "queries.jsonl")).map((q) => [q._id, q.text]));
  const run = new Map<string, { doc: string; rank: number }[]>();
  for (const line of readFileSync(join(dir, "runs", "bm25_top100.trec"), "utf8").split("\n")) {
    const [qid, , doc, rank] = line.trim().split(/\s+/);
    if (!qid || !doc || !queries.has(qid)) continue;
    if (!run.has(qid)) run.set(qid, []);
    run.get(qid)!.push({ doc, rank: Number(rank) });
  }
  return [...run.entries()]
    .filter(([, docs]) => docs.length >= DEPTH)
    .slice(0, count)
    .map(([qid, docs]) =>
      docs
        .sort((a, b) => a.rank - b.rank)
        .slice(0, DEPTH)
        .map(({ doc }) => [queries.get(qid)!, corpus.get(doc)!] as const),
    );
}

/** Counts the pairs that reach the model. */
class Counting implements CrossEncoder {
  pairs = 0;
  constructor(readonly inner: HuggingFaceCrossEncoder) {}
  get cacheKey(): string {
    return this.inner.cacheKey;
  }
  async score(pairs: readonly TextPair[]): Promise<number[]> {
    this.pairs += pairs.length;
    return this.inner.score(pairs);
  }
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

async function main(): Promise<void> {
  const model = ensureMiniLmProxy();
  const scorer = new HuggingFaceCrossEncoder({ model, dtype: values.dtype as RerankerDtype });
  const queries = loadQueries(ROUNDS + 1);
  await scorer.load();
  await scorer.score(queries[ROUNDS]!); // warm-up: onnxruntime's first run allocates; not timed
  console.log(
    `CachedCrossEncoder on a MiniLM-L6-shaped proxy (random weights: speed only), ${values.dtype}, ${DEPTH} SciFact BM25 candidates per query, ${ROUNDS} rounds`,
  );
  console.log("round  first call ms  repeat ms  speed-up  pairs scored (first, repeat)");
  const cold: number[] = [];
  const warm: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    const pairs = queries[r]!;
    const counting = new Counting(scorer);
    const cached = new CachedCrossEncoder({ scorer: counting });
    let t = performance.now();
    const first = await cached.score(pairs);
    cold.push(performance.now() - t);
    const scoredFirst = counting.pairs;
    t = performance.now();
    const again = await cached.score(pairs);
    warm.push(performance.now() - t);
    if (again.some((s, i) => s !== first[i])) throw new Error("the repeat returned other scores than the first call");
    console.log(
      `${String(r + 1).padStart(5)}  ${cold[r]!.toFixed(1).padStart(13)}  ${warm[r]!.toFixed(2).padStart(9)}  ${(cold[r]! / warm[r]!).toFixed(0).padStart(7)}×  ${scoredFirst}, ${counting.pairs - scoredFirst}`,
    );
  }
  const ratio = median(cold) / median(warm);
  console.log(
    `median first call ${median(cold).toFixed(1)} ms, median repeat ${median(warm).toFixed(2)} ms: repeat ${ratio.toFixed(0)}× faster (bar: ≥ 20×) ${ratio >= 20 ? "PASS" : "FAIL"}`,
  );
  await scorer.dispose();
  if (ratio < 20) process.exitCode = 1;
}

await main();
