import { Document } from "@langchain/core/documents";
import { BaseDocumentCompressor } from "@langchain/core/retrievers/document_compressors";
import { describe, expect, it } from "vitest";
import { callCompressor, checkCompressorOutput, documentTexts, keptRetrievalRank } from "../../src/compressors/compressor_plumbing.js";
import {
  CachedCrossEncoder,
  CrossEncoderReranker,
  FallbackReranker,
  InvalidOptionError,
  LLMListwiseReranker,
  MultiFactorReranker,
  RelevanceThresholdFilter,
  RerankError,
  RerankServerCrossEncoder,
} from "../../src/index.js";
import { HuggingFaceCrossEncoder } from "../../src/huggingface.js";

const doc = (pageContent: string, metadata: Record<string, unknown> = {}) => new Document({ pageContent, metadata });
const DOCS = [doc("a passage about apples", { relevanceScore: 0.5 }), doc("short", { relevanceScore: 0.2 })];
const lengthScorer = { score: async (pairs: readonly (readonly [string, string])[]) => pairs.map(([, text]) => text.length) };

describe("keptRetrievalRank: the one rule for which first-stage rank a reranked document carries", () => {
  it.each([
    [3, 0, 3],
    [1, 7, 1],
    [Number.MAX_SAFE_INTEGER, 0, Number.MAX_SAFE_INTEGER],
    [0, 4, 5],
    [-2, 4, 5],
    [2.5, 4, 5],
    ["3", 4, 5],
    [Number.NaN, 4, 5],
    [Infinity, 4, 5],
    [2 ** 60, 4, 5],
    [null, 4, 5],
    [undefined, 4, 5],
    [3n, 4, 5],
  ])("an earlier %s at input index %i gives %i", (existing, index, expected) => {
    expect(keptRetrievalRank(existing, index)).toBe(expected);
  });
});

// The same input in every reranker: valid earlier ranks survive, anything else becomes the 1-based input position.
const RANKS: unknown[] = [7, 0, 2.5, "4", 2 ** 60, null];
const EXPECTED = [7, 2, 3, 4, 5, 6];
const ranked = () => RANKS.map((rank, i) => doc(`document ${"x".repeat(10 - i)}`, rank === null ? { i } : { i, retrievalRank: rank }));
const byInput = (out: { metadata: Record<string, unknown> }[]) =>
  Object.fromEntries(out.map((d) => [d.metadata.i as number, d.metadata.retrievalRank])) as Record<number, unknown>;
const expectRule = (out: { metadata: Record<string, unknown> }[]) => {
  expect(out).toHaveLength(RANKS.length);
  for (const [i, rank] of Object.entries(byInput(out))) expect(rank).toBe(EXPECTED[Number(i)]);
};

describe("every reranker applies that rule", () => {
  it("CrossEncoderReranker", async () => {
    expectRule(await new CrossEncoderReranker({ model: lengthScorer, topN: 10 }).compressDocuments(ranked(), "q"));
  });
  it("LLMListwiseReranker", async () => {
    const llm = { withStructuredOutput: () => ({ invoke: async () => ({ ranked_document_ids: [5, 4, 3, 2, 1, 0] }) }) };
    expectRule(await new LLMListwiseReranker({ llm: llm as never, topN: 10 }).compressDocuments(ranked(), "q"));
  });
  it("MultiFactorReranker (without a firstStageRank weight, which refuses a bad rank instead)", async () => {
    const out = await new MultiFactorReranker({ reranker: lengthScorer, weights: { relevance: 1 }, topN: 10 }).compressDocuments(ranked(), "q");
    expectRule(out);
    await expect(
      new MultiFactorReranker({ weights: { firstStageRank: 1 }, topN: 10 }).compressDocuments([doc("a", { retrievalRank: 2 ** 60 })], "q"),
    ).rejects.toThrow(/not a 1-based rank/);
  });
  it("FallbackReranker's first-stage order", async () => {
    const failing = { compressDocuments: async () => Promise.reject(new Error("down")) };
    const out = await new FallbackReranker({ rerankers: [failing as never], topN: 10 }).compressDocuments(ranked(), "q");
    expect(out.map((d) => d.metadata.rerankedBy)).toEqual(Array(RANKS.length).fill("first-stage"));
    expectRule(out);
  });
  it("a cascade keeps the first stage's rank through two rerankers", async () => {
    const first = await new CrossEncoderReranker({ model: lengthScorer, topN: 10 }).compressDocuments(ranked(), "q");
    const second = await new CrossEncoderReranker({ model: { score: async (p) => p.map((_, i) => -i) }, topN: 10 }).compressDocuments(first, "q");
    expectRule(second);
  });
});

