import type { TestProject } from "vitest/node";
import { ensureMiniLmProxy, hasShared, SHARED_DIR } from "../scripts/proxy_models.js";

declare module "vitest" {
  export interface ProvidedContext {
    /** A MiniLM-L6-shaped proxy folder (real tokenizer, random weights), or null where ../shared is absent. */
    miniLmProxy: string | null;
  }
}

/** Builds the proxy model once per run (cached in .models/). CI has ../shared and python3-onnx, so there it must succeed. */
export default function setup(project: TestProject): void {
  if (!hasShared) {
    console.warn(
      `Note: ${SHARED_DIR} is absent, so suites needing the real tokenizers, the IR collections or proxy models are ` +
        "skipped (their titles say so in --reporter=verbose). CI has ../shared and runs them.",
    );
  }
  project.provide("miniLmProxy", hasShared ? ensureMiniLmProxy() : null);
}
