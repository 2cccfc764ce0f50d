/**
 * Quick start: two-stage retrieval with a reranker
 *
 * A cheap first stage (BM25, a vector store, or both) returns candidates; a cross-encoder reads each (query,
 * candidate) pair and reorders them. `CrossEncoderReranker` is a LangChain document compressor, so it plugs into
 * `ContextualCompressionRetriever`, and the first stage and the reranker swap independently.
 *
 * Run it as a script, `npx tsx examples/quick_start.ts`, or as the notebook `examples/quick_start.ipynb` (tslab
 * kernel; generated from the script by `scripts/notebook_from_example.py`). It does not need `../shared`.
 *
 * - The reranker model is `process.env.RERANK_MODEL ?? "Xenova/bge-reranker-base"` (downloaded once, a few hundred
 *   MB). CI sets `RERANK_MODEL` to a random-weight proxy; the cell that loads the model then says so, and every
 *   score and order below means nothing.
 * - Optional: `RERANK_SERVER_URL` (a TEI server's base URL) and `COHERE_API_KEY` (Cohere's API) or `COHERE_BASE_URL`
 *   (a Cohere-compatible server). CI points both URLs at a local stand-in that scores by word overlap.
 */
import { ContextualCompressionRetriever } from "@langchain/classic/retrievers/contextual_compression";
import { EnsembleRetriever } from "@langchain/classic/retrievers/ensemble";
import { MemoryVectorStore } from "@langchain/classic/vectorstores/memory";
import { BM25Retriever } from "@langchain/community/retrievers/bm25";
import type { BaseDocumentCompressor } from "@langchain/core/retrievers/document_compressors";
import type { DocumentInterface } from "@langchain/core/documents";
import { CrossEncoderReranker, RerankServerCrossEncoder } from "langchain-rerank";
import { CohereRerank } from "langchain-rerank/cohere";
import { HuggingFaceCrossEncoder } from "langchain-rerank/huggingface";
import { DEMO_DOCUMENTS } from "./demo_corpus.js";
import { COHERE_BASE_URL, HashingEmbeddings, RERANK_MODEL, RERANK_SERVER_URL, describeRerankModel, loadRerankModel } from "./support.js";

/** Prints a ranked list: the reranker's score and the first stage's rank, when present. */
function show(title: string, docs: DocumentInterface[]): void {
  console.log(`\n${title}`);
  for (const doc of docs) {
    const score = typeof doc.metadata.relevanceScore === "number" ? `score ${doc.metadata.relevanceScore.toFixed(4)}  ` : "";
    const rank = doc.metadata.retrievalRank !== undefined ? `(first stage #${doc.metadata.retrievalRank})  ` : "";
    console.log(`  ${doc.metadata.id}  ${score}${rank}${doc.pageContent.slice(0, 70)}…`);
  }
}

// --- First stages: BM25, a vector store, and a hybrid of both -------------------------------------------------
// `MemoryVectorStore` takes any embeddings class (`OpenAIEmbeddings`, `HuggingFaceTransformersEmbeddings`, …); a toy
// word-hashing one keeps this example offline. `EnsembleRetriever` fuses BM25 and the vectors with weighted
// reciprocal-rank fusion.
const query = "Does drinking coffee raise blood pressure?";
const bm25 = BM25Retriever.fromDocuments(DEMO_DOCUMENTS, { k: 8 });
const vectorStore = await MemoryVectorStore.fromDocuments(DEMO_DOCUMENTS, new HashingEmbeddings());
const vectors = vectorStore.asRetriever({ k: 8 });
const hybrid = new EnsembleRetriever({ retrievers: [bm25, vectors], weights: [0.5, 0.5] });

// --- The reranker: a local cross-encoder in ContextualCompressionRetriever -------------------------------------
// Each returned document is a new `Document` (yours are never changed) with `relevanceScore` (the reranker's 0–1
// score) and `retrievalRank` (where the first stage had it, 1-based) added to its metadata.
console.log(describeRerankModel());
const scorer = new HuggingFaceCrossEncoder({ model: RERANK_MODEL });
await loadRerankModel(scorer, "examples/quick_start.ts"); // offline without the model: says what to run instead
const reranker = new CrossEncoderReranker({ model: scorer, topN: 3 });
const retriever = new ContextualCompressionRetriever({ baseRetriever: bm25, baseCompressor: reranker });

console.log(`\nQuery: ${query}`);
show("BM25 candidates (first stage, in its order):", await bm25.invoke(query));
show("After reranking (top 3): relevanceScore from the reranker, retrievalRank from BM25:", await retriever.invoke(query));

// --- The same reranker over three first stages --------------------------------------------------------------------
for (const [name, baseRetriever] of [
  ["BM25", bm25],
  ["vector store", vectors],
  ["hybrid (EnsembleRetriever)", hybrid],
] as const) {
  const twoStage = new ContextualCompressionRetriever({ baseRetriever, baseCompressor: reranker });
  show(`Same reranker over ${name}:`, await twoStage.invoke(query));
}

// --- The same first stage with three rerankers: local, a rerank server, Cohere -------------------------------------
// `RerankServerCrossEncoder` is a `CrossEncoder` whose scores come from a server (TEI here; vLLM, Infinity and Jina
// speak the "cohere" dialect), so it goes inside the same `CrossEncoderReranker`. `CohereRerank` is a compressor of
// its own: with `COHERE_API_KEY` set and no `COHERE_BASE_URL`, it calls Cohere's API.
const rerankers: [string, BaseDocumentCompressor][] = [["local cross-encoder", reranker]];
if (RERANK_SERVER_URL) {
  const server = new RerankServerCrossEncoder({ url: `${RERANK_SERVER_URL}/rerank`, dialect: "tei" });
  rerankers.push(["rerank server (TEI)", new CrossEncoderReranker({ model: server, topN: 3 })]);
} else {
  console.log("\nRERANK_SERVER_URL is not set: skipping the rerank server (e.g. TEI on http://localhost:8080).");
}
if (COHERE_BASE_URL || process.env.COHERE_API_KEY) {
  // A local Cohere-compatible server takes any key.
  const cohere = new CohereRerank({
    apiKey: process.env.COHERE_API_KEY || "any-key-for-a-local-server",
    ...(COHERE_BASE_URL ? { baseUrl: COHERE_BASE_URL } : {}),
    model: "rerank-v3.5",
    topN: 3,
  });
  rerankers.push([COHERE_BASE_URL ? `CohereRerank (${COHERE_BASE_URL})` : "CohereRerank (Cohere's API)", cohere]);
} else {
  console.log("Neither COHERE_API_KEY nor COHERE_BASE_URL is set: skipping Cohere.");
}
for (const [name, compressor] of rerankers) {
  const twoStage = new ContextualCompressionRetriever({ baseRetriever: hybrid, baseCompressor: compressor });
  show(`Hybrid first stage, reranked by ${name}:`, await twoStage.invoke(query));
}

// --- Clean up ---------------------------------------------------------------------------------------------------
await scorer.dispose(); // frees the ONNX session