// Issue 21: @langchain/core's isBaseDocumentCompressor only tests `compressDocuments !== undefined`.
class Instance extends BaseDocumentCompressor {
  async compressDocuments(documents: Document[]): Promise<Document[]> {
    return documents;
  }
}
const BROKEN: [string, unknown, RegExp][] = [
  ["a string", { compressDocuments: "x" }, /its compressDocuments is the string "x"/],
  ["a number", { compressDocuments: 42 }, /its compressDocuments is/],
  ["an object", { compressDocuments: {} }, /its compressDocuments is/],
  ["null", { compressDocuments: null }, /its compressDocuments is/],
  [
    "an async generator",
    {
      async *compressDocuments() {
        yield* [];
      },
    },
    /async generator function/,
  ],
  [
    "a generator",
    {
      *compressDocuments() {
        yield* [];
      },
    },
    /a generator function/,
  ],
  [
    "a getter that throws",
    {
      get compressDocuments(): never {
        throw new Error("boom");
      },
    },
    /reading its compressDocuments threw \(boom\)/,
  ],
  ["no compressDocuments at all", {}, /compressDocuments is missing|must be a document compressor/],
];
const WRAPPERS: [string, (inner: unknown) => unknown][] = [
  ["RelevanceThresholdFilter", (inner) => new RelevanceThresholdFilter({ reranker: inner as never, threshold: 0 })],
  ["MultiFactorReranker", (inner) => new MultiFactorReranker({ reranker: inner as never, weights: { relevance: 1 } })],
  ["FallbackReranker (bare)", (inner) => new FallbackReranker({ rerankers: [new Instance(), inner as never] })],
  ["FallbackReranker (named)", (inner) => new FallbackReranker({ rerankers: [{ reranker: inner as never, name: "inner" }] })],
];

describe("an inner compressor whose compressDocuments is not a usable function is refused at construction", () => {
  it.each(WRAPPERS.flatMap(([name, wrap]) => BROKEN.map(([what, inner, message]) => [name, what, wrap, inner, message] as const)))(
    "%s: %s",
    (_name, _what, wrap, inner, message) => {
      expect(() => wrap(inner)).toThrow(InvalidOptionError);
      expect(() => wrap(inner)).toThrow(message);
    },
  );

  it.each(WRAPPERS)("%s accepts a class instance and a plain object with an async compressDocuments", async (_name, wrap) => {
    expect(() => wrap(new Instance())).not.toThrow();
    expect(() => wrap({ compressDocuments: async (d: Document[]) => d })).not.toThrow();
  });

  it("FallbackReranker refuses null and non-object entries, naming the position", () => {
    expect(() => new FallbackReranker({ rerankers: [null as never] })).toThrow(/rerankers\[0\] must be a document compressor.*got null/);
    expect(() => new FallbackReranker({ rerankers: [new Instance(), undefined as never] })).toThrow(/rerankers\[1\] must be/);
    expect(() => new FallbackReranker({ rerankers: [{ reranker: null, name: "x" } as never] })).toThrow(/rerankers\[0\]\.reranker must be/);
    expect(() => new FallbackReranker({ rerankers: ["cohere" as never] })).toThrow(/rerankers\[0\] must be.*the string "cohere"/);
  });

  it("the errors of issue 21 are gone: the filter no longer fails with a TypeError, the fallback no longer serves first-stage order silently", () => {
    const broken = { compressDocuments: "x" };
    expect(() => new RelevanceThresholdFilter({ reranker: broken as never, threshold: 0 })).toThrow(InvalidOptionError);
    expect(() => new FallbackReranker({ rerankers: [broken as never] })).toThrow(InvalidOptionError);
  });
});

