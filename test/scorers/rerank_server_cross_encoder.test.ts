import { inspect } from "node:util";
import { describe, expect, it } from "vitest";
import { InvalidOptionError } from "../../src/errors.js";
import { RemoteRerankError } from "../../src/remote/http_retry.js";
import type { TextPair } from "../../src/scorers/cross_encoder.js";
import { RerankServerCrossEncoder, type RerankServerCrossEncoderArgs } from "../../src/scorers/rerank_server_cross_encoder.js";
import { type Fault, useFakeRerankServer, overlapScore, rawScore, sigmoid } from "../support/fake_rerank_server.js";

const KEY = "srv-secret-93b7a1";
const fake = useFakeRerankServer({ apiKey: KEY });

const QUERY = "red apples";
const TEXTS = ["blue sky", "green apples", "red apples and red cherries", "apples", "nothing here"];
const PAIRS: TextPair[] = TEXTS.map((t) => [QUERY, t]);
const overlaps = TEXTS.map((t) => overlapScore(QUERY, t));

const scorer = (options: Partial<RerankServerCrossEncoderArgs> & { path: string }) => {
  const { path, ...rest } = options;
  return new RerankServerCrossEncoder({ url: `${fake.url}${path}`, apiKey: KEY, backoffBaseMs: 1, timeout: 2_000, ...rest });
};

describe("RerankServerCrossEncoder dialects", () => {
  it("cohere on /v2/rerank: one request for all documents, scores back in pair order", async () => {
    const scores = await scorer({ path: "/v2/rerank", model: "rerank-v3.5" }).score(PAIRS);
    expect(scores).toEqual(overlaps);
    expect(fake.requests).toHaveLength(1);
    expect(fake.requests[0]!.body).toEqual({ model: "rerank-v3.5", query: QUERY, documents: TEXTS, top_n: TEXTS.length });
    expect(fake.requests[0]!.headers.authorization).toBe(`Bearer ${KEY}`);
  });

  it("cohere on /v1/rerank (vLLM, Jina shape) and on Infinity", async () => {
    expect(await scorer({ path: "/v1/rerank", model: "rerank-v3.5" }).score(PAIRS)).toEqual(overlaps);
    expect(await scorer({ path: "/infinity/rerank" }).score(PAIRS)).toEqual(overlaps.map((s) => sigmoid(rawScore(s))));
    expect(fake.requests[1]!.body).toEqual({ query: QUERY, documents: TEXTS, top_n: TEXTS.length });
  });

  it("tei: `texts`, a bare-array response, sigmoid scores by default", async () => {
    const scores = await scorer({ path: "/rerank", dialect: "tei" }).score(PAIRS);
    expect(scores).toEqual(overlaps.map((s) => sigmoid(rawScore(s))));
    expect(fake.requests[0]!.body).toEqual({ query: QUERY, texts: TEXTS, raw_scores: false, truncate: true });
  });

  it("voyage: `top_k` and a `data` array", async () => {
    const scores = await scorer({ path: "/voyage/v1/rerank", dialect: "voyage", model: "rerank-2.5" }).score(PAIRS);
    expect(scores).toEqual(overlaps);
    expect(fake.requests[0]!.body).toEqual({ query: QUERY, documents: TEXTS, model: "rerank-2.5", top_k: TEXTS.length });
  });

  it("scoreMode raw asks TEI and Infinity for logits and returns them as the local scorer's raw mode would", async () => {
    expect(await scorer({ path: "/rerank", dialect: "tei", scoreMode: "raw" }).score(PAIRS)).toEqual(overlaps.map(rawScore));
    expect(await scorer({ path: "/infinity/rerank", scoreMode: "raw" }).score(PAIRS)).toEqual(overlaps.map(rawScore));
    expect((fake.requests[1]!.body as { raw_scores: boolean }).raw_scores).toBe(true);
  });

  it("scoreMode sigmoid refuses logits from a misconfigured server instead of passing them off as 0–1 scores", async () => {
    fake.fail({ kind: "scores-as-logits" });
    const error = await scorer({ path: "/rerank", dialect: "tei" })
      .score(PAIRS)
      .catch((e) => e);
    expect(error).toBeInstanceOf(RemoteRerankError);
    expect(error.message).toMatch(/score 4\.93\d* is outside 0–1, so the server sends logits; use scoreMode "raw"/);
  });

  it("scoreMode raw on a Cohere server: Cohere's 422 for the unknown field, not retried, with the dialect hint", async () => {
    const error = await scorer({ path: "/v2/rerank", model: "rerank-v3.5", scoreMode: "raw" })
      .score(PAIRS)
      .catch((e) => e);
    expect(error).toMatchObject({ status: 422, attempts: 1 });
    expect(error.message).toMatch(/raw_scores is not a valid field.*check that the dialect/);
  });
});

