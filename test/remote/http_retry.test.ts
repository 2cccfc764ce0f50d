import { describe, expect, it } from "vitest";
import { postJson } from "../../src/remote/post_json.js";
import {
  AttemptFailure,
  isPermanentFetchError,
  isRetryableStatus,
  parseRetryAfter,
  RemoteRerankError,
  retryPolicyFrom,
  serverMessageOf,
  withRetries,
} from "../../src/remote/http_retry.js";

const fast = { maxRetries: 2, timeout: 1_000, backoffBaseMs: 1, maxBackoffMs: 50 };

/** A real postJson to `url` under the retry loop, which must fail: the attempts made and the final error. */
async function failedPost(url: string): Promise<{ calls: number; error: RemoteRerankError }> {
  let calls = 0;
  const error = await withRetries<unknown>(
    (signal) => {
      calls += 1;
      return postJson(url, {}, {}, signal);
    },
    { service: "svc", policy: fast, secrets: [] },
  ).then(
    () => expect.fail(`a post to ${url} must fail`),
    (e: unknown) => e as RemoteRerankError,
  );
  return { calls, error };
}

describe("retry helpers", () => {
  it("retries 408, 429 and 5xx only", () => {
    expect([400, 401, 403, 404, 408, 422, 429, 500, 503].filter(isRetryableStatus)).toEqual([408, 429, 500, 503]);
  });

  it("reads Retry-After as seconds or an HTTP date", () => {
    const now = Date.parse("2026-01-01T00:00:00Z");
    expect(parseRetryAfter("2", now)).toBe(2000);
    expect(parseRetryAfter("0.5", now)).toBe(500);
    expect(parseRetryAfter("Thu, 01 Jan 2026 00:00:03 GMT", now)).toBe(3000);
    expect(parseRetryAfter("soon", now)).toBeUndefined();
    expect(parseRetryAfter(null, now)).toBeUndefined();
  });

  it("finds the server's message in each dialect's error body", () => {
    expect(serverMessageOf({ message: "invalid api token" })).toBe("invalid api token");
    expect(serverMessageOf({ error: "Input validation error", error_type: "Validation" })).toBe("Input validation error");
    expect(serverMessageOf({ detail: [{ msg: "field required" }] })).toBe('[{"msg":"field required"}]');
    expect(serverMessageOf(42)).toBeUndefined();
  });

  it("checks the policy options by name", () => {
    expect(retryPolicyFrom("X", {})).toEqual({ timeout: 60_000, maxRetries: 2, backoffBaseMs: 1_000, maxBackoffMs: 60_000 });
    expect(() => retryPolicyFrom("X", { maxRetries: -1 })).toThrow(/X: `maxRetries` must be a non-negative integer/);
  });
});

