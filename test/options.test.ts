import { describe, expect, it } from "vitest";
import * as bm25 from "../src/bm25.js";
import * as cohere from "../src/cohere.js";
import * as evalEntry from "../src/eval/index.js";
import * as huggingface from "../src/huggingface.js";
import * as root from "../src/index.js";
import * as monitor from "../src/monitor.js";
import { InvalidOptionError } from "../src/errors.js";
import { checkCallOptions, checkFields, isPlainObject } from "../src/options.js";

type Constructor = new (...args: unknown[]) => unknown;

/** Every public class of every entry, errors aside: each must refuse a constructor argument that is not its fields. */
const publicClasses = (() => {
  const classes = new Map<string, Constructor>();
  for (const entry of [root, cohere, bm25, huggingface, monitor, evalEntry] as Record<string, unknown>[]) {
    for (const [name, value] of Object.entries(entry)) {
      if (typeof value !== "function" || !/^class\b/.test(Function.prototype.toString.call(value))) continue;
      if (value.prototype instanceof Error) continue;
      classes.set(name, value as Constructor);
    }
  }
  return [...classes];
})();

/** Classes whose fields are not their first argument: the arguments before them. */
const LEADING_ARGUMENTS: Record<string, unknown[]> = { Bm25Index: [["a text"]] };

const server = new root.RerankServerCrossEncoder({ url: "http://localhost:8080/rerank" });