describe("RerankServerCrossEncoder batching", () => {
  it("splits 100 documents into TEI's default batches of 32, with bounded concurrency, and merges them by index", async () => {
    const texts = Array.from({ length: 100 }, (_, i) => `doc ${i} ${i % 3 === 0 ? "red" : ""} ${i % 5 === 0 ? "apples" : ""}`);
    const pairs: TextPair[] = texts.map((t) => [QUERY, t]);
    const scores = await scorer({ path: "/rerank", dialect: "tei", maxConcurrency: 2 }).score(pairs);
    expect(fake.requests.map((r) => (r.body as { texts: string[] }).texts.length)).toEqual([32, 32, 32, 4]);
    expect(fake.maxInFlight).toBeLessThanOrEqual(2);
    expect(scores).toEqual(texts.map((t) => sigmoid(rawScore(overlapScore(QUERY, t)))));
  });

  it("groups pairs by query (servers take one query per request) and returns scores in the pairs' order", async () => {
    const pairs: TextPair[] = [
      ["red apples", "red"],
      ["blue sky", "blue sky"],
      ["red apples", "apples red"],
      ["blue sky", "sky"],
      ["red apples", "none"],
    ];
    const scores = await scorer({ path: "/v2/rerank", model: "rerank-v3.5", batchSize: 2 }).score(pairs);
    expect(scores).toEqual(pairs.map(([q, t]) => overlapScore(q, t)));
    expect(fake.requests.map((r) => [(r.body as { query: string }).query, (r.body as { documents: string[] }).documents]).sort()).toEqual(
      [
        ["blue sky", ["blue sky", "sky"]],
        ["red apples", ["none"]],
        ["red apples", ["red", "apples red"]],
      ].sort(),
    );
  });

  it("no pairs: no request", async () => {
    expect(await scorer({ path: "/rerank", dialect: "tei" }).score([])).toEqual([]);
    expect(fake.requests).toHaveLength(0);
  });

  it("a batchSize above the server's limit surfaces TEI's own 422 message, not retried", async () => {
    const pairs: TextPair[] = Array.from({ length: 40 }, (_, i) => [QUERY, `t${i}`]);
    const error = await scorer({ path: "/rerank", dialect: "tei", batchSize: 40 })
      .score(pairs)
      .catch((e) => e);
    expect(error).toMatchObject({ status: 422, attempts: 1, serverMessage: "batch size 40 > maximum allowed batch size 32" });
  });
});

describe("RerankServerCrossEncoder faults", () => {
  const tei = () => scorer({ path: "/rerank", dialect: "tei" });
  const expected = overlaps.map((s) => sigmoid(rawScore(s)));

  it.each([
    [[{ status: 429, retryAfter: "0" }] as Fault[], [429, 200]],
    [[{ status: 429 }] as Fault[], [429, 200]],
    [[{ status: 500 }, { status: 503 }] as Fault[], [500, 503, 200]],
    [[{ kind: "reset" }] as Fault[], [0, 200]],
  ])("%o: retried, then succeeds", async (faults, statuses) => {
    fake.fail(...faults);
    expect(await tei().score(PAIRS)).toEqual(expected);
    expect(fake.requests.map((r) => r.status)).toEqual(statuses);
  });

  it("429 with Retry-After: waits the server's delay", async () => {
    fake.fail({ status: 429, retryAfter: "1" });
    expect(await tei().score(PAIRS)).toEqual(expected);
    expect(fake.requests[1]!.at - fake.requests[0]!.at).toBeGreaterThanOrEqual(990);
  });

  it("503 past maxRetries: typed error after maxRetries + 1 attempts, with TEI's message", async () => {
    fake.fail({ status: 503, message: "model is overloaded" }, { status: 503, message: "model is overloaded" });
    const error = await scorer({ path: "/rerank", dialect: "tei", maxRetries: 1 })
      .score(PAIRS)
      .catch((e) => e);
    expect(error).toBeInstanceOf(RemoteRerankError);
    expect(error).toMatchObject({ status: 503, attempts: 2, retried: true, serverMessage: "model is overloaded" });
    expect(fake.requests).toHaveLength(2);
  });

  it("401: not retried", async () => {
    const error = await new RerankServerCrossEncoder({ url: `${fake.url}/rerank`, dialect: "tei", apiKey: "wrong-key", backoffBaseMs: 1 })
      .score(PAIRS)
      .catch((e) => e);
    expect(error).toMatchObject({ status: 401, attempts: 1, retried: false, serverMessage: "invalid api token" });
    expect(fake.requests).toHaveLength(1);
  });

  it("a slow response: a timeout naming the limit, after maxRetries + 1 attempts", async () => {
    fake.fail({ kind: "slow", delayMs: 2_000 }, { kind: "slow", delayMs: 2_000 });
    const error = await scorer({ path: "/rerank", dialect: "tei", timeout: 200, maxRetries: 1 })
      .score(PAIRS)
      .catch((e) => e);
    expect(error).toMatchObject({ kind: "timeout", attempts: 2, retried: true });
    expect(error.message).toMatch(/no response within the 200 ms `timeout` \(2 attempts\)/);
  });

  it.each([
    [{ kind: "malformed-json" } as Fault, /the body is not JSON/],
    [{ kind: "index-out-of-range" } as Fault, /the server returned index 5, outside the 5 documents sent/],
    [{ kind: "duplicate-index" } as Fault, /returned index \d more than once/],
    [{ kind: "missing-score" } as Fault, /non-finite score \(undefined\)/],
  ])("%o: a clear invalid-response error, not retried", async (fault, message) => {
    fake.fail(fault);
    const error = await tei()
      .score(PAIRS)
      .catch((e) => e);
    expect(error).toMatchObject({ kind: "invalid-response", attempts: 1 });
    expect(error.message).toMatch(message);
  });

  it("aborts mid-request with the caller's reason", async () => {
    fake.fail({ kind: "slow", delayMs: 5_000 });
    const controller = new AbortController();
    const pending = tei().score(PAIRS, { signal: controller.signal });
    while (fake.requests.length === 0) await new Promise((r) => setTimeout(r, 5));
    controller.abort(new Error("stop"));
    await expect(pending).rejects.toThrow("stop");
    expect(fake.requests).toHaveLength(1);
  });
});

