import { inspect } from "node:util";
import { Document } from "@langchain/core/documents";
import { afterEach, describe, expect, it, vi } from "vitest";
import { CohereRerank, type CohereRerankArgs } from "../../src/compressors/cohere_rerank.js";
import { InvalidOptionError } from "../../src/errors.js";
import { useFakeRerankServer } from "../support/fake_rerank_server.js";

// What CohereRerank refuses before any request: option values Node cannot honour, base URLs that would lose the
// endpoint path, input that is not what the types say.

const KEY = "co-probe-key-77aa";
const fake = useFakeRerankServer({ apiKey: KEY });
const TEXTS = ["dogs bark", "cats purr", "cats and dogs live together"];
const QUERY = "cats and dogs";
const FULL = { showHidden: true, getters: true, depth: Infinity, showProxy: true } as const;
afterEach(() => vi.restoreAllMocks());

const reranker = (fields: CohereRerankArgs = {}) => new CohereRerank({ apiKey: KEY, baseUrl: fake.url, backoffBaseMs: 1, timeout: 3_000, ...fields });
const failure = (promise: Promise<unknown>) =>
  promise.then(
    (value) => ({ value, error: undefined }),
    (error: unknown) => ({ value: undefined, error: error as Error }),
  );
const everyView = (value: unknown) => [String(value), JSON.stringify(value) ?? "", inspect(value, FULL), (value as Error)?.stack ?? ""].join("\n");

describe("CohereRerank options Node cannot honour", () => {
  it.each(["timeout", "backoffBaseMs", "maxBackoffMs"] as const)("%s above setTimeout's 2^31-1 ms is refused, not turned into 1 ms", (name) => {
    expect(() => new CohereRerank({ apiKey: KEY, [name]: 2 ** 31 })).toThrow(InvalidOptionError);
    expect(() => new CohereRerank({ apiKey: KEY, [name]: 2 ** 31 })).toThrow(new RegExp(`\`${name}\` must be at most 2147483647 ms`));
    expect(new CohereRerank({ apiKey: KEY, [name]: 2 ** 31 - 1 }).toJSON()).toBeDefined();
  });

  it("a blank key, a key with a control character, and one that is not Latin-1 are refused at construction, without being echoed", () => {
    for (const apiKey of ["   ", "co-abc\u0000def-123", "co-clé-\u4e2d\u6587"]) {
      let error: unknown;
      try {
        new CohereRerank({ apiKey, baseUrl: fake.url });
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(InvalidOptionError);
      if (apiKey.trim() !== "") expect(everyView(error)).not.toContain(apiKey.slice(3, 9));
    }
  });

  it("scoreKey or rankKey naming the stage history is refused (stageScores would overwrite it), as in CrossEncoderReranker", async () => {
    expect(() => new CohereRerank({ apiKey: KEY, scoreKey: "stageScores" })).toThrow(InvalidOptionError);
    expect(() => new CohereRerank({ apiKey: KEY, scoreKey: "stageScores" })).toThrow(/`scoreKey` and the stage history are both "stageScores"/);
    expect(() => new CohereRerank({ apiKey: KEY, rankKey: "stageScores" })).toThrow(/`rankKey` and the stage history are both "stageScores"/);
  });

  it("scoreKey equal to rankKey is refused (the rank would overwrite the score)", () => {
    expect(() => new CohereRerank({ apiKey: KEY, scoreKey: "k", rankKey: "k" })).toThrow(/`scoreKey` and `rankKey` are both "k"/);
    expect(() => new CohereRerank({ apiKey: KEY, scoreKey: "retrievalRank" })).toThrow(InvalidOptionError);
  });

  it("an array as options is named as such, not reported as a missing key", () => {
    expect(() => new CohereRerank([] as never)).toThrow(/options must be an object/);
  });
});

describe("CohereRerank base URLs", () => {
  it.each(["?api-version=2024-05-01", "/#frag", "/prefix?x=1"])(
    "a query string or fragment (%s) is refused: it would swallow /v2/rerank",
    (suffix) => {
      expect(() => new CohereRerank({ apiKey: KEY, baseUrl: fake.url + suffix })).toThrow(/`baseUrl` must not have a query string or fragment/);
    },
  );

  it("a refused query string is not echoed: it may hold a key", () => {
    for (const suffix of ["/?key=qs-secret-123", "/p?code=qs-secret-123#x", "/#qs-secret-123"]) {
      expect(() => new CohereRerank({ apiKey: KEY, baseUrl: fake.url + suffix })).toThrow(/query string or fragment \(got one after "http:/);
      expect(() => new CohereRerank({ apiKey: KEY, baseUrl: fake.url + suffix })).not.toThrow(/qs-secret-123/);
    }
  });

  it("trailing slashes and a path prefix still reach <base>/v2/rerank", async () => {
    for (const baseUrl of [`${fake.url}/`, `${fake.url}///`]) await reranker({ baseUrl }).rerank(TEXTS, QUERY);
    await failure(reranker({ baseUrl: `${fake.url}/prefix/`, maxRetries: 0 }).rerank(TEXTS, QUERY));
    expect(fake.requests.map((r) => r.path)).toEqual(["/v2/rerank", "/v2/rerank", "/prefix/v2/rerank"]);
  });
});

describe("CohereRerank input that is not what the types say", () => {
  it("a sparse documents array is an InvalidOptionError before any request, not nulls sent to the server", async () => {
    // eslint-disable-next-line no-sparse-arrays
    for (const documents of [[, "cats"], new Array(2)] as unknown[][]) {
      const { error } = await failure(reranker().rerank(documents as string[], QUERY));
      expect(error).toBeInstanceOf(InvalidOptionError);
      expect(error!.message).toMatch(/document 0 is a hole \(sparse array\)/);
    }
    expect(fake.requests).toHaveLength(0);
  });

  it("a null document is named as null", async () => {
    const { error } = await failure(reranker().compressDocuments([new Document({ pageContent: "a" }), null as never], QUERY));
    expect(error).toBeInstanceOf(InvalidOptionError);
    expect(error!.message).toMatch(/document 1 is null/);
  });

  it("compressDocuments refuses strings rather than returning Documents with empty pageContent", async () => {
    const { value, error } = await failure(reranker().compressDocuments(TEXTS as never, QUERY));
    expect(value).toBeUndefined();
    expect(error).toBeInstanceOf(InvalidOptionError);
    expect(error!.message).toMatch(/document 0 is a string; pass Documents \(rerank\(\) takes strings\)/);
    expect(fake.requests).toHaveLength(0);
    // rerank() itself still takes strings.
    expect(await reranker().rerank(TEXTS, QUERY)).toHaveLength(3);
  });
});
