// What marks an answer-head graph (answer_head_graph.ts), in a leaf module so the loader can read the mark without
// loading the conversion's protobuf code.

/** The ONNX metadata_props key and config.json field a converted graph carries: { tokens, version, source }. */
export const ANSWER_HEAD_KEY = "langchain_rerank_answer_head";
/** Bumped when the conversion changes, so graphs converted by an older one are converted again. */
export const ANSWER_HEAD_VERSION = 1;
