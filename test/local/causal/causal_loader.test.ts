import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { causalModelsUnavailable, ensureQwen3Fixture } from "../../../scripts/causal_models.js";
import { HuggingFaceCausalCrossEncoder } from "../../../src/huggingface.js";
import { CorruptModelFileError, InvalidOptionError } from "../../../src/index.js";
import { main as convertCli } from "../../../src/local/causal/convert_causal_cli.js";

// Which graph a causal-LM reranker loads: the answer-head conversion, made on first load and cached, or the full
// graph with the reason recorded when the conversion cannot be had; a folder converted ahead of time loads as is.
// Every path is checked against the full graph's scores on the same pairs.

const unavailable = causalModelsUnavailable();
const QUERY = "how long does a flea live?";
const pairs = [
  "A flea can live up to a year, but its lifespan depends on the availability of hosts.",
  "Paris is the capital of France.",
  "Fleas lay eggs on the host; the eggs fall off and hatch in the carpet within two weeks.",
].map((d) => [QUERY, d] as [string, string]);
const dir = mkdtempSync(join(tmpdir(), "causal-loader-"));
const maxDiff = (a: number[], b: number[]) => Math.max(...a.map((x, i) => Math.abs(x - b[i]!)));

describe.runIf(unavailable === undefined)(`causal LM load: answer head or full graph${unavailable ? ` [skipped: ${unavailable}]` : ""}`, () => {
  let folder: string;
  let full: number[];
  const make = (options: Partial<ConstructorParameters<typeof HuggingFaceCausalCrossEncoder>[0]> = {}) =>
    new HuggingFaceCausalCrossEncoder({ model: folder, family: "qwen3-reranker", dtype: "fp32", scoreMode: "raw", ...options });
  beforeAll(async () => {
    folder = ensureQwen3Fixture(true);
    const scorer = make({ convertGraph: false });
    full = await scorer.score(pairs);
    expect(scorer.answerHead).toEqual({ converted: false, reason: "convertGraph is false" });
    await scorer.dispose();
  }, 600_000);

  it("converts on first load into convertedGraphDir, scores as the full graph, and reuses the copy on the next load", async () => {
    const cache = join(dir, "cache");
    const first = make({ convertedGraphDir: cache });
    expect(first.answerHead).toBeUndefined();
    expect(maxDiff(await first.score(pairs), full)).toBeLessThan(1e-5);
    expect(first.answerHead).toMatchObject({ converted: true, tokens: [9693, 2152] });
    const converted = (first.answerHead as { folder: string }).folder;
    expect(readdirSync(cache)).toEqual([converted.split("/").pop()]);
    const written = statSync(join(converted, "onnx", "model.onnx")).mtimeMs;
    await first.dispose();
    const second = make({ convertedGraphDir: cache });
    expect(maxDiff(await second.score(pairs), full)).toBeLessThan(1e-5);
    expect(second.answerHead).toMatchObject({ converted: true, folder: converted });
    expect(statSync(join(converted, "onnx", "model.onnx")).mtimeMs).toBe(written);
    await second.dispose();
  });

  it("falls back to the full graph with the reason when the conversion fails (a cache folder that cannot be made)", async () => {
    const file = join(dir, "a-file");
    writeFileSync(file, "not a folder");
    const scorer = make({ convertedGraphDir: join(file, "cache") });
    expect(maxDiff(await scorer.score(pairs), full)).toBeLessThan(1e-5);
    expect(scorer.answerHead).toMatchObject({ converted: false, reason: expect.stringMatching(/^conversion failed: .*ENOTDIR/) });
    await scorer.dispose();
  });

  it("a damaged cached copy: the full graph scores, the reason says so, and the copy is removed to be converted again", async () => {
    const cache = join(dir, "damaged");
    const first = make({ convertedGraphDir: cache });
    await first.load();
    const converted = (first.answerHead as { folder: string }).folder;
    await first.dispose();
    const graph = join(converted, "onnx", "model.onnx");
    writeFileSync(graph, readFileSync(graph).subarray(0, 1000));
    const second = make({ convertedGraphDir: cache });
    expect(maxDiff(await second.score(pairs), full)).toBeLessThan(1e-5);
    expect(second.answerHead).toMatchObject({ converted: false, reason: expect.stringMatching(/failed to load \(removed/) });
    await second.dispose();
    const third = make({ convertedGraphDir: cache });
    expect(maxDiff(await third.score(pairs), full)).toBeLessThan(1e-5);
    expect(third.answerHead).toMatchObject({ converted: true, folder: converted });
    await third.dispose();
  });

  it("rerank-convert-causal converts ahead of time; the folder loads as is, and only for its own answer tokens", async () => {
    const out = join(dir, "aot");
    const lines: string[] = [];
    expect(await convertCli([folder, "--family", "qwen3-reranker", "--dtype", "fp32", "--out", out], (l) => lines.push(l))).toBe(0);
    expect(lines.join("\n")).toMatch(/converted to the answer head of tokens \[9693,2152\]/);
    const scorer = new HuggingFaceCausalCrossEncoder({
      model: out,
      family: "qwen3-reranker",
      dtype: "fp32",
      scoreMode: "raw",
      convertedGraphDir: join(dir, "unused"),
    });
    expect(maxDiff(await scorer.score(pairs), full)).toBeLessThan(1e-5);
    expect(scorer.answerHead).toMatchObject({ converted: true, folder: out });
    await scorer.dispose();
    const other = new HuggingFaceCausalCrossEncoder({ model: out, family: "mxbai-rerank-v2", dtype: "fp32" });
    await expect(other.load()).rejects.toThrow(InvalidOptionError);
    await expect(other.load()).rejects.toThrow(/converted for the tokens \[9693,2152\].*\[16,15\]/);
    expect(await convertCli([], () => undefined)).toBe(2);
    await expect(convertCli([folder, "--family", "llama"], () => undefined)).rejects.toThrow(/--family must be one of/);
  });

  it("a config that claims an answer head over a full graph is refused at scoring, never read as one", async () => {
    const mixed = join(dir, "mixed");
    cpSync(folder, mixed, { recursive: true });
    const config = JSON.parse(readFileSync(join(mixed, "config.json"), "utf8")) as Record<string, unknown>;
    writeFileSync(join(mixed, "config.json"), JSON.stringify({ ...config, langchain_rerank_answer_head: { tokens: [9693, 2152], version: 1 } }));
    const scorer = new HuggingFaceCausalCrossEncoder({ model: mixed, family: "qwen3-reranker", dtype: "fp32" });
    const error = await scorer.score(pairs).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CorruptModelFileError);
    expect(String(error)).toMatch(/answer head of 2 tokens, and its logits are \[3, \d+, 151669\]/);
    await scorer.dispose();
  });
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));
