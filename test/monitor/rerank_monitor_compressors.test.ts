import { ContextualCompressionRetriever } from "@langchain/classic/retrievers/contextual_compression";
import { DocumentCompressorPipeline } from "@langchain/classic/retrievers/document_compressors";
import { Document } from "@langchain/core/documents";
import { BaseChatModel } from "@langchain/core/language_models/chat_models";
import { AIMessageChunk, type BaseMessage } from "@langchain/core/messages";
import type { ChatResult } from "@langchain/core/outputs";
import { describe, expect, it } from "vitest";
import { CohereRerank } from "../../src/cohere.js";
import { CrossEncoderReranker, FallbackReranker, LLMListwiseReranker, MultiFactorReranker, RelevanceThresholdFilter } from "../../src/index.js";
import { RerankMonitor } from "../../src/monitor.js";
import { FIXTURE_RERANKER } from "../support/fixtures.js";
import { useFakeRerankServer } from "../support/fake_rerank_server.js";
import { DESIGNED, ListRetriever, SIX, tableScorer } from "./support.js";

const broken = { model: "broken", score: async (): Promise<number[]> => Promise.reject(new Error("down")) };
const over = (
  baseCompressor: ConstructorParameters<typeof ContextualCompressionRetriever>[0]["baseCompressor"],
  lists: Record<string, string[]> = DESIGNED.lists,
) => new ContextualCompressionRetriever({ baseRetriever: new ListRetriever(lists), baseCompressor });

describe("RerankMonitor with FallbackReranker", () => {
  it("a fallback that served from the first stage: its order is the first stage's, and the monitor says so", async () => {
    const monitor = new RerankMonitor();
    const fallback = new FallbackReranker({ rerankers: [{ reranker: new CrossEncoderReranker({ model: broken }), name: "broken" }], topN: 3 });
    const out = await over(fallback).invoke("A", { callbacks: [monitor] });
    expect(out.map((d) => d.metadata.rerankedBy)).toEqual(["first-stage", "first-stage", "first-stage"]);
    const [record] = monitor.queries();
    expect(record!.ranks).toEqual([1, 2, 3]);
    expect(record).toMatchObject({ topSame: true, tauB: 1 });
    expect(record!.stages).toHaveLength(1); // the failed inner reranker is part of the fallback's stage, not a stage
    expect(record!.stages[0]).toMatchObject({
      name: "FallbackReranker",
      servedBy: "first-stage",
      attempts: [{ reranker: "broken", outcome: "error" }],
    });
    const summary = monitor.summary();
    expect(summary.stages[0]!.servedBy).toEqual({ "first-stage": 1 });
    const advice = summary.advice.find((a) => a.topic === "fallback")!;
    expect(advice.text).toContain("the first stage (no reranking) 100%");
    expect(advice.figures.firstStage).toBe(1);
  });

  it("a fallback whose second reranker served: which one served, and that reranker's order", async () => {
    const monitor = new RerankMonitor();
    const fallback = new FallbackReranker({
      rerankers: [
        { reranker: new CrossEncoderReranker({ model: broken }), name: "broken" },
        { reranker: new CrossEncoderReranker({ model: tableScorer(DESIGNED.table), topN: 3 }), name: "local" },
      ],
      topN: 3,
    });
    for (const query of ["A", "B"]) await over(fallback).invoke(query, { callbacks: [monitor] });
    expect(monitor.queries().map((q) => q.ranks)).toEqual([DESIGNED.ranks.A, DESIGNED.ranks.B]);
    expect(monitor.summary().stages[0]!.servedBy).toEqual({ local: 2 });
  });
});

describe("RerankMonitor when a query fails", () => {
  it("counts the failed query and leaves no run open", async () => {
    const monitor = new RerankMonitor();
    await expect(over(new CrossEncoderReranker({ model: broken })).invoke("A", { callbacks: [monitor] })).rejects.toThrow(/down/);
    expect(monitor.summary()).toMatchObject({ queries: 0, failed: 1 });
    expect(monitor.openRuns).toBe(0);
  });
});

