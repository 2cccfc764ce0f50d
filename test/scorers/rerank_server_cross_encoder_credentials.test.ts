import { inspect } from "node:util";
import { describe, expect, it } from "vitest";
import { InvalidOptionError, RemoteRerankError, RerankServerCrossEncoder, type TextPair } from "../../src/index.js";
import { useFakeRerankServer } from "../support/fake_rerank_server.js";

// Credentials in a server scorer's `url` (a rerank server behind a proxy with basic auth) are sent as a Basic
// Authorization header, and appear nowhere else: not in `url`, toJSON, inspect, nor any error.

const fake = useFakeRerankServer();
const USER = "rerank-user";
const PASSWORD = "p@ss:w0rd-71c9";
const PAIRS: TextPair[] = [
  ["red apples", "green apples"],
  ["red apples", "blue sky"],
];

function withCredentials(path: string, user = USER, password = PASSWORD): string {
  const url = new URL(`${fake.url}${path}`);
  url.username = encodeURIComponent(user);
  url.password = encodeURIComponent(password);
  return url.href;
}

function shown(scorer: RerankServerCrossEncoder, error?: unknown): string[] {
  const texts = [scorer.url, JSON.stringify(scorer), inspect(scorer, { depth: 10, showHidden: true }), String(scorer)];
  if (error !== undefined) texts.push(String(error), JSON.stringify(error), inspect(error, { depth: 10, showHidden: true }));
  return texts;
}

const secretsIn = (texts: string[]) =>
  texts.filter((text) => text.includes(PASSWORD) || text.includes(encodeURIComponent(PASSWORD)) || text.includes(USER));

