import { cpSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Document } from "@langchain/core/documents";
import { beforeAll, describe, expect, it } from "vitest";
import { causalModelsUnavailable, ensureQwen3Fixture } from "../../../scripts/causal_models.js";
import { CAUSAL_TEMPLATES, HuggingFaceCausalCrossEncoder, HuggingFaceCrossEncoder, UnsupportedModelError } from "../../../src/huggingface.js";
import { CorruptModelFileError, CrossEncoderReranker, DeviceUnavailableError, InvalidOptionError, OverloadedError } from "../../../src/index.js";
import { FIXTURE_RERANKER } from "../../support/fixtures.js";

// HuggingFaceCausalCrossEncoder on a tiny Qwen3-shaped causal LM with the real Qwen3 tokenizer (random weights, built on
// demand into .models/ by scripts/make-causal-model.py). Parity with the reference is test/parity/qwen3_parity.test.ts.

const unavailable = causalModelsUnavailable();
const QUERY = "how long does a flea live?";
const DOCS = [
  "A flea can live up to a year, but its lifespan depends on the availability of hosts.",
  "Paris is the capital of France.",
  "Fleas lay eggs on the host; the eggs fall off and hatch in the carpet within two weeks.",
  "Rain is water falling from clouds.",
];
const pairs = DOCS.map((d) => [QUERY, d] as [string, string]);

describe("HuggingFaceCausalCrossEncoder: options", () => {
  it("a model id without a preset needs family or template, and says so", () => {
    expect(() => new HuggingFaceCausalCrossEncoder({ model: "someone/unknown-llm" })).toThrow(InvalidOptionError);
    expect(() => new HuggingFaceCausalCrossEncoder({ model: "someone/unknown-llm" })).toThrow(/not a known causal-LM reranker.*family.*template/);
    expect(() => new HuggingFaceCausalCrossEncoder({} as never)).toThrow(/`model` is required/);
  });

  it("presets pick the family's prompt; family and template are exclusive; bad templates are named", () => {
    expect(new HuggingFaceCausalCrossEncoder({ model: "Qwen/Qwen3-Reranker-4B" }).template).toBe(CAUSAL_TEMPLATES["qwen3-reranker"]);
    expect(new HuggingFaceCausalCrossEncoder({ model: "mixedbread-ai/mxbai-rerank-large-v2" }).template.positiveToken).toBe("1");
    expect(new HuggingFaceCausalCrossEncoder({ model: "BAAI/bge-reranker-v2-gemma" }).template.negativeToken).toBeUndefined();
    const template = { parts: ["Q: {query}", "D: {document}", "Relevant?"], positiveToken: "yes", negativeToken: "no" };
    expect(() => new HuggingFaceCausalCrossEncoder({ model: "x/y", template, family: "qwen3-reranker" })).toThrow(/not both/);
    expect(() => new HuggingFaceCausalCrossEncoder({ model: "x/y", template: { ...template, parts: ["D: {document}", "Q: {query}"] } })).toThrow(
      /before the \{document\} part/,
    );
    expect(() => new HuggingFaceCausalCrossEncoder({ model: "x/y", template: { ...template, parts: ["Q: {query}"] } })).toThrow(/exactly one part/);
    expect(() => new HuggingFaceCausalCrossEncoder({ model: "x/y", template: { ...template, positiveToken: "" } })).toThrow(/positiveToken/);
    expect(() => new HuggingFaceCausalCrossEncoder({ model: "x/y", family: "llama" as never })).toThrow(/`family` must be one of/);
  });

  it("cacheKey names the prompt and instruction (they change scores), not batching", () => {
    const a = new HuggingFaceCausalCrossEncoder({ model: "Qwen/Qwen3-Reranker-0.6B" });
    expect(new HuggingFaceCausalCrossEncoder({ model: "Qwen/Qwen3-Reranker-0.6B", batchSize: 2 }).cacheKey).toBe(a.cacheKey);
    expect(new HuggingFaceCausalCrossEncoder({ model: "Qwen/Qwen3-Reranker-0.6B", instruction: "Find code" }).cacheKey).not.toBe(a.cacheKey);
  });

  it("a sequence classifier is refused with the class to use instead", async () => {
    const error = await new HuggingFaceCausalCrossEncoder({ model: FIXTURE_RERANKER, family: "qwen3-reranker" }).load().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UnsupportedModelError);
    expect(String(error)).toMatch(/not a causal language model.*HuggingFaceCrossEncoder/);
  });
});

