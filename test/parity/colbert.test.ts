import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ensureColbertProxy } from "../../scripts/proxy_models.js";
import { ColBERTCrossEncoder } from "../../src/huggingface.js";
import { FIXTURE_MODELS } from "../support/fixtures.js";
import { describeWithShared } from "../support/shared.js";
import {
  type ColBERTReference,
  encodeText,
  loadColBERTReference,
  type PyLateConventions,
  referenceScores,
  releaseReference,
  type ReferenceMistakes,
} from "./colbert_reference.js";
import { HARD_TEXTS, runPairs } from "./texts.js";

// ColBERTCrossEncoder's raw MaxSim (precision "float32", dtype fp32) against the independent reference of
// colbert_reference.ts (PyLate's reading, one text at a time) on the same weights: both fixture layouts and, with
// ../shared, an answerai-colbert-small-v1-shaped proxy. Then what the compact stored precisions cost, and the
// usual convention mistakes, each made on purpose in the reference, moving scores far beyond the tolerance.

type Pair = [string, string];
const TOLERANCE = 1e-4;

const cross = (queries: readonly string[], documents: readonly string[]): Pair[] => queries.flatMap((q) => documents.map((d) => [q, d] as Pair));
const maxDiff = (a: readonly number[], b: readonly number[]) => Math.max(...a.map((x, i) => Math.abs(x - b[i]!)));

const PARAGRAPH =
  "Caffeine is a central nervous system stimulant of the methylxanthine class. It is the world's most widely consumed " +
  "psychoactive drug, legal and unregulated in nearly all parts of the world. It acts by blocking the binding of adenosine " +
  "to its receptors, which prevents the onset of drowsiness induced by adenosine. Coffee, tea and cola drinks hold most of it.";
const LONG_DOCUMENT = `${PARAGRAPH} ${PARAGRAPH} ${PARAGRAPH}`; // 270 BERT-uncased tokens, over the proxy's 180
const PUNCTUATION = [
  'hello, world!!! (yes) -- [no] ... {a|b} ~c~ "quoted" #tag @user 50% $5 a+b=c; x/y: <z> ^_^ `k` \\ &',
  "...!!!???",
  "well... yes; no?",
];
const QUESTION = "what are the effects of caffeine on blood pressure and heart rate in adults who drink several cups of coffee every day";
const LONG_QUERY = `${QUESTION} and ${QUESTION}`; // 50 BERT-uncased tokens, over the proxy's 32

/** The table of calls: each is one `score` call, named for the case it tests. */
function calls(extra: { queries: string[]; documents: string[]; long: string[] }): Record<string, Pair[]> {
  const queries = ["what is caffeine?", "cat", ...extra.queries];
  const documents = ["the cat sat on the mat.", "Coffee holds caffeine.", "tea", ...extra.documents];
  return {
    short: [
      ["cat", "the cat sat on the mat."],
      ["what is caffeine?", "Coffee holds caffeine."],
    ],
    "long documents (cut at the document length)": cross(queries.slice(0, 2), [LONG_DOCUMENT, ...extra.long]),
    "punctuation-heavy documents (the skip-list)": cross(queries.slice(0, 2), [...PUNCTUATION, "."]),
    "unicode and accents": [
      ...cross(queries.slice(0, 1), [...HARD_TEXTS, "marker text [Q] and [D] inside, [unused0] [unused1]"]),
      ...cross(HARD_TEXTS.slice(0, 4), documents.slice(0, 2)),
    ],
    "empty-ish queries": cross(["", "   ", "?", "!!! ...", "a"], documents.slice(0, 3)),
    "queries longer than the query length": cross([QUESTION, LONG_QUERY], documents.slice(0, 3)),
    "several queries sharing documents in one call": cross(queries, documents),
    "a batch of mixed lengths": cross(queries.slice(0, 2), ["x", LONG_DOCUMENT, "tea", ...PUNCTUATION, ...extra.long, "a b", ...documents]),
  };
}

/**
 * Pairs of one query's documents that `got` orders otherwise than `exact`, with the gap `exact` puts between them:
 * a compact precision may swap only documents the reference itself holds within its error.
 */
