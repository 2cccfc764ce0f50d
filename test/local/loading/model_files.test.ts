import { cpSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { HuggingFaceCrossEncoder } from "../../../src/huggingface.js";
import { MissingOnnxFileError, ModelNotFoundError } from "../../../src/index.js";
import { FIXTURE_RERANKER } from "../../support/fixtures.js";

// A local model folder is checked before transformers.js reads it (src/local/loading/model_files.ts): a missing file is
// named, with what a folder needs. transformers.js 3 and 4 both read tokenizer_config.json (3: "Local file missing";
// 4: a TypeError on `tokenizer_class`), which used to be reported as a corrupt tokenizer.

const folders: string[] = [];
afterAll(() => {
  for (const folder of folders) rmSync(folder, { recursive: true, force: true });
});

function fixtureWithout(file: string): string {
  const folder = mkdtempSync(join(tmpdir(), "rerank-folder-"));
  folders.push(folder);
  cpSync(FIXTURE_RERANKER, folder, { recursive: true });
  rmSync(join(folder, file), { recursive: true });
  return folder;
}

describe("a local model folder missing a file", () => {
  it.each(["tokenizer_config.json", "tokenizer.json", "config.json"])(
    "without %s: ModelNotFoundError naming that file and what a folder needs",
    async (file) => {
      const folder = fixtureWithout(file);
      const error = await new HuggingFaceCrossEncoder({ model: folder, dtype: "fp32" }).load().catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ModelNotFoundError);
      expect((error as Error).message).toContain(`Model folder ${folder} has no ${file}:`);
      expect((error as Error).message).toContain("needs config.json, tokenizer.json, tokenizer_config.json and onnx/*.onnx");
    },
  );

  it("without onnx/ at all: MissingOnnxFileError naming the file the dtype loads", async () => {
    const folder = fixtureWithout("onnx");
    const error = await new HuggingFaceCrossEncoder({ model: folder, dtype: "q8" }).load().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MissingOnnxFileError);
    expect((error as Error).message).toContain("has no onnx/model_quantized.onnx");
  });

  it("a folder with all four loads and scores", async () => {
    const scorer = new HuggingFaceCrossEncoder({ model: FIXTURE_RERANKER, dtype: "fp32" });
    expect((await scorer.score([["a", "b"]])).every(Number.isFinite)).toBe(true);
    await scorer.dispose();
  });
});

describe("a relative path that does not exist", () => {
  // No hub id has two slashes (`name` or `owner/name`), so such a string is a folder: a missing one is named as a
  // missing folder, not looked up on the hub (transformers.js's "invalid model ID").
  it.each(["test/fixtures/models/no-such-model", "models\\no-such-model"])("%s: ModelNotFoundError, folder not found", async (model) => {
    const error = await new HuggingFaceCrossEncoder({ model, dtype: "fp32" }).load().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ModelNotFoundError);
    expect((error as Error).message).toMatch(/^Model folder not found: .*no-such-model\./);
  });
});
