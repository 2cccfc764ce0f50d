/**
 * Recipes: the LangChain retrieval patterns with a reranker, as docs/recipes.md shows them.
 *
 *   npx tsx examples/recipes.ts                                   # Xenova/bge-reranker-base (downloaded once)
 *   RERANK_MODEL=/path/to/model-folder npx tsx examples/recipes.ts
 *
 * Each section is one recipe; test/examples/recipes.test.ts runs this file. The chat model for MultiQueryRetriever
 * is an offline stand-in (FakeListChatModel): use any LangChain chat model. Does not need ../shared.
 */
import { ContextualCompressionRetriever } from "@langchain/classic/retrievers/contextual_compression";
import { DocumentCompressorPipeline } from "@langchain/classic/retrievers/document_compressors";
import { EnsembleRetriever } from "@langchain/classic/retrievers/ensemble";
import { MultiQueryRetriever } from "@langchain/classic/retrievers/multi_query";
import { ParentDocumentRetriever } from "@langchain/classic/retrievers/parent_document";
import { MemoryVectorStore } from "@langchain/classic/vectorstores/memory";
import { BM25Retriever } from "@langchain/community/retrievers/bm25";
import { Document, type DocumentInterface } from "@langchain/core/documents";
import { InMemoryStore } from "@langchain/core/stores";
import { FakeListChatModel } from "@langchain/core/utils/testing";
import { RecursiveCharacterTextSplitter } from "@langchain/textsplitters";
import { CrossEncoderReranker, RelevanceThresholdFilter } from "langchain-rerank";
import { HuggingFaceCrossEncoder } from "langchain-rerank/huggingface";
import { DEMO_DOCUMENTS } from "./demo_corpus.js";
import { HashingEmbeddings, RERANK_MODEL, describeRerankModel, loadRerankModel } from "./support.js";

const show = (title: string, docs: DocumentInterface[]) => {
  console.log(`\n${title} (${docs.length})`);
  for (const d of docs) {
    const score = typeof d.metadata.relevanceScore === "number" ? ` score ${d.metadata.relevanceScore.toFixed(4)}` : "";
    console.log(`  ${d.metadata.id ?? d.metadata.topic}${score}  ${d.pageContent.slice(0, 60)}…`);
  }
};
console.log(describeRerankModel());
const query = "Does drinking coffee raise blood pressure?";
const bm25 = BM25Retriever.fromDocuments(DEMO_DOCUMENTS, { k: 10 });
const scorer = new HuggingFaceCrossEncoder({ model: RERANK_MODEL });
await loadRerankModel(scorer, "examples/recipes.ts"); // offline without the model: says what to run instead

// --- recipe: rerank, then threshold (DocumentCompressorPipeline) -------------------------------------------------
const rerankThenThreshold = new ContextualCompressionRetriever({
  baseRetriever: bm25,
  baseCompressor: new DocumentCompressorPipeline({
    transformers: [
      new CrossEncoderReranker({ model: scorer, topN: 10 }), // scores every candidate, best first
      new RelevanceThresholdFilter({ threshold: 0.3, minDocuments: 1, topN: 5 }), // reads the scores it wrote
    ],
  }),
});
show("rerank, then threshold", await rerankThenThreshold.invoke(query));

// --- recipe: hybrid first stage (EnsembleRetriever), then rerank -------------------------------------------------
const vectorStore = await MemoryVectorStore.fromDocuments(DEMO_DOCUMENTS, new HashingEmbeddings());
const hybrid = new ContextualCompressionRetriever({
  baseRetriever: new EnsembleRetriever({ retrievers: [bm25, vectorStore.asRetriever({ k: 10 })], weights: [0.5, 0.5] }),
  baseCompressor: new CrossEncoderReranker({ model: scorer, topN: 3 }),
});
show("hybrid (BM25 + vectors), then rerank", await hybrid.invoke(query));

// --- recipe: MultiQueryRetriever with a reranker -----------------------------------------------------------------
// The LLM writes variants of the question; the union of their results is reranked against the original question.
const llm = new FakeListChatModel({
  responses: ["<questions>\nIs caffeine bad for blood pressure?\nDoes coffee cause hypertension?\n</questions>"],
});
const multiQuery = MultiQueryRetriever.fromLLM({
  llm,
  retriever: bm25,
  queryCount: 2,
  documentCompressor: new CrossEncoderReranker({ model: scorer, topN: 3 }),
});
show("multi-query, then rerank", await multiQuery.invoke(query));

// --- recipe: ParentDocumentRetriever with a reranker ---------------------------------------------------------------
// Small chunks are searched and reranked; their parent documents come back, best chunk first.
const topics = [...new Set(DEMO_DOCUMENTS.map((d) => d.metadata.topic as string))];
const parents = topics.map((topic) => {
  const text = DEMO_DOCUMENTS.filter((d) => d.metadata.topic === topic).map((d) => d.pageContent);
  return new Document({ pageContent: text.join("\n"), metadata: { topic } });
});
const parentRetriever = new ParentDocumentRetriever({
  vectorstore: new MemoryVectorStore(new HashingEmbeddings()),
  byteStore: new InMemoryStore<Uint8Array>(),
  childSplitter: new RecursiveCharacterTextSplitter({ chunkSize: 160, chunkOverlap: 0 }),
  childK: 10,
  parentK: 2,
  documentCompressor: new CrossEncoderReranker({ model: scorer, topN: 3 }),
});
await parentRetriever.addDocuments(parents);
show("parent documents of the best reranked chunks", await parentRetriever.invoke(query));

await scorer.dispose();
