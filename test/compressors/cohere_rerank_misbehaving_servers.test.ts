import { inspect } from "node:util";
import { afterEach, describe, expect, it, vi } from "vitest";
import { CohereRerank, type CohereRerankArgs } from "../../src/compressors/cohere_rerank.js";
import { RemoteRerankError } from "../../src/remote/http_retry.js";
import { useFakeRerankServer } from "../support/fake_rerank_server.js";

// CohereRerank against servers and clients that misbehave: echoed keys cut at the length limit, huge or mistyped
// values, logits, runaway and stalling bodies, clients that hang or abort on their own.

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

describe("CohereRerank against hostile and runaway servers", () => {
  it("a key cut by the message length limit is still redacted: no prefix of it survives", async () => {
    fake.fail({ status: 400, message: `${"x".repeat(495)}${KEY} and more` });
    const { error } = await failure(reranker({ maxRetries: 0 }).rerank(TEXTS, QUERY));
    expect(error).toBeInstanceOf(RemoteRerankError);
    const views = everyView(error) + (error as RemoteRerankError).serverMessage;
    expect(views).not.toContain(KEY.slice(0, 5));
    expect((error as RemoteRerankError).serverMessage!.length).toBeLessThan(600);
  });

  it("a huge value where the index belongs gives a short message, not a copy of it", async () => {
    fake.fail({ kind: "body", json: { results: [{ index: "x".repeat(1_000_000), relevance_score: 0.5 }] } });
    const { error } = await failure(reranker({ maxRetries: 0 }).rerank(TEXTS, QUERY));
    expect(error).toMatchObject({ kind: "invalid-response" });
    expect(error!.message.length).toBeLessThan(1_000);
    expect(error!.message).toMatch(/result 0 has a string index, not a number/);
  });

  it("a score given as a string is called a string, not 'non-finite (0.5)'", async () => {
    fake.fail({ kind: "body", json: { results: [{ index: 0, relevance_score: "0.5" }] } });
    const { error } = await failure(reranker({ maxRetries: 0 }).rerank(["a"], QUERY));
    expect(error!.message).toMatch(/result 0 has a string relevance_score, not a number/);
  });

  it("scores outside 0–1 (a compatible server sending logits) are an invalid response, not a relevanceScore of 7", async () => {
    fake.fail({
      kind: "body",
      json: {
        results: [
          { index: 0, relevance_score: 7 },
          { index: 1, relevance_score: -3 },
          { index: 2, relevance_score: 0.2 },
        ],
      },
    });
    const { value, error } = await failure(reranker({ maxRetries: 0 }).rerank(TEXTS, QUERY));
    expect(value).toBeUndefined();
    expect(error).toMatchObject({ kind: "invalid-response", attempts: 1 });
    expect(error!.message).toMatch(/relevance_score 7 of result 0 is outside 0–1/);
  });

  it("a runaway body is cut off at 32 MiB as an invalid response, without buffering the rest", async () => {
    fake.fail({ kind: "huge-body", bytes: 64 * 1024 * 1024 });
    const { error } = await failure(reranker({ maxRetries: 2, timeout: 60_000 }).rerank(TEXTS, QUERY));
    expect(error).toMatchObject({ kind: "invalid-response", attempts: 1 });
    expect(error!.message).toMatch(/the body is larger than 32 MiB/);
  });

  it("a body that stalls halfway times out and is retried; a reset halfway is a network error, retried", async () => {
    fake.fail({ kind: "slow-body", delayMs: 3_000 });
    expect(await reranker({ timeout: 200, maxRetries: 1 }).rerank(TEXTS, QUERY)).toHaveLength(3);
    fake.fail({ kind: "reset-mid-body" });
    expect(await reranker({ maxRetries: 1 }).rerank(TEXTS, QUERY)).toHaveLength(3);
    fake.fail({ kind: "reset-mid-body" });
    const { error } = await failure(reranker({ maxRetries: 0 }).rerank(TEXTS, QUERY));
    expect(error).toMatchObject({ kind: "network", attempts: 1 });
  });
});

describe("CohereRerank with a misbehaving prebuilt client", () => {
  it("a client that never settles and ignores the signal still times out", async () => {
    const hung = new CohereRerank({ client: { rerank: () => new Promise(() => undefined) } as never, timeout: 100, maxRetries: 1, backoffBaseMs: 1 });
    const { error } = await failure(hung.rerank(TEXTS, QUERY));
    expect(error).toBeInstanceOf(RemoteRerankError);
    expect(error).toMatchObject({ kind: "timeout", attempts: 2 });
  });

  it("a client that never settles still rejects on the caller's abort", async () => {
    const hung = new CohereRerank({ client: { rerank: () => new Promise(() => undefined) } as never });
    const controller = new AbortController();
    const pending = failure(hung.rerank(TEXTS, QUERY, { signal: controller.signal }));
    setTimeout(() => controller.abort(new Error("user left")), 20);
    expect((await pending).error!.message).toBe("user left");
  });

  it("an AbortError of the client's own (no abort of ours) becomes a RemoteRerankError without its message", async () => {
    const own = Object.assign(new Error(`aborted, token ${KEY}`), { name: "AbortError" });
    const client = { rerank: async () => Promise.reject(own) };
    const { error } = await failure(new CohereRerank({ client: client as never, apiKey: KEY, maxRetries: 0 }).rerank(TEXTS, QUERY));
    expect(error).toBeInstanceOf(RemoteRerankError);
    expect(everyView(error)).not.toContain(KEY);
  });
});