describe.runIf(unavailable === undefined)(
  `HuggingFaceCausalCrossEncoder on the Qwen3-shaped fixture${unavailable ? ` [skipped: ${unavailable}]` : ""}`,
  () => {
    let folder: string;
    beforeAll(() => {
      folder = ensureQwen3Fixture(true);
    }, 600_000);
    const make = (options: Partial<ConstructorParameters<typeof HuggingFaceCausalCrossEncoder>[0]> = {}) =>
      new HuggingFaceCausalCrossEncoder({ model: folder, family: "qwen3-reranker", dtype: "fp32", ...options });

    it("scores in input order; sigmoid is the sigmoid of raw (P(yes) of the log-odds); the default q8 weights run", async () => {
      const raw = make({ scoreMode: "raw" });
      const sigmoid = make();
      const r = await raw.score(pairs);
      const s = await sigmoid.score(pairs);
      s.forEach((p, i) => expect(p).toBeCloseTo(1 / (1 + Math.exp(-r[i]!)), 6));
      const reversed = await raw.score([...pairs].reverse());
      expect(reversed.reverse()).toEqual(r);
      const q8 = new HuggingFaceCausalCrossEncoder({ model: folder, family: "qwen3-reranker" });
      expect(q8.dtype).toBe("q8");
      expect((await q8.score(pairs)).every((x) => x > 0 && x < 1)).toBe(true);
      await Promise.all([raw.dispose(), sigmoid.dispose(), q8.dispose()]);
    });

    it("a causal-LM reranker given to HuggingFaceCrossEncoder or CrossEncoderReranker is sent to HuggingFaceCausalCrossEncoder", async () => {
      const expected = /a causal language model.*new HuggingFaceCausalCrossEncoder\(\{ model: ".*", family: "qwen3-reranker" \}\)/s;
      await expect(new HuggingFaceCrossEncoder({ model: folder, dtype: "fp32" }).load()).rejects.toThrow(expected);
      const reranker = new CrossEncoderReranker({ model: folder });
      await expect(reranker.compressDocuments([new Document({ pageContent: "x" })], QUERY)).rejects.toThrow(UnsupportedModelError);
    });

    it("a damaged generation_config.json is named with the fix, not a raw SyntaxError", async () => {
      const copy = mkdtempSync(join(tmpdir(), "rerank-causal-"));
      try {
        cpSync(folder, copy, { recursive: true });
        writeFileSync(join(copy, "generation_config.json"), '<!DOCTYPE html><html lang="en">');
        const error = await new HuggingFaceCausalCrossEncoder({ model: copy, family: "qwen3-reranker", dtype: "fp32" })
          .load()
          .catch((e: unknown) => e);
        expect(error).toBeInstanceOf(CorruptModelFileError);
        expect((error as Error).message).toMatch(/generation_config\.json is not valid JSON .*Restore it/);
      } finally {
        rmSync(copy, { recursive: true, force: true });
      }
    });

    it("left padding: equal scores alone and in a mixed-length batch", async () => {
      const scorer = make({ scoreMode: "raw", batchSize: 4, maxBatchTokens: 1e9 });
      const batch = await scorer.score(pairs);
      for (const [i, pair] of pairs.entries()) expect((await scorer.score([pair]))[0]).toBeCloseTo(batch[i]!, 4);
      await scorer.dispose();
    });

    it("truncation cuts the document only: the prompt's fixed parts and the query stay whole", async () => {
      const scorer = make({ maxLength: 100 });
      const [fleas, rain] = await make().encode([
        [QUERY, "fleas"],
        [QUERY, "rain"],
      ]);
      const [cut] = await scorer.encode([[QUERY, "fleas ".repeat(500)]]);
      expect(cut!.length).toBe(100);
      // The prompt's fixed parts and the query: what two short documents' prompts share at each end.
      let head = 0;
      while (fleas![head] === rain![head]) head++;
      let tail = 0;
      while (fleas!.at(-1 - tail) === rain!.at(-1 - tail)) tail++;
      expect(tail).toBeGreaterThanOrEqual(9); // <|im_end|>\n<|im_start|>assistant\n<think>\n\n</think>\n\n
      expect(cut!.slice(0, head)).toEqual(fleas!.slice(0, head));
      expect(cut!.slice(-tail)).toEqual(fleas!.slice(-tail));
      await expect(make({ maxLength: 40 }).encode(pairs)).rejects.toThrow(/leaves no room for a query and a document/);
    });

    it("the instruction is an option and reaches the prompt", async () => {
      const [plain] = await make().encode([pairs[0]!]);
      const [custom] = await make({ instruction: "Find passages about insects" }).encode([pairs[0]!]);
      expect(custom).not.toEqual(plain);
    });

    it("windows: a long document is scored in windows, and CrossEncoderReranker reports metadata.bestChunk", async () => {
      const long = `${DOCS[1]} `.repeat(30) + DOCS[0];
      const scorer = make({ maxLength: 120, maxChunksPerDoc: 8 });
      const [detailed] = await scorer.scoreDetailed([[QUERY, long]]);
      expect(detailed!.chunk).toBeDefined();
      const reranker = new CrossEncoderReranker({ model: scorer, topN: 2 });
      const ranked = await reranker.compressDocuments([new Document({ pageContent: long }), new Document({ pageContent: DOCS[3]! })], QUERY);
      const withChunk = ranked.find((d) => d.pageContent === long)!;
      const best = withChunk.metadata.bestChunk as { start: number; end: number; text: string };
      expect(long.slice(best.start, best.end)).toBe(best.text);
      await scorer.dispose();
    });

    it("aborts: an aborted signal rejects with its reason and frees the queue", async () => {
      const scorer = make({ batchSize: 1, maxQueuedPairs: 4 });
      await scorer.load();
      const controller = new AbortController();
      const call = scorer.score(pairs, { signal: controller.signal });
      controller.abort(new Error("user went away"));
      await expect(call).rejects.toThrow("user went away");
      expect(scorer.queuedPairs).toBe(0);
      const first = scorer.score(pairs);
      await expect(scorer.score(pairs)).rejects.toBeInstanceOf(OverloadedError);
      await first;
      await scorer.dispose();
    });

    it("a tokenizer without the template's answer tokens is a clear error naming the token", async () => {
      const template = { ...CAUSAL_TEMPLATES["qwen3-reranker"], positiveToken: "definitely-relevant" };
      const error = await new HuggingFaceCausalCrossEncoder({ model: folder, template, dtype: "fp32" }).load().catch((e: unknown) => e);
      expect(error).toBeInstanceOf(InvalidOptionError);
      expect(String(error)).toMatch(/no single token for positiveToken "definitely-relevant"/);
    });

    it('"webgpu" in Node: DeviceUnavailableError, as for the classifiers', async () => {
      if (process.platform !== "linux") return;
      const error = await make({ device: "webgpu" })
        .score(pairs)
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(DeviceUnavailableError);
      expect(String(error)).toMatch(/device "webgpu" was asked for/);
    });

    it("bad pairs are refused before any work", async () => {
      const scorer = make();
      await expect(scorer.score("x" as never)).rejects.toThrow(/expects an array/);
      await expect(scorer.score([["q", 1]] as never)).rejects.toThrow(/pair 0 is not one/);
      expect(await scorer.score([])).toEqual([]);
    });
  },
);
