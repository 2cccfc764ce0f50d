import { inspect } from "node:util";
import { Document } from "@langchain/core/documents";
import { CohereClientV2 } from "cohere-ai";
import { afterEach, describe, expect, it, vi } from "vitest";
import { CohereRerank } from "../../src/compressors/cohere_rerank.js";
import { InvalidOptionError } from "../../src/errors.js";
import { RemoteRerankError } from "../../src/remote/http_retry.js";
import { useFakeRerankServer } from "../support/fake_rerank_server.js";

// Hostile servers and nosy inspection: whatever a server sends back, and however the compressor is looked at,
// the key never shows, nothing is logged, and the failure is a RemoteRerankError.

const KEY = "co-secret-9f3b77aa";
const fake = useFakeRerankServer({ apiKey: KEY });
const QUERY = "cats and dogs";
const TEXTS = ["dogs bark", "cats purr", "cats and dogs live together"];
const FULL = { showHidden: true, getters: true, depth: Infinity, showProxy: true } as const;

function captureOutput(): string[] {
  const logged: string[] = [];
  for (const method of ["log", "info", "warn", "error", "debug", "trace"] as const) {
    vi.spyOn(console, method).mockImplementation((...args: unknown[]) => void logged.push(args.map((a) => inspect(a)).join(" ")));
  }
  const write = (chunk: unknown) => (logged.push(String(chunk)), true);
  vi.spyOn(process.stdout, "write").mockImplementation(write);
  vi.spyOn(process.stderr, "write").mockImplementation(write);
  return logged;
}
afterEach(() => vi.restoreAllMocks());

/** What `fn` threw; fails the test when it throws nothing (assertions inside a catch would pass then). */
function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  expect.fail("expected a throw, but nothing was thrown");
}

function everyView(value: unknown): string[] {
  return [String(value), JSON.stringify(value) ?? "", inspect(value, FULL), (value as Error)?.stack ?? "", (value as Error)?.message ?? ""];
}

// 200 answers that are not the rerank shape, some of them carrying the key back (a server may fill any field).
const HOSTILE_BODIES: unknown[] = [
  `a JSON string with the key ${KEY}`,
  { results: [{ index: 0, relevance_score: KEY }] },
  { results: [{ index: KEY, relevance_score: 0.5 }] },
  { results: KEY },
  {
    results: [
      { index: 0, relevance_score: 0.9 },
      { index: 1, relevance_score: 0.5 },
      { index: 2, relevance_score: 0.1 },
    ],
    meta: { echo: KEY },
    id: 7,
  },
  [KEY],
  null,
];

describe("CohereRerank against hostile 200 responses", () => {
  for (const [label, client] of [
    ["over HTTP", false],
    ["through a prebuilt cohere-ai client", true],
  ] as const) {
    it(`${label}: a RemoteRerankError or a valid result, never the key, never a log line`, async () => {
      const logged = captureOutput();
      const outcomes: unknown[] = [];
      for (const json of HOSTILE_BODIES) {
        fake.fail({ kind: "body", json });
        const reranker = client
          ? new CohereRerank({ client: new CohereClientV2({ token: KEY, baseUrl: fake.url }), apiKey: KEY, maxRetries: 0 })
          : new CohereRerank({ apiKey: KEY, baseUrl: fake.url, maxRetries: 0 });
        try {
          outcomes.push(
            await reranker.compressDocuments(
              TEXTS.map((t) => new Document({ pageContent: t })),
              QUERY,
            ),
          );
        } catch (error) {
          outcomes.push(error);
          expect(error).toBeInstanceOf(RemoteRerankError);
          expect(error).toMatchObject({ kind: "invalid-response", attempts: 1 });
        }
      }
      vi.restoreAllMocks();
      // The extra fields of the fifth body are ignored: it is a valid answer.
      expect(outcomes.filter((o) => Array.isArray(o))).toHaveLength(1);
      for (const outcome of outcomes) for (const text of everyView(outcome)) expect(text).not.toContain(KEY);
      if (client) {
        // cohere-ai itself console.warns a response that fails its validation (it hard-codes skipValidation), and
        // a client the user built is the user's: documented. Our own errors hold nothing of it (checked above).
        expect(logged.join("\n")).toMatch(/Failed to validate/);
      } else {
        expect(logged).toEqual([]);
      }
    });
  }
});

