// Prints fp32 scores of the fixture models (and any model folders given as arguments) for the sample pairs, as
// JSON: run once plainly and once under .ci/transformers-v4/resolve-hook.mjs to compare transformers.js majors.
import { HuggingFaceCrossEncoder } from "../../src/huggingface.js";
import { fileURLToPath } from "node:url";
import { samplePairs } from "./pairs.js";

// Not from ./fixtures.js: that module pulls in vitest, which only runs inside a test worker.
const fixture = (name: string) => fileURLToPath(new URL(`../fixtures/models/${name}`, import.meta.url));
const FIXTURES = ["tiny-bert-reranker", "tiny-bert-reranker-two-label", "tiny-xlmr-reranker"].map(fixture);
const { env } = await import("@huggingface/transformers");
const pairs = samplePairs(24, 11);
const scores: Record<string, number[]> = {};
for (const model of [...FIXTURES, ...process.argv.slice(2)]) {
  const encoder = new HuggingFaceCrossEncoder({ model, dtype: "fp32", scoreMode: "raw" });
  scores[model] = await encoder.score(pairs);
  await encoder.dispose();
}
console.log(JSON.stringify({ version: env.version, scores }));
