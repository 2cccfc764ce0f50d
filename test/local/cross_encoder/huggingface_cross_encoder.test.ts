import { cpSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { env } from "@huggingface/transformers";
import { afterAll, describe, expect, it, vi } from "vitest";
import { HuggingFaceCrossEncoder } from "../../../src/huggingface.js";
import { InvalidOptionError, MissingOnnxFileError, ModelNotFoundError, UnsupportedModelError, type TextPair } from "../../../src/index.js";
import { modelKey } from "../../../src/local/cross_encoder/huggingface_loader.js";
import { modelUsers } from "../../../src/local/runtime/model_registry.js";
import { FIXTURE_ENCODER, FIXTURE_RERANKER, FIXTURE_TWO_LABEL, FIXTURE_XLMR } from "../../support/fixtures.js";
import { samplePairs } from "../../support/pairs.js";
import { rawSessionLogits, sessionInputNames } from "../../support/raw_session.js";

const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));
const pairs: TextPair[] = samplePairs(40);
const tempDirs: string[] = [];
function tempCopy(source: string, without: string[] = []): string {
  const dir = mkdtempSync(join(tmpdir(), "rerank-model-"));
  tempDirs.push(dir);
  cpSync(source, dir, { recursive: true, filter: (path) => !without.some((name) => path.endsWith(name)) });
  return dir;
}
afterAll(() => tempDirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

describe("HuggingFaceCrossEncoder on the fixture model", () => {
  const fp32 = new HuggingFaceCrossEncoder({ model: FIXTURE_RERANKER, dtype: "fp32" });

  it("returns one score per pair, in input order, equal to a plain onnxruntime session fed the same tokens", async () => {
    const scores = await fp32.score(pairs);
    const logits = await rawSessionLogits(join(FIXTURE_RERANKER, "onnx/model.onnx"), await fp32.encode(pairs));
    expect(scores).toHaveLength(pairs.length);
    scores.forEach((score, i) => expect(score).toBeCloseTo(sigmoid(logits[i]![0]!), 5));
    expect(new Set(scores.map((s) => s.toFixed(6))).size).toBeGreaterThan(pairs.length / 2); // not a constant
  });

  it("fp32 scores do not depend on batch size or input order (|Δ| ≤ 1e-4)", async () => {
    const reference = await fp32.score(pairs);
    const order = pairs.map((_, i) => i).reverse();
    for (const batchSize of [1, 3, 32]) {
      const scorer = new HuggingFaceCrossEncoder({ model: FIXTURE_RERANKER, dtype: "fp32", batchSize, maxBatchTokens: 1e6 });
      const shuffled = await scorer.score(order.map((i) => pairs[i]!));
      order.forEach((original, position) => expect(Math.abs(shuffled[position]! - reference[original]!)).toBeLessThanOrEqual(1e-4));
    }
  });

  it("q8 loads onnx/model_quantized.onnx and matches its own raw session", async () => {
    const q8 = new HuggingFaceCrossEncoder({ model: FIXTURE_RERANKER, dtype: "q8", batchSize: 1 });
    const few = pairs.slice(0, 6);
    const logits = await rawSessionLogits(join(FIXTURE_RERANKER, "onnx/model_quantized.onnx"), await q8.encode(few));
    const scores = await q8.score(few);
    scores.forEach((score, i) => expect(score).toBeCloseTo(sigmoid(logits[i]![0]!), 5));
  });

  it("raw mode returns the logit; sigmoid mode its sigmoid", async () => {
    const raw = await new HuggingFaceCrossEncoder({ model: FIXTURE_RERANKER, dtype: "fp32", scoreMode: "raw" }).score(pairs.slice(0, 8));
    const squashed = await fp32.score(pairs.slice(0, 8));
    raw.forEach((logit, i) => expect(sigmoid(logit)).toBeCloseTo(squashed[i]!, 6));
    expect(raw.some((logit) => logit < 0 || logit > 1)).toBe(true);
  });

  it("scores a two-label model by its positive label (softmax probability / log-odds)", async () => {
    const few = pairs.slice(0, 5);
    const scorer = new HuggingFaceCrossEncoder({ model: FIXTURE_TWO_LABEL, dtype: "fp32" });
    const logits = await rawSessionLogits(join(FIXTURE_TWO_LABEL, "onnx/model.onnx"), await scorer.encode(few));
    const probability = await scorer.score(few);
    const byName = await new HuggingFaceCrossEncoder({ model: FIXTURE_TWO_LABEL, dtype: "fp32", positiveLabel: "relevant" }).score(few);
    const flipped = await new HuggingFaceCrossEncoder({ model: FIXTURE_TWO_LABEL, dtype: "fp32", positiveLabel: 0, scoreMode: "raw" }).score(few);
    logits.forEach(([negative, positive], i) => {
      expect(probability[i]).toBeCloseTo(Math.exp(positive!) / (Math.exp(positive!) + Math.exp(negative!)), 5);
      expect(byName[i]).toBeCloseTo(probability[i]!, 6);
      expect(flipped[i]).toBeCloseTo(negative! - positive!, 4);
    });
  });

  it("runs an XLM-RoBERTa (BGE-shaped) reranker: <s> A </s></s> B </s>, no token_type_ids, positions minus RoBERTa's offset", async () => {
    const scorer = new HuggingFaceCrossEncoder({ model: FIXTURE_XLMR, dtype: "fp32" });
    const few: TextPair[] = [...pairs.slice(0, 5), ["which protein?", "the protein study ".repeat(300)]];
    const encoded = await scorer.encode(few);
    // 130 position slots hold 128 tokens (as BGE's 514 hold 512); the fixture's tokenizer states no limit of its own.
    expect(Math.max(...encoded.map((p) => p.inputIds.length))).toBe(128);
    const [first] = encoded;
    expect(first!.inputIds[0]).toBe(0); // <s>
    expect(first!.inputIds.at(-1)).toBe(2); // </s>
    expect(first!.inputIds.filter((id) => id === 2)).toHaveLength(3); // </s></s> between query and document, </s> at the end
    expect(new Set(encoded.flatMap((p) => p.tokenTypeIds))).toEqual(new Set([0]));
    const modelFile = join(FIXTURE_XLMR, "onnx/model.onnx");
    expect(await sessionInputNames(modelFile)).toEqual(["input_ids", "attention_mask"]);
    const scores = await scorer.score(few);
    const logits = await rawSessionLogits(modelFile, encoded);
    logits.forEach(([logit], i) => expect(scores[i]).toBeCloseTo(sigmoid(logit!), 5));
  });

  it("returns [] for no pairs and rejects malformed pairs", async () => {
    await expect(new HuggingFaceCrossEncoder({ model: "/does/not/exist" }).score([])).resolves.toEqual([]);
    await expect(fp32.score([["only one"]] as never)).rejects.toThrow(/\[query, text\] pairs of strings; pair 0/);
  });

  it("rejects a sparse pairs array, bad call options and a signal that is not an AbortSignal with InvalidOptionError", async () => {
    const sparse: TextPair[] = [pairs[0]!];
    sparse[2] = pairs[1]!;
    await expect(fp32.score(sparse)).rejects.toThrow(
      new InvalidOptionError("HuggingFaceCrossEncoder.score expects [query, text] pairs of strings; pair 1 is a hole (sparse array)."),
    );
    await expect(fp32.score(pairs, { signal: {} as never })).rejects.toThrow(
      new InvalidOptionError("HuggingFaceCrossEncoder: `signal` must be an AbortSignal."),
    );
    await expect(fp32.scoreDetailed(pairs, null as never)).rejects.toThrow(/call options must be an object/);
  });

  it("stops between batches when the signal aborts", async () => {
    const scorer = new HuggingFaceCrossEncoder({ model: FIXTURE_RERANKER, dtype: "fp32", batchSize: 1 });
    await scorer.load();
    const already = AbortSignal.abort();
    await expect(scorer.score(pairs, { signal: already })).rejects.toMatchObject({ name: "AbortError" });
    const controller = new AbortController();
    const many = samplePairs(400);
    const running = scorer.score(many, { signal: controller.signal });
    setTimeout(() => controller.abort(new Error("user cancelled")), 5);
    await expect(running).rejects.toThrow("user cancelled");
  });
});

describe("HuggingFaceCrossEncoder loading", () => {
  it("loads once per process for the same (model, dtype, device, revision) across instances and concurrent calls", async () => {
    const folder = tempCopy(FIXTURE_RERANKER);
    const events: string[] = [];
    const options = {
      model: folder,
      dtype: "fp32" as const,
      progressCallback: (p: { status: string; file?: string }) => events.push(`${p.status} ${p.file}`),
    };
    const a = new HuggingFaceCrossEncoder(options);
    const b = new HuggingFaceCrossEncoder(options);
    const key = await modelKey({ model: folder, dtype: "fp32", device: "cpu" });
    const [sa, sb, sa2] = await Promise.all([a.score(pairs.slice(0, 4)), b.score(pairs.slice(0, 4)), a.score(pairs.slice(0, 4))]);
    expect(sa).toEqual(sb);
    expect(sa2).toEqual(sa);
    expect(events.filter((e) => e === "initiate onnx/model.onnx")).toHaveLength(1); // one model load, not three
    expect(modelUsers(key)).toBe(2);
    await a.dispose();
    expect(modelUsers(key)).toBe(1);
    await b.dispose();
    expect(modelUsers(key)).toBe(0);
    await expect(a.score(pairs.slice(0, 4))).resolves.toEqual(sa); // loads again after dispose
    await a.dispose();
  });

  it("dispose during a call lets the call finish, then frees the model; nothing is printed", async () => {
    const folder = tempCopy(FIXTURE_RERANKER);
    const printed = vi.spyOn(console, "error");
    try {
      const scorer = new HuggingFaceCrossEncoder({ model: folder, dtype: "fp32", batchSize: 1 });
      const key = await modelKey({ model: folder, dtype: "fp32", device: "cpu" });
      const reference = await scorer.score(pairs);
      const running = scorer.score(pairs);
      await new Promise((resolve) => setTimeout(resolve, 5)); // some batches in
      await scorer.dispose();
      expect(modelUsers(key)).toBe(0);
      await expect(running).resolves.toEqual(reference);

      // Calls made after dispose started load again and do not hold it up: it waits for its own calls only.
      const first = scorer.score(pairs);
      await new Promise((resolve) => setTimeout(resolve, 5));
      const disposing = scorer.dispose();
      let laterDone = false;
      const later = scorer.score(samplePairs(400)).finally(() => (laterDone = true));
      await disposing;
      expect(laterDone).toBe(false);
      await expect(first).resolves.toEqual(reference);
      await expect(later).resolves.toHaveLength(400);
      await scorer.dispose();
      expect(modelUsers(key)).toBe(0);

      // An aborted call stops waiting at once, but its pass in progress still runs: disposing must not free the
      // session under it (which failed the pass and made transformers.js print the pair's token ids).
      const oneBatch = new HuggingFaceCrossEncoder({ model: folder, dtype: "fp32", batchSize: 64, maxBatchTokens: 1e6 });
      await oneBatch.load();
      const controller = new AbortController();
      const aborted = oneBatch.score(samplePairs(64), { signal: controller.signal });
      await new Promise((resolve) => setImmediate(resolve)); // its one pass has started
      controller.abort(new Error("user cancelled"));
      await expect(aborted).rejects.toThrow("user cancelled");
      await oneBatch.dispose();
      await scorer.dispose();
      await expect(scorer.score(pairs.slice(0, 2))).resolves.toEqual(reference.slice(0, 2));
      await scorer.dispose();
      expect(printed).not.toHaveBeenCalled();
    } finally {
      printed.mockRestore();
    }
  });

  it("rejects an array as options (it would load the default hub model)", () => {
    expect(() => new HuggingFaceCrossEncoder([] as never)).toThrow(
      new InvalidOptionError('HuggingFaceCrossEncoder: options must be an object such as { model: "Xenova/bge-reranker-base" }.'),
    );
  });

  it("retries a failed load on the next call instead of caching the failure", async () => {
    const folder = tempCopy(FIXTURE_RERANKER, ["model.onnx"]);
    const scorer = new HuggingFaceCrossEncoder({ model: folder, dtype: "fp32" });
    await expect(scorer.score(pairs.slice(0, 2))).rejects.toThrow(MissingOnnxFileError);
    cpSync(join(FIXTURE_RERANKER, "onnx/model.onnx"), join(folder, "onnx/model.onnx"));
    await expect(scorer.score(pairs.slice(0, 2))).resolves.toHaveLength(2);
    await scorer.dispose();
  });

  it("names the missing ONNX file for the dtype and the dtypes the folder does offer", async () => {
    const folder = tempCopy(FIXTURE_RERANKER, ["model_quantized.onnx"]);
    const error = await new HuggingFaceCrossEncoder({ model: folder }).load().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MissingOnnxFileError);
    expect(String(error)).toContain(`${folder} has no onnx/model_quantized.onnx, the file dtype "q8" loads`);
    expect(String(error)).toContain('onnx/model.onnx (dtype "fp32")');
  });

  it("rejects a model that is not a sequence classifier before loading weights", async () => {
    const error = await new HuggingFaceCrossEncoder({ model: FIXTURE_ENCODER }).load().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UnsupportedModelError);
    expect(String(error)).toMatch(/is a BertModel .* not a sequence-classification reranker/);
  });

  it("names an unknown folder", async () => {
    const error = await new HuggingFaceCrossEncoder({ model: "./no/such/model-folder" }).load().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ModelNotFoundError);
    expect(String(error)).toMatch(/Model folder not found: .*no\/such\/model-folder/);
  });

  it("offline without a cached model: names the id, the cache dir and how to pass a folder", async () => {
    const cacheDir = mkdtempSync(join(tmpdir(), "rerank-cache-"));
    tempDirs.push(cacheDir);
    const remoteHost = env.remoteHost;
    env.remoteHost = "http://127.0.0.1:9/"; // nothing listens: connection refused, as on a machine without network
    try {
      const error = await new HuggingFaceCrossEncoder({ model: "Xenova/bge-reranker-base", cacheDir }).load().catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ModelNotFoundError);
      expect(String(error)).toContain('Cannot load "Xenova/bge-reranker-base"');
      expect(String(error)).toContain(`not in the cache at ${cacheDir}`);
      expect(String(error)).toContain('pass a local folder: model: "/path/to/folder"');
    } finally {
      env.remoteHost = remoteHost;
    }
    const local = await new HuggingFaceCrossEncoder({ model: "Xenova/ms-marco-MiniLM-L-6-v2", cacheDir, localFilesOnly: true })
      .load()
      .catch((e: unknown) => e);
    expect(String(local)).toMatch(/remote downloads are disabled \(localFilesOnly\)/);
  });

  it("rejects maxLength above the model's limit", async () => {
    const error = await new HuggingFaceCrossEncoder({ model: FIXTURE_RERANKER, dtype: "fp32", maxLength: 1024 }).load().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidOptionError);
    expect(String(error)).toContain("maxLength 1024 exceeds");
  });

  it("rejects options of the wrong type with the option's name", () => {
    expect(() => new HuggingFaceCrossEncoder({ dtype: "int3" as never })).toThrow(/`dtype` must be one of "fp32", .*got the string "int3"/);
    expect(() => new HuggingFaceCrossEncoder({ batchSize: 0 })).toThrow(/`batchSize` must be a positive integer, got the number 0/);
    expect(() => new HuggingFaceCrossEncoder({ scoreMode: "softmax" as never })).toThrow(/`scoreMode`/);
    expect(() => new HuggingFaceCrossEncoder({ model: 42 as never })).toThrow(/`model` must be a non-empty string/);
    expect(() => new HuggingFaceCrossEncoder({ progressCallback: "log" as never })).toThrow(/`progressCallback` must be a function/);
  });

  it("uses q8 and small sorted batches on CPU, fp32 and large batches on GPUs, by default", () => {
    const cpu = new HuggingFaceCrossEncoder();
    expect([cpu.model, cpu.dtype, cpu.device, cpu.scoreMode, cpu.batchLimits]).toEqual([
      "Xenova/bge-reranker-base",
      "q8",
      "cpu",
      "sigmoid",
      { batchSize: 16, maxBatchTokens: 512 },
    ]);
    const gpu = new HuggingFaceCrossEncoder({ device: "cuda" });
    expect([gpu.dtype, gpu.batchLimits.batchSize]).toEqual(["fp32", 64]);
    // A pair count given alone means fixed-size sorted batches; both given are both kept.
    expect(new HuggingFaceCrossEncoder({ batchSize: 32 }).batchLimits).toEqual({ batchSize: 32, maxBatchTokens: Infinity });
    expect(new HuggingFaceCrossEncoder({ batchSize: 32, maxBatchTokens: 2048 }).batchLimits).toEqual({ batchSize: 32, maxBatchTokens: 2048 });
  });
});
