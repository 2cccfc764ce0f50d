/**
 * The Vercel AI SDK's `rerank()` with this package's scorers
 *
 * `langchain-rerank/ai-sdk` turns any scorer of this package into an AI SDK reranking model (`RerankingModelV3`):
 * a local cross-encoder by model id (`localReranking`), or any scorer you made (`crossEncoderReranking`), here a
 * rerank server. `rerank()` from `ai` then returns the same order and scores `CrossEncoderReranker` gives.
 *
 * Run it with `npx tsx examples/ai_sdk.ts` (needs `ai` 6 beside this package). It does not need `../shared`.
 *
 * - The local model is `process.env.RERANK_MODEL ?? "Xenova/bge-reranker-base"` (downloaded once). CI sets
 *   `RERANK_MODEL` to a random-weight fixture; the output then says so, and its scores and order mean nothing.
 * - Optional: `RERANK_SERVER_URL`, a Text Embeddings Inference server's base URL. CI points it at a local stand-in
 *   that scores by word overlap.
 */
import { rerank } from "ai";
import { RerankServerCrossEncoder } from "langchain-rerank";
import { crossEncoderReranking, localReranking } from "langchain-rerank/ai-sdk";
import { DEMO_DOCUMENTS } from "./demo_corpus.js";
import { RERANK_MODEL, RERANK_SERVER_URL, describeRerankModel, loadRerankModel } from "./support.js";

const query = "does coffee raise blood pressure";
const documents = DEMO_DOCUMENTS.slice(0, 6).map((doc) => doc.pageContent);

/** Prints the ranking `rerank()` returns: score, position in `documents`, text. */
function show(title: string, ranking: { originalIndex: number; score: number; document: unknown }[]): void {
  console.log(`\n${title}`);
  for (const { originalIndex, score, document } of ranking) {
    const text = typeof document === "string" ? document : JSON.stringify(document);
    console.log(`  #${originalIndex}  score ${score.toFixed(4)}  ${text.slice(0, 70)}…`);
  }
}

// --- A local cross-encoder, by model id ------------------------------------------------------------------------
// Options are HuggingFaceCrossEncoder's (dtype, device, batchSize, maxChunksPerDoc, ...). The model loads on the
// first rerank(); load() here only turns "not found" into a hint of what to run instead.
console.log(describeRerankModel());
const local = localReranking(RERANK_MODEL);
await loadRerankModel(local.model, "examples/ai_sdk.ts");
const { ranking } = await rerank({ model: local, query, documents, topN: 3 });
show("Local cross-encoder, top 3:", ranking);

// Object documents are read as JSON.stringify(document), as the AI SDK's Cohere provider sends them; documentText
// picks what the model reads instead. rerank() returns the objects themselves.
const tickets = documents.map((text, id) => ({ id, title: text.split(" ").slice(0, 4).join(" "), body: text }));
const byBody = localReranking(RERANK_MODEL, { documentText: (ticket) => String(ticket.body) });
const objects = await rerank({ model: byBody, query, documents: tickets, topN: 2 });
show("Object documents, read by their body, top 2:", objects.ranking);

// --- A rerank server -------------------------------------------------------------------------------------------
if (RERANK_SERVER_URL) {
  const server = new RerankServerCrossEncoder({ url: `${RERANK_SERVER_URL}/rerank`, dialect: "tei" });
  const controller = new AbortController();
  const served = await rerank({ model: crossEncoderReranking(server), query, documents, topN: 3, abortSignal: controller.signal });
  show(`Rerank server (${served.response.modelId}), top 3:`, served.ranking);
} else {
  console.log("\nRERANK_SERVER_URL is not set: skipping the rerank server (e.g. RERANK_SERVER_URL=http://localhost:8080).");
}
await Promise.all([local.model.dispose(), byBody.model.dispose()]);
