#!/usr/bin/env python3
"""Generates the tiny fixture models committed under test/fixtures/models/.

They let `npm test` exercise the real transformers.js loading and inference path on a fresh clone with no
network: each folder is a complete transformers.js model (config.json, tokenizer.json, tokenizer_config.json,
onnx/model.onnx and onnx/model_quantized.onnx) with a small WordPiece vocabulary and a 2-layer BERT of
hidden size 32. The weights are RANDOM: scores mean nothing about relevance.

  tiny-bert-reranker            BertForSequenceClassification, one logit (like ms-marco / BGE rerankers)
  tiny-bert-reranker-two-label  BertForSequenceClassification, two logits (negative, positive)
  tiny-bert-encoder             BertModel: hidden states, no classification head (not a reranker)
  tiny-xlmr-reranker            XLMRobertaForSequenceClassification, one logit, the shape of the BGE rerankers:
                                <s> A </s></s> B </s> pairs, no token_type_ids input, positions offset by 2
                                (130 slots hold 128 tokens, as BGE's 514 hold 512)
  tiny-modernbert-reranker      ModernBertForSequenceClassification, one logit, as gte-reranker-modernbert-base: no
                                token_type_ids input, no position table (ModernBERT's positions are rotary), so it
                                reads pairs longer than 512 tokens; the graph is the BERT encoder below, not
                                ModernBERT's GeGLU/alternating attention (the scorer's path sees inputs and logits only)
  tiny-jina-v2-reranker         XLMRobertaForSequenceClassification with jina-reranker-v2-base-multilingual's config
                                (1,026 positions, model_max_length 1,024, type_vocab_size 1), inputs input_ids and
                                attention_mask as its official ONNX export takes them

With --parity DIR TOKENIZER_DIR, builds only the parity models the reference test compares against (not committed: the real
MiniLM tokenizer's 30,522-word vocabulary makes them megabytes): `bert-minilm` from
../shared/models/ms-marco-MiniLM-L-6-v2-tokenizer. Every fixture's weights spread the logits of different pairs
widely (embeddings std 1, projections 0.2, head 1.0), so a parity test at 1e-4 can tell a dropped token.

Needs Debian's python3-onnx (apt-get install -y python3-onnx). Run from the project root:
  /usr/bin/python3 scripts/make-fixture-models.py
"""
import json
import os
import string
import sys

import numpy as np
import onnx
from onnx import TensorProto as T
from onnx import helper, numpy_helper

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "test", "fixtures", "models")

HIDDEN, LAYERS, HEADS, INTERMEDIATE, MAX_POS, TYPES = 32, 2, 2, 64, 512, 2
# The XLM-R fixture holds 128 tokens in 130 position slots, and its tokenizer states no limit: only the RoBERTa offset
# (positions minus 2) gives the right maximum, so a loader that forgets it fails.
XLMR_TOKENS = 128

SPECIALS = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
XLMR_SPECIALS = ["<s>", "<pad>", "</s>", "<unk>", "<mask>"]
WORDS = """the of and to in a is that for it as was with be by on not he this are or his from at which but have an they
you were her she there been one all we their has would when if so no will more can who what about up out them some
than then its into only other also time new two may after first any these could our like over such most even made
well where how much before must through back years way many down should because each just those people mr between
world life still own see men work long here both little under last might never us while state great old year off
come since against go came right used take three does however without again around part small high found head once
home big water rain cat dog city river bank money market model rank query text document search relevance score
paris france capital london science cell gene protein cancer study patient disease health drug treatment effect
learn learning language retrieval ranking transformer neural network data set test result answer question""".split()


def build_vocab(specials=SPECIALS):
    pieces = list(string.ascii_lowercase) + list(string.digits) + list(string.punctuation)
    vocab = specials + pieces + ["##" + c for c in string.ascii_lowercase + string.digits]
    vocab += [w for w in dict.fromkeys(WORDS) if w not in vocab]
    return vocab