describe("callCompressor", () => {
  it("turns a synchronous throw into a rejection, and accepts a synchronous array", async () => {
    const throwing = {
      compressDocuments: () => {
        throw new Error("sync");
      },
    } as never;
    await expect(callCompressor(throwing, DOCS, "q", undefined, undefined)).rejects.toThrow("sync");
    const sync = { compressDocuments: (d: Document[]) => d } as never;
    await expect(callCompressor(sync, DOCS, "q", undefined, undefined)).resolves.toBe(DOCS);
  });

  it("passes { signal } as the fourth argument only when there is one, and stops waiting when it aborts", async () => {
    const seen: unknown[][] = [];
    const hanging = {
      compressDocuments: (...args: unknown[]) => {
        seen.push(args);
        return new Promise(() => {});
      },
    } as never;
    const controller = new AbortController();
    const pending = callCompressor(hanging, DOCS, "q", undefined, controller.signal);
    controller.abort(new Error("left"));
    await expect(pending).rejects.toThrow("left");
    void callCompressor(hanging, DOCS, "q", undefined, undefined);
    expect(seen[0]).toHaveLength(4);
    expect((seen[0]![3] as { signal: AbortSignal }).signal).toBe(controller.signal);
    expect(seen[1]).toHaveLength(3);
  });
});

describe("an inner reranker that returns something other than Documents", () => {
  class Broken extends BaseDocumentCompressor {
    constructor(private readonly output: unknown) {
      super();
    }
    async compressDocuments(): Promise<Document[]> {
      return this.output as Document[];
    }
  }
  const wrappers = [
    ["MultiFactorReranker", (inner: BaseDocumentCompressor) => new MultiFactorReranker({ reranker: inner, weights: { relevance: 1 } })],
    ["RelevanceThresholdFilter", (inner: BaseDocumentCompressor) => new RelevanceThresholdFilter({ reranker: inner, threshold: 0 })],
  ] as const;
  const outputs = [
    [undefined, "a value of type undefined"],
    ["x", 'the string "x"'],
    [[null], "an array whose entry 0 is not a Document"],
    [[{ metadata: {} }], "an array whose entry 0 is not a Document"],
  ] as const;
  it.each(wrappers.flatMap(([name, wrap]) => outputs.map(([output, shown]) => [name, wrap, output, shown] as const)))(
    "%s: a RerankError blaming the reranker (%#), not a TypeError or an error about the caller's documents",
    async (name, wrap, output, shown) => {
      const error = await wrap(new Broken(output))
        .compressDocuments(DOCS, "apples")
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(RerankError);
      expect(error).not.toBeInstanceOf(InvalidOptionError);
      expect(String(error)).toContain(`${name}: its reranker returned ${shown}, not an array of Documents.`);
    },
  );

  it.each(outputs)("FallbackReranker: counts it as that reranker's failure and names it in the trace (%#)", async (output, shown) => {
    const fallback = new FallbackReranker({ rerankers: [{ reranker: new Broken(output), name: "broken" }] });
    const out = await fallback.compressDocuments(DOCS, "apples");
    expect(out[0]!.metadata.rerankedBy).toBe("first-stage");
    expect(fallback.circuit("broken").consecutiveFailures).toBe(1);
    expect(() => checkCompressorOutput("broken", output)).toThrow(`broken returned ${shown}, not an array of Documents.`);
  });
});

