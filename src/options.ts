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

/** A `signal` option: undefined or an AbortSignal. */
export function checkSignal(owner: string, signal: unknown): AbortSignal | undefined {
  if (signal !== undefined && !(signal instanceof AbortSignal)) throw new InvalidOptionError(`${owner}: \`signal\` must be an AbortSignal.`);
  return signal;
}

/** Per-call options of a scorer's `score`: an object whose `signal`, when given, is an AbortSignal. */
export function checkCallOptions(owner: string, options: unknown): void {
  if (options === null || typeof options !== "object" || Array.isArray(options)) {
    throw new InvalidOptionError(`${owner}: call options must be an object such as { signal }, got ${describeValue(options)}.`);
  }
  checkSignal(owner, (options as { signal?: unknown }).signal);
}

export function checkPositiveInteger(owner: string, name: string, value: unknown): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== "number" || !Number.isInteger(value) || value < 1) {
    throw new InvalidOptionError(`${owner}: \`${name}\` must be a positive integer, got ${describeValue(value)}.`);
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

/** A `fields` object: a plain object (not null, an array or a string), with no key outside `known` (a misspelt option would be ignored). */
export function checkFields(owner: string, fields: unknown, known: readonly string[], example: string): Record<string, unknown> {
  if (fields === null || typeof fields !== "object" || Array.isArray(fields)) {
    throw new InvalidOptionError(`${owner}: give the options as an object such as ${example}, got ${describeValue(fields)}.`);
  }
  const unknown = Object.keys(fields).filter((key) => !known.includes(key));
  if (unknown.length > 0) {
    throw new InvalidOptionError(
      `${owner}: unknown option ${unknown.map((key) => `\`${key}\``).join(", ")}; the options are ${known.map((key) => `\`${key}\``).join(", ")}.`,
    );
  }
  return fields as Record<string, unknown>;
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
