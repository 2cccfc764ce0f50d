import { describe, expect, it } from "vitest";
import { useFakeRerankServer, overlapScore, rawScore, sigmoid } from "../support/fake_rerank_server.js";

// The fake is only useful if it rejects what the real APIs reject and answers in their shapes; these tests pin
// that down with plain HTTP, independent of our clients.

const KEY = "fake-fidelity-key";
const fake = useFakeRerankServer({ apiKey: KEY });

async function post(path: string, body: unknown, key: string | null = KEY): Promise<{ status: number; json: unknown }> {
  const response = await fetch(`${fake.url}${path}`, {
    method: "POST",
    headers: { "content-type": "application/json", ...(key ? { authorization: `Bearer ${key}` } : {}) },
    body: JSON.stringify(body),
  });
  return { status: response.status, json: await response.json() };
}

const DOCS = ["red apples", "green apples and red cherries", "blue sky"];

describe("fake Cohere /v2/rerank", () => {
  it("answers {id, results sorted by score, meta.billed_units}, capping top_n at the document count", async () => {
    const { status, json } = await post("/v2/rerank", { model: "rerank-v3.5", query: "red apples", documents: DOCS, top_n: 10 });
    expect(status).toBe(200);
    expect(json).toEqual({
      id: expect.any(String),
      results: [
        { index: 0, relevance_score: 1 },
        { index: 1, relevance_score: 1 },
        { index: 2, relevance_score: 0 },
      ],
      meta: { api_version: { version: "2" }, billed_units: { search_units: 1 } },
    });
  });

  it("serves the model of docs/cohere-and-servers.md's vLLM example, so it runs here as written", async () => {
    const { status, json } = await post("/v2/rerank", { model: "BAAI/bge-reranker-v2-m3", query: "red apples", documents: DOCS });
    expect(status).toBe(200);
    expect((json as { results: unknown[] }).results).toHaveLength(3);
  });

  it("accepts null for optional fields, as the SDK sends them", async () => {
    const { status, json } = await post("/v2/rerank", {
      model: "rerank-v3.5",
      query: "blue",
      documents: DOCS,
      top_n: null,
      max_tokens_per_doc: null,
      priority: null,
    });
    expect(status).toBe(200);
    expect((json as { results: unknown[] }).results).toHaveLength(3);
  });

  it("truncates documents to max_tokens_per_doc", async () => {
    const { json } = await post("/v2/rerank", { model: "rerank-v3.5", query: "cherries", documents: DOCS, top_n: 1, max_tokens_per_doc: 2 });
    expect((json as { results: unknown[] }).results).toEqual([{ index: 0, relevance_score: 0 }]);
  });

  it.each([
    [{ model: "rerank-v3.5", query: "q", documents: [] }, 400, "invalid request: list of documents must not be empty"],
    [{ model: "rerank-v3.5", query: "", documents: DOCS }, 400, "invalid request: query must not be empty"],
    [
      { model: "rerank-v3.5", query: "q", documents: DOCS, top_n: 0 },
      400,
      "invalid request: top_n must be an integer between 1 and 9007199254740991",
    ],
    [{ model: "rerank-v3.5", query: "q", documents: DOCS, priority: 1000 }, 400, "invalid request: priority must be an integer between 0 and 999"],
    [{ query: "q", documents: DOCS }, 400, "invalid request: model must be specified"],
    [
      { model: "rerank-v3.5", query: "q", documents: DOCS, return_documents: false },
      422,
      "invalid request: unknown field: parameter return_documents is not a valid field",
    ],
    [{ model: "rerank-english-v2.0", query: "q", documents: DOCS }, 404, expect.stringMatching(/^model 'rerank-english-v2.0' not found/)],
  ])("rejects %o with %i", async (body, status, message) => {
    const response = await post("/v2/rerank", body);
    expect(response).toEqual({ status, json: { id: expect.any(String), message } });
  });

  it("401 without a key or with a wrong one", async () => {
    expect(await post("/v2/rerank", { model: "rerank-v3.5", query: "q", documents: DOCS }, null)).toMatchObject({
      status: 401,
      json: { message: "no api key supplied" },
    });
    expect(await post("/v2/rerank", { model: "rerank-v3.5", query: "q", documents: DOCS }, "nope")).toMatchObject({
      status: 401,
      json: { message: "invalid api token" },
    });
  });

  it("bills one search unit per 100 documents", async () => {
    const { json } = await post("/v2/rerank", { model: "rerank-v3.5", query: "q", documents: Array.from({ length: 250 }, (_, i) => `d${i}`) });
    expect((json as { meta: unknown }).meta).toEqual({ api_version: { version: "2" }, billed_units: { search_units: 3 } });
  });
});

describe("fake Cohere /v1/rerank", () => {
  it("takes {text} documents, max_chunks_per_doc and return_documents", async () => {
    const { status, json } = await post("/v1/rerank", {
      query: "blue sky",
      documents: [{ text: "blue sky" }, "grey"],
      return_documents: true,
      max_chunks_per_doc: 3,
      rank_fields: null,
    });
    expect(status).toBe(200);
    expect((json as { results: unknown[] }).results).toEqual([
      { index: 0, relevance_score: 1, document: { text: "blue sky" } },
      { index: 1, relevance_score: 0, document: { text: "grey" } },
    ]);
  });

  it("rejects v2-only fields with 422", async () => {
    expect((await post("/v1/rerank", { query: "q", documents: DOCS, max_tokens_per_doc: 5 })).status).toBe(422);
  });
});

describe("fake TEI /rerank", () => {
  it("answers a bare array sorted by score, sigmoid by default and logits with raw_scores", async () => {
    const sig = await post("/rerank", { query: "red apples", texts: DOCS });
    expect(sig).toEqual({
      status: 200,
      json: [
        { index: 0, score: sigmoid(rawScore(1)) },
        { index: 1, score: sigmoid(rawScore(1)) },
        { index: 2, score: sigmoid(rawScore(0)) },
      ],
    });
    const raw = await post("/rerank", { query: "red apples", texts: DOCS, raw_scores: true, truncate: true, return_text: false });
    expect((raw.json as Array<{ score: number }>).map((r) => r.score)).toEqual([5, 5, -5]);
  });

  it("422 over the client batch limit (32) and for unknown fields, 400 for empty texts, in TEI's error shape", async () => {
    const texts = Array.from({ length: 33 }, (_, i) => `t${i}`);
    expect(await post("/rerank", { query: "q", texts })).toEqual({
      status: 422,
      json: { error: "batch size 33 > maximum allowed batch size 32", error_type: "Validation" },
    });
    expect((await post("/rerank", { query: "q", documents: DOCS })).status).toBe(422);
    expect((await post("/rerank", { query: "q", texts: [] })).status).toBe(400);
  });
});

describe("fake Voyage and Infinity", () => {
  it("Voyage: top_k and a data array", async () => {
    const { json } = await post("/voyage/v1/rerank", { model: "rerank-2.5", query: "blue sky", documents: DOCS, top_k: 1 });
    expect(json).toMatchObject({ object: "list", data: [{ index: 2, relevance_score: overlapScore("blue sky", DOCS[2]!) }] });
    expect((await post("/voyage/v1/rerank", { model: "rerank-2.5", query: "q", documents: DOCS, top_n: 1 })).status).toBe(422);
  });

  it("Infinity: results with raw_scores on request", async () => {
    const { json } = await post("/infinity/rerank", { query: "blue sky", documents: DOCS, raw_scores: true, top_n: 1 });
    expect(json).toMatchObject({ object: "rerank", results: [{ index: 2, relevance_score: 5 }] });
  });
});
