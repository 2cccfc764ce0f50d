/**
 * Late interaction (ColBERT): index documents ahead of time, then rerank
 *
 * A ColBERT model reads a document once, alone, into one vector per token. At query time it encodes only the query
 * and scores each document by MaxSim: for each query vector, the best dot product with the document's vectors,
 * summed. `ColBERTCrossEncoder` keeps the document vectors in a LangChain `BaseStore`, so documents indexed when they are
 * added to the vector store cost nothing when a query reranks them. It is a `CrossEncoder`: `CrossEncoderReranker`
 * in a `ContextualCompressionRetriever` takes it as it takes any other scorer. See docs/late-interaction.md.
 *
 * Run it as a script, `npx tsx examples/late_interaction.ts`, or as the notebook `examples/late_interaction.ipynb`
 * (generated from the script by `scripts/notebook_from_example.py`). It does not need `../shared`.
 *
 * - The model is `process.env.COLBERT_MODEL ?? "answerdotai/answerai-colbert-small-v1"` (a hub id or a local
 *   ColBERT folder). CI sets `COLBERT_MODEL` to a random-weight proxy of answerai-colbert-small-v1's shape, or to the
 *   tiny fixture; the cell that loads it then says so, and every score and order below means nothing.
 * - The timings are this machine's, measured in this run. On random weights they say something about speed only.
 */
