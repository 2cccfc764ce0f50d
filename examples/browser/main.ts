/// <reference lib="dom" />
/**
 * Two-stage retrieval in the browser: BM25 over a small corpus, then a local cross-encoder (transformers.js on
 * onnxruntime-web) reranks the candidates. See docs/browser.md.
 *
 *   URL parameters: ?model=/models/reranker/&dtype=q8&family=cross-encoder&device=wasm&query=...&k=8&auto=1
 *   (family: cross-encoder, causal or colbert; device: wasm, webgpu or auto; auto=1: load the model and rerank at
 *   once; raw=1: raw logits instead of 0–1 scores, for the cross-encoder and the causal LM)
 */
import type { DocumentInterface } from "@langchain/core/documents";
import { type CrossEncoder, CrossEncoderReranker } from "langchain-rerank";
import { OkapiBm25Retriever } from "langchain-rerank/bm25";
import {
  ColBERTCrossEncoder,
  HuggingFaceCausalCrossEncoder,
  HuggingFaceCrossEncoder,
  type RerankerDevice,
  type RerankerDtype,
} from "langchain-rerank/huggingface";
import { DEMO_DOCUMENTS, DEMO_QUERIES } from "../demo_corpus.js";

interface Row {
  id: string;
  text: string;
  bm25Rank: number;
  bm25Score: number;
  score?: number;
}

/** What the page did, for people (rendered) and for the automated test (read from window.rerankDemo). */
const state = {
  status: "idle" as "idle" | "loading" | "ready" | "reranking" | "done" | "error",
  model: "",
  dtype: "q8" as RerankerDtype,
  family: "cross-encoder" as Family,
  /** The device asked for, and the one the model runs on (for "auto": WebGPU, or WASM and why). */
  requestedDevice: "wasm" as RerankerDevice,
  device: "",
  deviceFallbackReason: undefined as string | undefined,
  query: "",
  loadMs: undefined as number | undefined,
  bm25Ms: undefined as number | undefined,
  rerankMs: undefined as number | undefined,
  progressEvents: 0,
  candidates: [] as Row[],
  reranked: [] as Row[],
  error: undefined as { name: string; message: string } | undefined,
};
// The scorer classes too, so the automated test can run each local family in this page (test/browser/).
Object.assign(globalThis, { rerankDemo: { state, HuggingFaceCrossEncoder, HuggingFaceCausalCrossEncoder, ColBERTCrossEncoder } });

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const params = new URLSearchParams(location.search);
$<HTMLInputElement>("model").value = params.get("model") ?? "./models/reranker/";
$<HTMLSelectElement>("dtype").value = params.get("dtype") ?? "q8";
$<HTMLSelectElement>("family").value = params.get("family") ?? "cross-encoder";
$<HTMLSelectElement>("device").value = params.get("device") ?? "wasm";
$<HTMLInputElement>("query").value = params.get("query") ?? DEMO_QUERIES[0]!;
$<HTMLInputElement>("k").value = params.get("k") ?? "8";
$("queries").append(...DEMO_QUERIES.map((q) => Object.assign(document.createElement("option"), { value: q })));

const retriever = OkapiBm25Retriever.fromDocuments(DEMO_DOCUMENTS);
type Family = "cross-encoder" | "causal" | "colbert";
type LocalScorer = CrossEncoder & { load(): Promise<void>; dispose(): Promise<void>; loadedDevice?: RerankerDevice; deviceFallbackReason?: string };
type ScorerFields = {
  model: string;
  dtype: RerankerDtype;
  device: RerankerDevice;
  scoreMode: "raw" | "sigmoid";
  progressCallback: ReturnType<typeof progressTracker>;
};
/** The three local families; the causal one is given the Qwen3-Reranker prompt, as a folder's name does not say it. */
const SCORERS: Record<Family, (fields: ScorerFields) => LocalScorer> = {
  "cross-encoder": (fields) => new HuggingFaceCrossEncoder(fields),
  causal: (fields) => new HuggingFaceCausalCrossEncoder({ ...fields, family: "qwen3-reranker" }),
  colbert: ({ scoreMode: _, ...fields }) => new ColBERTCrossEncoder(fields), // MaxSim sums: no score mode
};
let scorer: LocalScorer | undefined;
let loadedFrom = "";

/** transformers.js reports progress per file; the bar shows bytes loaded over bytes known, across files. */
function progressTracker(): (event: { status: string; file?: string; loaded?: number; total?: number }) => void {
  const files = new Map<string, { loaded: number; total: number }>();
  return (event) => {
    state.progressEvents += 1;
    if (event.status !== "progress" || event.file === undefined) return;
    files.set(event.file, { loaded: event.loaded ?? 0, total: event.total ?? 0 });
    let loaded = 0;
    let total = 0;
    for (const file of files.values()) {
      loaded += file.loaded;
      total += file.total;
    }
    $<HTMLProgressElement>("progress").value = total > 0 ? loaded / total : 0;
    $("status").textContent = `loading ${event.file}: ${(loaded / 1e6).toFixed(1)} of ${(total / 1e6).toFixed(1)} MB`;
  };
}

