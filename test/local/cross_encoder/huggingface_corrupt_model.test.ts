import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as ort from "onnxruntime-node";
import { afterAll, describe, expect, it } from "vitest";
import { HuggingFaceCrossEncoder } from "../../../src/huggingface.js";
import { CorruptModelFileError, ModelNotFoundError, type TextPair } from "../../../src/index.js";
import { explainLoadError } from "../../../src/local/loading/load_errors.js";
import { identityOnnxModel } from "../../../src/local/loading/session_primer.js";
import { FIXTURE_RERANKER, FIXTURE_XLMR } from "../../support/fixtures.js";

// This file must stay in its own process (vitest runs each file in a fresh fork) and its first test must be the
// process's first model load: transformers.js 3 kept the first ONNX session's promise, so a corrupt first model
// broke every later load of any model.

const pairs: TextPair[] = [
  ["what is a cross-encoder", "A cross-encoder reads the query and the document together."],
  ["what is a cross-encoder", "Bananas are yellow."],
];
const tempDirs: string[] = [];
function tempCopy(source: string, under?: string): string {
  const root = mkdtempSync(join(tmpdir(), "rerank-corrupt-"));
  tempDirs.push(root);
  const dir = under === undefined ? root : join(root, under);
  cpSync(source, dir, { recursive: true });
  return dir;
}
afterAll(() => tempDirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

function truncate(file: string, bytes: number): void {
  writeFileSync(file, readFileSync(file).subarray(0, bytes));
}

async function loadError(options: ConstructorParameters<typeof HuggingFaceCrossEncoder>[0]): Promise<unknown> {
  const scorer = new HuggingFaceCrossEncoder(options);
  try {
    await scorer.load();
  } catch (error) {
    return error;
  } finally {
    await scorer.dispose();
  }
  throw new Error("the load succeeded");
}

describe("a failed model load is forgotten (the process's first load is a truncated ONNX file)", () => {
  it("fails alone, naming the file; a good model then loads and scores, and the same instance retries once repaired", async () => {
    const folder = tempCopy(FIXTURE_RERANKER);
    const onnx = join(folder, "onnx", "model.onnx");
    truncate(onnx, 50_000);
    const broken = new HuggingFaceCrossEncoder({ model: folder, dtype: "fp32" });
    const error = await broken.score(pairs).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CorruptModelFileError);
    expect((error as CorruptModelFileError).file).toBe(onnx);
    expect(String(error)).toMatch(/onnxruntime cannot load .*model\.onnx \(Protobuf parsing failed\): the ONNX file is truncated, corrupt/);

    // A different, good model: a forgotten failure must not fail it with the truncated file's error.
    const good = new HuggingFaceCrossEncoder({ model: FIXTURE_XLMR, dtype: "fp32" });
    const scores = await good.score(pairs);
    expect(scores).toHaveLength(2);
    scores.forEach((score) => expect(score).toBeGreaterThan(0));
    await good.dispose();

    // The broken instance retries on its next call once the file is whole again.
    cpSync(join(FIXTURE_RERANKER, "onnx", "model.onnx"), onnx);
    await expect(broken.score(pairs)).resolves.toHaveLength(2);
    await broken.dispose();
  });

  it.each([
    ["zero bytes", (file: string) => writeFileSync(file, ""), /is empty \(0 bytes\)/],
    [
      "random bytes",
      (file: string) => writeFileSync(file, Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 7919) % 251))),
      /onnxruntime cannot load/,
    ],
    ["a JSON file", (file: string) => writeFileSync(file, '{"not": "onnx"}'), /onnxruntime cannot load/],
  ])("an ONNX file of %s fails with CorruptModelFileError, and the next model still loads", async (_, corrupt, message) => {
    const folder = tempCopy(FIXTURE_RERANKER);
    const onnx = join(folder, "onnx", "model_quantized.onnx");
    corrupt(onnx);
    const error = await loadError({ model: folder });
    expect(error).toBeInstanceOf(CorruptModelFileError);
    expect((error as CorruptModelFileError).file).toBe(onnx);
    expect(String(error)).toMatch(message);
    const good = new HuggingFaceCrossEncoder({ model: FIXTURE_RERANKER });
    await expect(good.score(pairs)).resolves.toHaveLength(2);
    await good.dispose();
  });

  it("a truncated ONNX file in the download cache: names the cached file and says to delete it", async () => {
    const cacheDir = mkdtempSync(join(tmpdir(), "rerank-cache-"));
    tempDirs.push(cacheDir);
    cpSync(FIXTURE_RERANKER, join(cacheDir, "acme", "tiny-reranker"), { recursive: true });
    const onnx = join(cacheDir, "acme", "tiny-reranker", "onnx", "model_quantized.onnx");
    truncate(onnx, 1000);
    const error = await loadError({ model: "acme/tiny-reranker", cacheDir, localFilesOnly: true });
    expect(error).toBeInstanceOf(CorruptModelFileError);
    expect(String(error)).toContain(`Delete ${onnx} (a cached download) so the next load downloads it again`);
    cpSync(join(FIXTURE_RERANKER, "onnx", "model_quantized.onnx"), onnx);
    const repaired = new HuggingFaceCrossEncoder({ model: "acme/tiny-reranker", cacheDir, localFilesOnly: true });
    await expect(repaired.score(pairs)).resolves.toHaveLength(2);
    await repaired.dispose();
  });

  it("a cached copy missing tokenizer_config.json (an interrupted download) offline: not in the cache, and says what to do", async () => {
    const cacheDir = mkdtempSync(join(tmpdir(), "rerank-cache-"));
    tempDirs.push(cacheDir);
    cpSync(FIXTURE_RERANKER, join(cacheDir, "acme", "tiny-reranker"), { recursive: true });
    rmSync(join(cacheDir, "acme", "tiny-reranker", "tokenizer_config.json"));
    const error = await loadError({ model: "acme/tiny-reranker", cacheDir, localFilesOnly: true });
    expect(error).toBeInstanceOf(ModelNotFoundError);
    expect(String(error)).toContain(`it is not in the cache at ${cacheDir}`);
  });

  it("the primer model is a valid one-node ONNX graph (Identity: x → y)", async () => {
    const session = await ort.InferenceSession.create(identityOnnxModel());
    expect([session.inputNames, session.outputNames]).toEqual([["x"], ["y"]]);
    const { y } = await session.run({ x: new ort.Tensor("float32", Float32Array.from([0.25]), [1]) });
    expect(Array.from(y!.data as Float32Array)).toEqual([0.25]);
    await session.release();
  });
});

