import { inspect } from "node:util";
import { Document, type DocumentInterface } from "@langchain/core/documents";
import { afterEach, describe, expect, it, vi } from "vitest";
import { CohereRerank, type CohereRerankArgs } from "../../src/compressors/cohere_rerank.js";
import { RemoteRerankError } from "../../src/remote/http_retry.js";
import { type Fault, useFakeRerankServer, overlapScore } from "../support/fake_rerank_server.js";

// Every fault the fake can play, each with the outcome it must have: retried then succeeded, or the right typed
// error after the right number of attempts; and in every case the caller's documents are left as they were.

const KEY = "co-secret-4d1e8c2a";
const fake = useFakeRerankServer({ apiKey: KEY });
afterEach(() => {
  vi.restoreAllMocks();
});

const QUERY = "cats and dogs";
const TEXTS = ["dogs bark", "cats purr", "cats and dogs live together", "fish swim", "birds sing"];
const TOP = [2, 0, 1]; // the fake's order for QUERY, top 3

function makeDocs(): Document[] {
  return TEXTS.map((text, i) => new Document({ pageContent: text, metadata: { i } }));
}
function snapshot(docs: DocumentInterface[]): unknown {
  return structuredClone(docs.map((d) => ({ pageContent: d.pageContent, metadata: d.metadata })));
}

const reranker = (fields: CohereRerankArgs = {}) => new CohereRerank({ apiKey: KEY, baseUrl: fake.url, backoffBaseMs: 1, timeout: 2_000, ...fields });

/** Runs compressDocuments with the faults queued; returns the output or the error, and checks the documents. */
async function run(faults: Fault[], fields: CohereRerankArgs = {}): Promise<{ out?: DocumentInterface[]; error?: RemoteRerankError }> {
  fake.fail(...faults);
  const docs = makeDocs();
  const before = snapshot(docs);
  try {
    const out = await reranker(fields).compressDocuments(docs, QUERY);
    expect(snapshot(docs)).toEqual(before);
    return { out };
  } catch (error) {
    expect(snapshot(docs)).toEqual(before);
    expect(error).toBeInstanceOf(RemoteRerankError);
    return { error: error as RemoteRerankError };
  }
}

function expectSucceeded(result: { out?: DocumentInterface[]; error?: unknown }): void {
  expect(result.error).toBeUndefined();
  expect(result.out!.map((d) => d.metadata.i)).toEqual(TOP);
  expect(result.out!.map((d) => d.metadata.relevanceScore)).toEqual(TOP.map((i) => overlapScore(QUERY, TEXTS[i]!)));
}

describe("CohereRerank retries", () => {
  it("429 with Retry-After: waits the server's delay, then succeeds", async () => {
    const result = await run([{ status: 429, retryAfter: "1" }]);
    expectSucceeded(result);
    expect(fake.requests.map((r) => r.status)).toEqual([429, 200]);
    // Our test backoff is 1 ms, so a gap of a second can only come from honouring Retry-After.
    expect(fake.requests[1]!.at - fake.requests[0]!.at).toBeGreaterThanOrEqual(990);
  });

  it("429 without Retry-After: backs off and succeeds", async () => {
    const result = await run([{ status: 429 }, { status: 429 }]);
    expectSucceeded(result);
    expect(fake.requests.map((r) => r.status)).toEqual([429, 429, 200]);
  });

  it("429 whose Retry-After exceeds maxBackoffMs: not retried, the error says why", async () => {
    const { error } = await run([{ status: 429, retryAfter: "120" }]);
    expect(error).toMatchObject({ status: 429, attempts: 1, retried: false, kind: "status" });
    expect(error!.message).toMatch(/asked to wait 120 s \(Retry-After\), more than maxBackoffMs \(60000 ms\)/);
    expect(fake.requests).toHaveLength(1);
  });

  it("a 500, 503 sequence then success: three attempts", async () => {
    expectSucceeded(await run([{ status: 500 }, { status: 503 }]));
    expect(fake.requests.map((r) => r.status)).toEqual([500, 503, 200]);
  });

  it("408 is retried", async () => {
    expectSucceeded(await run([{ status: 408 }]));
    expect(fake.requests.map((r) => r.status)).toEqual([408, 200]);
  });

  it("503 past maxRetries: a typed error after maxRetries + 1 attempts, with the server's message", async () => {
    const { error } = await run([{ status: 503 }, { status: 503 }, { status: 503 }, { status: 503 }], { maxRetries: 2 });
    expect(error).toMatchObject({ status: 503, attempts: 3, retried: true, kind: "status", serverMessage: "service unavailable" });
    expect(error!.message).toMatch(/HTTP 503 \(3 attempts\): "service unavailable"\. Gave up after maxRetries \(2\)\./);
    expect(fake.requests).toHaveLength(3);
  });

  it("maxRetries 0 sends one request", async () => {
    const { error } = await run([{ status: 500 }, { status: 500 }], { maxRetries: 0 });
    expect(error).toMatchObject({ status: 500, attempts: 1, retried: false });
    expect(fake.requests).toHaveLength(1);
  });
});