def tokenizer_files(vocab, specials=SPECIALS, unk="[UNK]"):
    ids = {tok: i for i, tok in enumerate(vocab)}
    added = [
        {"id": ids[t], "content": t, "single_word": False, "lstrip": False, "rstrip": False,
         "normalized": False, "special": True}
        for t in specials
    ]
    tok = {
        "version": "1.0", "truncation": None, "padding": None, "added_tokens": added,
        "normalizer": {"type": "BertNormalizer", "clean_text": True, "handle_chinese_chars": True,
                       "strip_accents": None, "lowercase": True},
        "pre_tokenizer": {"type": "BertPreTokenizer"},
        "post_processor": None if "[CLS]" not in ids else {
            "type": "TemplateProcessing",
            "single": [{"SpecialToken": {"id": "[CLS]", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}},
                       {"SpecialToken": {"id": "[SEP]", "type_id": 0}}],
            "pair": [{"SpecialToken": {"id": "[CLS]", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}},
                     {"SpecialToken": {"id": "[SEP]", "type_id": 0}}, {"Sequence": {"id": "B", "type_id": 1}},
                     {"SpecialToken": {"id": "[SEP]", "type_id": 1}}],
            "special_tokens": {
                "[CLS]": {"id": "[CLS]", "ids": [ids["[CLS]"]], "tokens": ["[CLS]"]},
                "[SEP]": {"id": "[SEP]", "ids": [ids["[SEP]"]], "tokens": ["[SEP]"]},
            },
        },
        "decoder": {"type": "WordPiece", "prefix": "##", "cleanup": True},
        "model": {"type": "WordPiece", "unk_token": unk, "continuing_subword_prefix": "##",
                  "max_input_chars_per_word": 100, "vocab": ids},
    }
    cfg = {
        "clean_up_tokenization_spaces": True, "cls_token": "[CLS]", "do_lower_case": True, "mask_token": "[MASK]",
        "model_max_length": 512, "pad_token": "[PAD]", "sep_token": "[SEP]", "strip_accents": None,
        "tokenize_chinese_chars": True, "tokenizer_class": "BertTokenizer", "unk_token": "[UNK]",
    }
    return tok, cfg


def xlmr_tokenizer_files(vocab):
    """XLM-R's special tokens and RoBERTa pair template over the small WordPiece vocabulary (the real one is Unigram)."""
    tok, cfg = tokenizer_files(vocab, XLMR_SPECIALS, unk="<unk>")
    tok["post_processor"] = {"type": "RobertaProcessing", "sep": ["</s>", 2], "cls": ["<s>", 0],
                             "trim_offsets": True, "add_prefix_space": True}
    cfg.update({"bos_token": "<s>", "eos_token": "</s>", "cls_token": "<s>", "sep_token": "</s>", "pad_token": "<pad>",
                "unk_token": "<unk>", "mask_token": "<mask>", "tokenizer_class": "XLMRobertaTokenizer"})
    for key in ("do_lower_case", "strip_accents", "tokenize_chinese_chars", "model_max_length"):
        cfg.pop(key, None)
    return tok, cfg


def model_config(vocab_size, architecture, num_labels):
    cfg = {
        "architectures": [architecture], "model_type": "bert", "hidden_act": "gelu", "hidden_size": HIDDEN,
        "num_hidden_layers": LAYERS, "num_attention_heads": HEADS, "intermediate_size": INTERMEDIATE,
        "max_position_embeddings": MAX_POS, "type_vocab_size": TYPES, "vocab_size": vocab_size,
        "layer_norm_eps": 1e-12, "pad_token_id": 0,
        "_comment": "RANDOM-WEIGHT TEST FIXTURE generated by scripts/make-fixture-models.py; scores mean nothing.",
    }
    if num_labels == 1:
        cfg["id2label"], cfg["label2id"] = {"0": "LABEL_0"}, {"LABEL_0": 0}
    elif num_labels == 2:
        cfg["id2label"], cfg["label2id"] = {"0": "irrelevant", "1": "relevant"}, {"irrelevant": 0, "relevant": 1}
    return cfg


