import { InvalidOptionError } from "./errors.js";

// Small checks for user-facing options: a wrong type fails at construction with the option's name,
// instead of deep inside a forward pass.

/** A short, secret-free description of what a caller passed: "null", "an array", "the number NaN", "the string \"…\"". */
export function describeValue(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  if (typeof value === "string") return `the string ${JSON.stringify(value.slice(0, 40))}`;
  if (typeof value === "number") return `the number ${value}`;
  return `a value of type ${typeof value}`;
}

/** Whether `value` is a plain object (an object literal, `Object.create(null)`, or one from another realm). */
export function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (value === null || typeof value !== "object" || Array.isArray(value)) return false;
  const proto: unknown = Object.getPrototypeOf(value);
  if (proto === null || proto === Object.prototype) return true;
  // Another realm's Object.prototype (a vm context, an iframe): its own prototype is null.
  return Object.getPrototypeOf(proto) === null && (proto as { constructor?: { name?: unknown } }).constructor?.name === "Object";
}

/** What a caller passed, said without quoting it (a string there may be an API key). */
function describeShape(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  if (typeof value === "object") {
    const name = (value as { constructor?: { name?: unknown } }).constructor?.name;
    return typeof name === "string" && name !== "" && name !== "Object" ? `an instance of ${name}` : "an object";
  }
  return `a ${typeof value}`;
}

/**
 * The one check of a public class's constructor argument (and of a public function's options, with `call`) (LangChain's `fields`): a plain options object, or
 * `undefined` (read as `{}`; a required option then names itself). A string, a number, an array, null or a class
 * instance (e.g. a scorer where `{ model: scorer }` belongs) is refused with the right form, rather than read as
 * an empty object that silently falls back to the defaults. `form` is an example call's argument, e.g.
 * `{ model: "Xenova/bge-reranker-base" }`; the value given is never quoted (it may be a key).
 */
export function checkFields<T extends object>(owner: string, fields: T | undefined, form: string, call = `new ${owner}(${form})`): T {
  if (fields === undefined) return {} as T;
  if (isPlainObject(fields)) {
    // An object literal scorer or compressor (`{ score }`, `{ compressDocuments }`) is not an options object either:
    // read as one, it would fall back to the defaults.
    const method = ["score", "compressDocuments", "invoke"].find((name) => typeof fields[name] === "function");
    if (method === undefined) return fields;
    throw new InvalidOptionError(
      `${owner}: options must be an object such as ${form}, got an object with a ${method}() method (a scorer, compressor or ` +
        `model itself). Pass it by name in the options object: ${call}.`,
    );
  }
  throw new InvalidOptionError(
    `${owner}: options must be an object such as ${form}, got ${describeShape(fields)}. Pass one object with each setting by name: ${call}.`,
  );
}

/** A Map argument of a public function (a plain object such as `{ q1: "…" }` is the usual mistake). */
export function checkMap(owner: string, name: string, value: unknown, what: string): void {
  if (value instanceof Map) return;
  const got = isPlainObject(value) ? "a plain object; wrap it: new Map(Object.entries(obj))" : describeShape(value);
  throw new InvalidOptionError(`${owner}: \`${name}\` must be a Map (${what}), got ${got}.`);
}

/** An argument one of this package's functions made (an evaluation, a summary): an object holding `keys`. */
export function checkMadeBy(owner: string, name: string, value: unknown, keys: readonly string[], maker: string): void {
  if (isPlainObject(value) && keys.every((key) => key in value)) return;
  throw new InvalidOptionError(
    `${owner}: \`${name}\` must be what ${maker} returns (an object with ${keys.join(", ")}), got ${describeShape(value)}.`,
  );
}

/** An array argument of a public function (`what` says what it holds, e.g. "p-values"). */
export function checkArray<T>(owner: string, name: string, value: unknown, what: string): readonly T[] {
  if (!Array.isArray(value)) throw new InvalidOptionError(`${owner}: \`${name}\` must be an array of ${what}, got ${describeShape(value)}.`);
  return value as readonly T[];
}

/** A `signal` option: undefined or an AbortSignal. */
export function checkSignal(owner: string, signal: unknown): AbortSignal | undefined {
  if (signal !== undefined && !(signal instanceof AbortSignal)) {
    const controller = typeof AbortController !== "undefined" && signal instanceof AbortController;
    throw new InvalidOptionError(
      `${owner}: \`signal\` must be an AbortSignal${controller ? " (got an AbortController: pass controller.signal)" : ""}.`,
    );
  }
  return signal;
}

/**
 * The one check of per-call options wherever they enter (`score(pairs, options)`, `rerank(docs, query, options)`,
 * a compressor's fourth argument): `undefined` (read as `{}`) or a plain object whose `signal`, when given, is an
 * AbortSignal. A number, a string, an AbortSignal itself or an array is refused with the right form (`form`, e.g.
 * `{ signal, topN: 5 }`) instead of being ignored. Returns the options to read.
 */
export function checkCallOptions<T extends object = { signal?: AbortSignal }>(owner: string, options: T | undefined, form = "{ signal }"): T {
  if (options === undefined) return {} as T;
  if (!isPlainObject(options)) {
    const hint = options instanceof AbortSignal ? " (pass the signal as { signal })" : "";
    throw new InvalidOptionError(`${owner}: call options must be an object such as ${form}, got ${describeShape(options)}${hint}.`);
  }
  checkSignal(owner, options.signal);
  return options;
}