import { execFile } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { availableParallelism, tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
import { ContextualCompressionRetriever } from "@langchain/classic/retrievers/contextual_compression";
import { LocalFileStore } from "@langchain/classic/storage/file_system";
import { MemoryVectorStore } from "@langchain/classic/vectorstores/memory";
import type { DocumentInterface } from "@langchain/core/documents";
import { CrossEncoderReranker } from "langchain-rerank";
import { ColBERTCrossEncoder } from "langchain-rerank/huggingface";
import { DEMO_DOCUMENTS } from "./demo_corpus.js";
import { COLBERT, COLBERT_MODEL, HashingEmbeddings, describeRerankModel, loadRerankModel, projectDir } from "./support.js";

const query = "Does drinking coffee raise blood pressure?";

/** Prints a ranked list: the MaxSim score and where the first stage had the document. */
function show(title: string, docs: DocumentInterface[]): void {
  console.log(`\n${title}`);
  for (const doc of docs) {
    const score = (doc.metadata.relevanceScore as number).toFixed(4);
    console.log(`  ${doc.metadata.id}  MaxSim ${score}  (first stage #${doc.metadata.retrievalRank})  ${doc.pageContent.slice(0, 60)}…`);
  }
}

/** Median and range of a few timings, in milliseconds. */
function summary(ms: number[]): string {
  const sorted = [...ms].sort((a, b) => a - b);
  const median = sorted[Math.floor(sorted.length / 2)]!;
  return `median ${median.toFixed(1)} ms (min ${sorted[0]!.toFixed(1)}, max ${sorted[sorted.length - 1]!.toFixed(1)}, ${ms.length} runs)`;
}

// --- The scorer ---------------------------------------------------------------------------------------------------
// A ColBERT folder (PyLate layout with `1_Dense/`, or an ONNX export whose graph ends with the projection) or a hub
// id. The conventions (marker tokens, query length and `[MASK]` expansion, document length, skip-list) are read from
// the folder, else from the preset of a known hub id.
console.log(describeRerankModel(COLBERT_MODEL, COLBERT));
const scorer = new ColBERTCrossEncoder({ model: COLBERT_MODEL });
await loadRerankModel(scorer, "examples/late_interaction.ts", COLBERT); // offline without the model: says what to run instead
const conventions = await scorer.conventions();
console.log(
  `markers ${JSON.stringify(conventions.queryPrefix)} / ${JSON.stringify(conventions.documentPrefix)}, ` +
    `query length ${conventions.queryLength}, document length ${conventions.documentLength}, stored as ${scorer.precision}`,
);

// --- Adding documents: to the vector store and to the scorer's store, at once -----------------------------------
// `MemoryVectorStore` takes any embeddings class; a toy word-hashing one keeps this example offline. Wherever your
// code adds documents to its vector store, index them with `scorer.index()` too: it encodes each document's token
// vectors now and stores them, so no query has to. Texts already stored are skipped.
const vectorStore = new MemoryVectorStore(new HashingEmbeddings());
async function addDocuments(docs: DocumentInterface[]) {
  const [, indexed] = await Promise.all([vectorStore.addDocuments(docs), scorer.index(docs)]);
  return indexed;
}
const indexStart = performance.now();
const indexed = await addDocuments(DEMO_DOCUMENTS);
console.log(`Indexed ${DEMO_DOCUMENTS.length} documents in ${(performance.now() - indexStart).toFixed(0)} ms on this machine:`, indexed);
console.log("Indexing them again encodes nothing:", await scorer.index(DEMO_DOCUMENTS));

// --- Reranking the vector store's candidates -------------------------------------------------------------------
// The vector store returns 8 candidates; the ColBERT scorer keeps the best 3. `relevanceScore` is the raw MaxSim sum
// (at most the query length), and `retrievalRank` is where the vector store had the document. `storeStats` counts
// the document-vector lookups: every candidate was indexed, so this query reads them all from the store.
const retriever = new ContextualCompressionRetriever({
  baseRetriever: vectorStore.asRetriever({ k: 8 }),
  baseCompressor: new CrossEncoderReranker({ model: scorer, topN: 3 }),
});
const before = scorer.storeStats;
show(`Query: ${query}\nReranked by ColBERT (top 3 of the vector store's 8):`, await retriever.invoke(query));
const after = scorer.storeStats;
console.log(
  `\nDocument vectors for this query: ${after.hits - before.hits} read from the store (hits), ${after.misses - before.misses} encoded (misses)`,
);

// --- Cold versus warm: what indexing ahead saves -----------------------------------------------------------------
// A cold rerank meets documents that nobody indexed, so it encodes them at query time (here: a second scorer over the
// same model with an empty store). A warm rerank reads them from the store and encodes only the query. Both rerank
// the same 8 candidates, alternately, in this run, on this machine.
const candidates = await vectorStore.similaritySearch(query, 8);
const warmReranker = new CrossEncoderReranker({ model: scorer, topN: 3 });
const [cold, warm]: [number[], number[]] = [[], []];
for (let run = 0; run < 5; run++) {
  const empty = new ColBERTCrossEncoder({ model: COLBERT_MODEL }); // shares the loaded model, not the store
  await empty.load();
  let start = performance.now();
  await new CrossEncoderReranker({ model: empty, topN: 3 }).compressDocuments(candidates, query);
  cold.push(performance.now() - start);
  await empty.dispose();
  start = performance.now();
  await warmReranker.compressDocuments(candidates, query);
  warm.push(performance.now() - start);
}
console.log(`Reranking 8 candidates on this machine (${availableParallelism()} cores), ${COLBERT_MODEL}:`);
console.log(`  cold (documents encoded at query time): ${summary(cold)}`);
console.log(`  warm (documents indexed ahead):         ${summary(warm)}`);
console.log("  Speed only: the weights may be random, and these are one machine's figures (docs/benchmarks.md has the benchmark).");

// --- A persistent store: a second process reads the vectors -------------------------------------------------------
// `store` takes any `BaseStore<string, Uint8Array>`: here LangChain's `LocalFileStore`, in a temporary folder. This
// process indexes into it; a second process (examples/late_interaction_reader.ts) opens the same folder with the same
// model, reranks BM25's candidates, and finds every one of them stored. Keys are SHA-256 hashes: the files hold
// vectors, no text.
const folder = mkdtempSync(join(tmpdir(), "colbert-vectors-"));
const persistent = new ColBERTCrossEncoder({ model: COLBERT_MODEL, store: await LocalFileStore.fromPath(folder) });
console.log(`This process (${process.pid}) indexed into ${folder}:`, await persistent.index(DEMO_DOCUMENTS));
await persistent.dispose();
const root = projectDir();
const { stdout } = await promisify(execFile)(
  process.execPath,
  [join(root, "node_modules", "tsx", "dist", "cli.mjs"), "examples/late_interaction_reader.ts", folder, query],
  // A local folder is named by its absolute path, as the store's keys name it.
  { cwd: root, env: { ...process.env, COLBERT_MODEL: existsSync(COLBERT_MODEL) ? resolve(COLBERT_MODEL) : COLBERT_MODEL } },
);
console.log(`A second process reranked BM25's candidates over the same folder:\n${stdout}`);
rmSync(folder, { recursive: true, force: true });

// --- Clean up ---------------------------------------------------------------------------------------------------
await scorer.dispose(); // frees the ONNX session
