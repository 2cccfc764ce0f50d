import { ContextualCompressionRetriever } from "@langchain/classic/retrievers/contextual_compression";
import type { DocumentInterface } from "@langchain/core/documents";
import { StringOutputParser } from "@langchain/core/output_parsers";
import { ChatPromptTemplate } from "@langchain/core/prompts";
import { RunnableLambda, RunnablePassthrough } from "@langchain/core/runnables";
import { FakeListChatModel } from "@langchain/core/utils/testing";
import { describe, expect, it } from "vitest";
import { CrossEncoderReranker } from "../../src/index.js";
import { RerankMonitor } from "../../src/monitor.js";
import { ListRetriever } from "./support.js";

const EXERCISE = "Regular aerobic exercise lowers blood pressure by about 5 to 8 mm Hg.";
const CAFFEINE = "Caffeine can cause a short, dramatic increase in blood pressure, even if you don't have high blood pressure.";
const ESPRESSO = "Espresso is brewed by forcing hot water through finely ground coffee.";

// The first stage puts exercise first; the reranker puts caffeine (rank 2) first, then espresso (3), then exercise (1).
const byTopic = {
  model: "topic",
  score: async (pairs: readonly (readonly [string, string])[]) =>
    pairs.map(([, text]) => (text.startsWith("Caffeine") ? 1 : text.startsWith("Espresso") ? 0.5 : 0)),
};
const retriever = new ContextualCompressionRetriever({
  baseRetriever: new ListRetriever({ "does coffee raise blood pressure?": [EXERCISE, CAFFEINE, ESPRESSO] }),
  baseCompressor: new CrossEncoderReranker({ model: byTopic, topN: 3 }),
});

/** The recipe from docs/monitoring.md: one run whose output holds the question, the context and the answer. */
function ragChain(answers: string[]) {
  const prompt = ChatPromptTemplate.fromTemplate("Answer from the numbered sources; cite them like [1].\n\n{context}\n\nQuestion: {question}");
  const numbered = (docs: DocumentInterface[]) => docs.map((d, i) => `[${i + 1}] ${d.pageContent}`).join("\n");
  return RunnablePassthrough.assign({
    context: RunnableLambda.from((input: { question: string }) => input.question).pipe(retriever),
  }).assign({
    answer: RunnableLambda.from((input: { question: string; context: DocumentInterface[] }) => ({
      question: input.question,
      context: numbered(input.context),
    }))
      .pipe(prompt)
      .pipe(new FakeListChatModel({ responses: answers }))
      .pipe(new StringOutputParser()),
  });
}

describe("RerankMonitor in an LCEL chain", () => {
  it("invoke, stream and batch: the retrievals are queries, and each answer is attributed to the documents it used", async () => {
    const monitor = new RerankMonitor();
    const chain = ragChain([
      "Yes, briefly [1].", // cites the reranker's first document (first-stage rank 2)
      "Caffeine causes a short increase in blood pressure.", // no citation: trigram overlap 2/6 with the caffeine text
      "Regular aerobic exercise lowers blood pressure.", // overlap 4/4 with the exercise text (first-stage rank 1, context 3)
    ]);
    const question = "does coffee raise blood pressure?";
    await chain.invoke({ question }, { callbacks: [monitor] });
    const chunks: unknown[] = [];
    for await (const chunk of await chain.stream({ question }, { callbacks: [monitor] })) chunks.push(chunk);
    expect(chunks.length).toBeGreaterThan(10); // the answer really streamed, character by character
    await chain.invoke({ question }, { callbacks: [monitor] });
    const summary = monitor.summary();
    expect(summary.queries).toBe(3);
    expect(summary.agreement.topSame).toEqual({ rate: 0, of: 3 });
    expect(summary.attribution).toMatchObject({
      answers: 3,
      byCitation: 1,
      byOverlap: 2,
      unattributed: 0,
      usedWasFirstStageTop: { rate: 1 / 3, of: 3 },
      usedWasRerankerTop: { rate: 2 / 3, of: 3 },
      rerankerPosition: [
        { from: 1, to: 1, count: 2 },
        { from: 3, to: 3, count: 1 },
      ],
      firstStageRank: [
        { from: 1, to: 1, count: 1 },
        { from: 2, to: 2, count: 2 },
      ],
      ngram: 3,
      overlapThreshold: 0.2,
    });
    const advice = summary.advice.find((a) => a.topic === "attribution")!;
    expect(advice.text).toContain("first stage's top document 33% of the time, and the reranker's top document 67%");

    const batched = new RerankMonitor();
    await ragChain(["[1]", "[2]"]).batch([{ question }, { question }], { callbacks: [batched] });
    expect(batched.summary()).toMatchObject({ queries: 2, attribution: { answers: 2, byCitation: 2 } });
  });

  it("recordAnswer attributes an answer given outside a chain, and refuses what is not an answer and documents", async () => {
    const monitor = new RerankMonitor();
    const context = await retriever.invoke("does coffee raise blood pressure?");
    expect(monitor.recordAnswer("It does, briefly [1][1], see also [3].", context)).toEqual({ method: "citation", used: [0, 2], weights: [2, 0, 1] });
    expect(() => monitor.recordAnswer(42 as unknown as string, context)).toThrow(/recordAnswer/);
  });
});