class Graph:
    """A BERT encoder as plain ONNX ops; `q8` quantizes weight matmuls the way dynamic int8 exports do."""

    def __init__(self, seed, q8):
        self.rng, self.q8 = np.random.default_rng(seed), q8
        self.inits, self.nodes, self.count = [], [], 0

    def const(self, name, array):
        self.inits.append(numpy_helper.from_array(np.asarray(array), name))
        return name

    def weight(self, name, shape, std=0.2):
        return self.const(name, (self.rng.standard_normal(shape) * std).astype(np.float32))

    def op(self, kind, inputs, **attrs):
        self.count += 1
        out = f"{kind}_{self.count}"
        self.nodes.append(helper.make_node(kind, inputs, [out], **attrs))
        return out

    def quantized(self, name, shape, std):
        a = (self.rng.standard_normal(shape) * std).astype(np.float32)
        lo, hi = min(float(a.min()), 0.0), max(float(a.max()), 0.0)
        scale = np.float32((hi - lo) / 255.0)
        zero = np.uint8(round(-lo / scale))
        q = np.clip(np.round(a / scale) + zero, 0, 255).astype(np.uint8)
        return (self.const(name + "_q", q), self.const(name + "_scale", np.array(scale, np.float32)),
                self.const(name + "_zero", np.array(zero, np.uint8)))

    def linear(self, x, name, fan_in, fan_out, std=0.2):
        bias = self.const(name + "_b", np.zeros([fan_out], np.float32))
        if not self.q8:
            return self.op("Add", [self.op("MatMul", [x, self.weight(name, [fan_in, fan_out], std)]), bias])
        wq, ws, wz = self.quantized(name, [fan_in, fan_out], std)
        xq, xs, xz = name + "_xq", name + "_xs", name + "_xz"
        self.nodes.append(helper.make_node("DynamicQuantizeLinear", [x], [xq, xs, xz]))
        product = self.op("Cast", [self.op("MatMulInteger", [xq, wq, xz, wz])], to=T.FLOAT)
        return self.op("Add", [self.op("Mul", [product, self.op("Mul", [xs, ws])]), bias])

    def layer_norm(self, x, name):
        gamma = self.const(name + "_g", np.ones([HIDDEN], np.float32))
        beta = self.const(name + "_b", np.zeros([HIDDEN], np.float32))
        return self.op("LayerNormalization", [x, gamma, beta], axis=-1, epsilon=1e-12)

    def encoder(self, vocab_size, token_types=True, position_offset=0, max_tokens=MAX_POS, positions=True):
        x = self.op("Gather", [self.weight("word_embeddings", [vocab_size, HIDDEN], 1.0), "input_ids"])
        if positions:
            x = self.positions(x, position_offset, max_tokens)
        return self.layers(x, token_types)

    def positions(self, x, position_offset, max_tokens):
        length = self.op("Gather", [self.op("Shape", ["input_ids"]), self.const("one", np.array(1, np.int64))])
        # RoBERTa-family position ids start after the padding index: 514 slots hold 512 tokens.
        if position_offset:
            start = self.const("first_position", np.array(position_offset, np.int64))
            positions = self.op("Range", [start, self.op("Add", [length, start]), self.const("step", np.array(1, np.int64))])
        else:
            positions = self.op("Range", [self.const("zero", np.array(0, np.int64)), length,
                                          self.const("step", np.array(1, np.int64))])
        table = self.weight("position_embeddings", [max_tokens + position_offset, HIDDEN], 0.1)
        return self.op("Add", [x, self.op("Gather", [table, positions])])

    def layers(self, x, token_types):
        if token_types:
            x = self.op("Add", [x, self.op("Gather", [self.weight("token_type_embeddings", [TYPES, HIDDEN], 1.0), "token_type_ids"])])
        x = self.layer_norm(x, "embeddings_ln")
        # Padding positions get -10000 before softmax, so they cannot influence real tokens.
        mask = self.op("Cast", ["attention_mask"], to=T.FLOAT)
        mask = self.op("Mul", [self.op("Sub", [self.const("onef", np.array(1.0, np.float32)), mask]),
                               self.const("neg", np.array(-10000.0, np.float32))])
        mask = self.op("Unsqueeze", [mask, self.const("axes12", np.array([1, 2], np.int64))])
        head_dim = HIDDEN // HEADS
        split = self.const("split_heads", np.array([0, 0, HEADS, head_dim], np.int64))
        merge = self.const("merge_heads", np.array([0, 0, HIDDEN], np.int64))
        scale = self.const("scale", np.array(1.0 / np.sqrt(head_dim), np.float32))
        for i in range(LAYERS):
            p = f"layer{i}_"
            q = self.op("Transpose", [self.op("Reshape", [self.linear(x, p + "q", HIDDEN, HIDDEN), split])], perm=[0, 2, 1, 3])
            k = self.op("Transpose", [self.op("Reshape", [self.linear(x, p + "k", HIDDEN, HIDDEN), split])], perm=[0, 2, 3, 1])
            v = self.op("Transpose", [self.op("Reshape", [self.linear(x, p + "v", HIDDEN, HIDDEN), split])], perm=[0, 2, 1, 3])
            att = self.op("Softmax", [self.op("Add", [self.op("Mul", [self.op("MatMul", [q, k]), scale]), mask])], axis=-1)
            ctx = self.op("Reshape", [self.op("Transpose", [self.op("MatMul", [att, v])], perm=[0, 2, 1, 3]), merge])
            x = self.layer_norm(self.op("Add", [self.linear(ctx, p + "o", HIDDEN, HIDDEN), x]), p + "ln1")
            h = self.linear(x, p + "ff1", HIDDEN, INTERMEDIATE)
            h = self.op("Mul", [self.op("Mul", [h, self.const(p + "half", np.array(0.5, np.float32))]),
                                self.op("Add", [self.op("Erf", [self.op("Div", [h, self.const(p + "sqrt2", np.array(np.sqrt(2.0), np.float32))])]),
                                                self.const(p + "onef", np.array(1.0, np.float32))])])
            x = self.layer_norm(self.op("Add", [self.linear(h, p + "ff2", INTERMEDIATE, HIDDEN), x]), p + "ln2")
        return x

    def save(self, path, outputs, input_names=("input_ids", "attention_mask", "token_type_ids")):
        dims = ["batch_size", "sequence_length"]
        inputs = [helper.make_tensor_value_info(n, T.INT64, dims) for n in input_names]
        graph = helper.make_graph(self.nodes, "tiny_bert_fixture", inputs, outputs, self.inits)
        model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)],
                                  producer_name="langchain-rerank test fixture (random weights)")
        model.ir_version = 8
        onnx.checker.check_model(model)
        onnx.save(model, path)


