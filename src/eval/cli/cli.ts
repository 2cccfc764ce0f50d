#!/usr/bin/env node
// rerank-eval: does a reranker help on this data? Replays a TREC run (or BM25) as the first stage, reranks with
// each --reranker on the same candidates, and prints nDCG/MRR/Recall with per-stage latency side by side.
import { basename, dirname, join, relative, resolve } from "node:path";
import { parseArgs } from "node:util";
import { Document } from "@langchain/core/documents";
import { RerankError } from "../../errors.js";
import { maskUrlSecrets } from "../../remote/secrets.js";
import { documentText, loadBeirDataset } from "../data/beir.js";
import { OkapiBm25Retriever } from "../../retrievers/okapi_bm25_retriever.js";
import { assertChartRenderer, renderChartSvg } from "../chart.js";
import { CALIBRATION_OPTIONS, CALIBRATION_USAGE, parseCalibrationFlags, runCalibration } from "./cli_calibration.js";
import { formatCalibrationText } from "../calibration_report.js";
import { COMPARISON_OPTIONS, COMPARISON_USAGE, comparisonSummaryOptions, loadComparisonRuns, parseComparisonFlags } from "./cli_comparison.js";
import { type EvalConfiguration, type RetrieverLike, evaluate } from "../evaluate.js";
import { parseMetrics } from "../stats/metrics.js";
import { type OutputFile, OutputPathError, checkOutputPaths, writeOutputFiles } from "./output_paths.js";
import { type EvaluationSummary, formatMarkdownReport, formatTextReport, summarize } from "../report.js";
import { type Reranker, createReranker, parseRerankerSpec } from "./rerankers.js";
import { RunFileRetriever } from "../data/run_file_retriever.js";
import { progressBar } from "./progress_bar.js";
import { sessionOptionsFromFlags } from "./session_threads.js";
import { loadTrecRun } from "../data/trec.js";
import { type WeightsChoice, chooseWeights, formatWeightsChoice, weightQueriesFromEvaluation } from "../weights.js";

const USAGE = `Usage: rerank-eval --dataset DIR [options]

  --dataset DIR          BEIR-layout folder: corpus.jsonl, queries.jsonl, qrels/<split>.tsv (or .trec.txt)
  --split NAME           qrels split (default: test)
  --qrels FILE           qrels file to use instead (TREC or BEIR layout)
  --run FILE             first stage: replay this TREC run (default: built-in BM25, k1=0.9 b=0.4)
  --depth N              candidates per query from the first stage (default: 100)
  --reranker SPEC        repeatable: none | cross-encoder[:MODEL] | cohere[:MODEL] | server[:URL]
                         (default: none); every reranker keeps all candidates
  --model ID|DIR         local cross-encoder model (hub id or folder)
  --dtype D              local cross-encoder weights: fp32, fp16, q8, ... (default: the scorer's)
  --device D             local cross-encoder device (default: cpu)
  --batch-size N         local cross-encoder: most pairs per forward pass
  --score-mode M         local cross-encoder scores: sigmoid | raw (default: sigmoid)
  --threads N            local cross-encoder: N onnxruntime threads that do not spin-wait
                         (default: onnxruntime's; 1 is often faster on a busy machine)
  --session-options JSON local cross-encoder: onnxruntime session options, e.g. '{"intraOpNumThreads":2}'
  --cohere-model M       Cohere model (key from COHERE_API_KEY or CO_API_KEY)
  --cohere-base-url URL  a Cohere-compatible server
  --server-url URL       rerank server endpoint, e.g. http://localhost:8080/rerank
  --server-dialect D     cohere (vLLM, Infinity, Jina) | tei | voyage (default: cohere)
  --server-model M       model field sent to the server (key from RERANK_SERVER_API_KEY)
  --metrics LIST         comma-separated (default: ndcg@10,mrr@10,recall@100)
  --rel-threshold N      binary metrics count label >= N as relevant (default: 1; TREC DL: 2)
  --limit N              evaluate only the first N judged queries
  --concurrency N        queries in flight (default: 4)
  --json FILE            write every number printed (and per-query values) as JSON
  --report FILE.md       write a Markdown report
  --chart FILE.svg       write a chart of metrics and latency (Vega-Lite)
  --title TEXT           heading of the report and the chart
${COMPARISON_USAGE}  --choose-weights       also choose MultiFactorReranker weights (relevance, firstStageRank,
                         firstStageScore) for the one --reranker on alternate queries (dev) and
                         report them on the others (held-out); adds "none" if absent
  --weights-method M     grid | coordinate (default: grid, step 0.1)
  --weights-metric M     metric the weights maximise (default: the first of --metrics)
${CALIBRATION_USAGE}  --quiet                no progress bar
  -h, --help             this text
`;

