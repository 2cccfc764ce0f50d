/**
 * CachedCrossEncoder: a repeated 50-candidate query against the first call, on a MiniLM-L6-shaped proxy (random
 * weights: speed only, never quality). Each round takes a new SciFact query with its BM25 top-50, a new cache, and
 * times the first call (every pair scored) and then the same call again (every pair from the cache), side by side.
 * Reported as medians over the rounds and their ratio; the bar is a repeat at least 20× faster.
 *
 *   npm run bench:cache [-- --rounds 9 --depth 50 --dtype q8]
 */
import { parseArgs } from "node:util";
import { HuggingFaceCrossEncoder, type RerankerDtype } from "../src/huggingface.js";
import { CachedCrossEncoder, type CrossEncoder, type TextPair } from "../src/index.js";
import { ensureMiniLmProxy } from "../scripts/proxy_models.js";
import { loadCandidates, median, pairsOf } from "./common.js";

const { values } = parseArgs({
  options: {
    rounds: { type: "string", default: "9" },
    depth: { type: "string", default: "50" },
    dtype: { type: "string", default: "q8" },
  },
});
const ROUNDS = Number(values.rounds);
const DEPTH = Number(values.depth);

/** BM25 top-`DEPTH` (query, passage) pairs of the first `count` SciFact queries whose run has `DEPTH` passages. */
function loadQueries(count: number): TextPair[][] {
  return loadCandidates("scifact", Number.MAX_SAFE_INTEGER, DEPTH)
    .filter(({ texts }) => texts.length >= DEPTH)
    .slice(0, count)
    .map(pairsOf);
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
    const cached = new CachedCrossEncoder({ model: counting });
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