def build_onnx(path, vocab_size, num_labels, q8, seed, xlmr=False, modernbert=False, max_tokens=None):
    g = Graph(seed, q8)
    max_tokens = max_tokens or (XLMR_TOKENS if xlmr else MAX_POS)
    x = g.encoder(vocab_size, token_types=not (xlmr or modernbert), position_offset=2 if xlmr else 0, max_tokens=max_tokens,
                  positions=not modernbert)
    names = ("input_ids", "attention_mask") if (xlmr or modernbert) else ("input_ids", "attention_mask", "token_type_ids")
    if num_labels == 0:
        g.nodes.append(helper.make_node("Identity", [x], ["last_hidden_state"]))
        g.save(path, [helper.make_tensor_value_info("last_hidden_state", T.FLOAT, ["batch_size", "sequence_length", HIDDEN])], names)
        return
    cls = g.op("Gather", [x, g.const("cls_index", np.array(0, np.int64))], axis=1)
    pooled = g.op("Tanh", [g.linear(cls, "pooler", HIDDEN, HIDDEN)])
    logits = g.linear(pooled, "classifier", HIDDEN, num_labels, std=1.0)
    g.nodes.append(helper.make_node("Identity", [logits], ["logits"]))
    g.save(path, [helper.make_tensor_value_info("logits", T.FLOAT, ["batch_size", num_labels])], names)


def write_json(path, obj):
    with open(path, "w") as f:
        json.dump(obj, f, indent=1, ensure_ascii=False)
        f.write("\n")


