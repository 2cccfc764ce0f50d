import { InvalidOptionError } from "../../errors.js";
import { maskUrlSecrets } from "../../remote/secrets.js";
import { type ComparisonFlags, resolveBaseline } from "./cli_comparison.js";
import type { Reranker, RerankerFactoryOptions } from "./rerankers.js";

// rerank-eval's configurations, built and checked before the dataset is read and before any request.

/** What these checks read of rerank-eval's parsed flags (cli.ts's `Args`; cli.ts imports this module, not the reverse). */
type Args = Omit<RerankerFactoryOptions, "serverKey"> & { rerankers: string[]; comparison: ComparisonFlags };

/** What createReranker takes, from the flags (and the server key from the environment). */
export function rerankerOptions(args: Args): RerankerFactoryOptions {
  return {
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
  };
}

/**
 * Before any request: no two specs share a configuration name (they may differ only in a masked secret, and the
 * evaluation would refuse them after the connection checks), and --baseline names one. Returns the baseline's
 * configuration name. Throws usage mistakes as InvalidOptionError.
 */
export function checkConfigurations(args: Args, rerankers: readonly Reranker[]): string | undefined {
  const names = new Map<string, string>();
  rerankers.forEach((reranker, i) => {
    const other = names.get(reranker.name);
    if (other !== undefined) {
      throw new InvalidOptionError(
        `--reranker ${maskUrlSecrets(other)} and --reranker ${maskUrlSecrets(args.rerankers[i] as string)} are both named ${reranker.name} in the reports; give one reranker once.`,
      );
    }
    names.set(reranker.name, args.rerankers[i] as string);
  });
  return resolveBaseline(
    args.comparison,
    rerankers.map((reranker, i) => ({ spec: args.rerankers[i] as string, name: reranker.name })),
  );
}