describe("RerankServerCrossEncoder with credentials in its url", () => {
  it("sends them as Basic auth (decoded, UTF-8) to the URL without them, and scores", async () => {
    const scorer = new RerankServerCrossEncoder({ url: withCredentials("/rerank"), dialect: "tei" });
    await expect(scorer.score(PAIRS)).resolves.toHaveLength(2);
    const request = fake.requests[0]!;
    expect(request.headers.authorization).toBe(`Basic ${Buffer.from(`${USER}:${PASSWORD}`).toString("base64")}`);
    expect(request.path).toBe("/rerank");
  });

  it("masks them in `url`, toJSON and inspect", () => {
    const scorer = new RerankServerCrossEncoder({ url: withCredentials("/v2/rerank"), model: "rerank-v3.5" });
    const masked = `${fake.url.replace("http://", "http://***:***@")}/v2/rerank`;
    expect(scorer.url).toBe(masked);
    expect(JSON.parse(JSON.stringify(scorer)).url).toBe(masked);
    expect(secretsIn(shown(scorer))).toEqual([]);
  });

  it("keeps them out of every error: HTTP status (echoed by the server), invalid body, network failure", async () => {
    const scorer = new RerankServerCrossEncoder({ url: withCredentials("/rerank"), dialect: "tei", maxRetries: 0, timeout: 2_000 });
    fake.fail({ status: 401, message: `bad credentials for ${USER}:${PASSWORD}` });
    const status = await scorer.score(PAIRS).catch((e: unknown) => e);
    expect(status).toBeInstanceOf(RemoteRerankError);
    expect((status as RemoteRerankError).serverMessage).toBe("bad credentials for [redacted]:[redacted]");
    fake.fail({ kind: "malformed-json" });
    const invalid = await scorer.score(PAIRS).catch((e: unknown) => e);
    expect(invalid).toBeInstanceOf(RemoteRerankError);
    const unreachable = new RerankServerCrossEncoder({ url: `http://${USER}:${encodeURIComponent(PASSWORD)}@127.0.0.1:9/rerank`, maxRetries: 0 });
    const network = await unreachable.score(PAIRS).catch((e: unknown) => e);
    expect((network as RemoteRerankError).kind).toBe("network");
    for (const [s, e] of [
      [scorer, status],
      [scorer, invalid],
      [unreachable, network],
    ] as const) {
      expect(secretsIn(shown(s, e))).toEqual([]);
    }
  });

  it("redacts a short user and password (under 4 characters) that the server echoes", async () => {
    fake.fail({ status: 401, message: "bad credentials for user bob with password pw1" });
    const scorer = new RerankServerCrossEncoder({ url: withCredentials("/rerank", "bob", "pw1"), maxRetries: 0 });
    const error = await scorer.score(PAIRS).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(RemoteRerankError);
    expect((error as Error).message).toContain("bad credentials for user [redacted] with password [redacted]");
    expect(shown(scorer, error).filter((text) => /\bpw1\b|\bbob\b/.test(text))).toEqual([]);
  });

  it("masks credentials in the message of a url that does not parse", () => {
    const error = (() => {
      try {
        return new RerankServerCrossEncoder({ url: `http://${USER}:${PASSWORD} x@exa mple/rerank` });
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(InvalidOptionError);
    expect(String(error)).toContain('"http://***@exa mple/rerank"');
    expect(secretsIn([String(error)])).toEqual([]);
  });

  it("masks secret-looking query values (?api_key=, ?token=) in `url` and still sends them", async () => {
    const scorer = new RerankServerCrossEncoder({ url: `${fake.url}/rerank?api_key=${PASSWORD}&region=eu`, dialect: "tei" });
    expect(scorer.url).toBe(`${fake.url}/rerank?api_key=***&region=eu`);
    expect(secretsIn(shown(scorer))).toEqual([]);
    await expect(scorer.score(PAIRS)).resolves.toHaveLength(2);
  });

  it("rejects an apiKey together with credentials in the url (one Authorization header)", () => {
    expect(() => new RerankServerCrossEncoder({ url: withCredentials("/rerank"), apiKey: "k-123456" })).toThrow(
      /either `apiKey` .* or credentials in `url`/,
    );
  });
});

describe("RerankServerCrossEncoder.score on pairs that are not what the types say", () => {
  it("answers InvalidOptionError, as the local scorer does", async () => {
    const scorer = new RerankServerCrossEncoder({ url: `${fake.url}/rerank`, dialect: "tei" });
    await expect(scorer.score(null as never)).rejects.toThrow(InvalidOptionError);
    await expect(scorer.score([["q", 1]] as never)).rejects.toThrow(/\[query, text\] pairs of strings; pair 0 is not one/);
    await expect(scorer.score([["q", "text", "extra"]] as never)).rejects.toThrow(/pair 0 is not one/);
    await expect(scorer.score([[" ", "text"]])).rejects.toThrow(/pair 0 has an empty query/);
    expect(fake.requests).toHaveLength(0);
  });
});

describe("a redirect to another origin", () => {
  // One raw server seen under two origins: 127.0.0.1 redirects (307) to localhost, which answers as an
  // authenticating server does when no Authorization header arrives.
  async function redirectingServer(): Promise<{ url: string; seen: (string | undefined)[]; close: () => Promise<void> }> {
    const { createServer } = await import("node:http");
    const seen: (string | undefined)[] = [];
    const server = createServer((request, response) => {
      request.resume();
      request.on("end", () => {
        seen.push(request.headers.authorization);
        const port = (server.address() as { port: number }).port;
        if (request.headers.host?.startsWith("127.0.0.1")) {
          response.writeHead(307, { location: `http://localhost:${port}/elsewhere/rerank` }).end();
        } else {
          response.writeHead(request.headers.authorization ? 200 : 401, { "content-type": "application/json" });
          response.end(JSON.stringify(request.headers.authorization ? { results: [] } : { message: "missing credentials" }));
        }
      });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const port = (server.address() as { port: number }).port;
    return { url: `http://127.0.0.1:${port}/rerank`, seen, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
  }

  it("does not carry the key there, and the 401 says the redirect dropped it instead of blaming the key", async () => {
    const server = await redirectingServer();
    try {
      const key = "redirect-secret-4411";
      const scorer = new RerankServerCrossEncoder({ url: server.url, apiKey: key, maxRetries: 0 });
      const error = await scorer.score(PAIRS).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(RemoteRerankError);
      expect(server.seen).toEqual([`Bearer ${key}`, undefined]);
      expect((error as RemoteRerankError).status).toBe(401);
      const port = new URL(server.url).port;
      expect(String(error)).toContain(
        `The request was redirected to http://localhost:${port}, and fetch does not send the Authorization header to another origin: use the URL it redirects to as the base URL / url.`,
      );
      expect(String(error)).not.toContain("Check the API key");
      expect(String(error)).not.toContain(key);
    } finally {
      await server.close();
    }
  });
});

describe("RerankServerCrossEncoder.cacheKey and the query string", () => {
  const keyOf = (url: string) => new RerankServerCrossEncoder({ url }).cacheKey;
  it("keeps parameters that can change scores, masks credentials, so two keys for one endpoint share scores", () => {
    const base = "http://127.0.0.1:9/rerank";
    expect(keyOf(`${base}?api-version=2024-05-01`)).not.toBe(keyOf(`${base}?api-version=2025-01-01`));
    expect(keyOf(`${base}?api-version=1&code=AzFnKey-1111`)).toBe(keyOf(`${base}?api-version=1&code=AzFnKey-2222`));
    expect(keyOf(`${base}?api-version=1&code=AzFnKey-1111`)).toContain('"url":"http://127.0.0.1:9/rerank?api-version=1&code=***"');
    expect(keyOf(`${base}?sig=Sas%2B1`)).not.toMatch(/Sas/);
  });
});