function swaps(pairs: readonly Pair[], exact: readonly number[], got: readonly number[]): { swapped: number; compared: number; widestGap: number } {
  let [swapped, compared, widestGap] = [0, 0, 0];
  pairs.forEach(([q], i) =>
    pairs.forEach(([r], j) => {
      if (j <= i || q !== r) return;
      compared++;
      if (Math.sign(exact[i]! - exact[j]!) * Math.sign(got[i]! - got[j]!) < 0) {
        swapped++;
        widestGap = Math.max(widestGap, Math.abs(exact[i]! - exact[j]!));
      }
    }),
  );
  return { swapped, compared, widestGap };
}

interface Subject {
  folder: () => string;
  extra: () => { queries: string[]; documents: string[]; long: string[] };
  /** Bounds on |score − float32 reference|, set from measurement (see the figures beside each). */
  bounds: { float16: number; int8: number };
}

function parity(name: string, subject: Subject): void {
  describe(name, () => {
    let folder: string;
    let reference: ColBERTReference;
    let table: Record<string, Pair[]>;
    let ours: ColBERTCrossEncoder;
    let expected: Map<string, number[]>;
    beforeAll(async () => {
      folder = subject.folder();
      reference = await loadColBERTReference(folder);
      table = calls(subject.extra());
      expected = new Map();
      for (const [label, pairs] of Object.entries(table)) expected.set(label, await referenceScores(reference, pairs));
      ours = new ColBERTCrossEncoder({ model: folder, dtype: "fp32", precision: "float32" });
    }, 600_000);
    afterAll(async () => {
      await ours?.dispose();
      if (reference !== undefined) await releaseReference(reference);
    });

    it("each case tests what it says: long texts are cut, the skip-list is hit, scores spread", async () => {
      const c = reference.conventions;
      const encode = (text: string, query: boolean) =>
        (query ? reference.queryTokenizer : reference.documentTokenizer).encode(text, null, { addSpecialTokens: true });
      // Cut to the length less one: the marker is inserted after truncation. The query's length counts its [MASK] pads.
      for (const [text, query, length] of [
        [LONG_DOCUMENT, false, c.document_length],
        [LONG_QUERY, true, c.query_length],
      ] as const) {
        const encoding = await encode(text, query);
        expect([encoding.getLength(), encoding.getOverflowing().length > 0]).toEqual([length - 1, true]);
      }
      const punctuation = (await encode(PUNCTUATION[0]!, false)).getIds();
      expect(punctuation.filter((id) => reference.skiplist.has(id)).length).toBeGreaterThan(10);
      // Random deep encoders can wash every token into one vector, where no skip-list or marker would change a score.
      const vectors = await encodeText(reference, PUNCTUATION[0]!, false);
      const cosines = vectors.flatMap((a, i) => vectors.slice(i + 1).map((b) => a.reduce((sum, x, h) => sum + x * b[h]!, 0)));
      const meanCosine = cosines.reduce((a, b) => a + b, 0) / cosines.length;
      expect(meanCosine, `${folder}'s token vectors collapsed: rebuild it (delete the folder; scripts/make-colbert-fixture.py)`).toBeLessThan(0.95);
      const all = [...expected.values()].flat();
      expect(Math.max(...all) - Math.min(...all)).toBeGreaterThan(0.5);
    });

    it(`raw MaxSim within ${TOLERANCE} of the reference on every pair of every case`, { timeout: 600_000 }, async () => {
      let worst = 0;
      for (const [label, pairs] of Object.entries(table)) {
        const diff = maxDiff(await ours.score(pairs), expected.get(label)!);
        worst = Math.max(worst, diff);
        expect({ label, within: diff < TOLERANCE }).toEqual({ label, within: true });
      }
      console.info(`${name} float32: max |ours - reference| ${worst.toExponential(2)}`);
      // Small batches: documents of different lengths padded together, several batches per call.
      const batched = new ColBERTCrossEncoder({ model: folder, dtype: "fp32", precision: "float32", batchSize: 3 });
      const mixed = "a batch of mixed lengths";
      expect(maxDiff(await batched.score(table[mixed]!), expected.get(mixed)!)).toBeLessThan(TOLERANCE);
      await batched.dispose();
    });

    it("float16 and int8 stored vectors: error within the measured bounds, and each query's ranking", { timeout: 600_000 }, async () => {
      const pairs = [
        ...new Map(
          Object.values(table)
            .flat()
            .map((p) => [JSON.stringify(p), p] as const),
        ).values(),
      ];
      const exact = await referenceScores(reference, pairs);
      for (const precision of ["float16", "int8"] as const) {
        const scorer = new ColBERTCrossEncoder({ model: folder, dtype: "fp32", precision });
        const got = await scorer.score(pairs);
        await scorer.dispose();
        const error = maxDiff(got, exact);
        const { swapped, compared, widestGap } = swaps(pairs, exact, got);
        console.info(
          `${name} ${precision}: max |error| ${error.toExponential(2)} over ${pairs.length} pairs; ${swapped}/${compared} document pairs swapped, widest reference gap ${widestGap.toExponential(2)}`,
        );
        expect(error).toBeGreaterThan(0);
        expect(error).toBeLessThan(subject.bounds[precision]);
        // A swap is two near-ties trading places: each pair's error is under `error`, so their gap is under twice it.
        expect(widestGap).toBeLessThan(2 * error);
        if (precision === "float16") expect(swapped).toBe(0);
      }
    });

    // Each mistake made in the reference alone: ours, unchanged, then disagrees by far more than the tolerance.
    const MISTAKES: Record<string, (c: PyLateConventions) => [Partial<PyLateConventions>, ReferenceMistakes?]> = {
      "skip-list off": () => [{ skiplist_words: [] }],
      "marker at position 0": () => [{}, { markerAt: 0 }],
      "the [MASK] expansion attended to": () => [{ attend_to_expansion_tokens: true }],
      "no query expansion": () => [{ do_query_expansion: false }],
      "document length one short": (c) => [{ document_length: c.document_length - 1 }],
    };
    it("the parity test can fail: each convention broken in the reference moves scores beyond 100× the tolerance", { timeout: 600_000 }, async () => {
      const pairs = [...table["punctuation-heavy documents (the skip-list)"]!, ...table["long documents (cut at the document length)"]!];
      const got = await ours.score(pairs);
      expect(maxDiff(got, await referenceScores(reference, pairs))).toBeLessThan(TOLERANCE);
      for (const [mistake, make] of Object.entries(MISTAKES)) {
        const wrong = await loadColBERTReference(folder, ...make(reference.conventions));
        const diff = maxDiff(got, await referenceScores(wrong, pairs));
        await releaseReference(wrong);
        expect({ mistake, far: diff > 100 * TOLERANCE }).toEqual({ mistake, far: true });
      }
    });
  });
}

