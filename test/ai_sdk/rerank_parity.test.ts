import { Document } from "@langchain/core/documents";
import { rerank } from "ai";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { causalModelsUnavailable, ensureQwen3Fixture } from "../../scripts/causal_models.js";
import { crossEncoderReranking, localReranking } from "../../src/ai_sdk.js";
import { ColBERTCrossEncoder, HuggingFaceCausalCrossEncoder, HuggingFaceCrossEncoder } from "../../src/huggingface.js";
import { type CrossEncoder, CrossEncoderReranker, RerankServerCrossEncoder } from "../../src/index.js";
import { useFakeRerankServer, overlapScore, rawScore, sigmoid } from "../support/fake_rerank_server.js";
import { FIXTURE_COLBERT, FIXTURE_NEEDLE, FIXTURE_RERANKER } from "../support/fixtures.js";
import { samplePairs } from "../support/pairs.js";

// The bar of issue 28: rerank() from the real `ai` package, with a model from langchain-rerank/ai-sdk, gives the
// order and the scores CrossEncoderReranker gives on the same texts, for local scorers and a rerank server, with
// topN and abort honoured. Fixture models have random weights: the scores mean nothing, only their equality does.

// The AI SDK prints provider warnings (object documents) to the console; the tests read them from doRerank instead.
(globalThis as { AI_SDK_LOG_WARNINGS?: boolean }).AI_SDK_LOG_WARNINGS = false;

const fake = useFakeRerankServer();
const TEXTS = samplePairs(10, 5).map(([, text]) => text);
const QUERY = "which protein causes the disease?";

/** CrossEncoderReranker's answer on the same texts: [index, score] pairs, best first. */
async function reference(scorer: CrossEncoder, texts: readonly string[], topN: number): Promise<[number, number][]> {
  const results = await new CrossEncoderReranker({ model: scorer, topN }).rerank(
    texts.map((text) => new Document({ pageContent: text })),
    QUERY,
  );
  return results.map(({ index, relevanceScore }) => [index, relevanceScore]);
}

async function viaAiSdk(scorer: CrossEncoder, texts: readonly string[], topN?: number): Promise<[number, number][]> {
  const { ranking } = await rerank({ model: crossEncoderReranking(scorer), documents: [...texts], query: QUERY, topN });
  return ranking.map(({ originalIndex, score }) => [originalIndex, score]);
}

const disposable: { dispose(): Promise<void> }[] = [];
afterAll(async () => {
  for (const scorer of disposable) await scorer.dispose();
});
function keep<T extends { dispose(): Promise<void> }>(scorer: T): T {
  disposable.push(scorer);
  return scorer;
}

describe("rerank() from `ai` with langchain-rerank/ai-sdk equals CrossEncoderReranker", () => {
  it("on a local cross-encoder: same order, same numbers, topN kept and every document without it", async () => {
    const scorer = keep(new HuggingFaceCrossEncoder({ model: FIXTURE_RERANKER, dtype: "fp32" }));
    const expected = await reference(scorer, TEXTS, 4);
    expect(expected).toHaveLength(4);
    expect(await viaAiSdk(scorer, TEXTS, 4)).toEqual(expected);
    const all = await viaAiSdk(scorer, TEXTS);
    expect(all).toHaveLength(TEXTS.length);
    expect(all.slice(0, 4)).toEqual(expected);
    // The numbers are the scorer's own, not rescaled.
    const raw = await scorer.score(TEXTS.map((text) => [QUERY, text] as const));
    for (const [index, score] of all) expect(score).toBe(raw[index]);
  });

  it("localReranking(folder, options) scores as a HuggingFaceCrossEncoder made with the same options", async () => {
    const model = localReranking(FIXTURE_RERANKER, { dtype: "fp32", scoreMode: "raw" });
    disposable.push(model.model);
    expect(model.modelId).toBe(FIXTURE_RERANKER);
    const { ranking } = await rerank({ model, documents: TEXTS, query: QUERY, topN: 3 });
    const expected = await reference(keep(new HuggingFaceCrossEncoder({ model: FIXTURE_RERANKER, dtype: "fp32", scoreMode: "raw" })), TEXTS, 3);
    expect(ranking.map(({ originalIndex, score }) => [originalIndex, score])).toEqual(expected);
    expect(ranking.some(({ score }) => score < 0 || score > 1)).toBe(true); // raw logits: the option reached the scorer
  });

  it("on ColBERT (late interaction) and, where its fixture builds, the causal-LM reranker", async () => {
    const colbert = keep(new ColBERTCrossEncoder({ model: FIXTURE_COLBERT, dtype: "fp32", precision: "float32" }));
    expect(await viaAiSdk(colbert, TEXTS, 5)).toEqual(await reference(colbert, TEXTS, 5));
    if (causalModelsUnavailable() !== undefined) return; // scripts/causal_models.ts says why; the others still ran
    const causal = keep(new HuggingFaceCausalCrossEncoder({ model: ensureQwen3Fixture(true), family: "qwen3-reranker", dtype: "fp32" }));
    expect(await viaAiSdk(causal, TEXTS.slice(0, 4), 2)).toEqual(await reference(causal, TEXTS.slice(0, 4), 2));
  }, 600_000);

  it("on a rerank server (TEI dialect): the server's scores, in CrossEncoderReranker's order, topN applied after scoring all", async () => {
    const scorer = new RerankServerCrossEncoder({ url: `${fake.url}/rerank`, dialect: "tei", batchSize: 4 });
    const expected = TEXTS.map((text, i) => [i, sigmoid(rawScore(overlapScore(QUERY, text)))] as [number, number])
      .sort((a, b) => b[1] - a[1] || a[0] - b[0])
      .slice(0, 3);
    expect(await reference(scorer, TEXTS, 3)).toEqual(expected);
    fake.reset();
    expect(await viaAiSdk(scorer, TEXTS, 3)).toEqual(expected);
    // Every document was scored (10 in batches of 4): topN cuts the ranking, not the candidates.
    expect(fake.requests.flatMap((r) => (r.body as { texts: string[] }).texts)).toEqual(TEXTS);
  });

  it("long documents scored in windows: providerMetadata names each kept document's best window, as bestChunk does", async () => {
    const needle = keep(new HuggingFaceCrossEncoder({ model: FIXTURE_NEEDLE, dtype: "fp32", maxChunksPerDoc: 10 }));
    const filler = (n: number) => Array.from({ length: n }, (_, i) => `the cat ${i} sat`).join(" ");
    const texts = ["no city here", `${filler(400)} then paris appeared. ${filler(50)}`];
    const result = await rerank({ model: crossEncoderReranking(needle), documents: texts, query: "where is the city", topN: 1 });
    const [best] = await new CrossEncoderReranker({ model: needle, topN: 1 }).compressDocuments(
      texts.map((text) => new Document({ pageContent: text })),
      "where is the city",
    );
    const { start, end } = best!.metadata.bestChunk as { start: number; end: number };
    expect(result.ranking.map((r) => r.originalIndex)).toEqual([1]);
    expect(result.providerMetadata).toEqual({ "langchain-rerank": { bestChunks: [{ index: 1, start, end }] } });
    expect(texts[1]!.slice(start, end)).toContain("paris");
  });
});

