/**
 * A causal-LM reranker (Qwen3-Reranker) in a ContextualCompressionRetriever
 *
 * Qwen3-Reranker, mxbai-rerank-v2 and bge-reranker-v2-gemma are causal language models read as judges: each
 * (query, passage) goes into the family's prompt, and the score is the model's answer at the last position
 * (Qwen3: P("yes") over "no"/"yes"). `HuggingFaceCausalCrossEncoder` runs them in-process; it is a `CrossEncoder`, so
 * `CrossEncoderReranker` (and the cascade, cache and threshold filter) take it as they take a classifier.
 *
 * Run it as a script, `npx tsx examples/causal_reranker.ts`, or as the notebook `examples/causal_reranker.ipynb`
 * (generated from the script by `scripts/notebook_from_example.py`). It does not need `../shared`.
 *
 * - The model is `process.env.CAUSAL_RERANK_MODEL ?? "onnx-community/Qwen3-Reranker-0.6B-ONNX"` (downloaded once,
 *   several hundred MB; slow on a CPU: see docs/choosing-a-reranker.md). CI sets it to a tiny Qwen3-shaped model
 *   with RANDOM weights and the real Qwen3 tokenizer; the cell that loads it says so, and every score below then
 *   means nothing.
 */
import { ContextualCompressionRetriever } from "@langchain/classic/retrievers/contextual_compression";
import { DocumentCompressorPipeline } from "@langchain/classic/retrievers/document_compressors";
import { BM25Retriever } from "@langchain/community/retrievers/bm25";
import { CrossEncoderReranker } from "langchain-rerank";
import { HuggingFaceCausalCrossEncoder, HuggingFaceCrossEncoder } from "langchain-rerank/huggingface";
import { DEMO_DOCUMENTS } from "./demo_corpus.js";
import { CAUSAL, describeRerankModel, loadRerankModel, RERANK_MODEL } from "./support.js";

const CAUSAL_MODEL = process.env.CAUSAL_RERANK_MODEL ?? CAUSAL.hubId;
const query = "how do rerankers improve retrieval?";

// --- The causal reranker -------------------------------------------------------------------------------------
// A preset id needs nothing else; a local folder or another export of a known model names its `family`. The
// instruction is Qwen3-Reranker's `<Instruct>`: say what relevance means for your task.
console.log(describeRerankModel(CAUSAL_MODEL, CAUSAL));
const qwen = new HuggingFaceCausalCrossEncoder({
  model: CAUSAL_MODEL,
  family: "qwen3-reranker",
  instruction: "Given a question, retrieve passages that answer it",
});
await loadRerankModel(qwen, "examples/causal_reranker.ts", CAUSAL);

// --- In a ContextualCompressionRetriever -----------------------------------------------------------------------
// BM25 returns 8 candidates; the causal reranker keeps the best 3, with `metadata.relevanceScore` = P(yes).
const bm25 = BM25Retriever.fromDocuments(DEMO_DOCUMENTS, { k: 8 });
const retriever = new ContextualCompressionRetriever({
  baseCompressor: new CrossEncoderReranker({ model: qwen, topN: 3 }),
  baseRetriever: bm25,
});
for (const doc of await retriever.invoke(query)) {
  console.log(`  ${doc.metadata.id}  P(yes) ${(doc.metadata.relevanceScore as number).toFixed(4)}  ${doc.pageContent.slice(0, 60)}…`);
}

// --- A cascade for CPUs ------------------------------------------------------------------------------------------
// A causal reranker costs far more per pair than a MiniLM classifier: let the small model keep 4 of the 8, and the
// causal one order those.
const cascade = new ContextualCompressionRetriever({
  baseCompressor: new DocumentCompressorPipeline({
    transformers: [
      new CrossEncoderReranker({ model: new HuggingFaceCrossEncoder({ model: RERANK_MODEL }), topN: 4 }),
      new CrossEncoderReranker({ model: qwen, topN: 3 }),
    ],
  }),
  baseRetriever: bm25,
});
for (const doc of await cascade.invoke(query)) {
  console.log(`  ${doc.metadata.id}  P(yes) ${(doc.metadata.relevanceScore as number).toFixed(4)}  ${doc.pageContent.slice(0, 60)}…`);
}
await qwen.dispose();