describe("CohereRerank does not retry what retrying cannot fix", () => {
  it.each([
    [401, /HTTP 401 \(1 attempt\): "invalid api token"\. Check the API key/],
    [403, /HTTP 403 .*not allowed/],
    [422, /HTTP 422 .*rejected a field/],
  ])("%i: one attempt, a typed error", async (status, message) => {
    const { error } = await run([{ status }, { status: 500 }]);
    expect(error).toMatchObject({ status, attempts: 1, retried: false, kind: "status" });
    expect(error!.message).toMatch(message);
    expect(error!.message).toMatch(/Not retried: HTTP \d+ will not change on retry/);
    expect(fake.requests).toHaveLength(1);
  });

  it("404 for a model Cohere shut down, with the server's message", async () => {
    const { error } = await run([], { model: "rerank-english-v2.0" });
    expect(error).toMatchObject({ status: 404, attempts: 1, retried: false });
    expect(error!.serverMessage).toMatch(/model 'rerank-english-v2.0' not found/);
    expect(error!.message).toMatch(/Check the model name/);
  });

  it("a real 401 from a wrong key, not retried", async () => {
    fake.fail();
    const docs = makeDocs();
    const error = await new CohereRerank({ apiKey: "wrong-key-123", baseUrl: fake.url, backoffBaseMs: 1 })
      .compressDocuments(docs, QUERY)
      .catch((e) => e);
    expect(error).toMatchObject({ status: 401, attempts: 1, serverMessage: "invalid api token" });
    expect(fake.requests).toHaveLength(1);
  });
});

describe("CohereRerank timeouts and connection errors", () => {
  it("a response slower than `timeout` is a timeout error naming the limit", async () => {
    const { error } = await run([{ kind: "slow", delayMs: 2_000 }], { timeout: 200, maxRetries: 0 });
    expect(error).toMatchObject({ kind: "timeout", attempts: 1, retried: false, status: undefined });
    expect(error!.message).toMatch(/timed out: no response within the 200 ms `timeout` \(1 attempt\)/);
  });

  it("a timeout is retried, then succeeds", async () => {
    expectSucceeded(await run([{ kind: "slow", delayMs: 2_000 }], { timeout: 200, maxRetries: 1 }));
    expect(fake.requests.map((r) => r.fault)).toEqual(["slow", undefined]);
  });

  it("timeouts past maxRetries: the error counts every attempt", async () => {
    const slow: Fault = { kind: "slow", delayMs: 2_000 };
    const { error } = await run([slow, slow, slow], { timeout: 200, maxRetries: 2 });
    expect(error).toMatchObject({ kind: "timeout", attempts: 3, retried: true });
    expect(error!.message).toMatch(/200 ms `timeout` \(3 attempts\)/);
  });

  it("a connection reset is retried, then succeeds", async () => {
    expectSucceeded(await run([{ kind: "reset" }]));
    expect(fake.requests.map((r) => r.fault)).toEqual(["reset", undefined]);
  });

  it("resets past maxRetries: a network error after maxRetries + 1 attempts", async () => {
    const { error } = await run([{ kind: "reset" }, { kind: "reset" }], { maxRetries: 1 });
    expect(error).toMatchObject({ kind: "network", attempts: 2, retried: true, status: undefined });
    expect(error!.message).toMatch(/could not reach the server \(2 attempts\): fetch failed/);
    expect(fake.requests).toHaveLength(2);
  });
});