describe("documentTexts", () => {
  it("returns each document's text, and names the document whose documentText is not a string", () => {
    expect(documentTexts("X", DOCS, (d) => d.pageContent.toUpperCase())).toEqual(["A PASSAGE ABOUT APPLES", "SHORT"]);
    expect(() => documentTexts("X", DOCS, (d) => (d.pageContent === "short" ? 3 : "ok"))).toThrow(
      "X: documentText returned number for document 1; it must return a string.",
    );
  });

  it.each([
    ["CrossEncoderReranker", () => new CrossEncoderReranker({ model: lengthScorer, documentText: () => undefined as never })],
    ["MultiFactorReranker", () => new MultiFactorReranker({ reranker: lengthScorer, weights: { relevance: 1 }, documentText: () => 1 as never })],
  ])("%s reports it as an InvalidOptionError", async (name, make) => {
    await expect(make().compressDocuments(DOCS, "q")).rejects.toThrow(new RegExp(`${name}: documentText returned \\w+ for document 0`));
  });
});

describe("stageScores names the scorer (issue 21)", () => {
  const stage = async (model: ConstructorParameters<typeof CrossEncoderReranker>[0]) => {
    const reranker = new CrossEncoderReranker(model);
    return reranker.stageName;
  };

  it("a server-backed stage is named by its masked URL (and model), never with its credentials", async () => {
    const server = new RerankServerCrossEncoder({ url: "https://admin:s3cr3t@rerank.internal/rerank?code=abc123&x=1", dialect: "tei" });
    const name = await stage({ model: server });
    expect(name).toMatch(/^CrossEncoderReranker\(https:\/\/.*rerank\.internal\/rerank/);
    expect(name).not.toContain("s3cr3t");
    expect(server.modelName).toBe(server.url);
    const withModel = new RerankServerCrossEncoder({ url: "http://127.0.0.1:9/rerank", dialect: "cohere", model: "rerank-v3.5" });
    expect(await stage({ model: withModel })).toBe("CrossEncoderReranker(rerank-v3.5 at http://127.0.0.1:9/rerank)");
  });

  it("a local model is named by its id, and a cache by the scorer it wraps", async () => {
    const local = new HuggingFaceCrossEncoder({ model: "Xenova/bge-reranker-base" });
    expect(await stage({ model: local })).toBe("CrossEncoderReranker(Xenova/bge-reranker-base)");
    expect(await stage({ model: new CachedCrossEncoder({ model: local }) })).toBe("CrossEncoderReranker(Xenova/bge-reranker-base)");
  });

  it("a custom scorer is named by its modelName, else its class; a plain object keeps the bare name", async () => {
    expect(await stage({ model: { ...lengthScorer, modelName: "my-model" } })).toBe("CrossEncoderReranker(my-model)");
    class LengthScorer {
      async score(pairs: readonly (readonly [string, string])[]) {
        return pairs.map(() => 0);
      }
    }
    expect(await stage({ model: new LengthScorer() })).toBe("CrossEncoderReranker(LengthScorer)");
    expect(await stage({ model: lengthScorer })).toBe("CrossEncoderReranker");
    const throwing = {
      ...lengthScorer,
      get modelName(): string {
        throw new Error("no");
      },
    };
    expect(await stage({ model: throwing })).toBe("CrossEncoderReranker");
  });

  it("the name reaches metadata.stageScores", async () => {
    const cached = new CachedCrossEncoder({ model: { ...lengthScorer, cacheKey: "len", modelName: "length-v1" } });
    const out = await new CrossEncoderReranker({ model: cached, topN: 1 }).compressDocuments(DOCS, "q");
    expect(out[0]!.metadata.stageScores).toEqual([
      { reranker: "unknown", score: 0.5 },
      { reranker: "CrossEncoderReranker(length-v1)", score: 22, rank: 1 },
    ]);
  });
});
