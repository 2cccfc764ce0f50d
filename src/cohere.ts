// langchain-rerank/cohere: Cohere Rerank (the hosted API, Azure, Bedrock and Cohere-compatible servers).
export { CohereRerank, type CohereRerankArgs, type CohereRerankCallOptions } from "./compressors/cohere_rerank.js";
export type { CohereRerankClient } from "./remote/cohere_api.js";