export function checkPositiveInteger(owner: string, name: string, value: unknown): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== "number" || !Number.isInteger(value) || value < 1) {
    throw new InvalidOptionError(`${owner}: \`${name}\` must be a positive integer, got ${describeValue(value)}.`);
  }
  return value;
}

/** The longest delay setTimeout honours; a longer one fires after 1 ms (with a warning on stderr). */
export const MAX_TIMER_MS = 2 ** 31 - 1;

/** A delay or timeout in ms that a timer will wait (a number already checked): at most MAX_TIMER_MS. */
export function checkTimerDelay(owner: string, name: string, value: number | undefined): number | undefined {
  if (value !== undefined && value > MAX_TIMER_MS) {
    throw new InvalidOptionError(
      `${owner}: \`${name}\` must be at most ${MAX_TIMER_MS} ms (about 24.8 days, the longest timer JavaScript can set), got ${value}.`,
    );
  }
  return value;
}

export function checkNonNegativeInteger(owner: string, name: string, value: unknown): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== "number" || !Number.isInteger(value) || value < 0) {
    throw new InvalidOptionError(`${owner}: \`${name}\` must be a non-negative integer, got ${describeValue(value)}.`);
  }
  return value;
}

export function checkFiniteNumber(owner: string, name: string, value: unknown): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== "number" || !Number.isFinite(value)) {
    throw new InvalidOptionError(`${owner}: \`${name}\` must be a finite number, got ${describeValue(value)}.`);
  }
  return value;
}

export function checkString(owner: string, name: string, value: unknown): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== "string" || value.length === 0) {
    throw new InvalidOptionError(`${owner}: \`${name}\` must be a non-empty string, got ${describeValue(value)}.`);
  }
  return value;
}

export function checkOneOf<T extends string>(owner: string, name: string, value: unknown, allowed: readonly T[]): T | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== "string" || !(allowed as readonly string[]).includes(value)) {
    throw new InvalidOptionError(
      `${owner}: \`${name}\` must be one of ${allowed.map((a) => JSON.stringify(a)).join(", ")}, got ${describeValue(value)}.`,
    );
  }
  return value as T;
}

export function checkFunction<F>(owner: string, name: string, value: unknown): F | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== "function") {
    throw new InvalidOptionError(`${owner}: \`${name}\` must be a function, got ${describeValue(value)}.`);
  }
  return value as F;
}

export function checkBoolean(owner: string, name: string, value: unknown): boolean | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== "boolean") {
    throw new InvalidOptionError(`${owner}: \`${name}\` must be a boolean, got ${describeValue(value)}.`);
  }
  return value;
}

/**
 * Metadata keys a compressor writes (or reads and writes) must differ: with two options naming one key, one value
 * overwrites the other and, e.g., a `relevanceScore` would hold a rank.
 */
export function checkDistinctKeys(owner: string, keys: Record<string, string>): void {
  // An option name is shown in backticks; a description ("the stage history") as is.
  const label = (name: string) => (/^\w+$/.test(name) ? `\`${name}\`` : name);
  const seen = new Map<string, string>();
  for (const [option, key] of Object.entries(keys)) {
    const other = seen.get(key);
    if (other !== undefined) {
      throw new InvalidOptionError(
        `${owner}: ${label(other)} and ${label(option)} are both ${JSON.stringify(key)}; one metadata value would overwrite the other. Use different keys.`,
      );
    }
    seen.set(key, option);
  }
}

/** A `fields` object (see checkFields) with no key outside `known`: a misspelt option would otherwise be ignored. */
export function checkKnownFields(owner: string, fields: unknown, known: readonly string[], example: string): Record<string, unknown> {
  const given = checkFields(owner, fields as Record<string, unknown> | undefined, example);
  const unknown = Object.keys(given).filter((key) => !known.includes(key));
  if (unknown.length > 0) {
    throw new InvalidOptionError(
      `${owner}: unknown option ${unknown.map((key) => `\`${key}\``).join(", ")}; the options are ${known.map((key) => `\`${key}\``).join(", ")}.`,
    );
  }
  return given;
}

/** A non-empty array of non-empty strings, such as metadata keys. */
export function checkStringArray(owner: string, name: string, value: unknown, example: string): string[] | undefined {
  if (value === undefined) return undefined;
  if (!Array.isArray(value) || value.length === 0 || !value.every((item) => typeof item === "string" && item.length > 0)) {
    throw new InvalidOptionError(
      `${owner}: \`${name}\` must be a non-empty array of non-empty strings, such as ${example}, got ${describeValue(value)}.`,
    );
  }
  return [...(value as string[])];
}

/** A number in the interval (low, high), or (low, high] with `highIncluded`. */
export function checkInRange(owner: string, name: string, value: unknown, low: number, high: number, highIncluded = false): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== "number" || !(value > low && (highIncluded ? value <= high : value < high))) {
    throw new InvalidOptionError(
      `${owner}: \`${name}\` must be a number in (${low}, ${high}${highIncluded ? "]" : ")"}, got ${describeValue(value)}.`,
    );
  }
  return value;
}