/** An argument as the reports quote it (the command line goes into --json and --report): URL secrets masked. */
export const withoutUrlSecrets = maskUrlSecrets;

/** A usage mistake: exit code 2, as most CLIs do. */
class UsageError extends RerankError {}

const OPTIONS = {
  dataset: { type: "string" },
  split: { type: "string", default: "test" },
  qrels: { type: "string" },
  run: { type: "string" },
  depth: { type: "string", default: "100" },
  reranker: { type: "string", multiple: true },
  model: { type: "string" },
  dtype: { type: "string" },
  device: { type: "string" },
  "batch-size": { type: "string" },
  "score-mode": { type: "string" },
  threads: { type: "string" },
  "session-options": { type: "string" },
  "cohere-model": { type: "string" },
  "cohere-base-url": { type: "string" },
  "server-url": { type: "string" },
  "server-dialect": { type: "string" },
  "server-model": { type: "string" },
  metrics: { type: "string", default: "ndcg@10,mrr@10,recall@100" },
  "rel-threshold": { type: "string", default: "1" },
  limit: { type: "string" },
  concurrency: { type: "string", default: "4" },
  json: { type: "string" },
  report: { type: "string" },
  chart: { type: "string" },
  title: { type: "string" },
  "choose-weights": { type: "boolean", default: false },
  "weights-method": { type: "string" },
  "weights-metric": { type: "string" },
  ...COMPARISON_OPTIONS,
  ...CALIBRATION_OPTIONS,
  quiet: { type: "boolean", default: false },
  help: { type: "boolean", short: "h", default: false },
} as const;

function positiveInteger(flag: string, text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const n = Number(text);
  if (!/^\d+$/.test(text.trim()) || !Number.isSafeInteger(n) || n < 1)
    throw new UsageError(`--${flag} must be a positive integer, got ${JSON.stringify(text)}.`);
  return n;
}