describe("RerankServerCrossEncoder options and secrets", () => {
  it("rejects a sparse pairs array (no undefined score for the hole), bad call options and a signal that is not one, before any request", async () => {
    const sparse: TextPair[] = [PAIRS[0]!];
    sparse[2] = PAIRS[1]!;
    const s = scorer({ path: "/v2/rerank" });
    await expect(s.score(sparse)).rejects.toThrow(
      "RerankServerCrossEncoder.score expects [query, text] pairs of strings; pair 1 is a hole (sparse array).",
    );
    // With long-document windows on, pairs are split first: the hole must not shift later pairs' windows.
    const windowing = scorer({ path: "/v2/rerank", maxChunksPerDoc: 4 });
    await expect(windowing.scoreDetailed(sparse)).rejects.toThrow(
      "RerankServerCrossEncoder.scoreDetailed expects [query, text] pairs of strings; pair 1 is a hole (sparse array).",
    );
    await expect(windowing.score(sparse)).rejects.toThrow(InvalidOptionError);
    await expect(s.score(PAIRS, null as never)).rejects.toThrow(/call options must be an object/);
    await expect(s.score(PAIRS, { signal: {} as never })).rejects.toThrow(
      new InvalidOptionError("RerankServerCrossEncoder: `signal` must be an AbortSignal."),
    );
    expect(fake.requests).toHaveLength(0);
  });

  it("rejects bad options with the fix in the message", () => {
    expect(() => new RerankServerCrossEncoder({ url: "http://localhost:8080" })).toThrow(/full http\(s\) endpoint URL including its path/);
    expect(() => new RerankServerCrossEncoder({ url: "not a url" })).toThrow(/`url` is not a URL/);
    expect(() => new RerankServerCrossEncoder({ url: "http://h/rerank", dialect: "jina" as never })).toThrow(InvalidOptionError);
    expect(() => new RerankServerCrossEncoder({ url: "http://h/v1/rerank", dialect: "voyage" })).toThrow(/voyage dialect needs `model`/);
    expect(() => new RerankServerCrossEncoder({ url: "http://h/v1/rerank", dialect: "voyage", model: "rerank-2.5", scoreMode: "raw" })).toThrow(
      /Voyage returns 0–1 scores only/,
    );
    expect(() => new RerankServerCrossEncoder({ url: "http://h/rerank", batchSize: 0 })).toThrow(/batchSize/);
  });

  it("never shows the key: not in errors (even echoed by the server), JSON.stringify or inspect", async () => {
    fake.fail({ status: 401, message: `bad token ${KEY}` });
    const s = scorer({ path: "/rerank", dialect: "tei" });
    const error = await s.score(PAIRS).catch((e) => e);
    expect(error.serverMessage).toBe("bad token [redacted]");
    for (const text of [
      error.message,
      String(error),
      JSON.stringify(error),
      inspect(error, { depth: 10 }),
      JSON.stringify(s),
      inspect(s, { depth: 10 }),
    ]) {
      expect(text).not.toContain(KEY);
    }
    expect(JSON.parse(JSON.stringify(s))).toMatchObject({ name: "RerankServerCrossEncoder", dialect: "tei", url: `${fake.url}/rerank` });
  });
});
