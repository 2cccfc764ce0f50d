import { CohereRerank as LangChainCohereRerank } from "@langchain/cohere";
import { ContextualCompressionRetriever } from "@langchain/classic/retrievers/contextual_compression";
import { BaseCallbackHandler } from "@langchain/core/callbacks/base";
import { Document, type DocumentInterface } from "@langchain/core/documents";
import { BaseRetriever } from "@langchain/core/retrievers";
import { CohereClient, CohereClientV2 } from "cohere-ai";
import { afterEach, describe, expect, it, vi } from "vitest";
import { DocumentCompressorPipeline } from "@langchain/classic/retrievers/document_compressors";
import { CohereRerank } from "../../src/compressors/cohere_rerank.js";
import { RelevanceThresholdFilter } from "../../src/compressors/relevance_threshold_filter.js";
import { InvalidOptionError, RerankError } from "../../src/errors.js";
import { useFakeRerankServer, overlapScore } from "../support/fake_rerank_server.js";

const KEY = "co-test-key-7f3a9b";
const fake = useFakeRerankServer({ apiKey: KEY });
afterEach(() => {
  vi.unstubAllEnvs();
});

const QUERY = "capital of the united states";
const TEXTS = [
  "Carson City is the capital city of the American state of Nevada.",
  "The Commonwealth of the Northern Mariana Islands is a group of islands in the Pacific Ocean. Its capital is Saipan.",
  "Washington, D.C. is the capital of the United States. It is a federal district.",
  "Capital punishment has existed in the United States since before it was a country.",
  "Bananas are yellow.",
];

function makeDocs(): Document[] {
  return TEXTS.map((text, i) => new Document({ pageContent: text, metadata: { source: `doc-${i}`, nested: { n: i } }, id: `id-${i}` }));
}

/** What the caller's documents looked like, to prove nothing touched them. */
function snapshot(docs: DocumentInterface[]): unknown {
  return structuredClone(docs.map((d) => ({ pageContent: d.pageContent, metadata: d.metadata, id: d.id })));
}

/** The expected order by the fake's score, ties in input order. */
function expectedOrder(query: string, texts: readonly string[]): Array<{ index: number; relevanceScore: number }> {
  return texts
    .map((t, index) => ({ index, relevanceScore: overlapScore(query, t) }))
    .sort((a, b) => b.relevanceScore - a.relevanceScore || a.index - b.index);
}

const reranker = (fields: ConstructorParameters<typeof CohereRerank>[0] = {}) =>
  new CohereRerank({ apiKey: KEY, baseUrl: fake.url, backoffBaseMs: 1, ...fields });

