import { describe, expect, it } from "vitest";
import { InvalidOptionError } from "../../src/errors.js";
import { checkCohereVersionFields, cohereSender, parseCohereBaseUrl, readCohereResults } from "../../src/remote/cohere_api.js";
import { AttemptFailure } from "../../src/remote/http_retry.js";
import { useFakeRerankServer } from "../support/fake_rerank_server.js";

const KEY = "co-wire-key-4410";
const fake = useFakeRerankServer({ apiKey: KEY });
const REQUEST = { model: "rerank-v3.5", query: "cats", documents: ["dogs bark", "cats purr"], topN: 2, maxChunksPerDoc: undefined };
const settings = { client: undefined, apiKey: KEY, maxTokensPerDoc: undefined, priority: undefined, timeout: 5_000 };

function failureOf(fn: () => unknown): AttemptFailure {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(AttemptFailure);
    return error as AttemptFailure;
  }
  expect.fail("expected an AttemptFailure, but nothing was thrown");
}

describe("cohereSender over HTTP", () => {
  it("writes v2's body (snake_case, v2-only fields) with the bearer key and client name", async () => {
    const send = cohereSender("T", { ...settings, version: "v2", baseUrl: `${fake.url}/prefix`, maxTokensPerDoc: 512, priority: 3 });
    await send(REQUEST, AbortSignal.timeout(5_000)).catch(() => undefined);
    expect(fake.requests.at(-1)).toMatchObject({
      path: "/prefix/v2/rerank",
      headers: { authorization: `Bearer ${KEY}`, "x-client-name": "langchain-rerank" },
      body: { model: "rerank-v3.5", query: "cats", documents: ["dogs bark", "cats purr"], top_n: 2, max_tokens_per_doc: 512, priority: 3 },
    });
  });

  it("writes v1's body with return_documents false and max_chunks_per_doc", async () => {
    const body = await cohereSender("T", { ...settings, version: "v1", baseUrl: fake.url })(
      { ...REQUEST, maxChunksPerDoc: 4 },
      AbortSignal.timeout(5_000),
    );
    expect(fake.requests.at(-1)).toMatchObject({ path: "/v1/rerank", body: { top_n: 2, return_documents: false, max_chunks_per_doc: 4 } });
    expect(readCohereResults(body, 2, 2).map((r) => r.index)).toEqual([1, 0]);
  });

  it("refuses v1 through a v2-only client, naming the fix", () => {
    const v2Only = { rerank: async () => ({}) } as never;
    expect(() => cohereSender("T", { ...settings, version: "v1", baseUrl: "", client: v2Only })).toThrow(
      /maxChunksPerDoc` needs Cohere's v1 endpoint/,
    );
  });
});

describe("readCohereResults", () => {
  it("reads snake_case (HTTP) and camelCase (SDK) bodies", () => {
    expect(readCohereResults({ results: [{ index: 1, relevance_score: 0.9 }] }, 2, 1)).toEqual([{ index: 1, relevanceScore: 0.9 }]);
    expect(readCohereResults({ results: [{ index: 0, relevanceScore: 0.2 }] }, 1, 1)).toEqual([{ index: 0, relevanceScore: 0.2 }]);
  });

  it.each([
    [{ ok: false, error: { reason: "non-json" } }, /the body is not JSON/],
    [{ results: "x" }, /no `results` array/],
    [{ results: [null] }, /result 0 is not an object/],
    [{ results: [{ index: "0", relevance_score: 0.5 }] }, /result 0 has a string index/],
    [{ results: [{ index: 0, relevance_score: 7 }] }, /outside 0–1/],
    [{ results: [{ index: 5, relevance_score: 0.5 }] }, /index/],
    [{ results: [{ index: 0, relevance_score: 0.5 }] }, /1 results for top_n 2 of 2 documents sent/],
  ])("refuses %j as an invalid response", (body, reason) => {
    const failure = failureOf(() => readCohereResults(body, 2, 2));
    expect(failure.kind).toBe("invalid-response");
    expect(failure.detail.reason).toMatch(reason);
  });
});

describe("parseCohereBaseUrl", () => {
  it("keeps a path prefix and the caller's trailing slash; no base URL is undefined", () => {
    expect(parseCohereBaseUrl("T", "https://h/prefix")).toEqual({ public: "https://h/prefix", request: "https://h/prefix" });
    expect(parseCohereBaseUrl("T", "https://h/")).toEqual({ public: "https://h/", request: "https://h/" });
    expect(parseCohereBaseUrl("T", undefined)).toBeUndefined();
  });

  it.each([
    ["admin:s3cr3t@proxy.internal:8443/cohere", /must be an http\(s\) URL .*got "\*\*\*@proxy\.internal:8443\/cohere"/],
    ["https://alice:pw-9931@h/x", /contains credentials \(user:password@h\)/],
    ["https://h/x?code=AzKey-5512", /must not have a query string or fragment \(got one after "https:\/\/h\/x"\)/],
  ])("%s is refused, quoting no secret", (value, message) => {
    expect(() => parseCohereBaseUrl("T", value)).toThrow(message);
    expect(() => parseCohereBaseUrl("T", value)).not.toThrow(/s3cr3t|pw-9931|AzKey-5512/);
  });
});

describe("checkCohereVersionFields", () => {
  it("allows each endpoint's own fields and refuses the other's", () => {
    expect(() => checkCohereVersionFields("T", "v1", 4, undefined, undefined)).not.toThrow();
    expect(() => checkCohereVersionFields("T", "v2", undefined, 512, 3)).not.toThrow();
    expect(() => checkCohereVersionFields("T", "v2", 4, undefined, undefined)).toThrow(InvalidOptionError);
    expect(() => checkCohereVersionFields("T", "v1", 4, undefined, 3)).toThrow(
      /`priority` exists only on Cohere's v2 endpoint.*because of maxChunksPerDoc/,
    );
  });
});
