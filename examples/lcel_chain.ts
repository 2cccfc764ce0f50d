/**
 * An LCEL RAG chain with a reranking retriever, and an agent whose retrieval tool reranks
 *
 * Retriever, then reranker, then formatted context, prompt and chat model, composed with `RunnableSequence`; then
 * `invoke`, `stream` and `batch`, with the rerank visible as its own traced run; then `langchain`'s `createAgent`
 * with a retrieval tool backed by the same reranking retriever.
 *
 * Run it as a script, `npx tsx examples/lcel_chain.ts`, or as the notebook `examples/lcel_chain.ipynb` (tslab
 * kernel; generated from the script by `scripts/notebook_from_example.py`). It does not need `../shared`.
 *
 * - The reranker model is `process.env.RERANK_MODEL ?? "Xenova/bge-reranker-base"`. CI sets `RERANK_MODEL` to a
 *   random-weight proxy; the cell that loads the model then says so, and every score and order below means nothing.
 * - The chat models are offline stand-ins: `FakeListChatModel` from `@langchain/core/utils/testing` for the chain,
 *   and a scripted tool-calling model for the agent. For a real one, `npm install @langchain/openai` and use
 *   `new ChatOpenAI({ model: "gpt-4o-mini" })` (with `OPENAI_API_KEY`), or any LangChain chat model that supports
 *   tool calling (`ChatAnthropic`, `ChatOllama`, …): nothing else changes.
 */
import { ContextualCompressionRetriever } from "@langchain/classic/retrievers/contextual_compression";
import { BM25Retriever } from "@langchain/community/retrievers/bm25";
import type { DocumentInterface } from "@langchain/core/documents";
import { StringOutputParser } from "@langchain/core/output_parsers";
import { ChatPromptTemplate } from "@langchain/core/prompts";
import { RunnablePassthrough, RunnableSequence } from "@langchain/core/runnables";
import { BaseTracer, type Run } from "@langchain/core/tracers/base";
import { FakeListChatModel } from "@langchain/core/utils/testing";
import { tool } from "@langchain/core/tools";
import { createAgent } from "langchain";
import { CrossEncoderReranker } from "langchain-rerank";
import { HuggingFaceCrossEncoder } from "langchain-rerank/huggingface";
import { DEMO_DOCUMENTS } from "./demo_corpus.js";
import { RERANK_MODEL, ScriptedToolCallingChatModel, describeRerankModel, loadRerankModel } from "./support.js";

// --- The reranking retriever: BM25 candidates, reranked by a cross-encoder ----------------------------------------
console.log(describeRerankModel());
const scorer = new HuggingFaceCrossEncoder({ model: RERANK_MODEL });
await loadRerankModel(scorer, "examples/lcel_chain.ts"); // offline without the model: says what to run instead
const retriever = new ContextualCompressionRetriever({
  baseRetriever: BM25Retriever.fromDocuments(DEMO_DOCUMENTS, { k: 8 }),
  baseCompressor: new CrossEncoderReranker({ model: scorer, topN: 3 }),
});

// --- The chain: retrieve and rerank, format the context, prompt, chat model, parse ---------------------------------
// The reranking retriever is a Runnable like any other, so it pipes into the context formatter.
const formatDocs = (docs: DocumentInterface[]) =>
  docs.map((d, i) => `[${i + 1}] (score ${(d.metadata.relevanceScore as number).toFixed(3)}) ${d.pageContent}`).join("\n");
const prompt = ChatPromptTemplate.fromMessages([
  ["system", "Answer the question using only the numbered passages below, and cite them.\n\n{context}"],
  ["human", "{question}"],
]);
// A stand-in that answers from a fixed list. Swap in a real chat model here.
const model = new FakeListChatModel({
  responses: ["Yes, for a few hours; regular drinkers develop a tolerance [1].", "It is 330 metres tall including its antennas [1]."],
});
const chain = RunnableSequence.from([
  { context: retriever.pipe(formatDocs), question: new RunnablePassthrough() },
  prompt,
  model,
  new StringOutputParser(),
]);

// --- Tracing: the rerank is its own run --------------------------------------------------------------------------
// Every compressor call is reported to LangChain's callbacks as its own run, a child of the retriever's run, so
// LangSmith or Langfuse show the candidates going in and the scores coming out. This handler prints those runs.
/**
 * Prints the reranker's runs as a LangChain tracer (LangSmith, Langfuse, …) records them: each compressor call is
 * its own run, named after its class, with its inputs and outputs (the new order and scores).
 */
class PrintRerankRuns extends BaseTracer {
  name = "print-rerank-runs";

  protected async persistRun(): Promise<void> {}

  override async onChainStart(run: Run): Promise<void> {
    if (/Rerank|Filter/.test(run.name)) console.log(`  [run] ${run.name} (child of ${this.parentName(run)}) started: ${JSON.stringify(run.inputs)}`);
  }

  override async onChainEnd(run: Run): Promise<void> {
    if (/Rerank|Filter/.test(run.name)) console.log(`  [run] ${run.name} ended: ${JSON.stringify(run.outputs)}`);
  }

  private parentName(run: Run): string {
    return (run.parent_run_id && this.runMap.get(run.parent_run_id)?.name) || "none";
  }
}

// --- invoke, stream, batch ----------------------------------------------------------------------------------------
// `invoke` gets the tracing handler; `stream` yields the answer in chunks; `batch` runs several questions.
console.log("invoke, with the handler that prints the rerank run:");
const answer = await chain.invoke("Does drinking coffee raise blood pressure?", { callbacks: [new PrintRerankRuns()] });
console.log(`answer: ${answer}`);

console.log("\nstream:");
const chunks: string[] = [];
for await (const chunk of await chain.stream("How tall is the Eiffel Tower?")) chunks.push(chunk);
console.log(`${chunks.length} chunks: ${chunks.join("")}`);

console.log("\nbatch:");
const answers = await chain.batch(["Does drinking coffee raise blood pressure?", "How tall is the Eiffel Tower?"]);
answers.forEach((a, i) => console.log(`  ${i + 1}. ${a}`));

// --- An agent whose retrieval tool reranks ------------------------------------------------------------------------
// `createAgent` (from `langchain` v1) calls the tool, which runs the reranking retriever, then answers from its result.
const searchPassages = tool(async ({ query }: { query: string }) => formatDocs(await retriever.invoke(query)), {
  name: "search_passages",
  description: "Search the passage collection; returns the 3 most relevant passages, best first.",
  schema: { type: "object", properties: { query: { type: "string", description: "what to search for" } }, required: ["query"] },
});
// A stand-in that calls the tool, then answers from its result. Swap in a real tool-calling chat model here.
const agent = createAgent({ model: new ScriptedToolCallingChatModel({}), tools: [searchPassages] });
const result = await agent.invoke({ messages: [{ role: "user", content: "How do plants turn light into energy?" }] });
console.log("\nagent:");
for (const message of result.messages) {
  const calls =
    "tool_calls" in message && Array.isArray(message.tool_calls) && message.tool_calls.length > 0
      ? ` calls ${message.tool_calls.map((c) => `${c.name}(${JSON.stringify(c.args)})`).join(", ")}`
      : "";
  console.log(`  ${message.getType()}:${calls} ${String(message.content).split("\n").join("\n    ")}`);
}

// --- Clean up ---------------------------------------------------------------------------------------------------
await scorer.dispose(); // frees the ONNX session
