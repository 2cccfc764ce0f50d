#!/usr/bin/env bash
# Regenerates every figure in docs/evaluation.md and the files under docs/evaluation/ by running the rerank-eval CLI
# (and, for two facts the CLI does not print, the library) on ../shared's collections:
#
#   npm run build && bash scripts/regenerate-eval-docs.sh
#
# Each command's transcript replaces the block between `<!-- generated:NAME -->` and `<!-- /generated -->` in
# docs/evaluation.md, so `git diff docs/` after a rerun shows what changed. Metrics are deterministic and must come
# back identical; latency columns (ms) are wall-clock timings on whatever machine runs this and will differ.
# Needs ../shared beside the project and Debian's python3-onnx (for the proxy model). Takes about 5 minutes on 2 cores.
set -euo pipefail
cd "$(dirname "$0")/.."
SHARED=../shared
DOC=docs/evaluation.md
[[ -f $SHARED/README.md ]] || { echo "needs ../shared beside the project" >&2; exit 1; }
[[ -f dist/cli/rerank-eval.js ]] || { echo "run npm run build first" >&2; exit 1; }

# The MiniLM-shaped proxy (random weights, seed 0: the same folder every time), as test/global-setup.ts builds it.
PROXY=.models/minilm-proxy
if [[ ! -f $PROXY/onnx/model_quantized.onnx ]]; then
  "$SHARED/tools/make-proxy-model.sh" "$SHARED/models/ms-marco-MiniLM-L-6-v2-tokenizer" "$PROXY" >/dev/null
fi

out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

# run NAME DISPLAYED-COMMAND... : runs the command (rerank-eval → the built CLI) and keeps "$ command" + stdout.
run() {
  local name=$1
  shift
  echo "== $name: $*" >&2
  {
    echo "\$ $*"
    if [[ $1 == rerank-eval ]]; then
      shift
      node dist/cli/rerank-eval.js "$@"
    else
      "$@"
    fi
  } >"$out/$name.txt"
}

run trec-dl-2019-bm25 rerank-eval --dataset $SHARED/data/trec-dl-2019 --run $SHARED/data/trec-dl-2019/runs/bm25_top100.trec \
  --metrics ndcg@10,mrr@10,recall@100,map@100,p@10 --rel-threshold 2 \
  --json docs/evaluation/trec-dl-2019-bm25.json --report docs/evaluation/trec-dl-2019-bm25.md --chart docs/evaluation/trec-dl-2019-bm25.svg --quiet

run scifact-run rerank-eval --dataset $SHARED/data/scifact --run $SHARED/data/scifact/runs/bm25_top100.trec --metrics ndcg@10,recall@100 --quiet

run scifact-builtin rerank-eval --dataset $SHARED/data/scifact --depth 100 --metrics ndcg@10,recall@100 --quiet

# Two facts the CLI does not print: the built-in BM25 without its stemmer, and the run file's adjacent score ties.
cat >"$out/unstemmed.mjs" <<'EOF'
import { Document } from "@langchain/core/documents";
import { OkapiBm25Retriever, createTokenizer, documentText, evaluate, loadBeirDataset } from "langchain-rerank/eval";
const data = await loadBeirDataset(process.argv.at(-1), { split: "test" });
const documents = [...data.corpus].map(([id, doc]) => new Document({ id, pageContent: documentText(doc), metadata: { id } }));
const retriever = new OkapiBm25Retriever({ documents, k: 100, tokenize: createTokenizer({ stem: null }) });
const result = await evaluate({ queries: data.queries, qrels: data.qrels, retriever, configurations: [{ name: "none" }], metrics: ["ndcg@10", "recall@100"] });
const mean = result.configurations[0].mean;
console.log(`built-in BM25 without the stemmer: ndcg@10 ${mean["ndcg@10"].toFixed(4)}  recall@100 ${mean["recall@100"].toFixed(4)}`);
EOF
# Run from the project's root, so "langchain-rerank/eval" resolves to dist/ through the package's own exports.
echo "== scifact-unstemmed" >&2
{
  echo "\$ node --input-type=module -e \"<the OkapiBm25Retriever + createTokenizer({ stem: null }) snippet in scripts/regenerate-eval-docs.sh>\" $SHARED/data/scifact"
  node --input-type=module -e "$(cat "$out/unstemmed.mjs")" "$SHARED/data/scifact"
} >"$out/scifact-unstemmed.txt"
rm "$out/unstemmed.mjs"
run scifact-ties awk '$1 == q && $5 == s { n++ } { q = $1; s = $5 } END { print n " adjacent ties (same query, same score) in the SciFact run" }' \
  $SHARED/data/scifact/runs/bm25_top100.trec

