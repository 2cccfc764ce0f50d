/**
 * Two-stage retrieval demo: BM25 over a small embedded corpus returns candidates, a local cross-encoder reranks them.
 *
 *   npm run demo                                   # Xenova/bge-reranker-base from the Hugging Face hub (cached after the first run)
 *   npm run demo -- --model /path/to/model-folder  # or RERANK_MODEL=/path/to/model-folder npm run demo
 *   npm run demo -- --query "How tall is the Eiffel Tower?" --top-n 3 --candidates 8 --dtype fp32
 *   npm run demo -- --offline --cache-dir ~/.cache/rerank        # never download: cache or folder only
 */
import { parseArgs } from "node:util";
import { BM25Retriever } from "@langchain/community/retrievers/bm25";
import type { DocumentInterface } from "@langchain/core/documents";
import { HuggingFaceCrossEncoder, type RerankerDtype } from "langchain-rerank/huggingface";
import { CrossEncoderReranker, ModelNotFoundError, RerankError } from "langchain-rerank";
import { hasRandomWeights, modelNotFoundHelp } from "./support.js";
import { DEMO_DOCUMENTS, DEMO_QUERIES } from "./demo_corpus.js";

const { values } = parseArgs({
  options: {
    model: { type: "string" },
    dtype: { type: "string" },
    query: { type: "string", multiple: true },
    "top-n": { type: "string", default: "3" },
    candidates: { type: "string", default: "8" },
    offline: { type: "boolean", default: false },
    "cache-dir": { type: "string" },
    help: { type: "boolean", short: "h" },
  },
});
if (values.help) {
  console.log(
    "npm run demo -- [--model HUB_ID_OR_FOLDER] [--dtype q8|fp32] [--query TEXT]... [--top-n N] [--candidates K] [--offline] [--cache-dir DIR]",
  );
  process.exit(0);
}

const model = values.model ?? process.env.RERANK_MODEL ?? HuggingFaceCrossEncoder.DEFAULT_MODEL;
const queries = values.query ?? DEMO_QUERIES.slice(0, 2);
const topN = Number(values["top-n"]);
const k = Number(values.candidates);
const ms = (start: number) => `${(performance.now() - start).toFixed(1)} ms`;
const line = (doc: DocumentInterface, score?: string) =>
  `  ${String(doc.metadata.id).padEnd(4)}${score ? ` ${score}` : ""}  ${doc.pageContent.length > 96 ? doc.pageContent.slice(0, 95) + "…" : doc.pageContent}`;

async function main(): Promise<number> {
  const scorer = new HuggingFaceCrossEncoder({
    model,
    localFilesOnly: values.offline,
    ...(values["cache-dir"] ? { cacheDir: values["cache-dir"] } : {}),
    ...(values.dtype ? { dtype: values.dtype as RerankerDtype } : {}),
    progressCallback: (p) => {
      if (p.status === "progress" && p.file?.endsWith(".onnx")) process.stderr.write(`\rdownloading ${p.file}: ${Math.round(p.progress ?? 0)}%`);
    },
  });
  // ContextualCompressionRetriever({ baseRetriever: firstStage, baseCompressor: reranker }) makes these same two calls;
  // the demo makes them itself to time each stage.
  const firstStage = BM25Retriever.fromDocuments(DEMO_DOCUMENTS, { k });
  const reranker = new CrossEncoderReranker({ model: scorer, topN });

  console.log(
    `Corpus: ${DEMO_DOCUMENTS.length} passages. First stage: BM25 top ${k}. Reranker: ${model} (${scorer.dtype}, ${scorer.device}), top ${topN}.`,
  );
  let start = performance.now();
  await scorer.load();
  process.stderr.write("\r");
  console.log(`Model loaded in ${ms(start)}.`);
  if (hasRandomWeights(model))
    console.log("Note: this model has RANDOM weights (a test fixture or benchmark proxy): its scores and order mean nothing.");

  for (const query of queries) {
    console.log(`\nQuery: ${query}`);
    start = performance.now();
    const candidates = await firstStage.invoke(query);
    const firstStageTime = ms(start);
    console.log(`First stage (BM25), ${candidates.length} candidates in ${firstStageTime}:`);
    candidates.forEach((doc) => console.log(line(doc)));
    start = performance.now();
    const reranked = await reranker.compressDocuments(candidates, query);
    console.log(`Reranked by the cross-encoder in ${ms(start)}:`);
    reranked.forEach((doc) =>
      console.log(line(doc, `score ${(doc.metadata.relevanceScore as number).toFixed(4)} (was #${doc.metadata.retrievalRank})`)),
    );
  }
  await scorer.dispose();
  return 0;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write("\n");
    if (error instanceof ModelNotFoundError) {
      console.error(modelNotFoundHelp(error, (folder) => [`npm run demo -- --model ${folder}`, `RERANK_MODEL=${folder} npm run demo`]));
    } else if (error instanceof RerankError) {
      console.error(error.message);
    } else {
      console.error(error);
    }
    process.exit(1);
  },
);
