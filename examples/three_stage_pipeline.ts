/**
 * Three-stage retrieval: BM25 candidates → a cross-encoder (a rerank server first, the local model as its fallback)
 * → a multi-factor final ranking (relevance, recency, source reliability), all inside one ContextualCompressionRetriever.
 *
 *   npx tsx examples/three_stage_pipeline.ts                                   # Xenova/bge-reranker-base (hub, then cached)
 *   npx tsx examples/three_stage_pipeline.ts --model /path/to/model-folder     # or RERANK_MODEL=/path/to/model-folder
 *   npx tsx examples/three_stage_pipeline.ts --server-url http://localhost:8080/rerank --server-dialect tei
 *
 * The dates and reliabilities are made up for the example (the demo corpus has none): they show how the final stage
 * moves documents, not real freshness.
 */
import { parseArgs } from "node:util";
import { DocumentCompressorPipeline } from "@langchain/classic/retrievers/document_compressors";
import { ContextualCompressionRetriever } from "@langchain/classic/retrievers/contextual_compression";
import { BM25Retriever } from "@langchain/community/retrievers/bm25";
import { Document } from "@langchain/core/documents";
import { HuggingFaceCrossEncoder } from "langchain-rerank/huggingface";
import {
  CachedCrossEncoder,
  CrossEncoderReranker,
  FallbackReranker,
  ModelNotFoundError,
  MultiFactorReranker,
  type NamedReranker,
  RerankError,
  RerankServerCrossEncoder,
  type RerankServerDialect,
} from "langchain-rerank";
import { hasRandomWeights, modelNotFoundHelp } from "./support.js";
import { DEMO_DOCUMENTS, DEMO_QUERIES } from "./demo_corpus.js";

const { values } = parseArgs({
  options: {
    model: { type: "string" },
    "server-url": { type: "string" },
    "server-dialect": { type: "string", default: "tei" },
    query: { type: "string", default: DEMO_QUERIES[0] },
    "top-n": { type: "string", default: "3" },
  },
});
const model = values.model ?? process.env.RERANK_MODEL ?? HuggingFaceCrossEncoder.DEFAULT_MODEL;
const NOW = Date.parse("2026-06-01T00:00:00Z");
const DAY = 86_400_000;

// Illustrative metadata: an age of 0–399 days and a source reliability of 0.3–0.9, fixed per passage.
const corpus = DEMO_DOCUMENTS.map(
  (doc, i) =>
    new Document({
      pageContent: doc.pageContent,
      metadata: { ...doc.metadata, publishedAt: new Date(NOW - ((i * 37) % 400) * DAY).toISOString(), reliability: 0.3 + ((i * 3) % 7) / 10 },
    }),
);

async function main(): Promise<void> {
  if (hasRandomWeights(model))
    console.log("Note: this model has RANDOM weights (a test fixture or benchmark proxy): its relevance scores mean nothing.");
  // Stage 2: the cross-encoder. A rerank server when given (cut off after 2 s), the local model otherwise or after it.
  const localModel = new HuggingFaceCrossEncoder({ model });
  // Load before serving: otherwise the first call's model load counts against the fallback's timeout.
  await localModel.load();
  const local = new CachedCrossEncoder({ model: localModel });
  const rerankers: NamedReranker[] = [];
  if (values["server-url"]) {
    const server = new RerankServerCrossEncoder({
      url: values["server-url"],
      dialect: values["server-dialect"] as RerankServerDialect,
      maxRetries: 0,
    });
    rerankers.push({ reranker: new CrossEncoderReranker({ model: server, topN: 10 }), name: "server" });
  }
  rerankers.push({ reranker: new CrossEncoderReranker({ model: local, topN: 10 }), name: "local" });
  const crossEncoder = new FallbackReranker({ rerankers, timeout: 2_000, topN: 10 });

  // Stage 3: the final ranking. Relevance (min-max per query) dominates; the first-stage rank, recency and
  // reliability break near-ties. Should every cross-encoder fail, documents carry no relevance: "skip" ranks them by
  // the other factors (the first stage's order among them) instead of failing the retrieval.
  const finalRanking = new MultiFactorReranker({
    weights: { relevance: 0.6, recency: 0.2, firstStageRank: 0.1, reliability: 0.1 },
    missing: { relevance: "skip" },
    recency: { field: "publishedAt", halfLifeDays: 180, now: () => NOW },
    signals: { reliability: (doc) => doc.metadata.reliability as number },
    topN: Number(values["top-n"]),
  });

  // Stage 1: BM25 candidates; the retriever runs the three stages on every invoke.
  const retriever = new ContextualCompressionRetriever({
    baseRetriever: BM25Retriever.fromDocuments(corpus, { k: 20 }),
    baseCompressor: new DocumentCompressorPipeline({ transformers: [crossEncoder, finalRanking] }),
  });

  const query = values.query as string;
  console.log(`Query: ${query}`);
  const results = await retriever.invoke(query);
  console.log(`Cross-encoder stage served by: ${results[0]?.metadata.rerankedBy}`);
  for (const doc of results) {
    const f = doc.metadata.rankingFactors as Record<string, number>;
    const factors = Object.entries(f)
      .map(([name, value]) => `${name} ${value.toFixed(3)}`)
      .join(", ");
    console.log(`  ${doc.metadata.id}  final ${(doc.metadata.finalScore as number).toFixed(4)}  (${factors}; was #${doc.metadata.retrievalRank})`);
    console.log(`        ${doc.pageContent.length > 90 ? `${doc.pageContent.slice(0, 89)}…` : doc.pageContent}`);
  }
  await localModel.dispose();
}

main().catch((error: unknown) => {
  if (error instanceof ModelNotFoundError) {
    console.error(modelNotFoundHelp(error, (folder) => [`npx tsx examples/three_stage_pipeline.ts --model ${folder}`]));
  } else console.error(error instanceof RerankError ? error.message : error);
  process.exit(1);
});
