import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { InferenceSession, Tensor } from "onnxruntime-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { causalModelsUnavailable, ensureQwen3Fixture } from "../../../scripts/causal_models.js";
import { CorruptModelFileError, InvalidOptionError } from "../../../src/index.js";
import { convertModelFolder } from "../../../src/local/causal/answer_head_files.js";
import { answerHeadRecord, convertAnswerHead, decodeModel } from "../../../src/local/causal/answer_head_graph.js";
import { FIXTURE_RERANKER } from "../../support/fixtures.js";

// The answer-head conversion against the full graph, both run by plain onnxruntime sessions on the same left-padded
// batch: the converted graph's two logits equal the full graph's at the last position, for fp32 and q8 heads, with
// and without a KV cache, with external data and with a head tied to the embedding.

const unavailable = causalModelsUnavailable();
const YES = 9693;
const NO = 2152;
const dir = mkdtempSync(join(tmpdir(), "answer-head-"));
const ROWS = [
  [151644, 872, 198, 3838, 374, 264, 52497, 30, 151645, 198, 151644, 77091, 198],
  [151644, 872, 198, 9707, 151645, 198],
  [3838, 374, 264, 52497, 30],
];

function feeds(session: InferenceSession): Record<string, Tensor> {
  const width = Math.max(...ROWS.map((r) => r.length));
  const size = ROWS.length;
  const ids = new BigInt64Array(size * width);
  const mask = new BigInt64Array(size * width);
  const positions = new BigInt64Array(size * width).fill(1n);
  ROWS.forEach((row, r) =>
    row.forEach((id, j) => {
      const at = r * width + width - row.length + j;
      ids[at] = BigInt(id);
      mask[at] = 1n;
      positions[at] = BigInt(j);
    }),
  );
  const all: Record<string, Tensor> = {
    input_ids: new Tensor("int64", ids, [size, width]),
    attention_mask: new Tensor("int64", mask, [size, width]),
    position_ids: new Tensor("int64", positions, [size, width]),
  };
  for (const name of session.inputNames.filter((n) => n.startsWith("past_key_values"))) {
    all[name] = new Tensor("float32", new Float32Array(0), [size, 2, 0, 8]); // the tiny fixture: 2 kv heads of 8
  }
  return Object.fromEntries(session.inputNames.map((n) => [n, all[n]!]));
}

/** [full graph's (yes, no) at each row's last position, converted graph's [row, 2]]. */
async function bothLogits(source: string, file: string): Promise<{ full: number[]; converted: number[]; dims: readonly number[] }> {
  const out = await convertModelFolder(source, file, [YES, NO], join(dir, `${source.split("/").pop()}-${file}`));
  const full = await InferenceSession.create(join(source, "onnx", file));
  const converted = await InferenceSession.create(join(out, "onnx", file));
  const a = (await full.run(feeds(full))).logits!;
  const b = (await converted.run(feeds(converted))).logits!;
  const [, width, vocab] = a.dims as [number, number, number];
  const data = a.data as Float32Array;
  const fullPairs = ROWS.flatMap((_, r) => [data[(r * width + width - 1) * vocab + YES]!, data[(r * width + width - 1) * vocab + NO]!]);
  await Promise.all([full.release(), converted.release()]);
  return { full: fullPairs, converted: [...(b.data as Float32Array)], dims: b.dims };
}

const maxDiff = (a: number[], b: number[]) => Math.max(...a.map((x, i) => Math.abs(x - b[i]!)));