describe("abort through rerank({ abortSignal })", () => {
  let local: HuggingFaceCrossEncoder;
  beforeAll(() => {
    local = keep(new HuggingFaceCrossEncoder({ model: FIXTURE_RERANKER, dtype: "fp32", batchSize: 1 }));
  });

  it("a signal aborted before the call scores nothing, locally and on the server", async () => {
    const controller = new AbortController();
    controller.abort(new Error("caller gave up"));
    const spy = vi.spyOn(local, "scoreDetailed");
    await expect(rerank({ model: crossEncoderReranking(local), documents: TEXTS, query: QUERY, abortSignal: controller.signal })).rejects.toThrow(
      "caller gave up",
    );
    expect(spy).not.toHaveBeenCalled();
    spy.mockRestore();
    const server = new RerankServerCrossEncoder({ url: `${fake.url}/rerank`, dialect: "tei" });
    await expect(rerank({ model: crossEncoderReranking(server), documents: TEXTS, query: QUERY, abortSignal: controller.signal })).rejects.toThrow(
      "caller gave up",
    );
    expect(fake.requests).toHaveLength(0);
  });

  it("a local abort mid-call stops between batches with the caller's reason", async () => {
    const controller = new AbortController();
    let batches = 0;
    // The signal reaches the scorer: the abort lands after its first batch (one pair each), so the others never run.
    const gated: CrossEncoder = {
      score: (pairs, options) => local.score(pairs, options),
      scoreDetailed: async (pairs, options) => {
        batches += 1;
        const first = await local.scoreDetailed(pairs.slice(0, 1), options);
        controller.abort(new Error("caller gave up"));
        const rest = await local.scoreDetailed(pairs.slice(1), options);
        return [...first, ...rest];
      },
    };
    await expect(rerank({ model: crossEncoderReranking(gated), documents: TEXTS, query: QUERY, abortSignal: controller.signal })).rejects.toThrow(
      "caller gave up",
    );
    expect(batches).toBe(1); // not retried by the AI SDK
  });

  it("a server abort mid-request rejects at once with the caller's reason, after one request", async () => {
    fake.fail({ kind: "slow", delayMs: 30_000 });
    const controller = new AbortController();
    const server = new RerankServerCrossEncoder({ url: `${fake.url}/rerank`, dialect: "tei" });
    const pending = rerank({ model: crossEncoderReranking(server), documents: TEXTS, query: QUERY, abortSignal: controller.signal });
    await vi.waitFor(() => expect(fake.requests.length).toBe(1), { timeout: 60_000, interval: 5 });
    controller.abort(new Error("caller gave up"));
    await expect(pending).rejects.toThrow("caller gave up");
    expect(fake.requests).toHaveLength(1);
  });
});