function fail(error: unknown): void {
  const err = error as Error;
  state.status = "error";
  state.error = { name: err?.name ?? "Error", message: err?.message ?? String(error) };
  $("error").textContent = `${state.error.name}: ${state.error.message}`;
  $("status").textContent = "failed";
}

async function loadModel(): Promise<void> {
  const model = $<HTMLInputElement>("model").value;
  const dtype = $<HTMLSelectElement>("dtype").value as RerankerDtype;
  const family = $<HTMLSelectElement>("family").value as Family;
  const device = $<HTMLSelectElement>("device").value as RerankerDevice;
  if (scorer !== undefined && loadedFrom === `${model} ${dtype} ${family} ${device}`) return;
  await scorer?.dispose();
  Object.assign(state, { status: "loading", model, dtype, family, requestedDevice: device, error: undefined });
  $("error").textContent = "";
  $<HTMLButtonElement>("search").disabled = true;
  $<HTMLProgressElement>("progress").value = 0;
  const start = performance.now();
  try {
    // "wasm" is the browser default; "webgpu" fails where the browser has none, "auto" falls back to WASM and says why.
    const scoreMode = params.get("raw") === "1" ? "raw" : "sigmoid";
    scorer = SCORERS[family]({ model, dtype, device, scoreMode, progressCallback: progressTracker() });
    await scorer.load();
  } catch (error) {
    scorer = undefined;
    fail(error);
    return;
  }
  loadedFrom = `${model} ${dtype} ${family} ${device}`;
  state.device = scorer.loadedDevice ?? device;
  state.deviceFallbackReason = scorer.deviceFallbackReason;
  state.loadMs = performance.now() - start;
  state.status = "ready";
  $<HTMLProgressElement>("progress").value = 1;
  $("status").textContent =
    `loaded in ${state.loadMs.toFixed(0)} ms on ${state.device}` +
    (state.deviceFallbackReason !== undefined ? ` (no WebGPU: ${state.deviceFallbackReason})` : "");
  $<HTMLButtonElement>("search").disabled = false;
}

function rows(docs: DocumentInterface[], withScore: boolean): Row[] {
  return docs.map((doc) => ({
    id: String(doc.metadata.id),
    text: doc.pageContent,
    bm25Rank: Number(doc.metadata.retrievalRank),
    bm25Score: Number(doc.metadata.retrievalScore),
    ...(withScore ? { score: Number(doc.metadata.relevanceScore) } : {}),
  }));
}

function render(table: string, header: string[], cells: (row: Row, i: number) => (string | number)[], data: Row[]): void {
  const el = $<HTMLTableElement>(table);
  el.replaceChildren();
  const head = el.insertRow();
  for (const h of header) head.append(Object.assign(document.createElement("th"), { textContent: h }));
  data.forEach((row, i) => {
    const tr = el.insertRow();
    for (const value of cells(row, i)) {
      const td = tr.insertCell();
      td.textContent = String(value);
      if (typeof value === "number") td.className = "num";
    }
  });
}

async function search(): Promise<void> {
  if (scorer === undefined) return;
  const query = $<HTMLInputElement>("query").value;
  const k = Number($<HTMLInputElement>("k").value);
  Object.assign(state, { status: "reranking", query, error: undefined });
  try {
    retriever.k = k;
    let start = performance.now();
    const candidates = await retriever.invoke(query);
    state.bm25Ms = performance.now() - start;
    const reranker = new CrossEncoderReranker({ model: scorer, topN: candidates.length });
    start = performance.now();
    const reranked = await reranker.compressDocuments(candidates, query);
    state.rerankMs = performance.now() - start;
    state.candidates = rows(candidates, false);
    state.reranked = rows(reranked as DocumentInterface[], true);
  } catch (error) {
    fail(error);
    return;
  }
  render("candidates", ["#", "BM25", "id", "passage"], (r) => [r.bm25Rank, r.bm25Score.toFixed(2), r.id, r.text], state.candidates);
  render("reranked", ["#", "score", "BM25 #", "id", "passage"], (r, i) => [i + 1, r.score!.toFixed(4), r.bm25Rank, r.id, r.text], state.reranked);
  $("timings").textContent =
    `model load ${state.loadMs!.toFixed(0)} ms · BM25 ${state.bm25Ms.toFixed(1)} ms · rerank ${state.candidates.length} pairs ` +
    `${state.rerankMs.toFixed(0)} ms (${state.dtype}, ${state.device})`;
  state.status = "done";
}

$("load").addEventListener("click", () => void loadModel());
$("search").addEventListener("click", () => void search());
if (params.get("auto") === "1") void loadModel().then(() => (state.status === "ready" ? search() : undefined));
