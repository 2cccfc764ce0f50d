/**
 * Three-stage retrieval: candidates, a cross-encoder with a fallback, a multi-factor final ranking
 *
 * BM25 returns candidates; a cross-encoder scores them (a rerank server first when one is given, the local model as
 * its fallback, with a score cache); a final ranking weighs that relevance against recency, source reliability and
 * the first stage's own rank. All three run inside one `ContextualCompressionRetriever`, the last two as a
 * `DocumentCompressorPipeline`.
 *
 * Run it as a script, `npx tsx examples/three_stage.ts`, or as the notebook `examples/three_stage.ipynb` (tslab
 * kernel; generated from the script by `scripts/notebook_from_example.py`). It does not need `../shared`.
 *
 * - The reranker model is `process.env.RERANK_MODEL ?? "Xenova/bge-reranker-base"`. CI sets `RERANK_MODEL` to a
 *   random-weight proxy; the cell that loads the model then says so, and every score and order below means nothing.
 * - Optional: `RERANK_SERVER_URL` (a TEI server's base URL). CI points it at a local stand-in that scores by word
 *   overlap.
 * - The dates and reliabilities are made up for the example (the demo corpus has none): they show how the final
 *   stage moves documents, not real freshness.
 */
import { ContextualCompressionRetriever } from "@langchain/classic/retrievers/contextual_compression";
import { DocumentCompressorPipeline } from "@langchain/classic/retrievers/document_compressors";
import { BM25Retriever } from "@langchain/community/retrievers/bm25";
import { Document } from "@langchain/core/documents";
import {
  CachedCrossEncoder,
  CrossEncoderReranker,
  FallbackReranker,
  MultiFactorReranker,
  type NamedReranker,
  RerankServerCrossEncoder,
} from "langchain-rerank";
import { HuggingFaceCrossEncoder } from "langchain-rerank/huggingface";
import { DEMO_DOCUMENTS } from "./demo_corpus.js";
import { RERANK_MODEL, RERANK_SERVER_URL, describeRerankModel, loadRerankModel } from "./support.js";

const DAY = 86_400_000;
const NOW = Date.parse("2026-11-01T00:00:00Z");

// --- The corpus, with a date and a source reliability per passage ---------------------------------------------
// Illustrative metadata: an age of 0–399 days and a reliability of 0.3–0.9, fixed per passage.
const corpus = DEMO_DOCUMENTS.map(
  (doc, i) =>
    new Document({
      pageContent: doc.pageContent,
      metadata: { ...doc.metadata, publishedAt: new Date(NOW - ((i * 37) % 400) * DAY).toISOString(), reliability: 0.3 + ((i * 3) % 7) / 10 },
    }),
);
console.log(`${corpus.length} passages; the first: ${JSON.stringify(corpus[0]!.metadata)}`);

// --- Stage 2: the cross-encoder, with a fallback and a cache --------------------------------------------------
// A rerank server when one is given (cut off after 2 s), the local model otherwise or after it. Loading the local
// model before serving keeps its first load out of the fallback's timeout.
console.log(describeRerankModel());
const localModel = new HuggingFaceCrossEncoder({ model: RERANK_MODEL });
await loadRerankModel(localModel, "examples/three_stage.ts"); // offline without the model: says what to run instead
const rerankers: NamedReranker[] = [];
if (RERANK_SERVER_URL !== undefined) {
  const server = new RerankServerCrossEncoder({ url: `${RERANK_SERVER_URL}/rerank`, dialect: "tei", maxRetries: 0 });
  rerankers.push({ reranker: new CrossEncoderReranker({ model: server, topN: 10 }), name: "server" });
}
rerankers.push({ reranker: new CrossEncoderReranker({ model: new CachedCrossEncoder({ model: localModel }), topN: 10 }), name: "local" });
const crossEncoder = new FallbackReranker({ rerankers: rerankers, timeout: 2_000, topN: 10 });

// --- Stage 3: the final ranking -------------------------------------------------------------------------------
// Relevance (min-max per query) dominates; the first-stage rank, recency (half-life 180 days) and reliability break
// near-ties. Should every cross-encoder fail, documents carry no relevance: "skip" ranks them by the other factors.
const finalRanking = new MultiFactorReranker({
  weights: { relevance: 0.6, recency: 0.2, firstStageRank: 0.1, reliability: 0.1 },
  missing: { relevance: "skip" },
  recency: { field: "publishedAt", halfLifeDays: 180, now: () => NOW },
  signals: { reliability: (doc) => doc.metadata.reliability as number },
  topN: 3,
});

// --- All three in one retriever -------------------------------------------------------------------------------
// The retriever runs BM25, then the pipeline, on every invoke. Each result records who served the cross-encoder
// stage (`rerankedBy`), every factor before weighting (`rankingFactors`), the final score and the first-stage rank.
const retriever = new ContextualCompressionRetriever({
  baseRetriever: BM25Retriever.fromDocuments(corpus, { k: 20 }),
  baseCompressor: new DocumentCompressorPipeline({ transformers: [crossEncoder, finalRanking] }),
});
const results = await retriever.invoke("Does drinking coffee raise blood pressure?");
console.log(`Cross-encoder stage served by: ${results[0]?.metadata.rerankedBy}`);
for (const doc of results) {
  const factors = Object.entries(doc.metadata.rankingFactors as Record<string, number>)
    .map(([name, value]) => `${name} ${value.toFixed(3)}`)
    .join(", ");
  console.log(`  ${doc.metadata.id}  final ${(doc.metadata.finalScore as number).toFixed(4)}  (${factors}; was #${doc.metadata.retrievalRank})`);
}
await localModel.dispose();