describe("RerankMonitor with MultiFactorReranker", () => {
  it("a FallbackReranker inside it: which reranker served is read off the documents", async () => {
    const monitor = new RerankMonitor();
    const fallback = new FallbackReranker({ rerankers: [{ reranker: new CrossEncoderReranker({ model: broken }), name: "broken" }], topN: 6 });
    const multi = new MultiFactorReranker({
      reranker: fallback,
      weights: { firstStageRank: 1, relevance: 1 },
      missing: { relevance: "skip" },
      topN: 3,
    });
    await over(multi).invoke("A", { callbacks: [monitor] });
    expect(monitor.summary().stages.map((s) => [s.name, s.servedBy])).toEqual([["MultiFactorReranker", { "first-stage": 1 }]]);
  });

  it("reads the final score as that stage's score and the ranks it kept", async () => {
    const monitor = new RerankMonitor();
    const multi = new MultiFactorReranker({
      reranker: new CrossEncoderReranker({ model: tableScorer(DESIGNED.table), topN: 6 }),
      weights: { relevance: 1, firstStageRank: 1 },
      topN: 3,
    });
    const out = await over(multi).invoke("C", { callbacks: [monitor] });
    const [record] = monitor.queries();
    expect(record!.stages.map((s) => s.name)).toEqual(["MultiFactorReranker"]);
    expect(record!.stages[0]!.scoreKey).toBe("finalScore");
    expect(record!.stages[0]!.scores).toEqual(out.map((d) => d.metadata.finalScore));
    expect(record!.ranks).toEqual(out.map((d) => d.metadata.retrievalRank));
  });
});

describe("RerankMonitor with RelevanceThresholdFilter", () => {
  // X: every score below 0.5; Y: two of three at or above; Z: all three.
  const table = {
    X: { d1: 0.1, d2: 0.2, d3: 0.3, d4: 0.05, d5: 0.01, d6: 0.02 },
    Y: { d1: 0.9, d2: 0.6, d3: 0.3, d4: 0.05, d5: 0.01, d6: 0.02 },
    Z: { d1: 0.9, d2: 0.8, d3: 0.7, d4: 0.05, d5: 0.01, d6: 0.02 },
  };
  const lists = { X: SIX, Y: SIX, Z: SIX };

  it("counts how often it dropped everything and kept fewer than its reranker gave it", async () => {
    const monitor = new RerankMonitor();
    const filter = new RelevanceThresholdFilter({ reranker: new CrossEncoderReranker({ model: tableScorer(table), topN: 3 }), threshold: 0.5 });
    for (const query of ["X", "Y", "Z"]) await over(filter, lists).invoke(query, { callbacks: [monitor] });
    const summary = monitor.summary();
    expect(summary.thresholds.droppedAll).toEqual({ rate: 1 / 3, of: 3 });
    expect(summary.thresholds.keptFewerThanAsked).toEqual({ rate: 2 / 3, of: 3 });
    // The empty query is still a reranked query; agreement is over the two that kept something.
    expect(summary.queries).toBe(3);
    expect(summary.agreement.topSame).toEqual({ rate: 1, of: 2 });
    expect(monitor.queries()[0]!.thresholds).toEqual([{ kept: 0, asked: 3 }]);
  });

  it("with topN, 'asked' is topN (or fewer when fewer documents reached it)", async () => {
    const monitor = new RerankMonitor();
    const pipeline = new DocumentCompressorPipeline({
      transformers: [new CrossEncoderReranker({ model: tableScorer(table), topN: 4 }), new RelevanceThresholdFilter({ threshold: 0.5, topN: 2 })],
    });
    for (const query of ["Y", "Z"]) await over(pipeline, lists).invoke(query, { callbacks: [monitor] });
    expect(monitor.queries().map((q) => q.thresholds)).toEqual([[{ kept: 2, asked: 2 }], [{ kept: 2, asked: 2 }]]);
    expect(monitor.summary().thresholds.keptFewerThanAsked).toEqual({ rate: 0, of: 2 });
  });
});

