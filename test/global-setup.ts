import type { TestProject } from "vitest/node";
import { ensureMiniLmProxy, hasShared } from "../scripts/proxy_models.js";

declare module "vitest" {
  export interface ProvidedContext {
    /** A MiniLM-L6-shaped proxy folder (real tokenizer, random weights), or null where ../shared is absent. */
    miniLmProxy: string | null;
  }
}

/** Builds the proxy model once per run (cached in .models/). CI has ../shared and python3-onnx, so there it must succeed. */
export default function setup(project: TestProject): void {
  project.provide("miniLmProxy", hasShared ? ensureMiniLmProxy() : null);
}