describe("corrupt JSON model files name the file and the fix", () => {
  const cases: Array<[string, string, string | Buffer, RegExp]> = [
    [
      "config.json",
      "a stray character",
      '{"model_type": "bert",\n  "architectures": x}',
      /config\.json is not valid JSON \((error at line 2, column 20|Unexpected token)/,
    ],
    ["config.json", "zero bytes", "", /config\.json is empty \(0 bytes\)/],
    ["config.json", "whitespace only", "\n  \n", /config\.json is empty/],
    ["config.json", "a JSON array", "[1, 2]", /config\.json holds an array, not a JSON object/],
    [
      "tokenizer.json",
      "cut short",
      '{\n  "version": "1.0",\n  "truncation": nul',
      /tokenizer\.json is not valid JSON \(ends early at line 3, column \d+\)/,
    ],
    ["tokenizer.json", "zero bytes", "", /tokenizer\.json is empty \(0 bytes\)/],
    ["tokenizer_config.json", "garbage", Buffer.from([0xff, 0xfe, 0x00, 0x7b]), /tokenizer_config\.json is not valid JSON/],
  ];

  it.each(cases)("%s (%s) in a local folder", async (name, _, content, message) => {
    const folder = tempCopy(FIXTURE_RERANKER);
    writeFileSync(join(folder, name), content);
    const error = await loadError({ model: folder });
    expect(error).toBeInstanceOf(CorruptModelFileError);
    expect((error as CorruptModelFileError).file).toBe(join(folder, name));
    expect(String(error)).toMatch(message);
    expect(String(error)).toContain(join(folder, name));
    expect(String(error)).toContain("Restore it from the model's source");
  });

  it("the same error, every time, for a zero-byte config.json (no parse of leftover memory)", async () => {
    const folder = tempCopy(FIXTURE_RERANKER);
    writeFileSync(join(folder, "config.json"), "");
    const messages = new Set<string>();
    for (let i = 0; i < 5; i++) messages.add(String(await loadError({ model: folder })));
    expect(messages.size).toBe(1);
  });

  it("a corrupt config.json in the download cache: names the cached file and says to delete it", async () => {
    const model = tempCopy(FIXTURE_RERANKER, join("acme", "tiny-reranker"));
    const cacheDir = join(model, "..", "..");
    writeFileSync(join(model, "config.json"), "");
    const error = await loadError({ model: "acme/tiny-reranker", cacheDir, localFilesOnly: true });
    expect(error).toBeInstanceOf(CorruptModelFileError);
    expect(String(error)).toContain(`${join(model, "config.json")} is empty (0 bytes)`);
    expect(String(error)).toContain("(a cached download) so the next load downloads it again");
  });

  it("a revision's cached files are checked in <cacheDir>/<id>/<revision>/", async () => {
    const model = tempCopy(FIXTURE_RERANKER, join("acme", "tiny-reranker", "v2"));
    const cacheDir = join(model, "..", "..", "..");
    writeFileSync(join(model, "tokenizer.json"), "{");
    const error = await loadError({ model: "acme/tiny-reranker", revision: "v2", cacheDir, localFilesOnly: true });
    expect(error).toBeInstanceOf(CorruptModelFileError);
    expect((error as CorruptModelFileError).file).toBe(join(model, "tokenizer.json"));
  });

  it("a tokenizer.json that is valid JSON but not a tokenizer ({}): a CorruptModelFileError naming it, not a bare TypeError", async () => {
    const folder = tempCopy(FIXTURE_RERANKER);
    writeFileSync(join(folder, "tokenizer.json"), "{}");
    const error = await loadError({ model: folder });
    expect(error).toBeInstanceOf(CorruptModelFileError);
    expect((error as CorruptModelFileError).file).toBe("tokenizer.json");
    expect(String(error)).toContain(
      `"${folder}"'s tokenizer.json or tokenizer_config.json (in the model folder) is not a tokenizer transformers.js can read`,
    );
    expect(String(error)).toContain("Restore it from the model's source");
  });

  it("a good model still loads after every corrupt one", async () => {
    const good = new HuggingFaceCrossEncoder({ model: FIXTURE_RERANKER });
    await expect(good.score(pairs)).resolves.toHaveLength(2);
    await good.dispose();
  });
});

describe("a JSON parse error from transformers.js itself (a copy the up-front checks did not see)", () => {
  const spec = { model: "acme/tiny-reranker", dtype: "q8", device: "cpu" } as const;
  const garbage = new SyntaxError('Unexpected token \u0000, "\u0000\u0007secret-looking-bytes" is not valid JSON');

  it("is named by the step that read it, says where to delete it, and does not quote the parsed bytes", () => {
    const config = explainLoadError(spec, "/cache", garbage, "config", "cache");
    expect(config).toBeInstanceOf(CorruptModelFileError);
    expect((config as CorruptModelFileError).file).toBe("config.json");
    expect(config.message).toBe(
      '"acme/tiny-reranker"\'s config.json (in the cache at /cache) is not valid JSON: it is corrupt, empty or was cut short. ' +
        "Delete the model's folder under /cache so the next load downloads it again.",
    );
    const tokenizer = explainLoadError(spec, "/cache", garbage, "tokenizer", "folder");
    expect(tokenizer.message).toContain("tokenizer.json or tokenizer_config.json (in the model folder)");
    expect(tokenizer.message).not.toContain("secret-looking-bytes");
    expect((tokenizer as CorruptModelFileError).cause).toBe(garbage);
  });
});

describe("an onnxruntime error that names no file (a model loaded from a buffer)", () => {
  it("names the file the dtype loads", () => {
    const error = explainLoadError(
      { model: "acme/tiny-reranker", dtype: "q8", device: "cpu" },
      "/cache",
      new Error("Failed to load model because protobuf parsing failed."),
      "model",
      "cache",
    );
    expect(error).toBeInstanceOf(CorruptModelFileError);
    expect((error as CorruptModelFileError).file).toBe('onnx/model_quantized.onnx of "acme/tiny-reranker"');
    expect(error.message).toMatch(
      /onnxruntime cannot load onnx\/model_quantized\.onnx of "acme\/tiny-reranker" \(Failed to load model because protobuf parsing failed\)/,
    );
  });
});
