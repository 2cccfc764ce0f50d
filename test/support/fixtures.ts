import { join } from "node:path";
import { PROJECT_DIR } from "./shared.js";

/** Random-weight fixture models made by scripts/make-fixture-models.py: real load and inference paths, meaningless scores. */
export const FIXTURE_MODELS = join(PROJECT_DIR, "test", "fixtures", "models");
export const FIXTURE_RERANKER = join(FIXTURE_MODELS, "tiny-bert-reranker");
export const FIXTURE_TWO_LABEL = join(FIXTURE_MODELS, "tiny-bert-reranker-two-label");
export const FIXTURE_ENCODER = join(FIXTURE_MODELS, "tiny-bert-encoder");
export const FIXTURE_XLMR = join(FIXTURE_MODELS, "tiny-xlmr-reranker");
/** Not a reranker: logit +2 when a pair holds the token "paris", else -2 (scripts/make-needle-model.py). */
export const FIXTURE_NEEDLE = join(FIXTURE_MODELS, "tiny-needle-reranker");
/** ColBERT-shaped (scripts/make-colbert-fixture.py): PyLate layout with 1_Dense/ and "[Q] "/"[D] " markers. */
export const FIXTURE_COLBERT = join(FIXTURE_MODELS, "tiny-colbert");
/** ColBERT-shaped, Stanford layout: the ONNX graph ends with the projection; [unused0]/[unused1] markers. */
export const FIXTURE_COLBERT_STANFORD = join(FIXTURE_MODELS, "tiny-colbert-onnx-projection");
