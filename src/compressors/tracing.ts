import type { CallbackManagerForChainRun, Callbacks } from "@langchain/core/callbacks/manager";
import type { Serialized } from "@langchain/core/load/serializable";

/**
 * Runs a compressor's work as its own run in LangChain tracing (a child of whatever run passed `callbacks`,
 * e.g. ContextualCompressionRetriever's "base_compressor"), recording its inputs, its outputs or its error.
 * Without handlers it adds nothing but a function call. The callback manager is imported on the first call (it loads
 * the tracers): a run that has callbacks has loaded it already.
 */
export async function traceCompressorRun<T>(
  runName: string,
  callbacks: Callbacks | undefined,
  inputs: Record<string, unknown>,
  work: (runManager: CallbackManagerForChainRun | undefined) => Promise<T>,
  outputs: (result: T) => Record<string, unknown>,
): Promise<T> {
  const { CallbackManager } = await import("@langchain/core/callbacks/manager");
  const manager = CallbackManager.configure(callbacks);
  if (manager === undefined) return work(undefined);
  const serialized: Serialized = { lc: 1, type: "not_implemented", id: ["langchain_rerank", "compressors", runName] };
  const runManager = await manager.handleChainStart(serialized, inputs, undefined, undefined, undefined, undefined, runName);
  let result: T;
  try {
    result = await work(runManager);
  } catch (error) {
    await runManager.handleChainError(error);
    throw error;
  }
  await runManager.handleChainEnd(outputs(result));
  return result;
}
