import { describe, expect, it } from "vitest";
import { InvalidOptionError } from "../../../src/errors.js";
import { createReranker, parseRerankerSpec } from "../../../src/eval/cli/rerankers.js";

describe("createReranker", () => {
  it("names a server:URL configuration by its masked url: reports, JSON and charts never show credentials or keys", async () => {
    const reranker = await createReranker("server:http://bob:hunter2-secret@127.0.0.1:9/rerank?api_key=QKEY-123&v=1", { depth: 10 });
    expect(reranker.name).toBe("server:http://***:***@127.0.0.1:9/rerank?api_key=***&v=1");
    expect(reranker.name).not.toMatch(/hunter2|QKEY|bob/);
    expect((await createReranker("server:http://127.0.0.1:9/rerank", { depth: 10 })).name).toBe("server:http://127.0.0.1:9/rerank");
    expect((await createReranker("server", { depth: 10, serverUrl: "http://u:p4ss@127.0.0.1:9/rerank" })).name).toBe("server:cohere");
  });
});

describe("parseRerankerSpec", () => {
  it("masks URL credentials in the message of a mistyped spec", () => {
    expect(() => parseRerankerSpec("sever:http://bob:hunter2-secret@127.0.0.1:9/rerank")).toThrow(
      new InvalidOptionError(
        'Unknown reranker "sever:http://***@127.0.0.1:9/rerank": expected one of none, cross-encoder, cohere, server (optionally kind:MODEL).',
      ),
    );
  });
});
