#!/usr/bin/env python3
"""Builds ColBERT-shaped model folders with RANDOM weights: scores mean nothing about relevance.

A ColBERT checkpoint is a BERT encoder plus a linear projection of every token's hidden state (to 96 or 128
dimensions). Checkpoints on the hub keep the projection in one of two places, and both layouts are built here:

  tiny-colbert                 PyLate / sentence-transformers layout: onnx/model.onnx outputs the encoder's hidden
                               states and 1_Dense/ (config.json + model.safetensors, `linear.weight` [out, in] and
                               `linear.bias`) holds the projection; config_sentence_transformers.json records the
                               conventions ("[Q] " / "[D] " marker tokens added to the vocabulary, query_length 12,
                               document_length 24, [MASK] query expansion, the string.punctuation skip-list).
  tiny-colbert-onnx-projection Stanford / answerai-colbert-small-v1 layout: the ONNX graph ends with the projection
                               (its output is already 16 wide), markers are the vocabulary's [unused0] / [unused1],
                               and artifact.metadata records query_maxlen / doc_maxlen as colbert-ai writes it.

Both are 2-layer BERTs of hidden size 32 projecting to 16, over the small WordPiece vocabulary of
scripts/make-fixture-models.py, with fp32 and q8 ONNX files. Word embeddings have std 1.0, so token vectors differ
widely and MaxSim scores spread over several units: a convention applied wrongly moves scores far beyond 1e-4.

  --proxy OUT   a real-size proxy of answerdotai/answerai-colbert-small-v1 instead: the real BERT-uncased tokenizer
                from ../shared/models/ms-marco-MiniLM-L-6-v2-tokenizer, hidden 384, 12 layers, 12 heads,
                intermediate 1536, 1_Dense projection to 96, markers [unused0] / [unused1], query_length 32,
                document_length 180 (scripts/proxy_models.ts builds it into .models/ on demand, for benchmarks).

Needs Debian's python3-onnx. Run from the project root:  /usr/bin/python3 scripts/make-colbert-fixture.py [--proxy OUT]
"""
import importlib.util
import json
import os
import shutil
import string
import struct
import sys

import numpy as np
from onnx import TensorProto as T
from onnx import helper

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "..", "test", "fixtures", "models")
SHARED_TOKENIZER = os.path.join(HERE, "..", "..", "shared", "models", "ms-marco-MiniLM-L-6-v2-tokenizer")

# The BERT graph builder of the cross-encoder fixtures, reused; its sizes are module constants set per model below.
_spec = importlib.util.spec_from_file_location("fixture_models", os.path.join(HERE, "make-fixture-models.py"))
fm = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(fm)


def set_shape(hidden, layers, heads, intermediate):
    fm.HIDDEN, fm.LAYERS, fm.HEADS, fm.INTERMEDIATE = hidden, layers, heads, intermediate


def write_safetensors(path, tensors):
    """The safetensors format: an 8-byte little-endian header length, a JSON header, then the raw tensors."""
    header, blobs, offset = {"__metadata__": {"format": "pt"}}, [], 0
    for name, array in tensors.items():
        data = np.ascontiguousarray(array, dtype=np.float32).tobytes()
        header[name] = {"dtype": "F32", "shape": list(array.shape), "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    encoded = json.dumps(header, separators=(",", ":")).encode()
    encoded += b" " * (-len(encoded) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(encoded)) + encoded + b"".join(blobs))


class ProxyGraph(fm.Graph):
    """The proxy's encoder: twelve random post-LayerNorm layers at the tiny fixtures' weight scale wash every token
    into one vector (rank collapse: all of a text's hidden states at cosine 1.0000), so the skip-list and the marker
    would change no score. Weights scaled by sqrt(32 / fan_in) (the tiny fixtures' gain) and the attention-output
    and feed-forward-output branches by 0.3 keep tokens apart (mean cosine 0.86, the tiny fixture's 0.89). Same
    shapes and ops, so timings are unchanged."""

    def linear(self, x, name, fan_in, fan_out, std=0.2):
        std *= np.sqrt(32.0 / fan_in)
        if name.endswith(("_o", "_ff2")):
            std *= 0.3
        return super().linear(x, name, fan_in, fan_out, std)


def build_encoder(path, vocab_size, q8, seed, projection=None, graph=fm.Graph):
    """BertModel's last_hidden_state, or with `projection` ([in, out] weights) the projected token vectors."""
    g = graph(seed, q8)
    x = g.encoder(vocab_size)
    width = fm.HIDDEN
    if projection is not None:
        x = g.op("MatMul", [x, g.const("colbert_linear", projection.astype(np.float32))])
        width = projection.shape[1]
    g.nodes.append(helper.make_node("Identity", [x], ["last_hidden_state"]))
    g.save(path, [helper.make_tensor_value_info("last_hidden_state", T.FLOAT, ["batch_size", "sequence_length", width])])


def pylate_config(query_prefix, document_prefix, query_length, document_length):
    return {
        "query_prefix": query_prefix, "document_prefix": document_prefix, "query_length": query_length,
        "document_length": document_length, "attend_to_expansion_tokens": False, "do_query_expansion": True,
        "skiplist_words": list(string.punctuation), "similarity_fn_name": "MaxSim",
    }


