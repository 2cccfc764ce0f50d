// langchain-rerank/ai-sdk: this package's scorers as Vercel AI SDK reranking models (`RerankingModelV3`), for
// `rerank()` from `ai`. Only @ai-sdk/provider's types are used: nothing here imports `ai` or `@ai-sdk/provider`.
export { AI_SDK_PROVIDER, CrossEncoderRerankingModel, type CrossEncoderRerankingModelArgs } from "./ai_sdk/reranking_model.js";
export { crossEncoderReranking, localReranking, type LocalRerankingModel, type LocalRerankingSettings } from "./ai_sdk/providers.js";
export type { LangchainRerankProviderOptions } from "./ai_sdk/provider_options.js";
// Errors are the root entry's classes (langchain-rerank): import them from there.