describe.runIf(unavailable === undefined)(`answer-head conversion${unavailable ? ` [skipped: ${unavailable}]` : ""}`, () => {
  const fixtures: Record<string, string> = {};
  beforeAll(() => {
    fixtures.cache = ensureQwen3Fixture(true);
    fixtures.nocache = ensureQwen3Fixture(false);
    fixtures.external = ensureQwen3Fixture(true, { external: true });
    fixtures["nocache-external"] = ensureQwen3Fixture(false, { external: true });
    fixtures.tied = ensureQwen3Fixture(true, { tiedGraph: true });
  }, 600_000);

  for (const variant of ["cache", "nocache", "external", "nocache-external", "tied"]) {
    for (const file of variant === "tied" ? ["model.onnx"] : ["model.onnx", "model_quantized.onnx"]) {
      it(`${variant}, ${file}: [batch, 2] logits equal the full graph's at the last position within 1e-5`, async () => {
        const { full, converted, dims } = await bothLogits(fixtures[variant]!, file);
        expect(dims).toEqual([ROWS.length, 2]);
        expect(Math.max(...full) - Math.min(...full)).toBeGreaterThan(1); // logits that differ, so equality means something
        expect(maxDiff(converted, full)).toBeLessThan(1e-5);
      });
    }
  }

  it("the head's unused rows and the KV-cache outputs are gone; the graph records its tokens and source", async () => {
    const source = join(fixtures.cache!, "onnx", "model.onnx");
    const out = await convertModelFolder(fixtures.cache!, "model.onnx", [YES, NO], join(dir, "record"));
    const bytes = readFileSync(join(out, "onnx", "model.onnx"));
    expect(bytes.length).toBeLessThan(readFileSync(source).length * 0.6); // the 16 × 151,669 head was half the file
    const model = decodeModel(bytes, "converted");
    expect(answerHeadRecord(model)).toMatchObject({ tokens: [YES, NO], version: 1 });
    expect(model.graph.output.map((o: { name: string }) => o.name)).toEqual(["logits"]);
    const config = JSON.parse(readFileSync(join(out, "config.json"), "utf8")) as Record<string, unknown>;
    expect(config.langchain_rerank_answer_head).toMatchObject({ tokens: [YES, NO] });
  });

  it("damaged, foreign and already converted graphs are refused with the reason, never converted", () => {
    const options = { tokens: [YES, NO], readExternal: () => new Uint8Array(), externalLocation: "x", source: "test" };
    const good = readFileSync(join(fixtures.cache!, "onnx", "model.onnx"));
    expect(() => convertAnswerHead(good.subarray(0, good.length / 2), "cut.onnx", options)).toThrow(CorruptModelFileError);
    expect(() => convertAnswerHead(new TextEncoder().encode("not a model at all"), "text.onnx", options)).toThrow(CorruptModelFileError);
    // A sequence classifier has `logits` too, [batch, labels]: the answer tokens are not in its one-column head.
    const classifier = readFileSync(join(FIXTURE_RERANKER, "onnx", "model.onnx"));
    expect(() => convertAnswerHead(classifier, "classifier.onnx", options)).toThrow(InvalidOptionError);
    expect(() => convertAnswerHead(classifier, "classifier.onnx", options)).toThrow(/outside the head's vocabulary/);
    const converted = convertAnswerHead(good, "model.onnx", options).graph;
    expect(() => convertAnswerHead(converted, "converted.onnx", options)).toThrow(/already an answer-head graph/);
  });

  it("an answer token outside the vocabulary is refused", () => {
    const good = readFileSync(join(fixtures.cache!, "onnx", "model.onnx"));
    const options = { tokens: [YES, 10_000_000], readExternal: () => new Uint8Array(), externalLocation: "x", source: "test" };
    expect(() => convertAnswerHead(good, "model.onnx", options)).toThrow(/answer token id 10000000 is outside/);
  });

  it("external data named outside the model's folder is refused", async () => {
    const folder = fixtures.external!;
    const graph = readFileSync(join(folder, "onnx", "model.onnx"));
    const model = decodeModel(graph, "g");
    // Point the head's data at ../../elsewhere: a graph must not read files out of its folder.
    const head = model.graph.initializer.find((t: { name: string }) => t.name === "lm_head");
    head.external_data.find((e: { key: string }) => e.key === "location").value = "../../../etc/passwd";
    const { default: protobuf } = await import("protobufjs/light.js");
    const { ONNX_SCHEMA } = await import("../../../src/local/causal/onnx_schema.js");
    const bad = join(dir, "escape");
    const { cpSync } = await import("node:fs");
    cpSync(folder, bad, { recursive: true });
    writeFileSync(join(bad, "onnx", "model.onnx"), protobuf.Root.fromJSON(ONNX_SCHEMA).lookupType("onnx.ModelProto").encode(model).finish());
    await expect(convertModelFolder(bad, "model.onnx", [YES, NO], join(dir, "escape-out"))).rejects.toThrow(/outside its folder/);
  });
});

afterAll(async () => {
  const { rmSync } = await import("node:fs");
  rmSync(dir, { recursive: true, force: true });
});