describe("CohereRerank under inspection", () => {
  it("util.inspect with every option shows neither the key nor a client holding it, with or without a client", () => {
    const own = new CohereRerank({ apiKey: KEY, baseUrl: fake.url });
    const withClient = new CohereRerank({ client: new CohereClientV2({ token: KEY, baseUrl: fake.url }) });
    for (const reranker of [own, withClient]) {
      for (const text of [inspect(reranker, FULL), JSON.stringify(reranker), JSON.stringify(Object.entries(reranker)), ...Object.keys(reranker)]) {
        expect(text).not.toContain(KEY);
      }
    }
    // The client is reachable on purpose, as on @langchain/cohere's class, through an accessor only.
    expect(withClient.client).toBeInstanceOf(CohereClientV2);
    expect(own.client).toBeUndefined();
  });

  it("credentials in baseUrl are refused without being echoed; they never reach a public field", () => {
    const error = thrown(() => new CohereRerank({ apiKey: KEY, baseUrl: "https://alice:hunter2-pass@proxy.example.com/cohere" }));
    expect(error).toBeInstanceOf(InvalidOptionError);
    expect((error as Error).message).toMatch(/baseUrl` contains credentials \(user:password@proxy\.example\.com\)/);
    for (const text of everyView(error)) expect(text).not.toMatch(/hunter2|alice/);
    for (const baseUrl of ["alice:hunter2-pass@proxy", "ftp://alice:hunter2-pass@proxy"]) {
      const refused = thrown(() => new CohereRerank({ apiKey: KEY, baseUrl }));
      expect(refused).toBeInstanceOf(InvalidOptionError);
      expect((refused as Error).message).toMatch(/must be an http\(s\) URL/);
      for (const text of everyView(refused)) expect(text).not.toMatch(/hunter2/);
    }
  });
});

describe("CohereRerank for @langchain/cohere users", () => {
  it("client is settable: requests then go through the new client", async () => {
    const reranker = new CohereRerank({ apiKey: "unused-key", baseUrl: fake.url });
    reranker.client = new CohereClientV2({ token: KEY, baseUrl: fake.url });
    await reranker.rerank(TEXTS, QUERY);
    expect(fake.requests.at(-1)!.headers.authorization).toBe(`Bearer ${KEY}`);
    expect(() => {
      reranker.client = {} as never;
    }).toThrow(InvalidOptionError);
  });

  it("errors carry the HTTP status under cohere-ai's name too (statusCode)", async () => {
    fake.fail({ status: 404, message: "model not found" });
    const error = await new CohereRerank({ apiKey: KEY, baseUrl: fake.url }).rerank(TEXTS, QUERY).catch((e: unknown) => e);
    expect(error).toMatchObject({ status: 404, statusCode: 404 });
  });

  it("speaks Cohere's HTTP API itself: the default path needs no cohere-ai", async () => {
    const { readFileSync } = await import("node:fs");
    const source = readFileSync(new URL("../../src/compressors/cohere_rerank.ts", import.meta.url), "utf8");
    expect(source).not.toMatch(/from "cohere-ai"|import\("cohere-ai"\)/);
    await new CohereRerank({ apiKey: KEY, baseUrl: fake.url }).rerank(TEXTS, QUERY);
    expect(fake.requests.at(-1)).toMatchObject({ path: "/v2/rerank", body: { model: "rerank-v3.5", query: QUERY, documents: TEXTS, top_n: 3 } });
  });
});