# Two first stages compared query by query: the built-in BM25 ("none") against the shipped run (the baseline).
run trec-dl-2019-compare rerank-eval --dataset $SHARED/data/trec-dl-2019 --compare-run $SHARED/data/trec-dl-2019/runs/bm25_top100.trec \
  --baseline run:bm25_top100.trec --metrics ndcg@10,mrr@10,recall@100,map@100,p@10 --rel-threshold 2 \
  --json docs/evaluation/trec-dl-2019-compare.json --report docs/evaluation/trec-dl-2019-compare.md --chart docs/evaluation/trec-dl-2019-compare.svg --quiet

run scifact-compare rerank-eval --dataset $SHARED/data/scifact --compare-run $SHARED/data/scifact/runs/bm25_top100.trec \
  --baseline run:bm25_top100.trec --metrics ndcg@10,mrr@10,recall@100 --json docs/evaluation/scifact-compare.json --quiet

# Queries a golden set needs (paired t-test, α = 0.05, power 0.8), from the per-query SDs the two comparisons observed.
cat >"$out/needed.mjs" <<'EOF'
import { readFileSync } from "node:fs";
import { queriesNeeded } from "langchain-rerank/eval";
const columns = process.argv.slice(-2).flatMap((file) => {
  const { context, comparison } = JSON.parse(readFileSync(file, "utf8"));
  return comparison.comparisons[0].measures
    .filter((m) => ["ndcg@10", "mrr@10"].includes(m.measure))
    .map((m) => ({ name: `${context.dataset} ${m.measure}`, sd: m.sdDifference }));
});
const widths = columns.map((c) => Math.max(c.name.length, 10));
const row = (first, cells) => [first.padEnd(10), ...cells.map((c, i) => String(c).padStart(widths[i]))].join("  ");
console.log(row("difference", columns.map((c) => c.name)));
console.log(row("σ_d", columns.map((c) => c.sd.toFixed(4))));
for (const delta of [0.01, 0.02, 0.03, 0.05, 0.1]) {
  console.log(row(delta.toFixed(2), columns.map((c) => queriesNeeded({ sd: c.sd, difference: delta }))));
}
EOF
echo "== queries-needed" >&2
{
  echo "\$ node --input-type=module -e \"<the queriesNeeded snippet in scripts/regenerate-eval-docs.sh>\" docs/evaluation/trec-dl-2019-compare.json docs/evaluation/scifact-compare.json"
  node --input-type=module -e "$(cat "$out/needed.mjs")" docs/evaluation/trec-dl-2019-compare.json docs/evaluation/scifact-compare.json
} >"$out/queries-needed.txt"
rm "$out/needed.mjs"

# Calibrated probabilities from BM25 scores: fitted on half of the queries, measured on the other half (issue 29).
run trec-dl-2019-calibrate rerank-eval --dataset $SHARED/data/trec-dl-2019 --run $SHARED/data/trec-dl-2019/runs/bm25_top100.trec \
  --metrics ndcg@10 --rel-threshold 2 --calibrate docs/evaluation/trec-dl-2019-bm25-calibration.json \
  --report docs/evaluation/trec-dl-2019-calibrate.md --chart docs/evaluation/trec-dl-2019-calibrate.svg --quiet

run scifact-calibrate rerank-eval --dataset $SHARED/data/scifact --run $SHARED/data/scifact/runs/bm25_top100.trec --metrics ndcg@10 \
  --calibrate docs/evaluation/scifact-bm25-calibration.json --quiet

# How many labelled queries a calibration needs, on synthetic scorers with a known calibration curve.
run calibration-labels-needed npx tsx scripts/calibration_labels_needed.ts

run proxy-pipeline rerank-eval --dataset $SHARED/data/scifact --run $SHARED/data/scifact/runs/bm25_top100.trec --limit 20 --concurrency 1 \
  --reranker none --reranker cross-encoder --model $PROXY --dtype q8 --metrics ndcg@10,mrr@10,recall@100 \
  --title "SciFact test, 20 queries: proxy model with random weights (proves the pipeline, not quality)" \
  --json docs/evaluation/proxy-pipeline.json --report docs/evaluation/proxy-pipeline.md --chart docs/evaluation/proxy-pipeline.svg --quiet

# Splice each transcript into its block in docs/evaluation.md.
node --input-type=module - "$DOC" "$out" <<'EOF'
import { readFileSync, writeFileSync, readdirSync } from "node:fs";
const [doc, dir] = process.argv.slice(2);
let text = readFileSync(doc, "utf8");
for (const file of readdirSync(dir).filter((f) => f.endsWith(".txt"))) {
  const name = file.slice(0, -4);
  const block = new RegExp(`(<!-- generated:${name} -->\\n)[\\s\\S]*?(<!-- /generated -->)`);
  if (!block.test(text)) throw new Error(`${doc} has no <!-- generated:${name} --> block`);
  const body = readFileSync(`${dir}/${file}`, "utf8").trimEnd();
  text = text.replace(block, (_, open, close) => `${open}\`\`\`\n${body}\n\`\`\`\n${close}`);
}
writeFileSync(doc, text);
EOF
echo "docs/evaluation.md and docs/evaluation/ regenerated; review with git diff docs/" >&2