function parse(argv: string[]) {
  let values;
  try {
    ({ values } = parseArgs({ args: argv, options: OPTIONS, allowPositionals: false, strict: true }));
  } catch (error) {
    throw new UsageError(`${(error as Error).message} (see --help).`);
  }
  if (values.help) return undefined;
  if (values.dataset === undefined) throw new UsageError("--dataset DIR is required (a BEIR-layout folder); see --help.");
  const relThreshold = Number(values["rel-threshold"]);
  // Digits only: Number() reads "" as 0 and "0x2" as 2, so `--rel-threshold=` would silently mean 0.
  if (!/^\s*-?\d+\s*$/.test(values["rel-threshold"]) || !Number.isSafeInteger(relThreshold))
    throw new UsageError(`--rel-threshold must be an integer label, got ${JSON.stringify(values["rel-threshold"])}.`);
  const scoreMode = values["score-mode"];
  if (scoreMode !== undefined && scoreMode !== "sigmoid" && scoreMode !== "raw")
    throw new UsageError(`--score-mode must be sigmoid or raw, got ${JSON.stringify(scoreMode)}.`);
  const rerankers = values.reranker ?? ["none"];
  let sessionOptions;
  try {
    rerankers.forEach(parseRerankerSpec);
    sessionOptions = sessionOptionsFromFlags(values.threads, values["session-options"]);
    parseMetrics(values.metrics.split(",").filter((m) => m.trim() !== ""));
    if (values["weights-metric"] !== undefined) parseMetrics([values["weights-metric"]]);
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  if (new Set(rerankers).size !== rerankers.length) throw new UsageError("the same --reranker is given twice.");
  if (sessionOptions !== undefined && !rerankers.some((r) => parseRerankerSpec(r).kind === "cross-encoder"))
    throw new UsageError("--threads and --session-options set the local cross-encoder's session: add --reranker cross-encoder.");
  const weightsMethod = values["weights-method"];
  if (weightsMethod !== undefined && weightsMethod !== "grid" && weightsMethod !== "coordinate") {
    throw new UsageError(`--weights-method must be grid or coordinate, got ${JSON.stringify(weightsMethod)}.`);
  }
  if (values["choose-weights"]) {
    if (rerankers.filter((r) => parseRerankerSpec(r).kind !== "none").length !== 1) {
      throw new UsageError(
        "--choose-weights needs exactly one --reranker besides none: the weights combine its relevance with the first stage's evidence.",
      );
    }
    if (!rerankers.includes("none")) rerankers.unshift("none");
  } else if (weightsMethod !== undefined || values["weights-metric"] !== undefined) {
    throw new UsageError("--weights-method and --weights-metric go with --choose-weights.");
  }
  let comparison, calibration;
  try {
    comparison = parseComparisonFlags(values, rerankers);
    calibration = parseCalibrationFlags(values, rerankers);
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  return {
    dataset: values.dataset,
    split: values.split,
    qrels: values.qrels,
    run: values.run,
    depth: positiveInteger("depth", values.depth) as number,
    rerankers,
    model: values.model,
    dtype: values.dtype,
    device: values.device,
    batchSize: positiveInteger("batch-size", values["batch-size"]),
    scoreMode: scoreMode as "sigmoid" | "raw" | undefined,
    sessionOptions,
    cohereModel: values["cohere-model"],
    cohereBaseUrl: values["cohere-base-url"],
    serverUrl: values["server-url"],
    serverDialect: values["server-dialect"],
    serverModel: values["server-model"],
    metrics: values.metrics.split(",").filter((m) => m.trim() !== ""),
    relThreshold,
    limit: positiveInteger("limit", values.limit),
    concurrency: positiveInteger("concurrency", values.concurrency) as number,
    json: values.json,
    report: values.report,
    chart: values.chart,
    title: values.title,
    chooseWeights: values["choose-weights"],
    weightsMethod: weightsMethod as "grid" | "coordinate" | undefined,
    weightsMetric: values["weights-metric"],
    quiet: values.quiet,
    comparison,
    calibration,
  };
}

type Args = NonNullable<ReturnType<typeof parse>>;

interface FirstStage {
  retriever: RetrieverLike;
  description: string;
  split: string;
  dataset: Awaited<ReturnType<typeof loadBeirDataset>>;
  /** Lines for the report, e.g. judged queries the run does not cover. */
  notes: string[];
}

async function firstStage(args: Args): Promise<FirstStage> {
  const loadOptions = { split: args.split, ...(args.qrels ? { qrelsFile: args.qrels } : {}) };
  if (args.run !== undefined) {
    const run = await loadTrecRun(args.run);
    // Only the run's candidates need their text: a large corpus then costs little memory.
    const ids = new Set<string>();
    for (const entries of run.values()) for (const e of entries) ids.add(e.docId);
    const dataset = await loadBeirDataset(args.dataset, { ...loadOptions, corpusIds: ids });
    const retriever = new RunFileRetriever({ run, queries: dataset.queries, corpus: dataset.corpus, depth: args.depth });
    if (retriever.queryIds.length === 0)
      throw new UsageError(`${args.run}: the run has no query of split "${args.split}" (${dataset.queries.size} judged queries).`);
    // Judged queries absent from the run are skipped, as trec_eval does without -c.
    const inRun = new Set(retriever.queryIds);
    const missing = [...dataset.queries.keys()].filter((q) => !inRun.has(q));
    for (const q of missing) dataset.queries.delete(q);
    const notes = missing.length > 0 ? [`${missing.length} judged queries are not in the run and were skipped (as trec_eval without -c)`] : [];
    return { retriever, description: `run ${basename(args.run)} (top ${args.depth})`, split: args.split, dataset, notes };
  }
  const dataset = await loadBeirDataset(args.dataset, loadOptions);
  const documents = [...dataset.corpus].map(([id, doc]) => new Document({ id, pageContent: documentText(doc), metadata: { id } }));
  const retriever = OkapiBm25Retriever.fromDocuments(documents, { k: args.depth });
  return { retriever, description: `built-in BM25 (k1=0.9, b=0.4, top ${args.depth})`, split: args.split, dataset, notes: [] };
}

/** The files this run will write, each with its flag. */
function outputFiles(args: Args): { json?: OutputFile; report?: OutputFile; chart?: OutputFile; calibrate?: OutputFile } {
  const of = (flag: string, file: string | undefined) => (file === undefined ? {} : { [flag.slice(2)]: { flag, file } });
  return { ...of("--json", args.json), ...of("--report", args.report), ...of("--chart", args.chart), ...of("--calibrate", args.calibration?.file) };
}

/** The files this run reads, which no output may overwrite. */
function inputFiles(args: Args): string[] {
  const dataset = ["corpus.jsonl", "queries.jsonl", join("qrels", `${args.split}.tsv`), join("qrels", `${args.split}.trec.txt`)];
  const runs = [...(args.run ? [args.run] : []), ...args.comparison.compareRuns.map((r) => r.file)];
  return [...dataset.map((f) => join(args.dataset, f)), ...runs, ...(args.qrels ? [args.qrels] : [])];
}

export async function main(argv: string[]): Promise<number> {
  const args = parse(argv);
  if (args === undefined) {
    process.stdout.write(USAGE);
    return 0;
  }
  // Before the evaluation, which can take hours: a missing optional peer or a bad path would otherwise fail at the end.
  const outputs = outputFiles(args);
  await checkOutputPaths(Object.values(outputs), inputFiles(args));
  if (args.chart) await assertChartRenderer();
  const { retriever, description, split, dataset, notes } = await firstStage(args);
  const comparisonRuns = await loadComparisonRuns(args.comparison);
  const rerankers: Reranker[] = [];
  let progress: { update(done: number): void; stop(): void } | undefined;
  try {
    for (const spec of args.rerankers) {
      const reranker = await createReranker(spec, {
        depth: args.depth,
        ...(args.model !== undefined ? { model: args.model } : {}),
        ...(args.dtype !== undefined ? { dtype: args.dtype } : {}),
        ...(args.device !== undefined ? { device: args.device } : {}),
        ...(args.batchSize !== undefined ? { batchSize: args.batchSize } : {}),
        ...(args.sessionOptions !== undefined ? { sessionOptions: args.sessionOptions } : {}),
        ...(args.scoreMode !== undefined ? { scoreMode: args.scoreMode } : {}),
        ...(args.cohereModel !== undefined ? { cohereModel: args.cohereModel } : {}),
        ...(args.cohereBaseUrl !== undefined ? { cohereBaseUrl: args.cohereBaseUrl } : {}),
        ...(args.serverUrl !== undefined ? { serverUrl: args.serverUrl } : {}),
        ...(args.serverDialect !== undefined ? { serverDialect: args.serverDialect } : {}),
        ...(args.serverModel !== undefined ? { serverModel: args.serverModel } : {}),
        ...(process.env.RERANK_SERVER_API_KEY ? { serverApiKey: process.env.RERANK_SERVER_API_KEY } : {}),
      });
      rerankers.push(reranker);
      await reranker.prepare();
      if (reranker.warning !== undefined) {
        process.stderr.write(`rerank-eval: warning: ${reranker.warning}\n`);
        notes.push(reranker.warning);
      }
    }
    const configurations: EvalConfiguration[] = rerankers.map((r) => ({ name: r.name, compressor: r.compressor }));
    const judged = [...dataset.queries.keys()].filter((q) => [...(dataset.qrels.get(q)?.values() ?? [])].some((l) => l > 0)).length;
    progress = await progressBar(args.limit === undefined ? judged : Math.min(args.limit, judged), args.quiet);
    const result = await evaluate({
      queries: dataset.queries,
      qrels: dataset.qrels,
      retriever,
      configurations,
      metrics: args.metrics,
      relThreshold: args.relThreshold,
      concurrency: args.concurrency,
      ...(args.limit !== undefined ? { limit: args.limit } : {}),
      onProgress: (done) => progress?.update(done),
    });
    progress.stop();
    progress = undefined;

    const command = [
      "rerank-eval",
      ...argv.map(withoutUrlSecrets).map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, "'\\''")}'`)),
    ].join(" ");
    const compared = comparisonSummaryOptions(comparisonRuns, result, dataset.qrels, args.depth);
    const summary: EvaluationSummary = summarize(
      result,
      {
        dataset: basename(resolve(args.dataset)),
        ...(args.title !== undefined ? { title: args.title } : {}),
        split,
        firstStage: description,
        notes: [...notes, ...compared.notes],
        depth: args.depth,
        command,
        ...(args.chart && args.report ? { chart: relative(dirname(resolve(args.report)), resolve(args.chart)) } : {}),
      },
      compared.summarize,
    );
    process.stdout.write(formatTextReport(summary));
    let weights: WeightsChoice | undefined;
    if (args.chooseWeights) {
      const reranker = (rerankers.find((r) => r.kind !== "none") as Reranker).name;
      const queries = weightQueriesFromEvaluation(result, dataset.qrels, { firstStage: "none", reranker });
      weights = chooseWeights(queries, {
        factors: ["relevance", "firstStageRank", "firstStageScore"],
        metric: args.weightsMetric ?? (args.metrics[0] as string),
        relThreshold: args.relThreshold,
        ...(args.weightsMethod !== undefined ? { method: args.weightsMethod } : {}),
      });
      process.stdout.write(formatWeightsChoice(weights, reranker));
    }
    let calibration;
    if (args.calibration) {
      const reranker = rerankers[args.rerankers.indexOf(args.calibration.reranker)] as Reranker;
      const fittedOn = { dataset: basename(resolve(args.dataset)), split, firstStage: description, depth: args.depth, command };
      const seed = args.comparison.options.seed ?? 42;
      const fitted = runCalibration({ flags: args.calibration, reranker, result, relThreshold: args.relThreshold, seed, fittedOn });
      calibration = fitted.calibration;
      summary.calibration = fitted.summary;
      process.stdout.write(formatCalibrationText(fitted.summary));
    }
    const { json, report, chart, calibrate } = outputs;
    await writeOutputFiles([
      ...(calibrate && calibration ? [{ output: calibrate, text: () => `${JSON.stringify(calibration, null, 2)}\n` }] : []),
      ...(json ? [{ output: json, text: () => `${JSON.stringify(weights ? { ...summary, weights } : summary, null, 2)}\n` }] : []),
      ...(report ? [{ output: report, text: () => formatMarkdownReport(summary) }] : []),
      ...(chart ? [{ output: chart, text: () => renderChartSvg(summary) }] : []),
    ]);
    return 0;
  } finally {
    progress?.stop();
    for (const r of rerankers) await r.dispose().catch(() => {});
  }
}

/** One line, whatever the error: the message (first line of it) without a stack trace, URL secrets masked (a backstop). */
export function oneLine(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return maskUrlSecrets(message.replace(/\s*\n\s*/g, " ").trim()) || (error instanceof Error ? error.name : "unknown error");
}

// Run only as a program (bin or `tsx src/eval/cli/cli.ts`), not when imported by a test.
const entry = process.argv[1] ? resolve(process.argv[1]) : "";
if (/rerank[-_]eval(\.c?js)?$|[\\/]eval[\\/]cli[\\/]cli\.ts$/.test(entry)) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (error: unknown) => {
      process.stderr.write(`rerank-eval: ${oneLine(error)}\n`);
      // A bad output path is a usage mistake when it is found before the run; a failed write at the end is not.
      process.exit(error instanceof UsageError || (error instanceof OutputPathError && !error.atWrite) ? 2 : 1);
    },
  );
}
