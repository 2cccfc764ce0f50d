import { RerankError } from "../../errors.js";

// Browser variant of answer_head_files.ts (the browser build swaps it in; same exports, no Node built-in): a browser
// cannot write a converted graph, so it loads a folder converted ahead of time (`rerank-convert-causal`) as served.

const NODE_ONLY =
  "Converting a causal LM's graph needs Node's file system: convert the folder ahead of time with `npx rerank-convert-causal <folder>` and serve the converted folder.";

export function convertModelFolder(): Promise<string> {
  return Promise.reject(new RerankError(NODE_ONLY));
}

export function prepareAnswerHead(): Promise<string | undefined> {
  return Promise.reject(new RerankError(NODE_ONLY));
}

export function discardAnswerHead(): void {}
