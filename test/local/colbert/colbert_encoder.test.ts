import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { resolveConventions } from "../../../src/local/colbert/colbert_conventions.js";
import { ColBERTEncoder } from "../../../src/local/colbert/colbert_encoder.js";
import { type LoadedColBERT, loadColBERT } from "../../../src/local/colbert/colbert_loader.js";
import { CPU_BATCH_LIMITS } from "../../../src/local/runtime/batch_planner.js";
import { plainMaxSim } from "../../support/maxsim.js";
import { FIXTURE_COLBERT } from "../../support/fixtures.js";

// How the encoder reads text (PyLate's ColBERT.tokenize), on the PyLate-layout fixture: "[Q] "/"[D] " markers,
// query_length 12, document_length 24, string.punctuation skip-list.

let loaded: LoadedColBERT;
// Ids read from the fixture's tokenizer.json itself (its WordPiece vocabulary and added tokens), not through transformers.js.
const tokenizerJson = JSON.parse(readFileSync(join(FIXTURE_COLBERT, "tokenizer.json"), "utf8")) as {
  model: { vocab: Record<string, number> };
  added_tokens: { id: number; content: string }[];
};
const ids = new Map([...Object.entries(tokenizerJson.model.vocab), ...tokenizerJson.added_tokens.map((t) => [t.content, t.id] as const)]);
const vocab = () => ids;
const encoderWith = (overrides = {}) => new ColBERTEncoder("tiny-colbert", loaded, resolveConventions(loaded.folderConventions, overrides));
beforeAll(async () => {
  loaded = await loadColBERT({ model: FIXTURE_COLBERT, dtype: "fp32", device: "cpu" });
});
afterAll(() => loaded.dispose());

describe("ColBERTEncoder: markers and query augmentation", () => {
  it("puts the query marker after [CLS] and pads with [MASK] to the query length, masked from attention", () => {
    const encoder = encoderWith();
    const { ids, attention, keep } = encoder.query("the cat");
    const [cls, sep, mask, q] = ["[CLS]", "[SEP]", "[MASK]", "[Q] "].map((t) => vocab().get(t));
    const content = loaded.tokenizer.encode("the cat", { add_special_tokens: false }) as number[];
    expect(ids.slice(0, 2 + content.length + 1)).toEqual([cls, q, ...content, sep]);
    expect(ids).toHaveLength(12);
    expect(ids.slice(3 + content.length)).toEqual(new Array(12 - 3 - content.length).fill(mask));
    expect(attention).toEqual(ids.map((_, i) => (i < 3 + content.length ? 1 : 0)));
    expect(keep).toEqual(ids.map((_, i) => i)); // expansion vectors are scored
  });

  it("attends to the expansion where the model says so, cuts long queries to the query length, and can expand nothing", () => {
    expect(encoderWith({ attendToExpansionTokens: true }).query("the cat").attention).toEqual(new Array(12).fill(1));
    const long = encoderWith().query("the cat ".repeat(20));
    expect(long.ids).toHaveLength(12);
    expect(long.ids.at(-1)).toBe(vocab().get("[SEP]"));
    const plain = encoderWith({ doQueryExpansion: false }).query("the cat");
    expect(plain.ids).not.toContain(vocab().get("[MASK]"));
    expect(plain.attention.every((a) => a === 1)).toBe(true);
  });

  it("puts the document marker after [CLS], cuts at the document length, and drops skip-list tokens from the vectors", async () => {
    const encoder = encoderWith();
    const [whole] = encoder.document("the cat, the dog. ".repeat(10), 1, 0);
    const { ids, keep } = whole!.input;
    expect(ids).toHaveLength(24);
    expect(ids[1]).toBe(vocab().get("[D] "));
    const punctuation = new Set([",", "."].map((t) => vocab().get(t)));
    expect(ids.some((id) => punctuation.has(id))).toBe(true);
    expect(keep.every((i) => !punctuation.has(ids[i]!))).toBe(true);
    expect(keep).toHaveLength(ids.filter((id) => !punctuation.has(id)).length);
    const [vectors] = await encoder.encode([whole!.input], CPU_BATCH_LIMITS);
    expect(vectors!.length).toBe(keep.length * encoder.dim);
    // An empty skip-list keeps every position, and the document's score changes with it.
    const [all] = encoderWith({ skiplistWords: [] }).document("the cat, the dog. ".repeat(10), 1, 0);
    expect(all!.input.keep).toHaveLength(24);
  });

  it("gives unit vectors, and the same vectors batched as alone (padding does not leak into a row)", async () => {
    const encoder = encoderWith();
    const inputs = ["a short one", "a much longer document about the cat and the dog and the bird", "x"].map(
      (t) => encoder.document(t, 1, 0)[0]!.input,
    );
    const batched = await encoder.encode(inputs, { batchSize: 8, maxBatchTokens: 10_000 });
    const alone = await Promise.all(inputs.map((input) => encoder.encode([input], CPU_BATCH_LIMITS).then(([v]) => v!)));
    batched.forEach((v, i) => {
      for (let k = 0; k < v.length; k++) expect(Math.abs(v[k]! - alone[i]![k]!)).toBeLessThan(1e-5);
      for (let t = 0; t < v.length / encoder.dim; t++) expect(Math.hypot(...v.subarray(t * encoder.dim, (t + 1) * encoder.dim))).toBeCloseTo(1, 5);
    });
    const [q] = await encoder.encode([encoder.query("the cat")], CPU_BATCH_LIMITS);
    expect(plainMaxSim(q!, 12, { count: inputs[0]!.keep.length, dim: encoder.dim, data: batched[0]! })).toBeLessThanOrEqual(12 + 1e-6);
  });
});
