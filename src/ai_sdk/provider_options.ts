import { InvalidOptionError } from "../errors.js";
import { checkPositiveInteger, describeValue } from "../options.js";

/**
 * What `rerank({ providerOptions: { "langchain-rerank": { ... } } })` may carry. `timeout` is the adapter's; every
 * other key reaches the scorer's `score` call options unchanged (this package's scorers take only `signal`, which
 * comes from `abortSignal`; a scorer of your own may take more).
 */
export interface LangchainRerankProviderOptions {
  /**
   * Aborts the scoring after this many milliseconds (with a `TimeoutError`), as `abortSignal` would.
   * @default none (no time limit beyond the scorer's own)
   */
  timeout?: number;
  [option: string]: unknown;
}

/** This provider's options from `providerOptions`, checked: the timeout apart, the rest for the scorer. */
export function providerCallOptions(
  owner: string,
  provider: string,
  providerOptions: unknown,
): { timeout: number | undefined; callOptions: Record<string, unknown> } {
  if (providerOptions === undefined || providerOptions === null) return { timeout: undefined, callOptions: {} };
  if (typeof providerOptions !== "object" || Array.isArray(providerOptions)) {
    throw new InvalidOptionError(`${owner}: providerOptions must be an object, got ${describeValue(providerOptions)}.`);
  }
  const own: unknown = (providerOptions as Record<string, unknown>)[provider];
  if (own === undefined) return { timeout: undefined, callOptions: {} };
  if (own === null || typeof own !== "object" || Array.isArray(own)) {
    throw new InvalidOptionError(`${owner}: providerOptions["${provider}"] must be an object such as { timeout: 5000 }, got ${describeValue(own)}.`);
  }
  const { timeout, ...callOptions } = own as Record<string, unknown>;
  if ("signal" in callOptions) {
    throw new InvalidOptionError(`${owner}: providerOptions["${provider}"] takes no signal; pass rerank({ abortSignal }) instead.`);
  }
  return { timeout: checkPositiveInteger(owner, `providerOptions["${provider}"].timeout`, timeout), callOptions };
}