describe("CohereRerank defaults and request", () => {
  it("calls /v2/rerank with model rerank-v3.5 and top_n 3 through the cohere-ai SDK, and returns the top 3", async () => {
    const docs = makeDocs();
    const out = await reranker().compressDocuments(docs, QUERY);
    expect(fake.requests).toHaveLength(1);
    const req = fake.requests[0]!;
    expect(req.path).toBe("/v2/rerank");
    expect(req.body).toEqual({ model: "rerank-v3.5", query: QUERY, documents: TEXTS, top_n: 3 });
    expect(req.headers.authorization).toBe(`Bearer ${KEY}`);
    expect(req.headers["x-client-name"]).toBe("langchain-rerank");
    const expected = expectedOrder(QUERY, TEXTS).slice(0, 3);
    expect(out.map((d) => d.pageContent)).toEqual(expected.map((e) => TEXTS[e.index]));
    expect(out.map((d) => d.metadata.relevanceScore)).toEqual(expected.map((e) => e.relevanceScore));
  });

  it("sends maxTokensPerDoc and priority on v2, and the model and topN given", async () => {
    await reranker({ model: "rerank-english-v3.0", topN: 2, maxTokensPerDoc: 3, priority: 7 }).rerank(TEXTS, QUERY);
    expect(fake.requests[0]!.body).toEqual({
      model: "rerank-english-v3.0",
      query: QUERY,
      documents: TEXTS,
      top_n: 2,
      max_tokens_per_doc: 3,
      priority: 7,
    });
  });

  it("caps top_n at the batch's document count (some Cohere-compatible servers reject more)", async () => {
    const out = await reranker({ topN: 10 }).rerank(TEXTS.slice(0, 2), QUERY);
    expect((fake.requests[0]!.body as { top_n: number }).top_n).toBe(2);
    expect(out).toHaveLength(2);
  });

  it("returns new documents with score and first-stage rank, other metadata and ids kept, the caller's untouched", async () => {
    const docs = makeDocs();
    const before = snapshot(docs);
    const out = await reranker({ topN: 5 }).compressDocuments(docs, QUERY);
    expect(snapshot(docs)).toEqual(before);
    for (const d of out) expect(docs).not.toContain(d);
    const top = out[0]!;
    const topIndex = expectedOrder(QUERY, TEXTS)[0]!.index;
    expect(top.id).toBe(`id-${topIndex}`);
    expect(top.metadata).toEqual({
      source: `doc-${topIndex}`,
      nested: { n: topIndex },
      relevanceScore: overlapScore(QUERY, TEXTS[topIndex]!),
      retrievalRank: topIndex + 1,
      stageScores: [{ reranker: "CohereRerank(rerank-v3.5)", score: overlapScore(QUERY, TEXTS[topIndex]!), rank: 1 }],
    });
    expect(out.map((d) => d.metadata.retrievalRank)).toEqual(expectedOrder(QUERY, TEXTS).map((e) => e.index + 1));
  });

  it("uses scoreKey and rankKey when given", async () => {
    const out = await reranker({ topN: 1, scoreKey: "cohereScore", rankKey: "bm25Rank" }).compressDocuments(makeDocs(), QUERY);
    expect(Object.keys(out[0]!.metadata).sort()).toEqual(["bm25Rank", "cohereScore", "nested", "source", "stageScores"]);
  });

  it("returns [] for no documents without sending a request", async () => {
    expect(await reranker().compressDocuments([], QUERY)).toEqual([]);
    expect(await reranker().rerank([], QUERY)).toEqual([]);
    expect(fake.requests).toHaveLength(0);
  });

  it("rejects an empty query and a document without text before any request", async () => {
    await expect(reranker().rerank(TEXTS, "  ")).rejects.toThrow(/the query is empty/);
    // A Record<string, string> item is text (see "rerank() items as its type says"); one with other values is not.
    await expect(reranker().rerank([{ title: 5 } as never], QUERY)).rejects.toThrow(/document 0 is a record whose field "title" is the number 5/);
    await expect(reranker().rerank([{}], QUERY)).rejects.toThrow(/document 0 is an empty object/);
    await expect(reranker().rerank([{ pageContent: 5 } as never], QUERY)).rejects.toThrow(/document 0 has no string pageContent/);
    expect(fake.requests).toHaveLength(0);
  });

  it("checks option types at construction", () => {
    expect(() => reranker({ topN: 0 })).toThrow(InvalidOptionError);
    expect(() => reranker({ priority: 1000 })).toThrow(/priority.*0 and 999/);
    expect(() => reranker({ baseUrl: "localhost:8000" })).toThrow(/baseUrl.*http/);
    expect(() => reranker({ batchSize: 1.5 })).toThrow(/batchSize.*positive integer/);
    expect(() => new CohereRerank({ client: new CohereClientV2({ token: KEY }), baseUrl: fake.url })).toThrow(/`client` brings its own URL/);
  });
});