describe("withRetries", () => {
  it("retries a retryable failure, then returns the success", async () => {
    let calls = 0;
    const result = await withRetries(
      async () => {
        calls += 1;
        if (calls < 3) throw new AttemptFailure("status", { status: 503 });
        return "ok";
      },
      { service: "svc", policy: fast, secrets: [] },
    );
    expect([result, calls]).toEqual(["ok", 3]);
  });

  it("does not retry a 401 and reports one attempt, without the key", async () => {
    let calls = 0;
    const error = await withRetries(
      async () => {
        calls += 1;
        throw new AttemptFailure("status", { status: 401, serverMessage: "invalid api token sk-secret-1" });
      },
      { service: "svc", policy: fast, secrets: ["sk-secret-1"] },
    ).catch((e: unknown) => e as RemoteRerankError);
    expect(calls).toBe(1);
    expect(error).toBeInstanceOf(RemoteRerankError);
    expect([error.status, error.attempts, error.retried, error.kind]).toEqual([401, 1, false, "status"]);
    expect(error.message).toContain("Not retried");
    expect(error.message).not.toContain("sk-secret-1");
  });

  it("gives up after maxRetries and says so; a Retry-After beyond maxBackoffMs is not waited for", async () => {
    const exhausted = await withRetries(async () => Promise.reject(new AttemptFailure("network", { reason: "ECONNRESET" })), {
      service: "svc",
      policy: fast,
      secrets: [],
    }).catch((e: unknown) => e as RemoteRerankError);
    expect([exhausted.attempts, exhausted.retried]).toEqual([3, true]);
    expect(exhausted.message).toContain("Gave up after maxRetries (2)");
    const tooLong = await withRetries(async () => Promise.reject(new AttemptFailure("status", { status: 429, retryAfterMs: 120_000 })), {
      service: "svc",
      policy: fast,
      secrets: [],
    }).catch((e: unknown) => e as RemoteRerankError);
    expect(tooLong.attempts).toBe(1);
    expect(tooLong.message).toMatch(/asked to wait 120 s \(Retry-After\), more than maxBackoffMs/);
  });

  it("times an attempt out and names the limit", async () => {
    const error = await withRetries<never>((signal) => new Promise((_, reject) => signal.addEventListener("abort", () => reject(signal.reason))), {
      service: "svc",
      policy: { ...fast, maxRetries: 0, timeout: 20 },
      secrets: [],
    }).catch((e: unknown) => e as RemoteRerankError);
    expect(error.kind).toBe("timeout");
    expect(error.message).toContain("no response within the 20 ms `timeout`");
  });

  it("rejects with the caller's abort reason, not a retry error", async () => {
    const controller = new AbortController();
    const running = withRetries(
      (signal) => new Promise((_, reject) => signal.addEventListener("abort", () => reject(new AttemptFailure("network")))),
      { service: "svc", policy: fast, signal: controller.signal, secrets: [] },
    );
    controller.abort(new Error("user cancelled"));
    await expect(running).rejects.toThrow("user cancelled");
  });

  it("does not retry what another attempt cannot fix: fetch refuses the port or scheme, or DNS has no such host", async () => {
    const fetchFailure = (message: string, code?: string) =>
      new TypeError("fetch failed", { cause: Object.assign(new Error(message), code ? { code } : {}) });
    expect(isPermanentFetchError(fetchFailure("bad port"))).toBe(true);
    expect(isPermanentFetchError(fetchFailure("unknown scheme"))).toBe(true);
    expect(isPermanentFetchError(fetchFailure("getaddrinfo ENOTFOUND x.invalid", "ENOTFOUND"))).toBe(true);
    expect(isPermanentFetchError(fetchFailure("certificate has expired", "CERT_HAS_EXPIRED"))).toBe(true);
    expect(isPermanentFetchError(fetchFailure("other side closed", "ECONNRESET"))).toBe(false);
    expect(isPermanentFetchError(fetchFailure("connect ECONNREFUSED 127.0.0.1:1", "ECONNREFUSED"))).toBe(false);
    expect(isPermanentFetchError(fetchFailure("getaddrinfo EAI_AGAIN x", "EAI_AGAIN"))).toBe(false);

    // A real fetch to port 9 ("discard"), which fetch blocks: one attempt, and the error says why it stopped.
    const { calls, error } = await failedPost("http://127.0.0.1:9/rerank");
    expect([calls, error.kind, error.attempts]).toEqual([1, "network", 1]);
    expect(error.message).toMatch(/could not reach the server \(1 attempt\): fetch failed \(bad port\)\. Not retried/);
  });

  it("does not retry a host DNS reports unknown: a real lookup of a .invalid name (RFC 6761)", async () => {
    const { calls, error } = await failedPost("http://rerank.invalid/rerank");
    expect(error.kind).toBe("network");
    if (error.message.includes("ENOTFOUND")) {
      // The answer on any machine with a resolver: no such host, which another attempt will not change.
      expect([calls, error.attempts]).toEqual([1, 1]);
      expect(error.message).toMatch(/ENOTFOUND rerank\.invalid\)\. Not retried/);
    } else {
      // No resolver answered (EAI_AGAIN): that can pass, so it is retried.
      expect(calls).toBe(fast.maxRetries + 1);
    }
  });
});
