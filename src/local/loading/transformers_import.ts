import { MissingDependencyError, RerankError } from "../../errors.js";
import type { Transformers } from "./load_spec.js";

/**
 * Imports the optional peer `@huggingface/transformers` when a model first loads (never with this package), and
 * tells "not installed" from "installed but broken". `owner` names the class that needs it.
 */
export async function importTransformers(owner = "HuggingFaceCrossEncoder"): Promise<Transformers> {
  try {
    return await import("@huggingface/transformers");
  } catch (error) {
    const code = (error as { code?: unknown } | null)?.code;
    if (code === "ERR_MODULE_NOT_FOUND" || code === "MODULE_NOT_FOUND") {
      throw new MissingDependencyError(
        `${owner} needs the optional peer dependency @huggingface/transformers: npm install @huggingface/transformers ` +
          // Its onnxruntime-node install script downloads CUDA binaries on Linux x64, and fails offline (README).
          "(on Linux x64 offline or without a GPU: ONNXRUNTIME_NODE_INSTALL=skip ONNXRUNTIME_NODE_INSTALL_CUDA=skip npm install @huggingface/transformers)",
        {
          cause: error,
        },
      );
    }
    // Installed but broken (e.g. onnxruntime's native library failed to load): say so, not "not installed".
    throw new RerankError(`@huggingface/transformers is installed but failed to load: ${(error as Error)?.message ?? String(error)}`, {
      cause: error,
    });
  }
}
