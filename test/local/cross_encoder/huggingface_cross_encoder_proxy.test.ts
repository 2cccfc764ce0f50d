import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, expect, inject, it } from "vitest";
import { HuggingFaceCrossEncoder } from "../../../src/huggingface.js";
import type { TextPair } from "../../../src/index.js";
import { rawSessionLogits } from "../../support/raw_session.js";
import { describeWithShared, SHARED_DIR } from "../../support/shared.js";

// Real shapes (MiniLM-L6: 6 layers, hidden 384, the real 30,522-token tokenizer, 512 positions), random weights:
// these tests prove loading, truncation at the model's limit and batch invariance, never ranking quality.
describeWithShared("HuggingFaceCrossEncoder on a MiniLM-L6-shaped proxy", () => {
  let model: string;
  let allPairs: TextPair[];
  const scorers: HuggingFaceCrossEncoder[] = [];
  const make = (options: ConstructorParameters<typeof HuggingFaceCrossEncoder>[0]) => {
    const scorer = new HuggingFaceCrossEncoder({ model, ...options });
    scorers.push(scorer);
    return scorer;
  };

  beforeAll(() => {
    model = inject("miniLmProxy")!;
    // SciFact abstracts: most run to the 512-token limit, a few are short.
    const abstracts = readFileSync(join(SHARED_DIR, "data/scifact/corpus.jsonl"), "utf8")
      .split("\n", 16)
      .map((line) => JSON.parse(line) as { title: string; text: string });
    allPairs = abstracts.map((a, i) => [
      i % 3 ? "Do microRNAs regulate cell growth?" : "0-dimensional biomaterials show inductive properties.",
      i % 5 ? `${a.title} ${a.text}` : a.title,
    ]);
  });
  afterAll(async () => Promise.all(scorers.map((s) => s.dispose())));

  it("takes the model's limit of 512 tokens per pair from its tokenizer and config", async () => {
    const encoded = await make({ dtype: "q8" }).encode(allPairs);
    expect(Math.max(...encoded.map((p) => p.inputIds.length))).toBe(512);
    expect(Math.min(...encoded.map((p) => p.inputIds.length))).toBeLessThan(64);
  });

  it("fp32: equal to a plain onnxruntime session, and |Δ| ≤ 1e-4 whatever the batch size and order", async () => {
    // Ten pairs, so that the biggest forward pass (10 × 512 tokens, fp32) stays short: onnxruntime-node runs it on
    // the event loop, which vitest's worker needs for its own messages on a busy machine.
    const pairs = allPairs.slice(0, 10);
    const scorer = make({ dtype: "fp32", scoreMode: "raw" });
    const reference = await scorer.score(pairs);
    const logits = await rawSessionLogits(join(model, "onnx/model.onnx"), await scorer.encode(pairs.slice(0, 4)));
    logits.forEach(([logit], i) => expect(Math.abs(logit! - reference[i]!)).toBeLessThanOrEqual(1e-4));
    const reversed = [...pairs].reverse();
    for (const batchSize of [1, 5, 32]) {
      const scores = await make({ dtype: "fp32", scoreMode: "raw", batchSize, maxBatchTokens: 1e6 }).score(reversed);
      scores.forEach((s, i) => expect(Math.abs(s - reference[pairs.length - 1 - i]!)).toBeLessThanOrEqual(1e-4));
    }
  });

  it("q8: scores move only slightly with batch composition (dynamic quantization scales per batch)", async () => {
    const pairs = allPairs.slice(0, 10);
    const one = await make({ dtype: "q8", batchSize: 1 }).score(pairs);
    const batched = await make({ dtype: "q8", batchSize: 32, maxBatchTokens: 1e6 }).score(pairs);
    const maxDelta = Math.max(...one.map((s, i) => Math.abs(s - batched[i]!)));
    expect(maxDelta).toBeLessThan(0.02); // measured at most 1.5e-3 on this proxy (docs/benchmarks.md); fp32 is exact
  });
});