const tinyExtra = () => ({ queries: [QUESTION], documents: [PARAGRAPH, PUNCTUATION[2]!], long: [`${LONG_DOCUMENT} ${PARAGRAPH}`] });

describe("ColBERT parity with PyLate (independent reference)", () => {
  // Bounds from measurement (max |score - float32 reference| over the table's pairs, fp32 weights, CPU), with
  // margin: float16 1.7e-3 / 1.8e-3 here, 2.1e-3 on the proxy (bound 5e-3); int8 2.4e-2 / 1.8e-2 here (bound 6e-2),
  // 3.6e-2 on the proxy (bound 1e-1). float16 swapped no two documents of a query; int8 swapped 0, 2 and 10 pairs,
  // each within 3.6e-2 in the reference. Errors grow with the query length: each of its vectors adds one.
  parity("tiny-colbert (PyLate layout: 1_Dense, [Q]/[D] added tokens)", {
    folder: () => join(FIXTURE_MODELS, "tiny-colbert"),
    extra: tinyExtra,
    bounds: { float16: 5e-3, int8: 6e-2 },
  });
  parity("tiny-colbert-onnx-projection (Stanford layout: projection in the graph, artifact.metadata)", {
    folder: () => join(FIXTURE_MODELS, "tiny-colbert-onnx-projection"),
    extra: tinyExtra,
    bounds: { float16: 5e-3, int8: 6e-2 },
  });
});

describeWithShared("ColBERT parity on an answerai-colbert-small-v1-shaped proxy (real BERT-uncased tokenizer)", () => {
  parity("colbert-proxy (hidden 384, 12 layers, 1_Dense to 96, query 32, document 180)", {
    folder: ensureColbertProxy,
    extra: () => {
      const trec = runPairs("trec-dl-2019", 3, 4);
      const scifact = runPairs("scifact", 2, 2);
      return { queries: [...new Set(trec.map(([q]) => q))], documents: trec.map(([, d]) => d), long: scifact.map(([, d]) => d) };
    },
    bounds: { float16: 5e-3, int8: 1e-1 },
  });
});
