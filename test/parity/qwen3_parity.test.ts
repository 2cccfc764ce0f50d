import { Document } from "@langchain/core/documents";
import { copyFileSync, existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, expect, it } from "vitest";
import { causalModelsUnavailable, ensureQwen3Fixture } from "../../scripts/causal_models.js";
import { CrossEncoderReranker } from "../../src/index.js";
import { HuggingFaceCausalCrossEncoder } from "../../src/huggingface.js";
import { describeWithShared } from "../support/shared.js";
import { flagLlmRerankerScore, lastLogits, loadReference, mxbaiRerankV2Score, qwen3RerankerScore, type ReferenceModel } from "./reference.js";
import { runPairs } from "./texts.js";

// The causal-LM reranker against the Qwen3-Reranker model card's formula and mxbai-rerank-v2's, written anew in
// reference.ts, on a Qwen3-shaped model over the real Qwen3 tokenizer (random weights, built on demand).

const TOLERANCE = 1e-4;
const unavailable = causalModelsUnavailable();
const maxDiff = (a: readonly number[], b: readonly number[]) => Math.max(...a.map((x, i) => Math.abs(x - b[i]!)));
const median = (xs: number[]) => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

describeWithShared(`Qwen3-Reranker parity with the model card's formula${unavailable ? ` [skipped: ${unavailable}]` : ""}`, () => {
  const pairs = runPairs("trec-dl-2019", 4, 8);
  let folder: string;
  let reference: ReferenceModel;
  let expected: { logOdds: number; probability: number; inputIds: number[] }[];
  beforeAll(async () => {
    if (unavailable) return;
    folder = ensureQwen3Fixture(true);
    reference = await loadReference(folder);
    expected = [];
    for (const [q, d] of pairs) expected.push(await qwen3RerankerScore(reference, q, d));
  }, 600_000);

  it.runIf(!unavailable)("the target tokens come from the tokenizer: yes = 9693, no = 2152", () => {
    expect(reference.tokenizer.tokenToId("yes")).toBe(9693);
    expect(reference.tokenizer.tokenToId("no")).toBe(2152);
  });

  it.runIf(!unavailable)(
    `token ids equal the card's, and raw log-odds and P(yes) are within ${TOLERANCE}, with and without a KV cache`,
    { timeout: 600_000 },
    async () => {
      expect(Math.max(...expected.map((e) => e.logOdds)) - Math.min(...expected.map((e) => e.logOdds))).toBeGreaterThan(1);
      for (const dir of [folder, ensureQwen3Fixture(false)]) {
        const raw = new HuggingFaceCausalCrossEncoder({ model: dir, family: "qwen3-reranker", dtype: "fp32", scoreMode: "raw" });
        expect(await raw.encode(pairs)).toEqual(expected.map((e) => e.inputIds));
        expect(
          maxDiff(
            await raw.score(pairs),
            expected.map((e) => e.logOdds),
          ),
        ).toBeLessThan(TOLERANCE);
        const sigmoid = new HuggingFaceCausalCrossEncoder({ model: dir, family: "qwen3-reranker", dtype: "fp32" });
        expect(
          maxDiff(
            await sigmoid.score(pairs),
            expected.map((e) => e.probability),
          ),
        ).toBeLessThan(TOLERANCE);
        await Promise.all([raw.dispose(), sigmoid.dispose()]);
      }
    },
  );

  it.runIf(!unavailable)("a long document is cut, the card's way, with the prompt's end kept", { timeout: 300_000 }, async () => {
    const long = pairs.slice(0, 4).map(([q, d]) => [q, `${d} ${d} ${d}`] as [string, string]);
    const scorer = new HuggingFaceCausalCrossEncoder({ model: folder, family: "qwen3-reranker", dtype: "fp32", scoreMode: "raw", maxLength: 160 });
    const ref = [];
    for (const [q, d] of long) ref.push(await qwen3RerankerScore(reference, q, d, { maxLength: 160 }));
    const encoded = await scorer.encode(long);
    expect(encoded.map((e) => e.length)).toEqual(long.map(() => 160));
    expect(encoded).toEqual(ref.map((r) => r.inputIds));
    expect(
      maxDiff(
        await scorer.score(long),
        ref.map((r) => r.logOdds),
      ),
    ).toBeLessThan(TOLERANCE);
    await scorer.dispose();
  });

  it.runIf(!unavailable)("mxbai-rerank-v2's formula (logit 1 − logit 0) on the same Qwen-family model", { timeout: 300_000 }, async () => {
    const scorer = new HuggingFaceCausalCrossEncoder({ model: folder, family: "mxbai-rerank-v2", dtype: "fp32", scoreMode: "raw" });
    const ref = [];
    for (const [q, d] of pairs) ref.push(await mxbaiRerankV2Score(reference, q, d));
    expect(maxDiff(await scorer.score(pairs), ref)).toBeLessThan(TOLERANCE);
    await scorer.dispose();
  });

  it.runIf(!unavailable)(
    "bge-reranker-v2-gemma's formula (BOS, FlagEmbedding's prompt, the Yes logit), given a BOS token",
    { timeout: 300_000 },
    async () => {
      // The Qwen3 tokenizer has no BOS token; a copy of the folder names <|endoftext|> as one, as Gemma's names <bos>.
      const withBos = `${folder}-bos`;
      if (!existsSync(join(withBos, "onnx"))) {
        mkdirSync(withBos, { recursive: true });
        for (const file of ["config.json", "tokenizer.json"]) copyFileSync(join(folder, file), join(withBos, file));
        const config = JSON.parse(readFileSync(join(folder, "tokenizer_config.json"), "utf8")) as Record<string, unknown>;
        writeFileSync(join(withBos, "tokenizer_config.json"), JSON.stringify({ ...config, bos_token: "<|endoftext|>" }));
        symlinkSync(join(folder, "onnx"), join(withBos, "onnx"));
      }
      const scorer = new HuggingFaceCausalCrossEncoder({ model: withBos, family: "bge-reranker-v2-gemma", dtype: "fp32", scoreMode: "raw" });
      const ref = [];
      for (const [q, d] of pairs) ref.push(await flagLlmRerankerScore(reference, 151643, q, d));
      expect(maxDiff(await scorer.score(pairs), ref)).toBeLessThan(TOLERANCE);
      await scorer.dispose();
    },
  );

  it.runIf(!unavailable)(
    "the usual mistakes move scores far past the tolerance: a document token dropped, right padding, the suffix cut",
    { timeout: 300_000 },
    async () => {
      const yes = 9693;
      const no = 2152;
      const logOdds = (logits: Float32Array) => logits[yes]! - logits[no]!;
      const dropped: number[] = [];
      const suffixCut: number[] = [];
      const rightPadded: number[] = [];
      for (const [i, { inputIds, logOdds: want }] of expected.entries()) {
        const at = inputIds.length - 20; // inside the document, before the suffix's 12 tokens
        dropped.push(Math.abs(logOdds(await lastLogits(reference, [...inputIds.slice(0, at), ...inputIds.slice(at + 1)])) - want));
        suffixCut.push(Math.abs(logOdds(await lastLogits(reference, inputIds.slice(0, -1))) - want));
        // Right padding read at the last position: a pad's logits, not the prompt's.
        rightPadded.push(Math.abs(logOdds(await lastLogits(reference, [...inputIds, 151643])) - want));
        expect(i).toBeLessThan(expected.length);
      }
      for (const moved of [dropped, suffixCut, rightPadded]) expect(median(moved)).toBeGreaterThan(100 * TOLERANCE);
    },
  );

  it.runIf(!unavailable)(
    "scores equal alone and in a mixed-length left-padded batch, and rank documents in CrossEncoderReranker",
    { timeout: 300_000 },
    async () => {
      const scorer = new HuggingFaceCausalCrossEncoder({
        model: folder,
        family: "qwen3-reranker",
        dtype: "fp32",
        scoreMode: "raw",
        batchSize: 8,
        maxBatchTokens: 1e9,
      });
      const batch = await scorer.score(pairs);
      const alone = [];
      for (const pair of pairs) alone.push((await scorer.score([pair]))[0]!);
      expect(maxDiff(batch, alone)).toBeLessThan(TOLERANCE);
      const [query] = pairs[0]!;
      const docs = pairs.filter(([q]) => q === query).map(([, d], i) => new Document({ pageContent: d, metadata: { i } }));
      const reranker = new CrossEncoderReranker({ model: scorer, topN: docs.length });
      const ranked = await reranker.compressDocuments(docs, query);
      const scores = ranked.map((d) => d.metadata.relevanceScore as number);
      expect([...scores].sort((a, b) => b - a)).toEqual(scores);
      expect(ranked.map((d) => d.metadata.i as number).sort()).toEqual(docs.map((_, i) => i));
      await scorer.dispose();
    },
  );
});
