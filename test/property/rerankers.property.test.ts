import { Document, type DocumentInterface } from "@langchain/core/documents";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { CrossEncoderReranker, type CrossEncoder, RelevanceThresholdFilter } from "../../src/index.js";

// Rerankers return a permutation of a subset of their input (best first, ties in first-stage order, the best
// topN kept) and never touch the caller's documents.

const RUNS = { numRuns: 150 };

const json = fc.oneof(fc.string({ maxLength: 8 }), fc.integer(), fc.boolean(), fc.constant(null), fc.array(fc.integer(), { maxLength: 3 }));
const documentArb = fc.record({
  pageContent: fc.string({ maxLength: 30 }),
  metadata: fc.dictionary(fc.string({ minLength: 1, maxLength: 6 }), json, { maxKeys: 4 }),
  id: fc.option(fc.string({ minLength: 1, maxLength: 6 }), { nil: undefined }),
});
// Scores from a small set so ties are common.
const scoreArb = fc.constantFrom(0, 0.25, 0.5, 0.75, 1);
const caseArb = fc
  .array(fc.tuple(documentArb, scoreArb), { minLength: 1, maxLength: 25 })
  .chain((items) => fc.record({ items: fc.constant(items), topN: fc.integer({ min: 1, max: items.length + 3 }) }));

function build(items: readonly [{ pageContent: string; metadata: Record<string, unknown>; id: string | undefined }, number][]) {
  const documents = items.map(
    ([d]) => new Document({ pageContent: d.pageContent, metadata: d.metadata, ...(d.id !== undefined ? { id: d.id } : {}) }),
  );
  const scores = items.map(([, s]) => s);
  // Scores by position: texts repeat, so a text → score map would not do.
  let calls = 0;
  const model: CrossEncoder = {
    score: async (pairs) => {
      calls += 1;
      return pairs.map((_, i) => scores[i]!);
    },
  };
  return { documents, scores, model, calls: () => calls };
}

/** Best first, ties by first-stage position: the order every reranker must produce. */
function expectedOrder(scores: readonly number[], topN: number): number[] {
  return scores
    .map((score, index) => ({ score, index }))
    .sort((a, b) => b.score - a.score || a.index - b.index)
    .slice(0, topN)
    .map((e) => e.index);
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === "object" && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const key of Object.keys(value)) deepFreeze((value as Record<string, unknown>)[key]);
  }
  return value;
}

describe("CrossEncoderReranker (property)", () => {
  it("returns the topN best as a permutation of a subset, ties in first-stage order, copies not the inputs", async () => {
    await fc.assert(
      fc.asyncProperty(caseArb, async ({ items, topN }) => {
        const { documents, scores, model } = build(items);
        const snapshot = structuredClone(documents.map((d) => ({ pageContent: d.pageContent, metadata: d.metadata, id: d.id })));
        const out = await new CrossEncoderReranker({ model, topN }).compressDocuments(documents, "query");
        const indices = out.map((d) => (d.metadata.retrievalRank as number) - 1);
        expect(indices).toEqual(expectedOrder(scores, topN));
        expect(new Set(indices).size).toBe(indices.length);
        out.forEach((d, i) => {
          const source = documents[indices[i]!]!;
          expect(d).not.toBe(source);
          expect(d.pageContent).toBe(source.pageContent);
          expect(d.id).toBe(source.id);
          expect(d.metadata).toEqual({
            ...source.metadata,
            relevanceScore: scores[indices[i]!],
            retrievalRank: indices[i]! + 1,
            stageScores: [{ reranker: "CrossEncoderReranker", score: scores[indices[i]!], rank: i + 1 }],
          });
        });
        expect(documents.map((d) => ({ pageContent: d.pageContent, metadata: d.metadata, id: d.id }))).toEqual(snapshot);
      }),
      RUNS,
    );
  });

  it("works on deep-frozen documents (it writes to none of them) and rerank() agrees with compressDocuments()", async () => {
    await fc.assert(
      fc.asyncProperty(caseArb, async ({ items, topN }) => {
        const { documents, scores, model } = build(items);
        const frozen: DocumentInterface[] = deepFreeze(documents);
        const reranker = new CrossEncoderReranker({ model, topN });
        const results = await reranker.rerank(frozen, "query");
        expect(results.map((r) => r.index)).toEqual(expectedOrder(scores, topN));
        results.forEach((r) => expect(r.relevanceScore).toBe(scores[r.index]));
        await expect(reranker.compressDocuments(Object.freeze([...frozen]) as DocumentInterface[], "query")).resolves.toHaveLength(
          Math.min(topN, items.length),
        );
      }),
      RUNS,
    );
  });
});

describe("RelevanceThresholdFilter (property)", () => {
  const filterArb = fc.record({
    threshold: fc.option(scoreArb, { nil: undefined }),
    relativeThreshold: fc.option(fc.constantFrom(0.25, 0.5, 1), { nil: undefined }),
    topN: fc.option(fc.integer({ min: 1, max: 10 }), { nil: undefined }),
    minDocuments: fc.integer({ min: 0, max: 3 }),
  });

  it("keeps a subset in input order: every kept document scores at least as high as every dropped one (bar ties)", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(documentArb, scoreArb), { minLength: 1, maxLength: 25 }),
        filterArb.filter((o) => o.threshold !== undefined || o.relativeThreshold !== undefined || o.topN !== undefined),
        async (items, options) => {
          const topN = options.topN;
          const minDocuments = topN !== undefined ? Math.min(options.minDocuments, topN) : options.minDocuments;
          const documents: DocumentInterface[] = deepFreeze(
            items.map(([d, score]) => new Document({ pageContent: d.pageContent, metadata: { ...d.metadata, relevanceScore: score } })),
          );
          const filter = new RelevanceThresholdFilter({ ...options, minDocuments });
          const kept = await filter.compressDocuments(documents, "query");
          const keptIndices = kept.map((d) => documents.indexOf(d));
          expect(keptIndices.every((i) => i >= 0)).toBe(true); // the caller's own documents, unchanged
          expect(keptIndices).toEqual([...keptIndices].sort((a, b) => a - b)); // input order
          expect(new Set(keptIndices).size).toBe(keptIndices.length);
          const score = (i: number) => documents[i]!.metadata.relevanceScore as number;
          const dropped = documents.map((_, i) => i).filter((i) => !keptIndices.includes(i));
          const worstKept = Math.min(...keptIndices.map(score));
          dropped.forEach((i) => expect(score(i)).toBeLessThanOrEqual(worstKept));
          if (topN !== undefined) expect(kept.length).toBeLessThanOrEqual(topN);
          expect(kept.length).toBeGreaterThanOrEqual(Math.min(minDocuments, documents.length));
          if (options.threshold !== undefined && kept.length > minDocuments)
            keptIndices.forEach((i) => expect(score(i)).toBeGreaterThanOrEqual(options.threshold!));
        },
      ),
      RUNS,
    );
  });
});
