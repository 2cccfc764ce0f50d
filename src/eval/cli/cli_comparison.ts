import { basename } from "node:path";
import { InvalidOptionError } from "../../errors.js";
import { maskUrlSecrets } from "../../remote/secrets.js";
import { cutRun } from "../comparison.js";
import type { EvaluationResult } from "../evaluate.js";
import { type Qrels, type Run, evaluateRun } from "../stats/metrics.js";
import type { ScoredRun, SummarizeOptions } from "../report.js";
import { loadTrecRun } from "../data/trec.js";

// rerank-eval's comparison flags: which configuration is the baseline, extra first stages scored from run files,
// and the paired tests' settings. Kept out of cli.ts so that file stays about running an evaluation.

export const COMPARISON_OPTIONS = {
  baseline: { type: "string" },
  "compare-run": { type: "string", multiple: true },
  alpha: { type: "string", default: "0.05" },
  seed: { type: "string" },
  permutations: { type: "string" },
  "bootstrap-samples": { type: "string" },
} as const;

export const COMPARISON_USAGE = `  --compare-run FILE     repeatable: also score this TREC run (top --depth per query) as configuration
                         run:FILE-NAME, e.g. to compare two first stages
  --baseline NAME        what the others are compared with: a --reranker spec or run:FILE-NAME
                         (default: the first --reranker)
  --alpha A              significance level of the ▲/▼ markers; intervals are 1 − A (default: 0.05)
  --seed N               seed of the bootstrap and the sampled randomisation test (default: 42)
  --permutations N       sign flips sampled when the randomisation test is not exact (default: 10000)
  --bootstrap-samples N  bootstrap resamples of the queries (default: 10000)
`;

export interface ComparisonFlags {
  baseline?: string;
  compareRuns: { name: string; file: string }[];
  options: { alpha: number; seed?: number; permutations?: number; bootstrapSamples?: number };
}

type Values = { [K in keyof typeof COMPARISON_OPTIONS]?: (typeof COMPARISON_OPTIONS)[K] extends { multiple: true } ? string[] : string };

function integer(flag: string, text: string | undefined, min: number): number | undefined {
  if (text === undefined) return undefined;
  const n = Number(text);
  if (!/^\s*\d+\s*$/.test(text) || !Number.isSafeInteger(n) || n < min) {
    throw new InvalidOptionError(`--${flag} must be an integer ≥ ${min}, got ${JSON.stringify(text)}.`);
  }
  return n;
}

/** Reads the comparison flags; `rerankers` are the --reranker specs, which name the configurations. Throws usage mistakes. */
export function parseComparisonFlags(values: Values, rerankers: readonly string[]): ComparisonFlags {
  const alphaText = values.alpha ?? "0.05";
  const alpha = Number(alphaText);
  if (!/^\s*(0?\.\d+|\d+(\.\d*)?(e-?\d+)?)\s*$/i.test(alphaText) || !(alpha > 0 && alpha < 1)) {
    throw new InvalidOptionError(`--alpha must be a number strictly between 0 and 1, such as 0.05, got ${JSON.stringify(alphaText)}.`);
  }
  const compareRuns = (values["compare-run"] ?? []).map((file) => ({ name: `run:${basename(file)}`, file }));
  const names = new Set<string>();
  for (const { name } of compareRuns) {
    if (names.has(name))
      throw new InvalidOptionError(`two --compare-run files are both named ${name.slice(4)}; rename one (configurations are named after the file).`);
    names.add(name);
  }
  const configurations = [...rerankers.flatMap((r) => [r, maskUrlSecrets(r)]), ...names];
  const baseline = values.baseline;
  if (baseline !== undefined && !configurations.includes(baseline)) {
    throw new InvalidOptionError(
      `--baseline ${JSON.stringify(baseline)} names no configuration: expected one of ${[...new Set([...rerankers.map(maskUrlSecrets), ...names])].map((n) => JSON.stringify(n)).join(", ")}.`,
    );
  }
  const seed = integer("seed", values.seed, 0);
  const permutations = integer("permutations", values.permutations, 1);
  const bootstrapSamples = integer("bootstrap-samples", values["bootstrap-samples"], 2);
  return {
    ...(baseline !== undefined ? { baseline: maskUrlSecrets(baseline) } : {}),
    compareRuns,
    options: {
      alpha,
      ...(seed !== undefined ? { seed } : {}),
      ...(permutations !== undefined ? { permutations } : {}),
      ...(bootstrapSamples !== undefined ? { bootstrapSamples } : {}),
    },
  };
}

export interface LoadedRuns {
  flags: ComparisonFlags;
  runs: { name: string; file: string; run: Run }[];
}

/** Loads every --compare-run file (before the evaluation, so a malformed file fails at once). */
export async function loadComparisonRuns(flags: ComparisonFlags): Promise<LoadedRuns> {
  const runs = [];
  for (const { name, file } of flags.compareRuns) runs.push({ name, file, run: await loadTrecRun(file) });
  return { flags, runs };
}

/**
 * What `summarize` needs for the comparison: the --compare-run files scored on the evaluated queries (their top
 * `depth`, as trec_eval scores a run), the baseline and the tests' options; plus a note per run for the report.
 */
export function comparisonSummaryOptions(
  loaded: LoadedRuns,
  result: EvaluationResult,
  qrels: Qrels,
  depth: number,
): { summarize: SummarizeOptions; notes: string[] } {
  const evaluated = new Map(result.perQuery.flatMap((q) => (qrels.has(q.queryId) ? [[q.queryId, qrels.get(q.queryId) as Map<string, number>]] : [])));
  const runs: ScoredRun[] = [];
  const notes: string[] = [];
  for (const { name, file, run } of loaded.runs) {
    // Without -c: the queries the run lacks stay absent here, and the comparison counts them as 0 and says so.
    const scored = evaluateRun(cutRun(run, depth), evaluated, result.metrics, { relThreshold: result.relThreshold });
    if (scored.perQuery.size === 0)
      throw new InvalidOptionError(`${file}: the run has none of the ${evaluated.size} evaluated queries; is it a run of this dataset and split?`);
    runs.push({ name, perQuery: scored.perQuery });
    notes.push(`${name}: run ${basename(file)} (top ${depth}) scored from the file as trec_eval does; no latency measured`);
  }
  return {
    summarize: { ...(loaded.flags.baseline !== undefined ? { baseline: loaded.flags.baseline } : {}), runs, comparison: loaded.flags.options },
    notes,
  };
}