describe("CohereRerank validates responses", () => {
  it.each([
    [{ kind: "malformed-json" } as Fault, /returned an invalid response: the body is not JSON/],
    [{ kind: "index-out-of-range" } as Fault, /returned an invalid response: the server returned index 5, outside the 5 documents sent \(0–4\)/],
    [{ kind: "duplicate-index" } as Fault, /returned an invalid response: the server returned index 2 more than once/],
    [{ kind: "missing-score" } as Fault, /returned an invalid response: result 0 has a missing relevance_score, not a number/],
  ])("%o: a clear error, not retried", async (fault, message) => {
    const { error } = await run([fault]);
    expect(error).toMatchObject({ kind: "invalid-response", attempts: 1, retried: false });
    expect(error!.message).toMatch(message);
    expect(fake.requests).toHaveLength(1);
  });

  it("one failing batch fails the whole call: no partial result, no document silently dropped", async () => {
    fake.fail({ status: 500 }, { status: 500 }, { status: 500 });
    const docs = makeDocs();
    const before = snapshot(docs);
    const error = await reranker({ batchSize: 2, maxConcurrency: 1, maxRetries: 2 })
      .compressDocuments(docs, QUERY)
      .catch((e) => e);
    expect(error).toMatchObject({ status: 500, attempts: 3 });
    expect(fake.requests).toHaveLength(3); // the first batch's attempts; later batches never sent
    expect(snapshot(docs)).toEqual(before);
  });
});

describe("CohereRerank never reveals the API key", () => {
  it("not in error messages (even when the server echoes it), logs, or JSON.stringify / inspect of the compressor or error", async () => {
    const logged: string[] = [];
    for (const method of ["log", "info", "warn", "error", "debug"] as const) {
      vi.spyOn(console, method).mockImplementation((...args: unknown[]) => void logged.push(args.map((a) => inspect(a)).join(" ")));
    }
    const write = (chunk: unknown) => (logged.push(String(chunk)), true);
    vi.spyOn(process.stdout, "write").mockImplementation(write);
    vi.spyOn(process.stderr, "write").mockImplementation(write);

    const errors: unknown[] = [];
    const echo = `invalid api token: ${KEY} (Authorization: Bearer ${KEY})`;
    for (const faults of [
      [{ status: 401, message: echo }],
      [
        { status: 500, message: echo },
        { status: 503, message: echo },
        { status: 500, message: echo },
      ],
      [{ kind: "reset" }, { kind: "reset" }, { kind: "reset" }],
      [{ kind: "malformed-json" }],
      [
        { kind: "slow", delayMs: 2_000 },
        { kind: "slow", delayMs: 2_000 },
        { kind: "slow", delayMs: 2_000 },
      ],
    ] as Fault[][]) {
      const { error } = await run(faults, { timeout: 300 });
      errors.push(error);
    }
    const withEnvKey = (() => {
      vi.stubEnv("COHERE_API_KEY", KEY);
      try {
        return new CohereRerank({ baseUrl: fake.url });
      } finally {
        vi.unstubAllEnvs();
      }
    })();
    const compressor = reranker();
    vi.restoreAllMocks();

    expect(errors.every((e) => e instanceof RemoteRerankError)).toBe(true);
    expect((errors[0] as RemoteRerankError).serverMessage).toBe("invalid api token: [redacted] (Authorization: Bearer [redacted])");
    const texts = [
      ...errors.flatMap((e) => [String(e), (e as Error).message, (e as Error).stack ?? "", JSON.stringify(e), inspect(e, { depth: 10 })]),
      JSON.stringify(compressor),
      inspect(compressor, { depth: 10 }),
      JSON.stringify(withEnvKey),
      inspect(withEnvKey, { depth: 10 }),
      JSON.stringify(Object.entries(compressor)),
      ...logged,
    ];
    for (const text of texts) expect(text).not.toContain(KEY);
    // The probe is real: the key did reach the server, and the stringified compressor does describe it.
    expect(fake.requests.some((r) => r.headers.authorization === `Bearer ${KEY}`)).toBe(true);
    expect(JSON.parse(JSON.stringify(compressor))).toMatchObject({ name: "CohereRerank", model: "rerank-v3.5", baseUrl: fake.url });
  });
});