describe("CohereRerank API key", () => {
  it("takes apiKey, then COHERE_API_KEY, then CO_API_KEY", async () => {
    vi.stubEnv("COHERE_API_KEY", "from-cohere-api-key");
    vi.stubEnv("CO_API_KEY", "from-co-api-key");
    await new CohereRerank({ baseUrl: fake.url, apiKey: KEY }).rerank(TEXTS, QUERY);
    await new CohereRerank({ baseUrl: fake.url, maxRetries: 0 }).rerank(TEXTS, QUERY).catch(() => undefined);
    vi.stubEnv("COHERE_API_KEY", "");
    await new CohereRerank({ baseUrl: fake.url, maxRetries: 0 }).rerank(TEXTS, QUERY).catch(() => undefined);
    expect(fake.requests.map((r) => r.headers.authorization)).toEqual([`Bearer ${KEY}`, "Bearer from-cohere-api-key", "Bearer from-co-api-key"]);
  });

  it("a missing key is a clear error at construction, before any request", () => {
    vi.stubEnv("COHERE_API_KEY", "");
    vi.stubEnv("CO_API_KEY", "");
    expect(() => new CohereRerank({ baseUrl: fake.url })).toThrow(/no Cohere API key\. Pass `apiKey`, set COHERE_API_KEY or CO_API_KEY/);
    expect(fake.requests).toHaveLength(0);
  });
});