describe("checkFields: every public class refuses what is not its fields object, and shows the right form", () => {
  it("finds the public classes in the entries", () => {
    const names = publicClasses.map(([name]) => name);
    for (const name of [
      "CrossEncoderReranker",
      "CohereRerank",
      "HuggingFaceCrossEncoder",
      "LruStore",
      "RerankMonitor",
      "OkapiBm25Retriever",
      "RunFileRetriever",
    ])
      expect(names).toContain(name);
  });

  describe.each(publicClasses)("%s", (name, Class) => {
    it.each([
      ["a model id string", "my-org/my-reranker", "a string"],
      ["a scorer instance", server, "an instance of RerankServerCrossEncoder"],
      ["null", null, "null"],
      ["an array", [], "an array"],
      ["a number", 5, "a number"],
    ])("refuses %s with InvalidOptionError naming the right form", (_label, fields, got) => {
      let error: unknown;
      try {
        new Class(...(LEADING_ARGUMENTS[name] ?? []), fields);
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(InvalidOptionError);
      expect((error as Error).message).toContain(`${name}: options must be an object such as {`);
      expect((error as Error).message).toContain(`got ${got}.`);
      expect((error as Error).message).toContain(`new ${name}({`);
    });
  });

  it("refuses a scorer or compressor object literal passed where its options belong", () => {
    const scorer = { score: async () => [] };
    expect(() => new root.CrossEncoderReranker(scorer as never)).toThrow(
      /got an object with a score\(\) method .*new CrossEncoderReranker\(\{ model:/,
    );
    expect(() => new root.CachedCrossEncoder(scorer as never)).toThrow(InvalidOptionError);
    const compressor = new root.CrossEncoderReranker({ model: scorer });
    expect(() => new root.RelevanceThresholdFilter({ ...compressor, compressDocuments: compressor.compressDocuments } as never)).toThrow(
      /got an object with a compressDocuments\(\) method/,
    );
  });

  it("never quotes the string it refuses (it may be an API key)", () => {
    expect(() => new cohere.CohereRerank("sk-live-0123456789" as never)).toThrow(/got a string\./);
    expect(() => new cohere.CohereRerank("sk-live-0123456789" as never)).not.toThrow(/sk-live/);
  });

  it("takes undefined and plain objects, including null-prototype ones and those of another realm", async () => {
    const { runInNewContext } = await import("node:vm");
    expect(checkFields("T", undefined, "{}")).toEqual({});
    expect(isPlainObject(Object.create(null))).toBe(true);
    expect(isPlainObject(runInNewContext("({ a: 1 })"))).toBe(true);
    expect(isPlainObject(new Map())).toBe(false);
  });
});

describe("checkCallOptions", () => {
  it("reads undefined as {} and returns a plain object as is", () => {
    const options = { signal: new AbortController().signal };
    expect(checkCallOptions("T", undefined)).toEqual({});
    expect(checkCallOptions("T", options)).toBe(options);
  });

  it.each([
    [5, /T: call options must be an object such as \{ signal \}, got a number\./],
    ["fast", /got a string/],
    [null, /got null/],
    [new AbortController().signal, /pass the signal as \{ signal \}/],
    [{ signal: new AbortController() }, /pass controller\.signal/],
  ])("refuses %s", (options, message) => {
    expect(() => checkCallOptions("T", options as never)).toThrow(InvalidOptionError);
    expect(() => checkCallOptions("T", options as never)).toThrow(message);
  });
});

describe("call options are checked wherever they enter, not ignored", () => {
  const scorer = { score: async (pairs: readonly (readonly [string, string])[]) => pairs.map(() => 0.5), cacheKey: "constant" };
  const docs = [{ pageContent: "a", metadata: {} }];
  const client = { rerank: async () => ({ results: [{ index: 0, relevanceScore: 0.5 }] }) };
  const entries: [string, (options: unknown) => Promise<unknown>][] = [
    ["CachedCrossEncoder.score", (o) => new root.CachedCrossEncoder({ model: scorer }).score([["q", "a"]], o as never)],
    ["CachedCrossEncoder.scoreDetailed", (o) => new root.CachedCrossEncoder({ model: scorer }).scoreDetailed([["q", "a"]], o as never)],
    ["RerankServerCrossEncoder.score", (o) => server.score([["q", "a"]], o as never)],
    ["CrossEncoderReranker.rerank", (o) => new root.CrossEncoderReranker({ model: scorer }).rerank(docs, "q", o as never)],
    ["CohereRerank.rerank", (o) => new cohere.CohereRerank({ client: client as never }).rerank(docs, "q", o as never)],
  ];
  it.each(entries)("%s refuses a number, a string and an AbortController as signal", async (where, call) => {
    for (const [options, message] of [
      [3, /call options must be an object .*got a number/],
      ["fast", /call options must be an object .*got a string/],
      [{ signal: new AbortController() }, /pass controller\.signal/],
    ] as const) {
      const error = await call(options).catch((e: unknown) => e);
      expect(error, `${where}(${String(options)})`).toBeInstanceOf(InvalidOptionError);
      expect((error as Error).message).toMatch(message);
    }
  });
});

describe("the public functions of the entries name a wrong-shaped argument instead of failing with a TypeError", () => {
  // The monitor's functions (attributeAnswer, kendallTauB, overlapAtK) are reworked under issue 27's monitor cases.
  const SKIPPED = new Set(["attributeAnswer", "kendallTauB", "overlapAtK"]);
  const functions = new Map<string, (...args: unknown[]) => unknown>();
  for (const entry of [root, cohere, bm25, huggingface, monitor, evalEntry] as Record<string, unknown>[]) {
    for (const [name, value] of Object.entries(entry)) {
      if (typeof value === "function" && !/^class\b/.test(Function.prototype.toString.call(value)) && !SKIPPED.has(name))
        functions.set(name, value as (...args: unknown[]) => unknown);
    }
  }
  const wrong: unknown[][] = [[], [null], ["x"], [42], [{}], [["a", "b"]], [{ q1: "x" }], [undefined, "x"], [undefined, 42], [{}, { q1: "x" }]];

  it.each([...functions])("%s", async (name, fn) => {
    for (const args of wrong) {
      let error: unknown;
      try {
        await fn(...args);
      } catch (e) {
        error = e;
      }
      if (error instanceof TypeError || error instanceof SyntaxError || error instanceof RangeError) {
        expect.fail(`${name}(${args.map((a) => JSON.stringify(a)).join(", ")}) threw a raw ${error.constructor.name}: ${error.message}`);
      }
    }
  });
});
