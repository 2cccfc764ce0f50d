import { DocumentCompressorPipeline } from "@langchain/classic/retrievers/document_compressors";
import { Document } from "@langchain/core/documents";
import { RunCollectorCallbackHandler } from "@langchain/core/tracers/run_collector";
import { describe, expect, it, vi } from "vitest";
import { CrossEncoderReranker, InvalidOptionError, RelevanceThresholdFilter } from "../../src/index.js";

// vi.waitFor polls for a state another task reaches; generous, as a loaded CI machine can be slow (not a time bound).
const PATIENT = { timeout: 60_000, interval: 5 };

const scored = (scores: (number | undefined)[], key = "relevanceScore") =>
  scores.map((score, i) => new Document({ pageContent: `doc ${i}`, metadata: score === undefined ? { n: i } : { n: i, [key]: score } }));
const ns = (docs: { metadata: Record<string, unknown> }[]) => docs.map((d) => d.metadata.n);

describe("RelevanceThresholdFilter", () => {
  it("keeps documents scoring at or above the threshold, in input order, unchanged", async () => {
    const docs = scored([0.9, 0.2, 0.5, 0.49, 0.7]);
    const out = await new RelevanceThresholdFilter({ threshold: 0.5 }).compressDocuments(docs, "q");
    expect(ns(out)).toEqual([0, 2, 4]);
    expect(out[0]).toBe(docs[0]);
  });

  it("applies a relative threshold as a fraction of the best score, combined with an absolute one", async () => {
    const docs = scored([0.2, 0.8, 0.61, 0.59, 0.4]);
    expect(ns(await new RelevanceThresholdFilter({ relativeThreshold: 0.75 }).compressDocuments(docs, "q"))).toEqual([1, 2]);
    expect(ns(await new RelevanceThresholdFilter({ relativeThreshold: 0.25, threshold: 0.5 }).compressDocuments(docs, "q"))).toEqual([1, 2, 3]);
  });

  it("refuses a relative threshold on negative (raw logit) scores", async () => {
    await expect(new RelevanceThresholdFilter({ relativeThreshold: 0.5 }).compressDocuments(scored([-1, -3]), "q")).rejects.toThrow(
      /relativeThreshold needs non-negative scores, but the best score is -1/,
    );
    // Logits with a positive best are logits too: half of 2 says nothing about a document at -1.
    await expect(new RelevanceThresholdFilter({ relativeThreshold: 0.5 }).compressDocuments(scored([2, -1, 0.5]), "q")).rejects.toThrow(
      /relativeThreshold needs non-negative scores, but a score is -1 \(raw logits\?\)/,
    );
    // An absolute threshold alone is fine on logits.
    expect(ns(await new RelevanceThresholdFilter({ threshold: 0 }).compressDocuments(scored([2, -1, 0.5]), "q"))).toEqual([0, 2]);
  });

  it("caps at topN (the highest scores) and never returns fewer than minDocuments while any exist", async () => {
    const docs = scored([0.1, 0.3, 0.95, 0.2, 0.9]);
    expect(ns(await new RelevanceThresholdFilter({ threshold: 0.05, topN: 2 }).compressDocuments(docs, "q"))).toEqual([2, 4]);
    expect(ns(await new RelevanceThresholdFilter({ threshold: 0.99, minDocuments: 2 }).compressDocuments(docs, "q"))).toEqual([2, 4]);
    expect(ns(await new RelevanceThresholdFilter({ threshold: 0.99, minDocuments: 9 }).compressDocuments(docs, "q"))).toEqual([0, 1, 2, 3, 4]);
    expect(await new RelevanceThresholdFilter({ threshold: 0.99 }).compressDocuments(docs, "q")).toEqual([]);
  });

  it("names the missing score key, or drops unscored documents when told to", async () => {
    const docs = scored([0.9, undefined, 0.8]);
    await expect(new RelevanceThresholdFilter({ threshold: 0.5 }).compressDocuments(docs, "q")).rejects.toThrow(
      /document 1 has no finite numeric metadata.relevanceScore .* set `scoreKey`/,
    );
    expect(ns(await new RelevanceThresholdFilter({ threshold: 0.5, onMissingScore: "drop" }).compressDocuments(docs, "q"))).toEqual([0, 2]);
    const custom = scored([0.9, 0.1], "score");
    expect(ns(await new RelevanceThresholdFilter({ threshold: 0.5, scoreKey: "score" }).compressDocuments(custom, "q"))).toEqual([0]);
  });

  it("reranks first when given a reranker, tracing both runs", async () => {
    const reranker = new CrossEncoderReranker({ model: { score: async (pairs) => pairs.map((_, i) => [0.1, 0.8, 0.4, 0.95][i]!) }, topN: 4 });
    const collector = new RunCollectorCallbackHandler();
    const out = await new RelevanceThresholdFilter({ threshold: 0.4, reranker }).compressDocuments(
      scored([undefined, undefined, undefined, undefined]),
      "q",
      [collector],
    );
    expect(ns(out)).toEqual([3, 1, 2]);
    expect(out.map((d) => d.metadata.relevanceScore)).toEqual([0.95, 0.8, 0.4]);
    const run = collector.tracedRuns[0]!;
    expect(run.name).toBe("RelevanceThresholdFilter");
    expect(run.outputs).toEqual({ kept: 3, scores: [0.95, 0.8, 0.4] });
    expect(run.child_runs!.map((child) => child.name)).toEqual(["CrossEncoderReranker"]);
  });

  it("works inside DocumentCompressorPipeline after a reranker", async () => {
    const reranker = new CrossEncoderReranker({ model: { score: async (pairs) => pairs.map((_, i) => i / 10) }, topN: 10 });
    const pipeline = new DocumentCompressorPipeline({ transformers: [reranker, new RelevanceThresholdFilter({ threshold: 0.25, topN: 3 })] });
    const out = await pipeline.compressDocuments(scored([undefined, undefined, undefined, undefined, undefined, undefined]), "q");
    expect(ns(out)).toEqual([5, 4, 3]);
  });

  it("rejects meaningless option sets with the option's name", () => {
    expect(() => new RelevanceThresholdFilter({})).toThrow(/set `threshold`, `relativeThreshold` or `topN`/);
    expect(() => new RelevanceThresholdFilter({ threshold: "0.5" as never })).toThrow(/`threshold` must be a finite number, got the string "0.5"/);
    expect(() => new RelevanceThresholdFilter({ relativeThreshold: 1.5 })).toThrow(InvalidOptionError);
    expect(() => new RelevanceThresholdFilter({ topN: 2, minDocuments: 3 })).toThrow(/cannot exceed `topN`/);
    expect(() => new RelevanceThresholdFilter({ threshold: 0.5, reranker: {} as never })).toThrow(/`reranker` must be a document compressor/);
  });

  it("takes a per-call signal as its fourth argument (as FallbackReranker passes): the reranker gets it, an abort rejects at once even if the reranker ignores the signal", async () => {
    const seen: (AbortSignal | undefined)[] = [];
    const hanging = {
      score: (_pairs: unknown, options?: { signal?: AbortSignal }) => {
        seen.push(options?.signal);
        return new Promise<number[]>(() => {}); // ignores the signal: the filter must not wait for it
      },
    };
    const filter = new RelevanceThresholdFilter({ threshold: 0, reranker: new CrossEncoderReranker({ model: hanging }) });
    const controller = new AbortController();
    const pending = (filter.compressDocuments as (...args: unknown[]) => Promise<unknown>).call(filter, scored([1, 2]), "q", undefined, {
      signal: controller.signal,
    });
    await vi.waitFor(() => expect(seen).toHaveLength(1), PATIENT);
    controller.abort(new Error("timed out"));
    await expect(pending).rejects.toThrow("timed out");
    expect(seen).toHaveLength(1);
    expect(seen[0]?.aborted).toBe(true);
    const aborted = (filter.compressDocuments as (...args: unknown[]) => Promise<unknown>).call(filter, scored([1]), "q", undefined, {
      signal: controller.signal,
    });
    await expect(aborted).rejects.toThrow("timed out");
    expect(seen).toHaveLength(1);
  });

  it("returns [] for no documents", async () => {
    await expect(new RelevanceThresholdFilter({ threshold: 0.5 }).compressDocuments([], "q")).resolves.toEqual([]);
  });
});