describe("CohereRerank as a drop-in for @langchain/cohere", () => {
  it("accepts a prebuilt CohereClientV2 (as for Bedrock's BedrockClientV2) and needs no key of its own", async () => {
    vi.stubEnv("COHERE_API_KEY", "");
    vi.stubEnv("CO_API_KEY", "");
    const client = new CohereClientV2({ token: KEY, baseUrl: fake.url });
    // apiKey is ignored next to a client, as in @langchain/cohere.
    const compressor = new CohereRerank({ client, apiKey: "ignored-key", topN: 2, backoffBaseMs: 1 });
    expect(compressor.client).toBe(client);
    const out = await compressor.rerank(TEXTS, QUERY);
    expect(out).toEqual(expectedOrder(QUERY, TEXTS).slice(0, 2));
    expect(fake.requests[0]!.path).toBe("/v2/rerank");
    expect(fake.requests[0]!.headers.authorization).toBe(`Bearer ${KEY}`);
  });

  it("accepts the v1 CohereClient @langchain/cohere takes, and still calls v2 through it", async () => {
    const client = new CohereClient({ token: KEY, baseUrl: fake.url });
    await new CohereRerank({ client }).rerank(TEXTS, QUERY);
    expect(fake.requests[0]!.path).toBe("/v2/rerank");
  });

  it("rerank() returns what @langchain/cohere's rerank() returns for the same input, without its v1 call", async () => {
    const theirs = new LangChainCohereRerank({ model: "rerank-english-v3.0", topN: 3, client: new CohereClient({ token: KEY, baseUrl: fake.url }) });
    const ours = reranker({ model: "rerank-english-v3.0", topN: 3 });
    const docs = makeDocs();
    const expected = await theirs.rerank(docs, QUERY);
    const got = await ours.rerank(docs, QUERY);
    expect(got).toEqual(expected);
    expect(fake.requests.map((r) => r.path)).toEqual(["/v1/rerank", "/v2/rerank"]);
    // Per-call options as theirs: model and topN.
    await expect(ours.rerank(["cats", "dogs", "united states capital"], QUERY, { topN: 1, model: "rerank-v3.5" })).resolves.toEqual([
      { index: 2, relevanceScore: overlapScore(QUERY, "united states capital") },
    ]);
    expect((fake.requests[2]!.body as { model: string }).model).toBe("rerank-v3.5");
  });

  it("@langchain/cohere's own CohereRerank works wherever ours takes a compressor (RelevanceThresholdFilter, a pipeline)", async () => {
    const theirs = new LangChainCohereRerank({ model: "rerank-v3.5", topN: 4, client: new CohereClient({ token: KEY, baseUrl: fake.url }) });
    const filter = new RelevanceThresholdFilter({ reranker: theirs, threshold: 0.5 });
    const out = await filter.compressDocuments(makeDocs(), QUERY);
    const expected = expectedOrder(QUERY, TEXTS)
      .slice(0, 4)
      .filter((e) => e.relevanceScore >= 0.5);
    expect(expected.length).toBeGreaterThan(0);
    expect(out.map((d) => d.pageContent)).toEqual(expected.map((e) => TEXTS[e.index]));
    const pipeline = new DocumentCompressorPipeline({ transformers: [theirs, new RelevanceThresholdFilter({ topN: 1 })] });
    const top = await pipeline.compressDocuments(makeDocs(), QUERY);
    expect(top.map((d) => d.pageContent)).toEqual([TEXTS[expected[0]!.index]]);
  });

  it("compressDocuments keeps theirs' order and scores but, unlike theirs, leaves the caller's documents alone", async () => {
    const theirDocs = makeDocs();
    const ourDocs = makeDocs();
    const theirs = new LangChainCohereRerank({ model: "rerank-v3.5", client: new CohereClient({ token: KEY, baseUrl: fake.url }) });
    const theirOut = await theirs.compressDocuments(theirDocs, QUERY);
    const ourOut = await reranker().compressDocuments(ourDocs, QUERY);
    expect(ourOut.map((d) => [d.pageContent, d.metadata.relevanceScore])).toEqual(theirOut.map((d) => [d.pageContent, d.metadata.relevanceScore]));
    expect(theirOut[0]).toBe(theirDocs[expectedOrder(QUERY, TEXTS)[0]!.index]); // theirs mutates and returns the caller's object
    expect(ourDocs.every((d) => !("relevanceScore" in d.metadata))).toBe(true);
  });

  it("routes maxChunksPerDoc, a v1-only field, to /v1/rerank as @langchain/cohere did", async () => {
    const compressor = reranker({ maxChunksPerDoc: 4 });
    expect(compressor.apiVersion).toBe("v1");
    const out = await compressor.rerank(TEXTS, QUERY);
    expect(out).toEqual(expectedOrder(QUERY, TEXTS).slice(0, 3));
    expect(fake.requests[0]!.path).toBe("/v1/rerank");
    expect(fake.requests[0]!.body).toEqual({
      model: "rerank-v3.5",
      query: QUERY,
      documents: TEXTS,
      top_n: 3,
      return_documents: false,
      max_chunks_per_doc: 4,
    });
    // Per call too, on an instance that did not pin apiVersion.
    await reranker().rerank(TEXTS, QUERY, { maxChunksPerDoc: 2 });
    expect(fake.requests[1]!.path).toBe("/v1/rerank");
  });

  it("refuses maxChunksPerDoc with apiVersion v2, and v2-only fields on v1, naming the fix", async () => {
    expect(() => reranker({ maxChunksPerDoc: 4, apiVersion: "v2" })).toThrow(/maxChunksPerDoc.*only on Cohere's v1.*maxTokensPerDoc/);
    expect(() => reranker({ maxChunksPerDoc: 4, maxTokensPerDoc: 100 })).toThrow(/maxTokensPerDoc.*only on Cohere's v2/);
    await expect(reranker({ apiVersion: "v2" }).rerank(TEXTS, QUERY, { maxChunksPerDoc: 2 })).rejects.toThrow(InvalidOptionError);
    const v2Client = new CohereRerank({ client: new CohereClientV2({ token: KEY, baseUrl: fake.url }), maxChunksPerDoc: 2 });
    await expect(v2Client.rerank(TEXTS, QUERY)).rejects.toThrow(/needs Cohere's v1 endpoint, which the given client/);
    expect(fake.requests).toHaveLength(0);
  });
});

describe("CohereRerank batching", () => {
  it("reranks 5,000 documents through 5 requests of 1,000, with bounded concurrency, to the correct global top-N", async () => {
    const vocabulary = ["capital", "united", "states", "river", "of", "the", "city", "island", "mountain", "lake"];
    // Deterministic texts with varied overlap; the best ones sit in different batches.
    const texts = Array.from({ length: 5000 }, (_, i) => {
      const words = vocabulary.filter((_, w) => ((i * 7919) >> w) % 3 === 0);
      return `${i} ${words.join(" ")}`;
    });
    const docs = texts.map((t, i) => new Document({ pageContent: t, metadata: { i } }));
    const before = snapshot(docs);
    const topN = 25;
    const out = await reranker({ topN, maxConcurrency: 2 }).compressDocuments(docs, QUERY);

    expect(fake.requests).toHaveLength(5);
    expect(fake.requests.map((r) => (r.body as { documents: string[] }).documents.length)).toEqual([1000, 1000, 1000, 1000, 1000]);
    expect(fake.requests.map((r) => (r.body as { top_n: number }).top_n)).toEqual([topN, topN, topN, topN, topN]);
    expect(fake.maxInFlight).toBeLessThanOrEqual(2);
    const expected = expectedOrder(QUERY, texts).slice(0, topN);
    expect(out.map((d) => d.metadata.i)).toEqual(expected.map((e) => e.index));
    expect(out.map((d) => d.metadata.relevanceScore)).toEqual(expected.map((e) => e.relevanceScore));
    expect(new Set(expected.map((e) => Math.floor(e.index / 1000))).size).toBeGreaterThan(1);
    expect(snapshot(docs)).toEqual(before);
  });

  it("splits at batchSize and maps each batch's indices back to the caller's positions", async () => {
    const out = await reranker({ batchSize: 2, topN: 5 }).rerank(TEXTS, QUERY);
    expect(fake.requests.map((r) => (r.body as { documents: string[] }).documents)).toEqual([TEXTS.slice(0, 2), TEXTS.slice(2, 4), TEXTS.slice(4)]);
    expect(out).toEqual(expectedOrder(QUERY, TEXTS));
  });
});

class FixedRetriever extends BaseRetriever {
  override lc_namespace = ["langchain_rerank", "test"];
  constructor(private readonly docs: Document[]) {
    super();
  }
  override async _getRelevantDocuments(): Promise<Document[]> {
    return this.docs;
  }
}

class RunRecorder extends BaseCallbackHandler {
  name = "run-recorder";
  runs: Array<{ name: string | undefined; runId: string; parentRunId: string | undefined; outputs?: unknown }> = [];
  // CallbackManager calls handlers with (chain, inputs, runId, parentRunId, tags, metadata, runType, runName).
  override async handleChainStart(...args: unknown[]) {
    const [, , runId, parentRunId, , , , runName] = args as [
      unknown,
      unknown,
      string,
      string | undefined,
      unknown,
      unknown,
      unknown,
      string | undefined,
    ];
    this.runs.push({ name: runName, runId, parentRunId });
  }
  override async handleChainEnd(outputs: unknown, runId: string) {
    const run = this.runs.find((r) => r.runId === runId);
    if (run) run.outputs = outputs;
  }
  retrieverRunIds: string[] = [];
  override async handleRetrieverStart(_retriever: unknown, _query: string, runId: string) {
    this.retrieverRunIds.push(runId);
  }
}

describe("CohereRerank in a ContextualCompressionRetriever", () => {
  it("reranks the base retriever's documents, traced as a child run of the retriever, and leaves them unchanged", async () => {
    const docs = makeDocs();
    const before = snapshot(docs);
    const retriever = new ContextualCompressionRetriever({ baseCompressor: reranker({ topN: 2 }), baseRetriever: new FixedRetriever(docs) });
    const recorder = new RunRecorder();
    const out = await retriever.invoke(QUERY, { callbacks: [recorder] });
    expect(out.map((d) => d.pageContent)).toEqual(
      expectedOrder(QUERY, TEXTS)
        .slice(0, 2)
        .map((e) => TEXTS[e.index]),
    );
    expect(out[0]!.metadata.retrievalRank).toBe(expectedOrder(QUERY, TEXTS)[0]!.index + 1);
    expect(snapshot(docs)).toEqual(before);
    const run = recorder.runs.find((r) => r.name === "CohereRerank");
    expect(run).toBeDefined();
    expect(recorder.retrieverRunIds).toContain(run!.parentRunId);
    expect(run!.outputs).toEqual({ results: expectedOrder(QUERY, TEXTS).slice(0, 2) });
  });
});

describe("CohereRerank abort", () => {
  it("rejects with the caller's abort reason mid-request, through rerank options or the constructor's signal", async () => {
    fake.fail({ kind: "slow", delayMs: 5_000 }, { kind: "slow", delayMs: 5_000 });
    const controller = new AbortController();
    const pending = reranker().rerank(TEXTS, QUERY, { signal: controller.signal });
    while (fake.requests.length === 0) await new Promise((r) => setTimeout(r, 5));
    controller.abort(new Error("user went away"));
    await expect(pending).rejects.toThrow("user went away");

    const shared = new AbortController();
    const compressor = reranker({ signal: shared.signal });
    const pending2 = compressor.compressDocuments(makeDocs(), QUERY);
    while (fake.requests.length === 1) await new Promise((r) => setTimeout(r, 5));
    shared.abort();
    await expect(pending2).rejects.toMatchObject({ name: "AbortError" });
    expect(fake.requests).toHaveLength(2); // aborts are not retried
  });

  it("an already-aborted signal sends nothing", async () => {
    const error = await reranker()
      .rerank(TEXTS, QUERY, { signal: AbortSignal.abort() })
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ name: "AbortError" });
    // The caller's abort, passed through as such: not wrapped as a reranking failure.
    expect(error).not.toBeInstanceOf(RerankError);
    expect(fake.requests).toHaveLength(0);
  });

  it("compressDocuments takes a per-call { signal, topN } as its fourth argument (FallbackReranker's timeouts cancel the request)", async () => {
    fake.fail({ kind: "slow", delayMs: 5_000 });
    const controller = new AbortController();
    const pending = reranker().compressDocuments(makeDocs(), QUERY, undefined, { signal: controller.signal });
    while (fake.requests.length === 0) await new Promise((r) => setTimeout(r, 5));
    controller.abort(new Error("timed out upstream"));
    await expect(pending).rejects.toThrow("timed out upstream");
    const top1 = await reranker().compressDocuments(makeDocs(), QUERY, undefined, { topN: 1 });
    expect(top1.map((d) => d.pageContent)).toEqual([TEXTS[expectedOrder(QUERY, TEXTS)[0]!.index]]);
    expect((fake.requests.at(-1)!.body as { top_n: number }).top_n).toBe(1);
  });
});

describe("CohereRerank.rerank() items as its type says", () => {
  it("scores a Record<string, string> as its `text` (Cohere v1's document field), else one `key: value` line per field", async () => {
    const items: Array<DocumentInterface | string | Record<string, string>> = [
      { text: "Washington, D.C. is the capital of the United States." },
      { title: "Nevada", body: "Carson City is the capital city of the American state of Nevada." },
      "Bananas are yellow.",
      new Document({ pageContent: "Capital punishment has existed in the United States." }),
    ];
    const results = await reranker({ topN: 4 }).rerank(items, QUERY);
    const documents = [
      "Washington, D.C. is the capital of the United States.",
      "title: Nevada\nbody: Carson City is the capital city of the American state of Nevada.",
      "Bananas are yellow.",
      "Capital punishment has existed in the United States.",
    ];
    expect(fake.requests.at(-1)).toMatchObject({ body: { documents } });
    expect(results.map((r) => r.index).sort()).toEqual([0, 1, 2, 3]);
    expect(results[0]!.index).toBe(0);
    // compressDocuments still takes Documents only: it returns Documents built from them.
    await expect(reranker().compressDocuments([{ text: "x" } as never], QUERY)).rejects.toThrow(InvalidOptionError);
  });
});