def main():
    if len(sys.argv) > 2 and sys.argv[1] == "--parity":
        build_parity(sys.argv[2], sys.argv[3])
        return 0
    vocab = build_vocab()
    tok, tok_cfg = tokenizer_files(vocab)
    fixtures = [
        ("tiny-bert-reranker", "BertForSequenceClassification", 1, 11),
        ("tiny-bert-reranker-two-label", "BertForSequenceClassification", 2, 12),
        ("tiny-bert-encoder", "BertModel", 0, 13),
    ]
    for name, arch, labels, seed in fixtures:
        folder = os.path.join(OUT, name)
        os.makedirs(os.path.join(folder, "onnx"), exist_ok=True)
        write_json(os.path.join(folder, "config.json"), model_config(len(vocab), arch, labels))
        write_json(os.path.join(folder, "tokenizer.json"), tok)
        write_json(os.path.join(folder, "tokenizer_config.json"), tok_cfg)
        build_onnx(os.path.join(folder, "onnx", "model.onnx"), len(vocab), labels, False, seed)
        build_onnx(os.path.join(folder, "onnx", "model_quantized.onnx"), len(vocab), labels, True, seed)
        print(folder)
    xlmr_vocab = build_vocab(XLMR_SPECIALS)
    folder = os.path.join(OUT, "tiny-xlmr-reranker")
    os.makedirs(os.path.join(folder, "onnx"), exist_ok=True)
    config = model_config(len(xlmr_vocab), "XLMRobertaForSequenceClassification", 1)
    config.update({"model_type": "xlm-roberta", "type_vocab_size": 1, "pad_token_id": 1, "bos_token_id": 0,
                   "eos_token_id": 2, "max_position_embeddings": XLMR_TOKENS + 2})
    tok, tok_cfg = xlmr_tokenizer_files(xlmr_vocab)
    write_json(os.path.join(folder, "config.json"), config)
    write_json(os.path.join(folder, "tokenizer.json"), tok)
    write_json(os.path.join(folder, "tokenizer_config.json"), tok_cfg)
    build_onnx(os.path.join(folder, "onnx", "model.onnx"), len(xlmr_vocab), 1, False, 14, xlmr=True)
    build_onnx(os.path.join(folder, "onnx", "model_quantized.onnx"), len(xlmr_vocab), 1, True, 14, xlmr=True)
    print(folder)
    build_modernbert(vocab)
    build_jina_v2(xlmr_vocab)
    return 0


def write_folder(folder, config, tok, tok_cfg, build, dtypes=("fp32", "q8")):
    os.makedirs(os.path.join(folder, "onnx"), exist_ok=True)
    write_json(os.path.join(folder, "config.json"), config)
    write_json(os.path.join(folder, "tokenizer.json"), tok)
    write_json(os.path.join(folder, "tokenizer_config.json"), tok_cfg)
    files = {"fp32": "model.onnx", "q8": "model_quantized.onnx"}
    for dtype in dtypes:
        build(os.path.join(folder, "onnx", files[dtype]), dtype == "q8")
    print(folder)


def build_modernbert(vocab):
    """gte-reranker-modernbert-base's interface: model_type modernbert, 8,192 positions, no token_type_ids input."""
    tok, tok_cfg = tokenizer_files(vocab)
    tok_cfg["model_max_length"] = 8192
    config = model_config(len(vocab), "ModernBertForSequenceClassification", 1)
    config.update({"model_type": "modernbert", "max_position_embeddings": 8192, "classifier_pooling": "cls", "type_vocab_size": 1})
    write_folder(os.path.join(OUT, "tiny-modernbert-reranker"), config, tok, tok_cfg,
                 lambda path, q8: build_onnx(path, len(vocab), 1, q8, 15, modernbert=True))


def build_jina_v2(vocab):
    """jina-reranker-v2-base-multilingual's config fields (1,026 positions, 1,024 tokens), XLM-R inputs."""
    tok, tok_cfg = xlmr_tokenizer_files(vocab)
    tok_cfg["model_max_length"] = 1024
    config = model_config(len(vocab), "XLMRobertaForSequenceClassification", 1)
    config.update({"model_type": "xlm-roberta", "type_vocab_size": 1, "pad_token_id": 1, "bos_token_id": 0, "eos_token_id": 2,
                   "max_position_embeddings": 1026, "position_embedding_type": "absolute", "layer_norm_eps": 1e-5})
    write_folder(os.path.join(OUT, "tiny-jina-v2-reranker"), config, tok, tok_cfg,
                 lambda path, q8: build_onnx(path, len(vocab), 1, q8, 16, xlmr=True, max_tokens=1024))


def build_parity(out, source):
    """A MiniLM-L6-shaped interface over the real ms-marco-MiniLM tokenizer folder `source` (hidden 32 to stay small)."""
    with open(os.path.join(source, "tokenizer.json"), encoding="utf-8") as f:
        tok = json.load(f)
    with open(os.path.join(source, "tokenizer_config.json"), encoding="utf-8") as f:
        tok_cfg = json.load(f)
    vocab_size = len(tok["model"]["vocab"])
    config = model_config(vocab_size, "BertForSequenceClassification", 1)
    write_folder(os.path.join(out, "bert-minilm"), config, tok, tok_cfg,
                 lambda path, q8: build_onnx(path, vocab_size, 1, q8, 17), dtypes=("fp32",))


if __name__ == "__main__":
    sys.exit(main())
