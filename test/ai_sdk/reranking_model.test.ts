import { inspect } from "node:util";
import { rerank } from "ai";
import { describe, expect, it } from "vitest";
import { AI_SDK_PROVIDER, CrossEncoderRerankingModel, crossEncoderReranking } from "../../src/ai_sdk.js";
import {
  type CrossEncoder,
  type CrossEncoderCallOptions,
  InvalidOptionError,
  RemoteRerankError,
  RerankError,
  RerankServerCrossEncoder,
  type TextPair,
} from "../../src/index.js";
import { useFakeRerankServer } from "../support/fake_rerank_server.js";

(globalThis as { AI_SDK_LOG_WARNINGS?: boolean }).AI_SDK_LOG_WARNINGS = false;

/** Scores by text length and records what it was called with. */
function recording(): CrossEncoder & { calls: { pairs: readonly TextPair[]; options: CrossEncoderCallOptions | undefined }[] } {
  const calls: { pairs: readonly TextPair[]; options: CrossEncoderCallOptions | undefined }[] = [];
  return {
    calls,
    score: async (pairs, options) => {
      calls.push({ pairs, options });
      return pairs.map(([, text]) => text.length);
    },
  };
}

const text = (values: string[]) => ({ type: "text" as const, values });

describe("CrossEncoderRerankingModel", () => {
  it("is a RerankingModelV3 named after its scorer, or the modelId given", () => {
    const model = new CrossEncoderRerankingModel({ model: recording() });
    expect([model.specificationVersion, model.provider, model.modelId]).toEqual(["v3", AI_SDK_PROVIDER, "cross-encoder"]);
    const server = new RerankServerCrossEncoder({ url: "http://127.0.0.1:9/rerank", dialect: "tei" });
    expect(crossEncoderReranking(server).modelId).toBe(server.modelName);
    expect(crossEncoderReranking(server, { modelId: "tei-bge" }).modelId).toBe("tei-bge");
  });

  it("reads object documents as JSON.stringify, as the AI SDK's Cohere provider, with its compatibility warning", async () => {
    const scorer = recording();
    const documents = [
      { title: "A", body: "apples" },
      { title: "B", tags: ["x", "y"], n: 1 },
    ];
    const result = await rerank({ model: crossEncoderReranking(scorer), documents, query: "q" });
    expect(scorer.calls[0]!.pairs).toEqual(documents.map((d) => ["q", JSON.stringify(d)]));
    expect(result.rerankedDocuments).toEqual([documents[1], documents[0]]); // the objects themselves come back
    const direct = await new CrossEncoderRerankingModel({ model: scorer }).doRerank({ documents: { type: "object", values: documents }, query: "q" });
    expect(direct.warnings).toEqual([{ type: "compatibility", feature: "object documents", details: "Object documents are converted to strings." }]);
  });

  it("reads object documents through documentText when given, and refuses one that does not give a string", async () => {
    const scorer = recording();
    const model = crossEncoderReranking(scorer, { documentText: (d, i) => `${i}: ${String(d.body)}` });
    await rerank({ model, documents: [{ body: "pears" }], query: "q" });
    expect(scorer.calls[0]!.pairs).toEqual([["q", "0: pears"]]);
    expect((await model.doRerank({ documents: { type: "object", values: [{ body: "x" }] }, query: "q" })).warnings).toEqual([]); // chosen, not a fallback
    const bad = crossEncoderReranking(scorer, { documentText: () => 7 as never });
    await expect(bad.doRerank({ documents: { type: "object", values: [{}] }, query: "q" })).rejects.toThrow(
      new InvalidOptionError("CrossEncoderRerankingModel: object document 0 gave number from documentText; it must give a string."),
    );
  });

  it("refuses a missing scorer, bad options, a blank query, a bad topN and malformed documents with InvalidOptionError", async () => {
    expect(() => new CrossEncoderRerankingModel({} as never)).toThrow(InvalidOptionError);
    expect(() => new CrossEncoderRerankingModel({ model: recording(), modelId: "" })).toThrow(/`modelId` must be a non-empty string/);
    expect(() => new CrossEncoderRerankingModel({ model: recording(), documentText: "x" as never })).toThrow(InvalidOptionError);
    const model = new CrossEncoderRerankingModel({ model: recording() });
    const cases: [Parameters<typeof model.doRerank>[0], RegExp][] = [
      [{ documents: text(["a"]), query: " " }, /the query is empty/],
      [{ documents: text(["a"]), query: "q", topN: 0 }, /`topN` must be a positive integer/],
      [{ documents: text(["a", 3 as never]), query: "q" }, /document 1 is not a string/],
      [
        { documents: { type: "object", values: [{}, "b" as never] }, query: "q" },
        /document 1 is not an object; rerank\(\) takes all strings or all objects/,
      ],
      [{ documents: { type: "html", values: [] } as never, query: "q" }, /documents.type must be "text" or "object"/],
      [{ documents: undefined as never, query: "q" }, /documents must be \{ type/],
    ];
    for (const [options, message] of cases) {
      const error = await model.doRerank(options).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(InvalidOptionError);
      expect(String(error)).toMatch(message);
    }
  });

  it("a scorer's failure reaches rerank() as this package's error, not retried, not wrapped", async () => {
    let calls = 0;
    const short: CrossEncoder = { score: async () => (calls++, [1]) };
    const error = await rerank({ model: crossEncoderReranking(short), documents: ["a", "b"], query: "q" }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RerankError);
    expect(String(error)).toContain("CrossEncoderRerankingModel: the cross-encoder returned 1 scores for 2 documents.");
    expect(calls).toBe(1);
  });

  it("warns that per-call headers are not sent (a scorer's headers are set when it is made)", async () => {
    const result = await new CrossEncoderRerankingModel({ model: recording() }).doRerank({
      documents: text(["a"]),
      query: "q",
      headers: { "x-a": "1" },
    });
    expect(result.warnings).toEqual([
      { type: "unsupported", feature: "headers", details: "Per-call headers are not sent; give them to the scorer when you make it." },
    ]);
    expect((await new CrossEncoderRerankingModel({ model: recording() }).doRerank({ documents: text(["a"]), query: "q" })).warnings).toEqual([]);
  });
});

describe("CrossEncoderRerankingModel and secrets", () => {
  const KEY = "sk-live-ai-sdk-secret-7731";
  const fake = useFakeRerankServer({ apiKey: "the-right-key" });

  it("a server scorer's wrong key: a RemoteRerankError naming the 401, the key nowhere in it, the model or its serialisation", async () => {
    const scorer = new RerankServerCrossEncoder({ url: `${fake.url}/rerank`, dialect: "tei", apiKey: KEY, maxRetries: 0 });
    const model = crossEncoderReranking(scorer);
    const error = await rerank({ model, documents: ["a", "b"], query: "q", maxRetries: 0 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RemoteRerankError);
    expect((error as RemoteRerankError).status).toBe(401);
    const surfaces = [
      String(error),
      JSON.stringify(error),
      inspect(error, { depth: 8 }),
      String((error as Error).stack),
      JSON.stringify(model),
      inspect(model, { depth: 8, showHidden: true }),
      model.modelId,
    ];
    for (const surface of surfaces) {
      expect(surface).not.toContain(KEY);
      expect(surface).not.toContain(Buffer.from(KEY).toString("base64"));
    }
    expect(fake.requests[0]!.headers.authorization).toBe(`Bearer ${KEY}`); // it was sent, only to the server
  });
});