describe("RerankMonitor with CohereRerank on the fake server", () => {
  const fake = useFakeRerankServer({ apiKey: "monitor-key" });

  it("records Cohere's order and scores as the stage's", async () => {
    const monitor = new RerankMonitor();
    const cohere = new CohereRerank({ apiKey: "monitor-key", baseUrl: fake.url, topN: 2 });
    const lists = { "red apples": ["blue sky", "red apples", "green apples and red cherries", "red"] };
    const docs = await over(cohere, lists).invoke("red apples", { callbacks: [monitor] });
    const [record] = monitor.queries();
    expect(record!.stages[0]!.name).toBe("CohereRerank");
    expect(record!.ranks).toEqual(docs.map((d) => d.metadata.retrievalRank));
    expect(record!.stages[0]!.scores).toEqual(docs.map((d) => d.metadata.relevanceScore));
    expect(record!.ranks[0]).toBe(2); // "red apples", second in the first stage, matches best
    expect(JSON.stringify(monitor.toJSONLines())).not.toContain("monitor-key");
  });
});

describe("RerankMonitor with the local cross-encoder (random-weight fixture model)", () => {
  it("records the model's scores exactly as the documents carry them", async () => {
    const monitor = new RerankMonitor();
    const reranker = new CrossEncoderReranker({ model: FIXTURE_RERANKER, topN: 3 });
    const docs = await over(reranker).invoke("A", { callbacks: [monitor] });
    const [record] = monitor.queries();
    expect(record!.ranks).toEqual(docs.map((d) => d.metadata.retrievalRank));
    expect(record!.stages[0]!.scores).toEqual(docs.map((d) => d.metadata.relevanceScore));
    expect(record!.candidates).toBe(6);
  });
});

it("a document compressor given the monitor directly (no retriever) still reports", async () => {
  const monitor = new RerankMonitor();
  const docs = SIX.map((text) => new Document({ pageContent: text }));
  await new MultiFactorReranker({ weights: { firstStageRank: 1 }, topN: 2 }).compressDocuments(docs, "q", [monitor]);
  expect(monitor.queries()[0]).toMatchObject({ root: "MultiFactorReranker", ranks: [1, 2], topSame: true });
});

/** A tool-calling chat model that ranks every window it is shown in reverse (the last document first). */
class ReversingChatModel extends BaseChatModel {
  constructor() {
    super({ maxRetries: 0 });
  }
  _llmType(): string {
    return "reversing";
  }
  override bindTools() {
    return this;
  }
  async _generate(messages: BaseMessage[]): Promise<ChatResult> {
    const ids = [...String(messages[0]!.content).matchAll(/Document ID: (\d+)/g)].map((m) => Number(m[1])).reverse();
    const message = new AIMessageChunk({
      content: "",
      tool_calls: [{ name: "RankDocuments", args: { ranked_document_ids: ids }, id: "call_1", type: "tool_call" }],
    });
    return { generations: [{ message, text: "" }] };
  }
}

it("LLMListwiseReranker: its order is recorded (it has ranks, no scores)", async () => {
  const monitor = new RerankMonitor();
  const out = await over(new LLMListwiseReranker({ llm: new ReversingChatModel(), topN: 3 })).invoke("A", { callbacks: [monitor] });
  // Its sliding windows (from the end) reverse each window in turn: d6, d1, d5 come out on top.
  expect(out.map((d) => d.pageContent)).toEqual(["d6", "d1", "d5"]);
  const [record] = monitor.queries();
  expect(record!.ranks).toEqual(out.map((d) => d.metadata.retrievalRank));
  expect(record!.topSame).toBe(false);
  expect(record!.tauB).toBeCloseTo(-1 / 3, 12); // (6, 1, 5): two discordant pairs, one concordant
  expect(record!.stages[0]).toMatchObject({ name: "LLMListwiseReranker", scoreKey: null });
});
