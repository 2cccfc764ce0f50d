import { readFileSync } from "node:fs";
import { ContextualCompressionRetriever } from "@langchain/classic/retrievers/contextual_compression";
import { DocumentCompressorPipeline } from "@langchain/classic/retrievers/document_compressors";
import { BM25Retriever } from "@langchain/community/retrievers/bm25";
import { Document } from "@langchain/core/documents";
import { BaseChatModel } from "@langchain/core/language_models/chat_models";
import { AIMessage, AIMessageChunk, type BaseMessage } from "@langchain/core/messages";
import type { ChatResult } from "@langchain/core/outputs";
import { ChatPromptTemplate } from "@langchain/core/prompts";
import { RunCollectorCallbackHandler } from "@langchain/core/tracers/run_collector";
import { FakeListChatModel, FakeStreamingChatModel } from "@langchain/core/utils/testing";
import { describe, expect, it } from "vitest";
import { slidingWindows } from "../../src/compressors/llm_listwise_reranker.js";
import * as root from "../../src/index.js";
import { CrossEncoderReranker, InvalidOptionError, LLMListwiseReranker, RerankError } from "../../src/index.js";

const QUERY = "who is steve?";

/** A window as the model saw it: the ids and texts in the default prompt's context. */
function shownDocuments(messages: BaseMessage[]): { id: number; text: string }[] {
  const system = String(messages[0]!.content);
  return [...system.matchAll(/Document ID: (\d+)\n```([\s\S]*?)```/g)].map((m) => ({ id: Number(m[1]), text: m[2]! }));
}

function toolAnswer(ids: unknown): AIMessage {
  return new AIMessage({ content: "", tool_calls: [{ name: "RankDocuments", args: { ranked_document_ids: ids }, id: "call_1", type: "tool_call" }] });
}

type Respond = (messages: BaseMessage[], call: number) => AIMessage | Promise<AIMessage>;

/**
 * A chat model with tool calling, so the reranker goes through BaseChatModel's own withStructuredOutput (tool
 * binding, tool-call parsing, includeRaw). `respond` sees the formatted messages and returns the model's message.
 */
class FakeRankingChatModel extends BaseChatModel {
  readonly calls: BaseMessage[][] = [];
  boundTools: unknown[] = [];
  constructor(private readonly respond: Respond) {
    super({ maxRetries: 0 });
  }
  _llmType(): string {
    return "fake-ranking";
  }
  override bindTools(tools: unknown[]) {
    this.boundTools = tools;
    return this;
  }
  async _generate(messages: BaseMessage[]): Promise<ChatResult> {
    const answer = await this.respond(messages, this.calls.push(messages) - 1);
    // BaseChatModel's tool-calling parser reads AIMessageChunks, as streaming providers return.
    const message = new AIMessageChunk({ content: answer.content, tool_calls: answer.tool_calls ?? [] });
    return { generations: [{ message, text: typeof message.content === "string" ? message.content : "" }] };
  }
}

/** Ranks every window by the number in each text, largest first; a stable sort keeps ties in the order shown. */
const byNumber: Respond = (messages) =>
  toolAnswer(
    shownDocuments(messages)
      .map(({ id, text }) => ({ id, n: Number(/-?\d+/.exec(text)![0]) }))
      .sort((a, b) => b.n - a.n)
      .map(({ id }) => id),
  );

/** Answers from a script, one entry per call. */
const scripted =
  (...answers: (AIMessage | unknown[])[]): Respond =>
  (_, call) => {
    const answer = answers[call];
    if (answer === undefined) throw new Error(`unexpected model call ${call}`);
    return answer instanceof AIMessage ? answer : toolAnswer(answer);
  };

function docs(texts: string[], extra: (i: number) => Record<string, unknown> = () => ({})): Document[] {
  return texts.map(
    (text, i) => new Document({ pageContent: text, metadata: { source: `s${i}`, nested: { tags: ["a"] }, ...extra(i) }, id: `id-${i}` }),
  );
}

