import type { CallbackManagerForChainRun, Callbacks } from "@langchain/core/callbacks/manager";
import type { DocumentInterface } from "@langchain/core/documents";
import type { Serialized } from "@langchain/core/load/serializable";

/** The custom event a compressor run sends with the documents it returns, before it ends (RerankMonitor reads it). */
export const RETURNED_DOCUMENTS_EVENT = "langchain_rerank.returned_documents";

// The compressors' work returns the documents bare or as `ranked` / `documents` beside what they trace.
function returnedDocuments(result: unknown): readonly DocumentInterface[] | undefined {
  const found = Array.isArray(result) ? result : ((result as { ranked?: unknown })?.ranked ?? (result as { documents?: unknown })?.documents);
  return Array.isArray(found) ? found : undefined;
}

/**
 * Runs a compressor's work as its own run in LangChain tracing (a child of whatever run passed `callbacks`,
 * e.g. ContextualCompressionRetriever's "base_compressor"), recording its inputs, its outputs or its error.
 * The returned documents go to handlers as a custom event, not into the run's outputs: LangSmith's tracer ignores
 * custom events, so traces stay small. Without handlers it adds nothing but a function call. The
 * callback manager is imported on the first call (it loads the tracers): a run that has callbacks has loaded it
 * already.
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
  const documents = returnedDocuments(result);
  if (documents !== undefined) await runManager.handleCustomEvent(RETURNED_DOCUMENTS_EVENT, { documents });
  await runManager.handleChainEnd(outputs(result));
  return result;
}
