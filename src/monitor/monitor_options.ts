import { DEFAULT_RANK_KEY } from "../compressors/ranked_documents.js";
import { InvalidOptionError } from "../errors.js";
import {
  checkBoolean,
  checkKnownFields,
  checkFunction,
  checkInRange,
  checkPositiveInteger,
  checkString,
  checkStringArray,
  describeValue,
} from "../options.js";
import { type AttributionOptions, checkAttributionOptions } from "./attribution.js";

export interface RerankMonitorArgs {
  /** Metadata key of the first-stage rank. @default "retrievalRank" */
  rankKey?: string;
  /** Where a stage's scores are read: the first of these keys its documents carry. @default ["finalScore", "relevanceScore"] */
  scoreKeys?: string[];
  /** The k of overlap@k. @default [3, 5, 10] */
  overlapAt?: number[];
  /** Relative error of every latency and score quantile (the sketches' α). @default 0.01 */
  relativeAccuracy?: number;
  /** Queries per score window (score quantiles over time). @default 1000 */
  windowQueries?: number;
  /** Score windows kept per stage; older ones are dropped. @default 24 */
  windows?: number;
  /** Query records kept for the JSON-lines export: a uniform random sample of all queries (reservoir sampling). @default 1000 */
  sampleSize?: number;
  /** Keep each sampled query's text in the export. Off by default: queries can hold personal data. @default false */
  recordQueries?: boolean;
  /** Output keys of a chain run that carry an answer and its context documents (those of `createRetrievalChain`). @default { answer: "answer", context: "context" } */
  answerKeys?: { answer: string; context: string };
  /** How answers are tied to documents: word n-gram length and the share of the answer's n-grams a used document holds. @default { ngram: 3, overlapThreshold: 0.2 } */
  attribution?: AttributionOptions;
  /** The random source of the sample: returns numbers in [0, 1). @default Math.random */
  random?: () => number;
}

/** The options with every default filled in. */
export type ResolvedMonitorOptions = Required<Omit<RerankMonitorArgs, "attribution">> & { attribution: Required<AttributionOptions> };

const OPTIONS: readonly (keyof RerankMonitorArgs)[] = [
  "rankKey",
  "scoreKeys",
  "overlapAt",
  "relativeAccuracy",
  "windowQueries",
  "windows",
  "sampleSize",
  "recordQueries",
  "answerKeys",
  "attribution",
  "random",
];

function positiveIntegers(owner: string, name: string, value: unknown): number[] | undefined {
  if (value === undefined) return undefined;
  if (!Array.isArray(value) || value.length === 0 || !value.every((k) => Number.isInteger(k) && k >= 1)) {
    throw new InvalidOptionError(
      `${owner}: \`${name}\` must be a non-empty array of positive integers, such as [3, 5, 10], got ${describeValue(value)}.`,
    );
  }
  return [...new Set(value as number[])];
}

function answerKeys(owner: string, value: unknown): { answer: string; context: string } | undefined {
  if (value === undefined) return undefined;
  const fields = checkKnownFields(`${owner}: \`answerKeys\``, value, ["answer", "context"], '{ answer: "answer", context: "context" }');
  const answer = checkString(owner, "answerKeys.answer", fields.answer);
  const context = checkString(owner, "answerKeys.context", fields.context);
  if (answer === undefined || context === undefined || answer === context) {
    throw new InvalidOptionError(`${owner}: \`answerKeys\` must name two different output keys, such as { answer: "answer", context: "context" }.`);
  }
  return { answer, context };
}

/**
 * Checks every option at construction, so a wrong type fails there with the option's name (a `recordQueries` of
 * "false", read from an environment variable, must not turn on recording of query texts).
 */
export function resolveMonitorOptions(owner: string, fields: unknown): ResolvedMonitorOptions {
  const given = checkKnownFields(owner, fields, OPTIONS, "{ sampleSize: 1000 }");
  return {
    rankKey: checkString(owner, "rankKey", given.rankKey) ?? DEFAULT_RANK_KEY,
    scoreKeys: checkStringArray(owner, "scoreKeys", given.scoreKeys, '["finalScore", "relevanceScore"]') ?? ["finalScore", "relevanceScore"],
    overlapAt: positiveIntegers(owner, "overlapAt", given.overlapAt) ?? [3, 5, 10],
    relativeAccuracy: checkInRange(owner, "relativeAccuracy", given.relativeAccuracy, 0, 1) ?? 0.01,
    windowQueries: checkPositiveInteger(owner, "windowQueries", given.windowQueries) ?? 1000,
    windows: checkPositiveInteger(owner, "windows", given.windows) ?? 24,
    sampleSize: checkPositiveInteger(owner, "sampleSize", given.sampleSize) ?? 1000,
    recordQueries: checkBoolean(owner, "recordQueries", given.recordQueries) ?? false,
    answerKeys: answerKeys(owner, given.answerKeys) ?? { answer: "answer", context: "context" },
    attribution: checkAttributionOptions(owner, given.attribution),
    random: checkFunction<() => number>(owner, "random", given.random) ?? Math.random,
  };
}
