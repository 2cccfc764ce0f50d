import { join } from "node:path";
import { InferenceSession, Tensor } from "onnxruntime-node";
import { beforeAll, expect, it } from "vitest";
import { causalModelsUnavailable, ensureParityBert } from "../../scripts/causal_models.js";
import { HuggingFaceCrossEncoder } from "../../src/huggingface.js";
import { FIXTURE_MODELS, FIXTURE_XLMR } from "../support/fixtures.js";
import { describeWithShared } from "../support/shared.js";
import { crossEncoderPredict, flagRerankerScore, loadReference, pairLength, type ReferenceModel } from "./reference.js";
import { runPairs } from "./texts.js";

// Our classifier scores (raw logits, fp32) against the independent reference on the same weights, for the BERT
// (MiniLM's real tokenizer), XLM-R, ModernBERT and jina-v2 interfaces, on TREC DL 2019 BM25 pairs that fit and on
// SciFact pairs cut to 128 tokens (FlagEmbedding's truncation).

const TOLERANCE = 1e-4;
const unavailable = causalModelsUnavailable();

const FAMILIES = {
  "BERT (ms-marco-MiniLM tokenizer)": () => ensureParityBert(),
  "XLM-R (BGE interface)": () => FIXTURE_XLMR,
  ModernBERT: () => join(FIXTURE_MODELS, "tiny-modernbert-reranker"),
  "jina-reranker-v2 (XLM-R variant)": () => join(FIXTURE_MODELS, "tiny-jina-v2-reranker"),
};

const spread = (xs: readonly number[]) => Math.max(...xs) - Math.min(...xs);
const maxDiff = (a: readonly number[], b: readonly number[]) => Math.max(...a.map((x, i) => Math.abs(x - b[i]!)));

describeWithShared("classifier parity with sentence-transformers / FlagEmbedding (independent reference)", () => {
  const fitting = runPairs("trec-dl-2019", 6, 10);
  // Passages and their first sentences: the XLM-R fixture's 128-token window holds only short ones whole.
  const candidates = [...fitting, ...fitting.map(([q, d]) => [q, d.split(/(?<=\.)\s/)[0]!.slice(0, 120)] as [string, string])];
  const long = runPairs("scifact", 4, 5);

  for (const [family, folder] of Object.entries(FAMILIES)) {
    it.runIf(unavailable === undefined)(
      `${family}: raw logits within ${TOLERANCE} of CrossEncoder.predict and FlagReranker`,
      { timeout: 300_000 },
      async () => {
        const dir = folder();
        const reference = await loadReference(dir);
        const ours = new HuggingFaceCrossEncoder({ model: dir, dtype: "fp32", scoreMode: "raw" });
        await ours.load();
        // CrossEncoder.predict's case: pairs that fit the window whole (the tiny vocabularies read TREC DL in many tokens).
        const limit = Math.min(512, ...(await ours.encode([["a", "b ".repeat(5000)]])).map((e) => e.inputIds.length));
        const lengths = await Promise.all(candidates.map(([q, d]) => pairLength(reference, q, d)));
        const whole = candidates.filter((_, i) => lengths[i]! <= limit);
        expect(whole.length).toBeGreaterThanOrEqual(20);
        const expected = await Promise.all(whole.map(([q, d]) => crossEncoderPredict(reference, q, d)));
        const got = await ours.score(whole);
        // The weights spread logits widely, so a tolerance of 1e-4 can tell a token dropped from one kept.
        expect(spread(expected)).toBeGreaterThan(1);
        expect(maxDiff(got, expected)).toBeLessThan(TOLERANCE);

        const cut = new HuggingFaceCrossEncoder({ model: dir, dtype: "fp32", scoreMode: "raw", maxLength: 128 });
        const expectedCut = await Promise.all(long.map(([q, d]) => flagRerankerScore(reference, q, d, 128)));
        expect(maxDiff(await cut.score(long), expectedCut)).toBeLessThan(TOLERANCE);
        await Promise.all([ours.dispose(), cut.dispose()]);
      },
    );
  }

  // The usual mistakes, made on purpose on the BERT model: each moves scores by far more than the tolerance.
  describeWithShared("the parity test can fail", () => {
    let reference: ReferenceModel;
    let session: InferenceSession;
    let encoded: { inputIds: number[]; tokenTypeIds: number[] }[];
    let expected: number[];
    beforeAll(async () => {
      const dir = ensureParityBert();
      reference = await loadReference(dir);
      session = await InferenceSession.create(join(dir, "onnx", "model.onnx"));
      const ours = new HuggingFaceCrossEncoder({ model: dir, dtype: "fp32", scoreMode: "raw" });
      encoded = await ours.encode(fitting);
      expected = await Promise.all(fitting.map(([q, d]) => crossEncoderPredict(reference, q, d)));
      await ours.dispose();
    }, 300_000);

    async function logit(ids: number[], types: number[], mask = ids.map(() => 1)): Promise<number> {
      const t = (v: number[]) => new Tensor("int64", BigInt64Array.from(v, BigInt), [1, v.length]);
      const { logits } = await session.run({ input_ids: t(ids), attention_mask: t(mask), token_type_ids: t(types) });
      return (logits!.data as Float32Array)[0]!;
    }
    const moved = (scores: number[]) => scores.map((s, i) => Math.abs(s - expected[i]!));

    it.runIf(unavailable === undefined)("as encoded, the raw session equals the reference", async () => {
      const scores = await Promise.all(encoded.map((e) => logit(e.inputIds, e.tokenTypeIds)));
      expect(maxDiff(scores, expected)).toBeLessThan(TOLERANCE);
    });

    it.runIf(unavailable === undefined)("a document token dropped, right padding read as left, token types swapped", async () => {
      const dropped = await Promise.all(
        encoded.map((e) => {
          const at = e.inputIds.length - 3; // the document's second-to-last token
          return logit([...e.inputIds.slice(0, at), ...e.inputIds.slice(at + 1)], [...e.tokenTypeIds.slice(0, at), ...e.tokenTypeIds.slice(at + 1)]);
        }),
      );
      const leftPadded = await Promise.all(
        encoded.map((e) => logit([0, 0, 0, 0, ...e.inputIds], [0, 0, 0, 0, ...e.tokenTypeIds], [0, 0, 0, 0, ...e.inputIds.map(() => 1)])),
      );
      const swapped = await Promise.all(
        encoded.map((e) =>
          logit(
            e.inputIds,
            e.tokenTypeIds.map((t) => 1 - t),
          ),
        ),
      );
      for (const mistake of [dropped, leftPadded, swapped]) {
        const median = moved(mistake).sort((a, b) => a - b)[Math.floor(mistake.length / 2)]!;
        expect(median).toBeGreaterThan(100 * TOLERANCE);
      }
    });
  });
});
