import { cpSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { hasRandomWeights } from "../../src/eval/index.js";
import { FIXTURE_MODELS, FIXTURE_RERANKER } from "../support/fixtures.js";

describe("hasRandomWeights", () => {
  it.each(["tiny-bert-reranker", "tiny-bert-reranker-two-label", "tiny-xlmr-reranker"])("true for the fixture %s", (name) => {
    expect(hasRandomWeights(join(FIXTURE_MODELS, name))).toBe(true);
  });

  it("false for a hub id, a missing folder and a folder without ONNX files", () => {
    expect(hasRandomWeights("Xenova/bge-reranker-base")).toBe(false);
    expect(hasRandomWeights("/nonexistent/model")).toBe(false);
    expect(hasRandomWeights(mkdtempSync(join(tmpdir(), "no-onnx-")))).toBe(false);
  });

  it("reads the header only: the same model with its producer name changed is not flagged", () => {
    const copy = mkdtempSync(join(tmpdir(), "renamed-producer-"));
    cpSync(FIXTURE_RERANKER, copy, { recursive: true });
    for (const file of ["model.onnx", "model_quantized.onnx"]) {
      const path = join(copy, "onnx", file);
      const bytes = readFileSync(path);
      const at = bytes.indexOf("random");
      if (at < 0) continue;
      bytes.write("RNDMIZ", at, "latin1"); // same length: the protobuf stays valid
      writeFileSync(path, bytes);
    }
    expect(hasRandomWeights(copy)).toBe(false);
  });
});
