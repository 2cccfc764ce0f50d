import type { DocumentInterface } from "@langchain/core/documents";
import { InvalidOptionError } from "../errors.js";
import { checkFiniteNumber, checkFunction, checkOneOf, checkString } from "../options.js";
import { BUILTIN_FACTORS, type BuiltinFactor, DEFAULT_NORMALIZATION, NORMALIZATIONS, type Normalization } from "./factors.js";

// MultiFactorReranker's factor options, checked together: each depends on the others (a weight needs its factor,
// a signal needs its weight, a normalisation or missing policy must name a weighted factor).

const OWNER = "MultiFactorReranker";

/** What to do when a document lacks a factor: `error`, `skip` (rank it by the factors it has) or a fill value (0–1). */
export type MissingPolicy = "error" | "skip" | number;

export interface RecencyOptions {
  /** Metadata field holding the document's date: a `Date`, an ISO 8601 string or epoch milliseconds. */
  field: string;
  /** Age at which the factor is 0.5 (`0.5^(age / halfLife)`). */
  halfLifeDays: number;
  /** The clock, read once per call. @default () => new Date() */
  now?: () => Date | number;
}

export interface FactorOptions {
  signals: Readonly<Record<string, (document: DocumentInterface) => number | null | undefined>>;
  recency: Readonly<RecencyOptions> | undefined;
  weights: Readonly<Record<string, number>>;
  factorNames: readonly string[];
  normalize: Readonly<Record<string, Normalization>>;
  missing: Readonly<Record<string, MissingPolicy>>;
}

/** Checks `signals`, `recency`, `weights`, `normalize` and `missing`; returns them with defaults filled in. */
export function checkFactorOptions(fields: {
  weights: Record<string, number>;
  recency?: RecencyOptions;
  signals?: Record<string, (document: DocumentInterface) => number | null | undefined>;
  normalize?: Record<string, Normalization>;
  missing?: Record<string, MissingPolicy>;
}): FactorOptions {
  const signals = fields.signals ?? {};
  if (signals === null || typeof signals !== "object")
    throw new InvalidOptionError(`${OWNER}: \`signals\` must be an object of name → (document) => number.`);
  for (const [name, fn] of Object.entries(signals)) {
    if ((BUILTIN_FACTORS as readonly string[]).includes(name))
      throw new InvalidOptionError(`${OWNER}: signal "${name}" has the name of a built-in factor; rename it.`);
    checkFunction(OWNER, `signals.${name}`, fn);
  }
  const checkedSignals = { ...signals };

  let recency: Readonly<RecencyOptions> | undefined;
  if (fields.recency !== undefined) {
    const r = fields.recency;
    if (r === null || typeof r !== "object")
      throw new InvalidOptionError(`${OWNER}: \`recency\` must be an object such as { field: "publishedAt", halfLifeDays: 30 }.`);
    const field = checkString(OWNER, "recency.field", r.field);
    const halfLifeDays = checkFiniteNumber(OWNER, "recency.halfLifeDays", r.halfLifeDays);
    if (field === undefined || halfLifeDays === undefined || halfLifeDays <= 0) {
      throw new InvalidOptionError(
        `${OWNER}: \`recency\` needs \`field\` (a metadata key) and \`halfLifeDays\` > 0, e.g. { field: "publishedAt", halfLifeDays: 30 }.`,
      );
    }
    recency = { field, halfLifeDays, now: checkFunction<() => Date | number>(OWNER, "recency.now", r.now) ?? (() => new Date()) };
  }

  const weights = fields.weights;
  if (weights === null || typeof weights !== "object" || Object.keys(weights).length === 0) {
    throw new InvalidOptionError(`${OWNER}: \`weights\` is required, e.g. { relevance: 0.7, recency: 0.2, firstStageRank: 0.1 }.`);
  }
  const known = [...BUILTIN_FACTORS, ...Object.keys(checkedSignals)];
  let total = 0;
  for (const [name, weight] of Object.entries(weights)) {
    if (!known.includes(name)) {
      throw new InvalidOptionError(
        `${OWNER}: weight for unknown factor "${name}"; factors are ${known.map((k) => JSON.stringify(k)).join(", ")} (add others to \`signals\`).`,
      );
    }
    const w = checkFiniteNumber(OWNER, `weights.${name}`, weight) as number;
    if (w < 0) throw new InvalidOptionError(`${OWNER}: \`weights.${name}\` must be ≥ 0, got ${w}.`);
    total += w;
  }
  if (total <= 0) throw new InvalidOptionError(`${OWNER}: at least one weight must be above 0.`);
  if ("recency" in weights && recency === undefined) {
    throw new InvalidOptionError(`${OWNER}: \`weights.recency\` needs \`recency: { field, halfLifeDays }\` to know where the date is.`);
  }
  for (const name of Object.keys(checkedSignals)) {
    if (!(name in weights)) throw new InvalidOptionError(`${OWNER}: signal "${name}" has no weight; add \`weights.${name}\` (0 to record it only).`);
  }

  const factorNames = known.filter((name) => name in weights);

  const normalize: Record<string, Normalization> = {};
  for (const name of factorNames) normalize[name] = DEFAULT_NORMALIZATION[name as BuiltinFactor] ?? "none";
  for (const [name, how] of Object.entries(fields.normalize ?? {})) {
    if (!factorNames.includes(name))
      throw new InvalidOptionError(`${OWNER}: \`normalize.${name}\` names no weighted factor (${factorNames.join(", ")}).`);
    normalize[name] = checkOneOf(OWNER, `normalize.${name}`, how, NORMALIZATIONS) as Normalization;
  }

  const missing: Record<string, MissingPolicy> = {};
  for (const [name, policy] of Object.entries(fields.missing ?? {})) {
    if (!factorNames.includes(name))
      throw new InvalidOptionError(`${OWNER}: \`missing.${name}\` names no weighted factor (${factorNames.join(", ")}).`);
    if (policy !== "error" && policy !== "skip" && !(typeof policy === "number" && Number.isFinite(policy))) {
      throw new InvalidOptionError(`${OWNER}: \`missing.${name}\` must be "error", "skip" or a finite fill value, got ${JSON.stringify(policy)}.`);
    }
    missing[name] = policy;
  }

  return { signals: checkedSignals, recency, weights: { ...weights }, factorNames, normalize, missing };
}