const FIVE = [
  "Sally is my friend from school",
  "Steve is my friend from home",
  "I didn't always like yogurt",
  "I wonder why it's called football",
  "Where's waldo",
];

/** A pseudo-random permutation of 1..n (a fixed LCG, so every run sees the same lists). */
function permutation(n: number, seed: number): number[] {
  const values = Array.from({ length: n }, (_, i) => i + 1);
  let state = seed;
  for (let i = n - 1; i > 0; i--) {
    state = (state * 1103515245 + 12345) % 2 ** 31;
    const j = state % (i + 1);
    [values[i], values[j]] = [values[j]!, values[i]!];
  }
  return values;
}

type TracedRun = { name: string; run_type: string; child_runs?: TracedRun[] };
function allRuns(runs: readonly TracedRun[]): TracedRun[] {
  return runs.flatMap((run) => [run, ...allRuns(run.child_runs ?? [])]);
}

describe("LLMListwiseReranker", () => {
  it("keeps the model's top 3 as new Documents with listwiseRank and retrievalRank, and no relevance score", async () => {
    const model = new FakeRankingChatModel(scripted([1, 3, 0, 4, 2]));
    const input = docs(FIVE);
    const snapshot = structuredClone(input.map((d) => ({ pageContent: d.pageContent, metadata: d.metadata, id: d.id })));

    const out = await new LLMListwiseReranker({ llm: model }).compressDocuments(input, QUERY);

    expect(out.map((d) => d.pageContent)).toEqual([FIVE[1], FIVE[3], FIVE[0]]);
    expect(out.map((d) => d.metadata.listwiseRank)).toEqual([1, 2, 3]);
    expect(out.map((d) => d.metadata.retrievalRank)).toEqual([2, 4, 1]);
    out.forEach((d) => {
      const original = input[(d.metadata.retrievalRank as number) - 1]!;
      expect(d).not.toBe(original);
      expect(d.id).toBe(original.id);
      expect(d.metadata).toMatchObject({ source: original.metadata.source, nested: { tags: ["a"] } });
      expect(d.metadata).not.toHaveProperty("relevanceScore");
    });
    expect(input.map((d) => ({ pageContent: d.pageContent, metadata: d.metadata, id: d.id }))).toEqual(snapshot);
    expect(model.calls).toHaveLength(1);
  });

  it("asks as Python LangChain does: documents with ids in the system message, the query as the human message, a RankDocuments tool", async () => {
    const model = new FakeRankingChatModel(scripted([0, 1, 2]));
    await new LLMListwiseReranker({ llm: model }).compressDocuments(docs(FIVE.slice(0, 3)), QUERY);
    const [system, human] = model.calls[0]!;
    expect(system!.getType()).toBe("system");
    expect(String(system!.content)).toContain("Document ID: 1\n```Steve is my friend from home```");
    expect(String(system!.content)).toMatch(
      /Documents = \[Document ID: 0, \.\.\., Document ID: 2\]\n\nSort the Documents by their relevance to the Query\.$/,
    );
    expect(human!.getType()).toBe("human");
    expect(human!.content).toBe(QUERY);
    expect(model.boundTools).toMatchObject([
      {
        type: "function",
        function: { name: "RankDocuments", parameters: { properties: { ranked_document_ids: { type: "array", items: { type: "integer" } } } } },
      },
    ]);
  });

  it("appends documents the model omits, in first-stage order", async () => {
    const model = new FakeRankingChatModel(scripted([3]));
    const ranking = await new LLMListwiseReranker({ llm: model }).rank(docs(FIVE), QUERY);
    expect(ranking.order).toEqual([3, 0, 1, 2, 4]);
    expect(ranking.windows).toEqual([
      { start: 0, end: 5, attempts: 1, outcome: "ranked", invalidIds: [], duplicateIds: [], omittedIds: [0, 1, 2, 4], errors: [] },
    ]);
  });

  it("drops duplicated and non-existent ids, reads integer strings, and loses no document", async () => {
    const model = new FakeRankingChatModel(scripted([4, 4, "9", -1, 1.5, "[1]", 7, "x", null, 1]));
    const reranker = new LLMListwiseReranker({ llm: model, topN: 5 });
    const out = await reranker.compressDocuments(docs(FIVE), QUERY);
    expect(out.map((d) => d.metadata.retrievalRank)).toEqual([5, 2, 1, 3, 4]);
    const { windows } = await new LLMListwiseReranker({ llm: new FakeRankingChatModel(scripted([4, 4, "9", -1, 1.5, "[1]", 7, "x", null, 1])) }).rank(
      docs(FIVE),
      QUERY,
    );
    expect(windows[0]).toMatchObject({ outcome: "ranked", invalidIds: ["9", -1, 1.5, 7, "x", null], duplicateIds: [4, 1], omittedIds: [0, 2, 3] });
  });

  it("retries once on an unparseable answer and uses the retry", async () => {
    const model = new FakeRankingChatModel(scripted(new AIMessage("Steve is clearly document 1."), [1, 0, 2, 3, 4]));
    const ranking = await new LLMListwiseReranker({ llm: model }).rank(docs(FIVE), QUERY);
    expect(model.calls).toHaveLength(2);
    expect(model.calls[1]).toEqual(model.calls[0]);
    expect(ranking.order).toEqual([1, 0, 2, 3, 4]);
    expect(ranking.windows[0]).toMatchObject({ attempts: 2, outcome: "ranked" });
    expect(ranking.windows[0]!.errors).toHaveLength(1);
    expect(ranking.windows[0]!.errors[0]).toMatch(/unparseable/);
  });

  it("reads the RankDocuments tool call of a model answering with an AIMessage, which BaseChatModel's parser rejects", async () => {
    // @langchain/core's BaseChatModel.withStructuredOutput parses AIMessageChunks only: an AIMessage carrying the
    // right tool call comes back as `parsed: null`, and every window used to fall back to the first-stage order.
    class MessageModel extends BaseChatModel {
      calls = 0;
      _llmType() {
        return "ai-message";
      }
      override bindTools() {
        return this;
      }
      async _generate(): Promise<ChatResult> {
        this.calls += 1;
        const message = toolAnswer([3, 1, 4, 0, 2]);
        return { generations: [{ message, text: "" }] };
      }
    }
    const model = new MessageModel({ maxRetries: 0 });
    const ranking = await new LLMListwiseReranker({ llm: model }).rank(docs(FIVE), QUERY);
    expect(ranking.order).toEqual([3, 1, 4, 0, 2]);
    expect(ranking.windows[0]).toMatchObject({ attempts: 1, outcome: "ranked", errors: [] });
    expect(model.calls).toBe(1);

    // The same through @langchain/core's FakeStreamingChatModel, whose invoke returns an AIMessage.
    const streaming = new FakeStreamingChatModel({ chunks: [new AIMessageChunk({ content: "", tool_calls: toolAnswer([2, 0, 1]).tool_calls })] });
    expect((await new LLMListwiseReranker({ llm: streaming }).rank(docs(FIVE.slice(0, 3)), QUERY)).order).toEqual([2, 0, 1]);
  });

  it("says why an answer without the RankDocuments tool call is unusable", async () => {
    const model = new FakeRankingChatModel(scripted(new AIMessage("Document 1."), toolAnswer("1 > 0")));
    const ranking = await new LLMListwiseReranker({ llm: model }).rank(docs(FIVE), QUERY);
    expect(ranking.windows[0]!.errors[0]).toMatch(/unparseable answer \(.*(RankDocuments|tool call)/);
  });

  it("treats an answer without one valid id as unusable, and retries", async () => {
    const model = new FakeRankingChatModel(scripted([17, 99, "steve"], [2, 1, 0, 3, 4]));
    const ranking = await new LLMListwiseReranker({ llm: model }).rank(docs(FIVE), QUERY);
    expect(model.calls).toHaveLength(2);
    expect(ranking.order).toEqual([2, 1, 0, 3, 4]);
    expect(ranking.windows[0]!.errors[0]).toMatch(/no valid document id/);
  });

  it("falls back to first-stage order after two garbage answers, keeps every candidate and reports it", async () => {
    const model = new FakeRankingChatModel(scripted(new AIMessage("no idea"), toolAnswer("1 > 0 > 2")));
    const reranker = new LLMListwiseReranker({ llm: model });
    const collector = new RunCollectorCallbackHandler();
    const out = await reranker.compressDocuments(docs(FIVE), QUERY, [collector]);
    expect(model.calls).toHaveLength(2);
    expect(out.map((d) => d.metadata.retrievalRank)).toEqual([1, 2, 3]);
    expect(out.map((d) => d.metadata.listwiseRank)).toEqual([1, 2, 3]);
    const windows = collector.tracedRuns[0]!.outputs!.windows;
    expect(windows).toHaveLength(1);
    expect(windows[0]).toMatchObject({ start: 0, end: 5, attempts: 2, outcome: "fallback" });
    expect(windows[0].errors[1]).toMatch(/no ranked_document_ids list/);
    const garbage = new FakeListChatModel({ responses: ["I cannot rank these.", "Still no."] });
    const ranking = await new LLMListwiseReranker({ llm: garbage }).rank(docs(FIVE), QUERY);
    expect(ranking.order).toEqual([0, 1, 2, 3, 4]);
    expect(ranking.windows[0]).toMatchObject({ attempts: 2, outcome: "fallback" });
    expect(ranking.windows[0]!.errors.every((error) => /unparseable answer \(SyntaxError/.test(error))).toBe(true);
  });

  it("works with FakeListChatModel's JSON answers, retrying after text that is not JSON", async () => {
    const model = new FakeListChatModel({ responses: ["Sure! Here is my ranking", '{"ranked_document_ids": [2, 0, 1]}'] });
    const out = await new LLMListwiseReranker({ llm: model }).compressDocuments(docs(FIVE.slice(0, 3)), QUERY);
    expect(out.map((d) => d.metadata.retrievalRank)).toEqual([3, 1, 2]);
    const stringified = new FakeRankingChatModel(() => toolAnswer("[2, 0]"));
    expect((await new LLMListwiseReranker({ llm: stringified }).rank(docs(FIVE.slice(0, 3)), QUERY)).order).toEqual([2, 0, 1]);
    const good = new FakeListChatModel({ responses: ["[4, 3]"] });
    const ranking = await new LLMListwiseReranker({ llm: good }).rank(docs(FIVE), QUERY);
    expect(ranking.order).toEqual([4, 3, 0, 1, 2]);
  });

  it("throws the model's own errors (network, auth) instead of falling back", async () => {
    const model = new FakeRankingChatModel(() => {
      throw new Error("503 Service Unavailable");
    });
    const reranker = new LLMListwiseReranker({ llm: model });
    const collector = new RunCollectorCallbackHandler();
    await expect(reranker.compressDocuments(docs(FIVE), QUERY, [collector])).rejects.toThrow("503 Service Unavailable");
    expect(model.calls).toHaveLength(1);
    expect(collector.tracedRuns[0]!.error).toContain("503");
  });

  it("ranks 50 documents with 4 bottom-up windows of 20, step 10, and puts the true top 10 first, in order", async () => {
    expect(slidingWindows(50, 20, 10)).toEqual([
      [30, 50],
      [20, 40],
      [10, 30],
      [0, 20],
    ]);
    for (const seed of [1, 2, 3, 42, 2026]) {
      const numbers = permutation(50, seed);
      const model = new FakeRankingChatModel(byNumber);
      const reranker = new LLMListwiseReranker({ llm: model, topN: 10 });
      const input = docs(numbers.map((n) => `passage with value ${n}`));
      const out = await reranker.compressDocuments(input, "highest value");
      expect(model.calls).toHaveLength(4);
      expect(model.calls.map((messages) => shownDocuments(messages).length)).toEqual([20, 20, 20, 20]);
      expect(out.map((d) => d.pageContent)).toEqual([50, 49, 48, 47, 46, 45, 44, 43, 42, 41].map((n) => `passage with value ${n}`));
      expect(out.map((d) => d.metadata.retrievalRank)).toEqual([50, 49, 48, 47, 46, 45, 44, 43, 42, 41].map((n) => numbers.indexOf(n) + 1));
      const { order } = await reranker.rank(input, "highest value");
      expect([...order].sort((a, b) => a - b)).toEqual(input.map((_, i) => i));
    }
  });

  it("brings the best document up from the bottom of the list, and sorts fully when every window is the whole list", async () => {
    const ascending = docs(Array.from({ length: 50 }, (_, i) => `value ${i + 1}`));
    const model = new FakeRankingChatModel(byNumber);
    const { order } = await new LLMListwiseReranker({ llm: model }).rank(ascending, QUERY);
    expect(order.slice(0, 10)).toEqual([49, 48, 47, 46, 45, 44, 43, 42, 41, 40]);
    const wide = new FakeRankingChatModel(byNumber);
    const full = await new LLMListwiseReranker({ llm: wide, windowSize: 50 }).rank(ascending, QUERY);
    expect(wide.calls).toHaveLength(1);
    expect(full.order).toEqual(ascending.map((_, i) => 49 - i));
  });

  it("visits the top of any list: windows for uneven lengths and custom sizes", async () => {
    expect(slidingWindows(45, 20, 10)).toEqual([
      [25, 45],
      [15, 35],
      [5, 25],
      [0, 15],
    ]);
    expect(slidingWindows(21, 20, 10)).toEqual([
      [1, 21],
      [0, 11],
    ]);
    expect(slidingWindows(20, 20, 10)).toEqual([[0, 20]]);
    expect(slidingWindows(100, 20, 10)).toHaveLength(9);
    expect(slidingWindows(0, 20, 10)).toEqual([]);
    const model = new FakeRankingChatModel(byNumber);
    const numbers = permutation(23, 7);
    const reranker = new LLMListwiseReranker({ llm: model, windowSize: 6, stepSize: 4, topN: 2 });
    const out = await reranker.compressDocuments(docs(numbers.map((n) => `v${n}`)), QUERY);
    expect(model.calls).toHaveLength(slidingWindows(23, 6, 4).length);
    expect(model.calls.every((messages) => shownDocuments(messages).length <= 6)).toBe(true);
    expect(out.map((d) => d.pageContent)).toEqual(["v23", "v22"]);
  });

  it("keeps first-stage order between documents the model ranks equal", async () => {
    const model = new FakeRankingChatModel(byNumber);
    const input = docs(["tie 5 a", "tie 5 b", "low 1", "tie 5 c", "high 9"]);
    const out = await new LLMListwiseReranker({ llm: model, topN: 4 }).compressDocuments(input, QUERY);
    expect(out.map((d) => d.pageContent)).toEqual(["high 9", "tie 5 a", "tie 5 b", "tie 5 c"]);
    expect(out.map((d) => d.metadata.listwiseRank)).toEqual([1, 2, 3, 4]);
  });

  it("keeps an incoming retrievalRank (a cascade's first stage) and writes to custom keys", async () => {
    const model = new FakeRankingChatModel(scripted([2, 0, 1]));
    const input = docs(FIVE.slice(0, 3), (i) => ({ retrievalRank: [7, 3, 12][i] }));
    const out = await new LLMListwiseReranker({ llm: model }).compressDocuments(input, QUERY);
    expect(out.map((d) => d.metadata.retrievalRank)).toEqual([12, 7, 3]);
    const custom = await new LLMListwiseReranker({
      llm: new FakeRankingChatModel(scripted([1, 0])),
      rankKey: "firstStage",
      listwiseRankKey: "llmRank",
      topN: 1,
    }).compressDocuments(docs(FIVE.slice(0, 2)), QUERY);
    expect(custom[0]!.metadata).toMatchObject({ firstStage: 2, llmRank: 1 });
    expect(custom[0]!.metadata).not.toHaveProperty("listwiseRank");
  });

  it("as the second stage of a DocumentCompressorPipeline: first-stage rank kept, the first reranker's score not passed off as its own", async () => {
    const numbers = permutation(12, 5);
    const input = docs(numbers.map((n) => `value ${n}`));
    // A cheap first stage that keeps the 6 largest values, smallest of them first; the LLM then orders them by value.
    const first = new CrossEncoderReranker({
      model: { score: async (pairs) => pairs.map(([, text]) => Number(text.split(" ")[1])).map((n) => (n > 6 ? 100 - n : 0)) },
      topN: 6,
    });
    const model = new FakeRankingChatModel(byNumber);
    const pipeline = new DocumentCompressorPipeline({ transformers: [first, new LLMListwiseReranker({ llm: model, topN: 3 })] });
    const out = await pipeline.compressDocuments(input, QUERY);
    expect(shownDocuments(model.calls[0]!).map((d) => d.text)).toEqual([7, 8, 9, 10, 11, 12].map((n) => `value ${n}`));
    expect(out.map((d) => d.pageContent)).toEqual(["value 12", "value 11", "value 10"]);
    expect(out.map((d) => d.metadata.retrievalRank)).toEqual([12, 11, 10].map((n) => numbers.indexOf(n) + 1));
    expect(out.map((d) => d.metadata.listwiseRank)).toEqual([1, 2, 3]);
    out.forEach((d) => expect(d.metadata).not.toHaveProperty("relevanceScore"));
  });

  it("takes a ChatPromptTemplate or a prompt function, and a documentText function", async () => {
    const model = new FakeRankingChatModel(scripted([1, 0], [0, 1]));
    const prompt = ChatPromptTemplate.fromMessages([
      ["system", "Rank by usefulness for an engineer.\n{context}"],
      ["human", "Question: {query}"],
    ]);
    await new LLMListwiseReranker({ llm: model, prompt, documentText: (d) => `[${d.metadata.source}] ${d.pageContent}` }).compressDocuments(
      docs(FIVE.slice(0, 2)),
      QUERY,
    );
    expect(String(model.calls[0]![0]!.content)).toMatch(/^Rank by usefulness for an engineer\.\nDocument ID: 0\n```\[s0\] Sally/);
    expect(model.calls[0]![1]!.content).toBe(`Question: ${QUERY}`);

    const seen: unknown[] = [];
    const fn = new FakeRankingChatModel(scripted([1, 0]));
    const out = await new LLMListwiseReranker({
      llm: fn,
      prompt: (input) => {
        seen.push(input);
        return [["human", `${input.query}\n${input.documents.map((d) => `[${d.id}] ${d.text}`).join("\n")}`]];
      },
    }).compressDocuments(docs(FIVE.slice(0, 2)), QUERY);
    expect(seen).toEqual([
      {
        query: QUERY,
        documents: [
          { id: 0, text: FIVE[0] },
          { id: 1, text: FIVE[1] },
        ],
        context: expect.stringContaining("Document ID: 1"),
      },
    ]);
    expect(fn.calls[0]![0]!.content).toBe(`${QUERY}\n[0] ${FIVE[0]}\n[1] ${FIVE[1]}`);
    expect(out[0]!.pageContent).toBe(FIVE[1]);
  });

  it("traces the rerank as a run whose children are the model calls, inside ContextualCompressionRetriever", async () => {
    const corpus = docs(FIVE);
    const bm25 = BM25Retriever.fromDocuments(corpus, { k: 5 });
    const model = new FakeRankingChatModel((messages) =>
      toolAnswer(
        shownDocuments(messages)
          .filter((d) => d.text.includes("Steve"))
          .map((d) => d.id),
      ),
    );
    const retriever = new ContextualCompressionRetriever({ baseRetriever: bm25, baseCompressor: new LLMListwiseReranker({ llm: model, topN: 2 }) });
    const collector = new RunCollectorCallbackHandler();
    const out = await retriever.invoke("Steve friend", { callbacks: [collector] });
    expect(out[0]!.pageContent).toBe(FIVE[1]);
    const root = collector.tracedRuns[0]!;
    expect(root.child_runs!.map((run) => run.name)).toEqual(["BM25Retriever", "LLMListwiseReranker"]);
    const rerankRun = root.child_runs![1]!;
    expect(rerankRun.inputs).toMatchObject({ query: "Steve friend", documents: 5, topN: 2, windowSize: 20, stepSize: 10 });
    expect(rerankRun.outputs!.results).toHaveLength(2);
    expect(rerankRun.outputs!.windows[0]).toMatchObject({ outcome: "ranked", omittedIds: expect.any(Array) });
    const llmRuns = allRuns(rerankRun.child_runs!).filter((run) => run.run_type === "llm");
    expect(llmRuns).toHaveLength(1);
    expect(allRuns(rerankRun.child_runs!).map((run) => run.name)).toContain("ChatPromptTemplate");
  });

  it("honours an AbortSignal before and between windows", async () => {
    const aborted = new FakeRankingChatModel(byNumber);
    await expect(new LLMListwiseReranker({ llm: aborted }).rank(docs(FIVE), QUERY, { signal: AbortSignal.abort() })).rejects.toThrow(/abort/i);
    expect(aborted.calls).toHaveLength(0);

    const controller = new AbortController();
    const model = new FakeRankingChatModel((messages, call) => {
      if (call === 0) controller.abort();
      return byNumber(messages, call);
    });
    const many = docs(Array.from({ length: 50 }, (_, i) => `value ${i}`));
    await expect(new LLMListwiseReranker({ llm: model }).rank(many, QUERY, { signal: controller.signal })).rejects.toThrow(/abort/i);
    expect(model.calls).toHaveLength(1);
  });

  it("takes an instance-wide signal for compressDocuments (ContextualCompressionRetriever passes none)", async () => {
    const controller = new AbortController();
    const model = new FakeRankingChatModel((messages, call) => {
      if (call === 1) controller.abort();
      return byNumber(messages, call);
    });
    const reranker = new LLMListwiseReranker({ llm: model, signal: controller.signal });
    const many = docs(Array.from({ length: 50 }, (_, i) => `value ${i}`));
    await expect(reranker.compressDocuments(many, QUERY)).rejects.toThrow(/abort/i);
    expect(model.calls).toHaveLength(2);
    await expect(reranker.rank(docs(FIVE), QUERY, { signal: new AbortController().signal })).rejects.toThrow(/abort/i);
    expect(model.calls).toHaveLength(2);
    expect(() => new LLMListwiseReranker({ llm: model, signal: "stop" as never })).toThrow(/`signal` must be an AbortSignal/);
  });

  it("passes the AbortSignal to the model call, so a hanging request is abandoned", async () => {
    const controller = new AbortController();
    const hanging = new FakeRankingChatModel(() => {
      setTimeout(() => controller.abort(new Error("user cancelled")), 10);
      return new Promise<AIMessage>(() => {});
    });
    await expect(new LLMListwiseReranker({ llm: hanging }).rank(docs(FIVE), QUERY, { signal: controller.signal })).rejects.toThrow("user cancelled");
    expect(hanging.calls).toHaveLength(1);
  });

  it("needs no model call for zero or one document; an empty query is an error", async () => {
    const model = new FakeRankingChatModel(byNumber);
    const reranker = new LLMListwiseReranker({ llm: model });
    await expect(reranker.compressDocuments([], QUERY)).resolves.toEqual([]);
    const one = await reranker.compressDocuments(docs(["only"]), QUERY);
    expect(one.map((d) => d.metadata)).toEqual([{ source: "s0", nested: { tags: ["a"] }, retrievalRank: 1, listwiseRank: 1 }]);
    expect(model.calls).toHaveLength(0);
    await expect(reranker.compressDocuments(docs(FIVE), "  ")).rejects.toThrow(RerankError);
  });

  it("rejects bad options with the option's name", async () => {
    const llm = new FakeRankingChatModel(byNumber);
    expect(() => new LLMListwiseReranker({} as never)).toThrow(/`llm` must be a LangChain chat model/);
    expect(() => new LLMListwiseReranker({ llm: { invoke() {} } } as never)).toThrow(InvalidOptionError);
    expect(() => new LLMListwiseReranker({ llm, topN: 0 })).toThrow(/`topN` must be a positive integer, got the number 0/);
    expect(() => new LLMListwiseReranker({ llm, windowSize: 1 })).toThrow(/`windowSize` must be at least 2/);
    expect(() => new LLMListwiseReranker({ llm, windowSize: 10, stepSize: 10 })).toThrow(
      /`stepSize` \(10\) must be smaller than `windowSize` \(10\)/,
    );
    expect(() => new LLMListwiseReranker({ llm, prompt: "rank these" as never })).toThrow(/`prompt` must be a prompt template/);
    expect(() => new LLMListwiseReranker({ llm, prompt: ChatPromptTemplate.fromMessages([["human", "{query}"]]) })).toThrow(
      /it must use \{context\}/,
    );
    expect(() => new LLMListwiseReranker({ llm, prompt: ChatPromptTemplate.fromMessages([["human", "{context} {query} {domain}"]]) })).toThrow(
      /also expects \{domain\}/,
    );
    const partial = ChatPromptTemplate.fromMessages([["human", "{domain}: {context} {query}"]]);
    const filled = await partial.partial({ domain: "law" });
    expect(() => new LLMListwiseReranker({ llm, prompt: filled })).not.toThrow();
    expect(new LLMListwiseReranker({ llm, windowSize: 8 }).stepSize).toBe(4);
    expect(new LLMListwiseReranker({ llm })).toMatchObject({
      topN: 3,
      windowSize: 20,
      stepSize: 10,
      rankKey: "retrievalRank",
      listwiseRankKey: "listwiseRank",
    });

    class NoTools extends BaseChatModel {
      _llmType() {
        return "no-tools";
      }
      async _generate(): Promise<ChatResult> {
        return { generations: [] };
      }
    }
    expect(() => new LLMListwiseReranker({ llm: new NoTools({}) })).toThrow(/cannot produce structured output .*bindTools/);
  });

  it("has one exported name (Python's LLMListwiseRerank is documented, not aliased), and Python's fromLLM", async () => {
    expect(Object.keys(root)).not.toContain("LLMListwiseRerank");
    const reranker = LLMListwiseReranker.fromLLM(new FakeRankingChatModel(scripted([1, 0])), { topN: 1 });
    expect(reranker).toBeInstanceOf(LLMListwiseReranker);
    expect((await reranker.compressDocuments(docs(FIVE.slice(0, 2)), QUERY)).map((d) => d.pageContent)).toEqual([FIVE[1]]);
  });

  it("keeps the root entry light: only type imports from @langchain/core besides BaseDocumentCompressor", () => {
    const source = readFileSync(new URL("../../src/compressors/llm_listwise_reranker.ts", import.meta.url), "utf8");
    const valueImports = [...source.matchAll(/^import (?!type )[^;]*from "(@langchain\/[^"]+)";/gm)].map((m) => m[1]);
    expect(valueImports).toEqual(["@langchain/core/retrievers/document_compressors"]);
  });
});