def write_dense(folder, rng, hidden, dim, bias):
    os.makedirs(os.path.join(folder, "1_Dense"), exist_ok=True)
    fm.write_json(os.path.join(folder, "1_Dense", "config.json"), {
        "in_features": hidden, "out_features": dim, "bias": bias,
        "activation_function": "torch.nn.modules.linear.Identity"})
    tensors = {"linear.weight": rng.standard_normal([dim, hidden]).astype(np.float32) * 0.3}
    if bias:
        tensors["linear.bias"] = rng.standard_normal([dim]).astype(np.float32) * 0.1
    write_safetensors(os.path.join(folder, "1_Dense", "model.safetensors"), tensors)
    fm.write_json(os.path.join(folder, "modules.json"), [
        {"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
        {"idx": 1, "name": "1", "path": "1_Dense", "type": "pylate.models.Dense.Dense"}])


def tiny_fixtures():
    set_shape(32, 2, 2, 64)
    comment = "RANDOM-WEIGHT TEST FIXTURE generated by scripts/make-colbert-fixture.py; scores mean nothing."
    # PyLate layout: "[Q] " and "[D] " are added tokens, as PyLate's tokenizer.add_tokens leaves them.
    vocab = fm.build_vocab() + ["[unused0]", "[unused1]"]
    tok, tok_cfg = fm.tokenizer_files(vocab)
    pylate_vocab = vocab + ["[Q] ", "[D] "]
    tok_pylate = json.loads(json.dumps(tok))
    for content in ("[Q] ", "[D] "):
        tok_pylate["added_tokens"].append({"id": pylate_vocab.index(content), "content": content, "single_word": False,
                                           "lstrip": False, "rstrip": False, "normalized": True, "special": False})
    tok_pylate["model"]["vocab"] = {t: i for i, t in enumerate(pylate_vocab)}
    layouts = [("tiny-colbert", pylate_vocab, tok_pylate, 21, False), ("tiny-colbert-onnx-projection", vocab, tok, 22, True)]
    for name, words, tokenizer, seed, in_graph in layouts:
        folder = os.path.join(OUT, name)
        shutil.rmtree(folder, ignore_errors=True)
        os.makedirs(os.path.join(folder, "onnx"))
        config = fm.model_config(len(words), "BertModel", 0)
        config["_comment"] = comment
        fm.write_json(os.path.join(folder, "config.json"), config)
        fm.write_json(os.path.join(folder, "tokenizer.json"), tokenizer)
        fm.write_json(os.path.join(folder, "tokenizer_config.json"), tok_cfg)
        rng = np.random.default_rng(seed + 100)
        projection = None
        if in_graph:
            projection = rng.standard_normal([fm.HIDDEN, 16]).astype(np.float32) * 0.3
            fm.write_json(os.path.join(folder, "artifact.metadata"), {
                "query_token_id": "[unused0]", "doc_token_id": "[unused1]", "query_maxlen": 12, "doc_maxlen": 24,
                "dim": 16, "attend_to_mask_tokens": False, "similarity": "cosine", "mask_punctuation": True})
        else:
            write_dense(folder, rng, fm.HIDDEN, 16, bias=True)
            fm.write_json(os.path.join(folder, "config_sentence_transformers.json"),
                          pylate_config("[Q] ", "[D] ", 12, 24))
        build_encoder(os.path.join(folder, "onnx", "model.onnx"), len(words), False, seed, projection)
        build_encoder(os.path.join(folder, "onnx", "model_quantized.onnx"), len(words), True, seed, projection)
        print(folder)


def proxy(out):
    set_shape(384, 12, 12, 1536)
    os.makedirs(os.path.join(out, "onnx"), exist_ok=True)
    for name in ("tokenizer.json", "tokenizer_config.json", "vocab.txt", "special_tokens_map.json"):
        if os.path.exists(os.path.join(SHARED_TOKENIZER, name)):
            shutil.copy(os.path.join(SHARED_TOKENIZER, name), os.path.join(out, name))
    with open(os.path.join(SHARED_TOKENIZER, "config.json")) as f:
        vocab_size = json.load(f)["vocab_size"]
    config = fm.model_config(vocab_size, "BertModel", 0)
    config.update({"hidden_size": 384, "num_hidden_layers": 12, "num_attention_heads": 12, "intermediate_size": 1536,
                   "_comment": "RANDOM-WEIGHT PROXY of answerai-colbert-small-v1's shape (scripts/make-colbert-fixture.py); scores mean nothing."})
    fm.write_json(os.path.join(out, "config.json"), config)
    write_dense(out, np.random.default_rng(7), 384, 96, bias=False)
    fm.write_json(os.path.join(out, "config_sentence_transformers.json"), pylate_config("[unused0]", "[unused1]", 32, 180))
    build_encoder(os.path.join(out, "onnx", "model.onnx"), vocab_size, False, 31, graph=ProxyGraph)
    build_encoder(os.path.join(out, "onnx", "model_quantized.onnx"), vocab_size, True, 31, graph=ProxyGraph)
    print(out)


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--proxy":
        proxy(sys.argv[2])
    elif len(sys.argv) == 1:
        tiny_fixtures()
    else:
        sys.exit(__doc__)
