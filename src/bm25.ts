// langchain-rerank/bm25: the BM25 first stage on its own, with no Node built-in, so browser apps can use it.
export { OkapiBm25Retriever, type OkapiBm25RetrieverInput } from "./retrievers/okapi_bm25_retriever.js";
export {
  type Bm25Hit,
  Bm25Index,
  type Bm25Options,
  createTokenizer,
  ENGLISH_STOP_WORDS,
  minimalEnglishStem,
  type TokenizerOptions,
} from "./retrievers/bm25_index.js";
