/**
 * The second process of examples/late_interaction.ts. It opens the LocalFileStore folder that the first process
 * indexed the documents into, reranks BM25's candidates with a ColBERTCrossEncoder over that store, and prints the
 * store's lookups. The first process stored every candidate, so all of them are hits: this process encodes only
 * the query.
 *
 *   COLBERT_MODEL=<the same model> npx tsx examples/late_interaction_reader.ts <store folder> "<query>"
 */
import { ContextualCompressionRetriever } from "@langchain/classic/retrievers/contextual_compression";
import { LocalFileStore } from "@langchain/classic/storage/file_system";
import { BM25Retriever } from "@langchain/community/retrievers/bm25";
import { CrossEncoderReranker } from "langchain-rerank";
import { ColBERTCrossEncoder } from "langchain-rerank/huggingface";
import { DEMO_DOCUMENTS } from "./demo_corpus.js";
import { COLBERT_MODEL } from "./support.js";

const [folder, query] = process.argv.slice(2);
if (folder === undefined || query === undefined) {
  console.error('usage: COLBERT_MODEL=<model> npx tsx examples/late_interaction_reader.ts <store folder> "<query>"');
  process.exit(2);
}
const scorer = new ColBERTCrossEncoder({ model: COLBERT_MODEL, store: await LocalFileStore.fromPath(folder) });
const retriever = new ContextualCompressionRetriever({
  baseRetriever: BM25Retriever.fromDocuments(DEMO_DOCUMENTS, { k: 8 }),
  baseCompressor: new CrossEncoderReranker({ model: scorer, topN: 3 }),
});
for (const doc of await retriever.invoke(query)) {
  console.log(`  ${doc.metadata.id}  MaxSim ${(doc.metadata.relevanceScore as number).toFixed(4)}  ${doc.pageContent.slice(0, 60)}…`);
}
const { hits, misses } = scorer.storeStats;
console.log(`process ${process.pid}: ${hits} document vectors read from ${folder}, ${misses} encoded`);
await scorer.dispose();
