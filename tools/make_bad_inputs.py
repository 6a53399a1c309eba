#!/usr/bin/env python3
"""Writes the bad-input catalogue, tests/bad_inputs/, from the fixtures (deterministic: rerun it
and nothing changes; `--check` regenerates into a temporary directory and fails if the
committed catalogue differs).

Every entry is a corrupt or lying model directory, tokenizer, profile or option set, and
manifest.json says, for each, which C ABI call it goes to, the status that call must return and
a substring of maskkv_last_error(). tests/reliability/test_bad_inputs.cpp runs them all.

The models are cut down from tests/fixtures/models/{llada,dream}_bf16 (the first rows and
columns of each tensor, one layer) so that the whole catalogue stays small. _outside/ holds
valid files that symbolic links and index entries try to reach from the model directories.
"""
import argparse
import filecmp
import json
import os
import random
import shutil
import struct
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from protobuf_wire import fields, message  # noqa: E402
from tasks.bpe import bytes_to_unicode  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FIX = os.path.join(ROOT, "tests", "fixtures", "models")
DEST = os.path.join(ROOT, "tests", "bad_inputs")

D, HEADS, LAYERS, MLP, VOCAB = 16, 2, 1, 16, 32
BF16_NAN, BF16_INF = b"\xc0\x7f", b"\x80\x7f"


# --- safetensors ---------------------------------------------------------------------------------

def read_safetensors(path):
    with open(path, "rb") as f:
        raw = f.read()
    (n,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8:8 + n])
    header.pop("__metadata__", None)
    data = raw[8 + n:]
    out = {}
    for name, e in header.items():
        b, en = e["data_offsets"]
        out[name] = (e["dtype"], e["shape"], data[b:en])
    return out


def shrink(t, shape):
    """The leading block of a row-major tensor, cut to `shape` (1-D or 2-D)."""
    dtype, old, blob = t
    es = {"F32": 4, "BF16": 2, "F16": 2}[dtype]
    if len(old) == 1:
        return (dtype, list(shape), blob[: shape[0] * es])
    rows, cols = shape
    row_bytes = old[1] * es
    return (dtype, [rows, cols], b"".join(blob[r * row_bytes: r * row_bytes + cols * es] for r in range(rows)))


def header_text(entries, meta=True):
    """JSON header for [(name, dtype, shape, nbytes)], contiguous offsets, padded to 8 bytes."""
    h = {"__metadata__": {"format": "pt"}} if meta else {}
    off = 0
    for name, dtype, shape, n in entries:
        h[name] = {"dtype": dtype, "shape": shape, "data_offsets": [off, off + n]}
        off += n
    text = json.dumps(h, separators=(",", ":"))
    return text + " " * ((8 - len(text) % 8) % 8)


def image(header, data, declared_len=None):
    hb = header.encode("utf-8") if isinstance(header, str) else header
    n = len(hb) if declared_len is None else declared_len
    return struct.pack("<Q", n) + hb + data


def tensors_image(tensors):
    names = sorted(tensors)
    entries = [(k, tensors[k][0], tensors[k][1], len(tensors[k][2])) for k in names]
    return image(header_text(entries), b"".join(tensors[k][2] for k in names))


def tiny_llada():
    src = read_safetensors(os.path.join(FIX, "llada_bf16", "model.safetensors"))
    with open(os.path.join(FIX, "llada_bf16", "config.json")) as f:
        cfg = json.load(f)
    cfg.update(d_model=D, n_heads=HEADS, n_kv_heads=HEADS, n_layers=LAYERS, mlp_hidden_size=MLP,
               vocab_size=VOCAB, embedding_size=VOCAB, max_sequence_length=64, mask_token_id=31,
               eos_token_id=30, pad_token_id=30, bos_token_id=29, eot_token_id=28)
    t = {}
    p = "model.transformer."
    t[p + "wte.weight"] = shrink(src[p + "wte.weight"], (VOCAB, D))
    t[p + "ff_out.weight"] = shrink(src[p + "ff_out.weight"], (VOCAB, D))
    t[p + "ln_f.weight"] = shrink(src[p + "ln_f.weight"], (D,))
    for i in range(LAYERS):
        b = p + "blocks.%d." % i
        for n in ("attn_norm", "ff_norm"):
            t[b + n + ".weight"] = shrink(src[b + n + ".weight"], (D,))
        for n in ("q_proj", "k_proj", "v_proj", "attn_out"):
            t[b + n + ".weight"] = shrink(src[b + n + ".weight"], (D, D))
        t[b + "ff_proj.weight"] = shrink(src[b + "ff_proj.weight"], (MLP, D))
        t[b + "up_proj.weight"] = shrink(src[b + "up_proj.weight"], (MLP, D))
        t[b + "ff_out.weight"] = shrink(src[b + "ff_out.weight"], (D, MLP))
    return cfg, t


def tiny_dream():
    src = read_safetensors(os.path.join(FIX, "dream_bf16", "model.safetensors"))
    with open(os.path.join(FIX, "dream_bf16", "config.json")) as f:
        cfg = json.load(f)
    kv = 1
    cfg.update(hidden_size=D, num_attention_heads=HEADS, num_key_value_heads=kv, num_hidden_layers=LAYERS,
               intermediate_size=MLP, vocab_size=VOCAB, max_position_embeddings=64, mask_token_id=31,
               eos_token_id=30, pad_token_id=30, bos_token_id=29)
    hd = D // HEADS
    t = {"model.embed_tokens.weight": shrink(src["model.embed_tokens.weight"], (VOCAB, D)),
         "lm_head.weight": shrink(src["lm_head.weight"], (VOCAB, D)),
         "model.norm.weight": shrink(src["model.norm.weight"], (D,))}
    for i in range(LAYERS):
        b = "model.layers.%d." % i
        t[b + "input_layernorm.weight"] = shrink(src[b + "input_layernorm.weight"], (D,))
        t[b + "post_attention_layernorm.weight"] = shrink(src[b + "post_attention_layernorm.weight"], (D,))
        t[b + "self_attn.q_proj.weight"] = shrink(src[b + "self_attn.q_proj.weight"], (D, D))
        t[b + "self_attn.k_proj.weight"] = shrink(src[b + "self_attn.k_proj.weight"], (kv * hd, D))
        t[b + "self_attn.v_proj.weight"] = shrink(src[b + "self_attn.v_proj.weight"], (kv * hd, D))
        t[b + "self_attn.o_proj.weight"] = shrink(src[b + "self_attn.o_proj.weight"], (D, D))
        t[b + "self_attn.q_proj.bias"] = shrink(src[b + "self_attn.q_proj.bias"], (D,))
        t[b + "self_attn.k_proj.bias"] = shrink(src[b + "self_attn.k_proj.bias"], (kv * hd,))
        t[b + "self_attn.v_proj.bias"] = shrink(src[b + "self_attn.v_proj.bias"], (kv * hd,))
        t[b + "mlp.gate_proj.weight"] = shrink(src[b + "mlp.gate_proj.weight"], (MLP, D))
        t[b + "mlp.up_proj.weight"] = shrink(src[b + "mlp.up_proj.weight"], (MLP, D))
        t[b + "mlp.down_proj.weight"] = shrink(src[b + "mlp.down_proj.weight"], (D, MLP))
    return cfg, t


# --- a tiny tokenizer.json (byte-level BPE) ------------------------------------------------------

def tokenizer_json():
    bl = bytes_to_unicode()
    vocab = {bl[b]: b for b in range(256)}
    vocab.update({"he": 256, "ll": 257, "hell": 258, "hello": 259})
    return {"version": "1.0", "normalizer": None,
            "pre_tokenizer": {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": True, "use_regex": True},
            "post_processor": None,
            "decoder": {"type": "ByteLevel", "add_prefix_space": True, "trim_offsets": True, "use_regex": True},
            "model": {"type": "BPE", "dropout": None, "unk_token": None, "fuse_unk": False, "byte_fallback": False,
                      "vocab": vocab, "merges": ["h e", "l l", "he ll", "hell o"]},
            "added_tokens": [{"id": 300, "content": "<|eos|>", "single_word": False, "lstrip": False,
                              "rstrip": False, "normalized": False, "special": True}]}


# --- SentencePiece .model (protobuf) -------------------------------------------------------------

def spm_with_charsmap(model, charsmap):
    """The .model with normalizer_spec.precompiled_charsmap (ModelProto 3, NormalizerSpec 2) replaced."""
    out = []
    for k, v in fields(model):
        if k >> 3 == 3:
            v = message([f for f in fields(v) if f[0] >> 3 != 2] + [((2 << 3) | 2, charsmap)])
        out.append((k, v))
    return message(out)


# --- the catalogue -------------------------------------------------------------------------------

class Catalogue:
    def __init__(self, dest):
        self.dest = dest
        self.cases = []
        self.llada_cfg, self.llada = tiny_llada()
        self.dream_cfg, self.dream = tiny_dream()

    def path(self, rel):
        p = os.path.join(self.dest, rel)
        os.makedirs(os.path.dirname(p), exist_ok=True)
        return p

    def write(self, rel, data):
        if isinstance(data, str):
            data = data.encode("utf-8")
        with open(self.path(rel), "wb") as f:
            f.write(data)

    def symlink(self, target, rel):
        os.symlink(target, self.path(rel))

    def case(self, name, call, status, message, **kw):
        assert all(c["name"] != name for c in self.cases), name
        c = {"name": name, "call": call, "status": status, "message": message}
        c.update(kw)
        self.cases.append(c)

    def model_dir(self, rel, family="llada", cfg=None, weights=None, tensors=None):
        """Writes a model directory; `weights` (bytes) replaces the safetensors image."""
        base_cfg, base_t = (self.llada_cfg, self.llada) if family == "llada" else (self.dream_cfg, self.dream)
        c = dict(base_cfg) if cfg is None else cfg
        self.write(rel + "/config.json", json.dumps(c, indent=2) + "\n" if not isinstance(c, (bytes, str)) else c)
        if weights is None:
            weights = tensors_image(base_t if tensors is None else tensors)
        if weights is not False:
            self.write(rel + "/model.safetensors", weights)

    def model_case(self, name, status, message, note, **kw):
        """A model directory `name`/ loaded by maskkv_model_load (kw as for model_dir)."""
        self.model_dir(name, **kw)
        self.case(name, "maskkv_model_load", status, message, path=name, note=note)

    def st_case(self, name, status, message, note, weights):
        self.model_case(name, status, message, note, weights=weights)

    def build(self):
        L = self.llada
        names = sorted(L)
        entries = [(k, L[k][0], L[k][1], len(L[k][2])) for k in names]
        data = b"".join(L[k][2] for k in names)
        hdr = header_text(entries)
        good = image(hdr, data)
        hlen = len(hdr.encode())
        q = "model.transformer.blocks.0.q_proj.weight"
        norm = "model.transformer.blocks.0.attn_norm.weight"

        def with_header(mut):
            h = json.loads(hdr)
            mut(h)
            return json.dumps(h, separators=(",", ":"))

        # Controls: the uncorrupted models load and generate.
        self.model_case("ok-llada", "MASKKV_OK", "", "control: the base model every entry corrupts")
        self.model_case("ok-dream", "MASKKV_OK", "", "control: the Dream base model", family="dream")
        self.case("ok-llada-generate", "maskkv_generate", "MASKKV_OK", "", model="ok-llada", prompt=[1, 2, 3],
                  options={"gen_length": 8}, note="control: generation on the base model")

        # Truncations at every structural boundary of the safetensors file.
        self.st_case("st-empty", "MASKKV_ERR_FORMAT", "0 bytes, too short for a header", "empty file", b"")
        self.st_case("st-trunc-length", "MASKKV_ERR_FORMAT", "5 bytes, too short for a header",
                     "cut inside the 8-byte header length", good[:5])
        self.st_case("st-trunc-after-length", "MASKKV_ERR_FORMAT", "runs past the end of the file",
                     "only the header length", good[:8])
        self.st_case("st-trunc-header", "MASKKV_ERR_FORMAT", "runs past the end of the file",
                     "cut in the middle of the JSON header", good[:8 + hlen // 2])
        self.st_case("st-trunc-header-last-byte", "MASKKV_ERR_FORMAT", "runs past the end of the file",
                     "one byte short of the header's end", good[:8 + hlen - 1])
        self.st_case("st-trunc-data-start", "MASKKV_ERR_FORMAT", "lie outside the data section (0 bytes)",
                     "header complete, no data", good[:8 + hlen])
        self.st_case("st-trunc-data-middle", "MASKKV_ERR_FORMAT", "lie outside the data section",
                     "cut in the middle of the tensor data", good[: 8 + hlen + len(data) // 2])
        self.st_case("st-trunc-data-last-byte", "MASKKV_ERR_FORMAT", "lie outside the data section",
                     "one byte short of the last tensor's end", good[:-1])
        # Lying sizes.
        self.st_case("st-header-length-huge", "MASKKV_ERR_FORMAT", "exceeds the 100 MiB limit",
                     "header length 2^63", image(hdr, data, declared_len=1 << 63))
        self.st_case("st-header-length-past-eof", "MASKKV_ERR_FORMAT", "runs past the end of the file",
                     "header length 64 MiB in a small file", image(hdr, data, declared_len=64 << 20))
        self.st_case("st-header-length-short", "MASKKV_ERR_FORMAT", "header is not valid JSON",
                     "header length cuts the JSON short", image(hdr, data, declared_len=hlen - 10))
        self.st_case("st-header-not-json", "MASKKV_ERR_FORMAT", "header is not valid JSON",
                     "binary garbage as the header", image(b"\x00\x01garbage\xff" * 3, data))
        self.st_case("st-header-array", "MASKKV_ERR_FORMAT", "header is not a JSON object",
                     "a JSON array as the header", image("[1, 2, 3]", data))
        self.st_case("st-non-utf8-name", "MASKKV_ERR_FORMAT", "header is not valid JSON",
                     "a tensor name that is not UTF-8",
                     image(hdr.encode().replace(b"q_proj", b"q_pr\xffj"), data))
        dup = hdr.replace('{"__metadata__":{"format":"pt"},', '{"__metadata__":{"format":"pt"},"%s":%s,' % (
            q, json.dumps({"dtype": "BF16", "shape": [16, 16], "data_offsets": [0, 512]}, separators=(",", ":"))))
        self.st_case("st-duplicate-tensor", "MASKKV_ERR_FORMAT", "header has the key '%s' twice" % q,
                     "the same tensor named twice with different data (JSON parsers keep the last)",
                     image(dup, data))
        self.st_case("st-duplicate-field", "MASKKV_ERR_FORMAT", "header has the key 'dtype' twice",
                     "a tensor entry with two dtype fields",
                     image(hdr.replace('"dtype":"BF16"', '"dtype":"F16","dtype":"BF16"', 1), data))
        self.st_case("st-deep-nesting", "MASKKV_ERR_FORMAT", "JSON nested deeper than 128 levels",
                     "a header of 100000 nested arrays", image("[" * 100000 + "]" * 100000, data))
        self.st_case("st-negative-shape", "MASKKV_ERR_FORMAT", "shape entry that is not a non-negative integer",
                     "shape [-16, 16]", image(with_header(lambda h: h[q].update(shape=[-16, 16])), data))
        self.st_case("st-float-shape", "MASKKV_ERR_FORMAT", "shape entry that is not a non-negative integer",
                     "shape [16.0, 16]", image(with_header(lambda h: h[q].update(shape=[16.5, 16])), data))
        self.st_case("st-overflowing-shape", "MASKKV_ERR_FORMAT", "has a shape whose size overflows",
                     "shape [2^40, 2^40]: the element count overflows 64 bits",
                     image(with_header(lambda h: h[q].update(shape=[1 << 40, 1 << 40])), data))
        self.st_case("st-huge-shape", "MASKKV_ERR_FORMAT", "holds 512 bytes but shape [4294967296, 16]",
                     "a 128 GiB shape over 512 bytes of data",
                     image(with_header(lambda h: h[q].update(shape=[1 << 32, 16])), data))
        self.st_case("st-offsets-reversed", "MASKKV_ERR_FORMAT", "data_offsets with begin > end",
                     "data_offsets [512, 0]",
                     image(with_header(lambda h: h[q].update(data_offsets=h[q]["data_offsets"][::-1])), data))
        self.st_case("st-offsets-negative", "MASKKV_ERR_FORMAT", "data_offsets that are not non-negative integers",
                     "data_offsets [-512, 0]", image(with_header(lambda h: h[q].update(data_offsets=[-512, 0])), data))
        self.st_case("st-offsets-past-end", "MASKKV_ERR_FORMAT", "lie outside the data section",
                     "data_offsets 2^64-1 bytes in",
                     image(with_header(lambda h: h[q].update(data_offsets=[(1 << 64) - 513, (1 << 64) - 1])), data))
        self.st_case("st-offsets-overlap", "MASKKV_ERR_FORMAT", "tensor data ranges overlap",
                     "two tensors share their bytes",
                     image(with_header(lambda h: h[q].update(data_offsets=list(h[norm]["data_offsets"][:1]) +
                                                             [h[norm]["data_offsets"][0] + 512])), data))
        self.st_case("st-size-mismatch", "MASKKV_ERR_FORMAT", "holds 510 bytes but shape [16, 16] of BF16 needs 512",
                     "data_offsets two bytes short of the shape",
                     image(with_header(lambda h: h[q].update(data_offsets=[h[q]["data_offsets"][0],
                                                                           h[q]["data_offsets"][1] - 2])), data))
        self.st_case("st-unsupported-dtype", "MASKKV_ERR_UNSUPPORTED", "has dtype 'I64' (supported: F32, BF16, F16)",
                     "an I64 tensor", image(with_header(lambda h: h[q].update(dtype="I64", shape=[16, 4])), data))
        self.st_case("st-missing-dtype", "MASKKV_ERR_FORMAT", "has no string field 'dtype'",
                     "a tensor entry without dtype", image(with_header(lambda h: h[q].pop("dtype")), data))
        self.st_case("st-entry-not-object", "MASKKV_ERR_FORMAT", "entry '%s' is not an object" % q,
                     "a tensor entry that is a number", image(with_header(lambda h: h.update({q: 7})), data))
        # Lying about the model: tensors that the config does not match.
        t = dict(L)
        t[q] = shrink(L[q], (8, 16))
        self.model_case("st-wrong-shape", "MASKKV_ERR_FORMAT", "tensor '%s' has shape [8, 16] but config.json implies [16, 16]" % q,
                        "a tensor smaller than the config says", tensors=t)
        t = dict(L)
        del t[q]
        self.model_case("st-missing-tensor", "MASKKV_ERR_FORMAT", "missing tensor '%s'" % q,
                        "a tensor the config needs is absent", tensors=t)
        self.write("st-is-directory/model.safetensors/README", "a directory where the weights belong\n")
        self.model_dir("st-is-directory", weights=False)
        self.case("st-is-directory", "maskkv_model_load", "MASKKV_ERR_IO", "is not a regular file",
                  path="st-is-directory", note="model.safetensors is a directory")

        # NaN / Inf weights.
        def poke(tensors, name, index, value):
            t = dict(tensors)
            dtype, shape, blob = t[name]
            t[name] = (dtype, shape, blob[: 2 * index] + value + blob[2 * index + 2:])
            return t

        self.model_case("nan-norm", "MASKKV_ERR_FORMAT",
                        "tensor '%s' holds a non-finite value (NaN or Inf) at index 5" % norm,
                        "NaN in a norm weight: always checked at load", tensors=poke(L, norm, 5, BF16_NAN))
        vb = "model.layers.0.self_attn.v_proj.bias"
        self.model_case("inf-bias", "MASKKV_ERR_FORMAT",
                        "tensor '%s' holds a non-finite value (NaN or Inf) at index 3" % vb,
                        "+Inf in a Dream bias: always checked at load", family="dream",
                        tensors=poke(self.dream, vb, 3, BF16_INF))
        self.model_dir("nan-matrix", tensors=poke(L, q, 37, BF16_NAN))
        self.case("nan-matrix-load", "maskkv_model_load", "MASKKV_OK", "", path="nan-matrix",
                  note="NaN in a projection matrix: not scanned at load by default (cost)")
        self.case("nan-matrix-generate", "maskkv_generate", "MASKKV_ERR_FORMAT", "produced NaN logits",
                  model="nan-matrix", prompt=[1, 2, 3], options={"gen_length": 8},
                  note="...so generation fails at the first step instead of sampling garbage")
        self.model_dir("inf-embedding", tensors=poke(L, "model.transformer.wte.weight", 2 * D + 4, BF16_INF))
        self.case("inf-embedding-generate", "maskkv_generate", "MASKKV_ERR_FORMAT", "produced NaN logits",
                  model="inf-embedding", prompt=[2, 5], options={"gen_length": 4, "policy": "full"},
                  note="+Inf in the embedding row of a prompt token, cached policy")

        # Finite weights whose logits overflow: ln_f keeps only feature 0, scaled by 1e30, and the LM
        # head row of token 5 reads it with weight 3.4e38 (the largest bf16).
        head = "model.transformer.ff_out.weight"
        t = poke(L, "model.transformer.ln_f.weight", 0, struct.pack("<f", 1e30)[2:])
        for i in range(1, D):
            t = poke(t, "model.transformer.ln_f.weight", i, b"\0\0")
        t = poke(t, head, 5 * D, b"\x7f\x7f")
        self.model_dir("inf-logits", tensors=t)
        self.case("inf-logits-generate", "maskkv_generate", "MASKKV_ERR_FORMAT", "produced infinite logits",
                  model="inf-logits", prompt=[1, 2, 3], options={"gen_length": 8},
                  note="finite weights that drive a logit to +-Inf (sampled as token 0 everywhere before)")
        # More layers in the checkpoint than config.json declares.
        extra = dict(L)
        for k in list(L):
            if k.startswith("model.transformer.blocks.0."):
                extra[k.replace("blocks.0.", "blocks.1.")] = L[k]
        self.model_case("extra-layers", "MASKKV_ERR_FORMAT",
                        "belongs to layer 1 but config.json declares 1 layers",
                        "a second layer that config.json does not declare", tensors=extra)
        dx = dict(self.dream)
        dx["model.layers.7.mlp.up_proj.weight"] = self.dream["model.layers.0.mlp.up_proj.weight"]
        self.model_case("extra-layers-dream", "MASKKV_ERR_FORMAT", "'model.layers.7.mlp.up_proj.weight' belongs to layer 7",
                        "a stray tensor of layer 7 in a one-layer Dream model", family="dream", tensors=dx)

        tied = dict(self.llada_cfg)
        tied["weight_tying"] = True
        self.model_case("tied-but-distinct-head", "MASKKV_ERR_FORMAT",
                        "'model.transformer.ff_out.weight' differs from 'model.transformer.wte.weight'",
                        "config.json ties the embeddings, the checkpoint has its own LM head (it was ignored)",
                        cfg=tied)

        # config.json.
        def cfg_case(name, mut, status, message, note):
            c = dict(self.llada_cfg)
            mut(c)
            self.model_case(name, status, message, note, cfg=c)

        self.model_case("cfg-not-json", "MASKKV_ERR_FORMAT", "config.json: not valid JSON", "truncated config.json",
                        cfg=json.dumps(self.llada_cfg)[:40])
        self.model_case("cfg-array", "MASKKV_ERR_FORMAT", "config.json: not a JSON object", "a JSON array",
                        cfg="[1, 2]")
        cfg_case("cfg-negative-layers", lambda c: c.update(n_layers=-1), "MASKKV_ERR_FORMAT",
                 "key 'n_layers' = -1 is outside [1, 1024]", "n_layers -1")
        cfg_case("cfg-max-uint64-layers", lambda c: c.update(n_layers=(1 << 64) - 1), "MASKKV_ERR_FORMAT",
                 "key 'n_layers' = 18446744073709551615 is outside [1, 1024]", "n_layers 2^64-1 (read as -1 before)")
        cfg_case("cfg-huge-vocab", lambda c: c.update(vocab_size=1 << 40, embedding_size=1 << 40), "MASKKV_ERR_FORMAT",
                 "key 'vocab_size' = 1099511627776 is outside", "vocab 2^40")
        cfg_case("cfg-overflowing-width", lambda c: c.update(d_model=(1 << 31) + 16), "MASKKV_ERR_FORMAT",
                 "key 'd_model' = 2147483664 is outside", "d_model past int32")
        cfg_case("cfg-float-heads", lambda c: c.update(n_heads=2.5), "MASKKV_ERR_FORMAT",
                 "key 'n_heads' must be an integer, got 2.5", "n_heads 2.5")
        cfg_case("cfg-heads-not-dividing", lambda c: c.update(n_heads=3, n_kv_heads=3), "MASKKV_ERR_FORMAT",
                 "not divisible by the head count 3", "d_model 16 over 3 heads")
        cfg_case("cfg-gqa-not-dividing", lambda c: c.update(n_kv_heads=3), "MASKKV_ERR_FORMAT",
                 "not divisible by the KV head count 3", "2 heads over 3 KV heads")
        cfg_case("cfg-mask-outside-vocab", lambda c: c.update(mask_token_id=32), "MASKKV_ERR_FORMAT",
                 "mask_token_id 32 is outside the vocabulary of 32", "mask id = vocab")
        cfg_case("cfg-unsupported-type", lambda c: c.update(model_type="mamba"), "MASKKV_ERR_UNSUPPORTED",
                 "model_type 'mamba' is not supported", "unknown architecture")
        self.model_case("cfg-overflowing-theta", "MASKKV_ERR_FORMAT", "config.json: not valid JSON",
                        "rope_theta 1e999: past a double's range, refused by the JSON parser",
                        cfg=json.dumps(self.llada_cfg).replace('"rope_theta": 10000.0', '"rope_theta": 1e999'))
        cfg_case("cfg-absurd-theta", lambda c: c.update(rope_theta=1e300), "MASKKV_ERR_FORMAT",
                 "key 'rope_theta' = 1e+300 is outside the sane range", "rope_theta 1e300")
        deep = json.dumps(self.llada_cfg).replace('"n_layers": 1', '"n_layers": ' + "[" * 100000 + "]" * 100000)
        self.model_case("cfg-deep-nesting", "MASKKV_ERR_FORMAT", "config.json: JSON nested deeper than 128 levels",
                        "100000 nested arrays where a number belongs (copying or printing it would overflow the stack)",
                        cfg=deep)
        shallow = json.dumps(self.llada_cfg).replace('"n_layers": 1', '"n_layers": [[[1]]]')
        self.model_case("cfg-array-for-number", "MASKKV_ERR_FORMAT", "key 'n_layers' must be an integer, got an array of 1 elements",
                        "an array where a number belongs", cfg=shallow)

        # Symbolic links and names that try to leave the model directory.
        self.model_dir("_outside")
        self.write("_outside/tokenizer.json", json.dumps(tokenizer_json()))
        self.write("_outside/tokenizer_config.json", json.dumps({"eos_token": "<|eos|>"}))
        self.model_dir("link-weights", weights=False)
        self.symlink("../_outside/model.safetensors", "link-weights/model.safetensors")
        self.case("link-weights", "maskkv_model_load", "MASKKV_ERR_FORMAT", "outside the model directory",
                  path="link-weights", note="model.safetensors is a symlink to a file outside the directory")
        self.write("link-config/model.safetensors", tensors_image(L))
        self.symlink("/etc/passwd", "link-config/config.json")
        self.case("link-config", "maskkv_model_load", "MASKKV_ERR_FORMAT", "outside the model directory",
                  path="link-config", note="config.json is an absolute symlink to /etc/passwd")
        self.model_dir("link-tokenizer")
        self.symlink("../_outside/tokenizer.json", "link-tokenizer/tokenizer.json")
        self.case("link-tokenizer", "maskkv_model_load", "MASKKV_ERR_FORMAT", "outside the model directory",
                  path="link-tokenizer", note="tokenizer.json is a symlink out of the model directory")
        self.model_dir("link-tokenizer-config")
        self.write("link-tokenizer-config/tokenizer.json", json.dumps(tokenizer_json()))
        self.symlink("../_outside/tokenizer_config.json", "link-tokenizer-config/tokenizer_config.json")
        self.case("link-tokenizer-config", "maskkv_model_load", "MASKKV_ERR_FORMAT", "outside the model directory",
                  path="link-tokenizer-config", note="tokenizer_config.json is a symlink out of the directory")
        self.write("tok-dir-link-config/tokenizer.json", json.dumps(tokenizer_json()))
        self.symlink("../_outside/tokenizer_config.json", "tok-dir-link-config/tokenizer_config.json")
        self.case("tok-dir-link-config", "maskkv_tokenizer_load", "MASKKV_ERR_FORMAT", "outside the model directory",
                  path="tok-dir-link-config", note="a tokenizer directory whose config links out of it")

        # Sharded checkpoints whose index lies.
        def sharded(name, weight_map_mut=None, index=None, shards=None, extra=None):
            half = names[: len(names) // 2], names[len(names) // 2:]
            shard_names = ["model-00001-of-00002.safetensors", "model-00002-of-00002.safetensors"]
            self.model_dir(name, weights=False)
            parts = shards if shards is not None else half
            for sn, part in zip(shard_names, parts):
                self.write(name + "/" + sn, tensors_image({k: L[k] for k in part}))
            wm = {k: shard_names[0 if k in half[0] else 1] for k in names}
            if weight_map_mut:
                weight_map_mut(wm)
            idx = {"metadata": {"total_size": len(data)}, "weight_map": wm} if index is None else index
            self.write(name + "/model.safetensors.index.json", idx if isinstance(idx, str) else json.dumps(idx, indent=1))
            if extra:
                extra(name)

        def idx_case(name, status, message, note, **kw):
            sharded(name, **kw)
            self.case(name, "maskkv_model_load", status, message, path=name, note=note)

        idx_case("idx-ok", "MASKKV_OK", "", "control: the sharded base model")
        idx_case("idx-dotdot", "MASKKV_ERR_FORMAT", "leaves", "a shard named ../_outside/model.safetensors",
                 weight_map_mut=lambda wm: wm.update({q: "../_outside/model.safetensors"}))
        idx_case("idx-absolute", "MASKKV_ERR_FORMAT", "must be relative", "a shard named /etc/passwd",
                 weight_map_mut=lambda wm: wm.update({q: "/etc/passwd"}))
        idx_case("idx-nul", "MASKKV_ERR_FORMAT", "contains a NUL byte",
                 "a shard name with a NUL byte (open() would read a different file than the one checked)",
                 weight_map_mut=lambda wm: wm.update({q: "model-00001-of-00002.safetensors\u0000/../../x"}))
        idx_case("idx-symlink-shard", "MASKKV_ERR_FORMAT", "outside the model directory",
                 "a shard that is a symlink to a file outside",
                 weight_map_mut=lambda wm: wm.update({q: "evil.safetensors"}),
                 extra=lambda n: self.symlink("../_outside/model.safetensors", n + "/evil.safetensors"))
        idx_case("idx-dir-symlink", "MASKKV_ERR_FORMAT", "outside the model directory",
                 "a shard reached through a symlink to the parent directory",
                 weight_map_mut=lambda wm: wm.update({q: "up/_outside/model.safetensors"}),
                 extra=lambda n: self.symlink("..", n + "/up"))
        idx_case("idx-missing-shard", "MASKKV_ERR_IO", "cannot open", "the index names a shard that is not there",
                 weight_map_mut=lambda wm: wm.update({q: "model-00003-of-00002.safetensors"}))
        idx_case("idx-absent-tensor", "MASKKV_ERR_FORMAT", "which does not contain it",
                 "the index lists a tensor that no shard holds",
                 weight_map_mut=lambda wm: wm.update({"model.transformer.ghost.weight": wm[q]}))
        idx_case("idx-duplicate-tensor", "MASKKV_ERR_FORMAT", "appears in both",
                 "both shards hold the same tensor", shards=(names[: len(names) // 2 + 1], names[len(names) // 2:]))
        idx_case("idx-empty", "MASKKV_ERR_FORMAT", "weight_map is empty", "an empty weight_map",
                 index={"weight_map": {}})
        idx_case("idx-not-object", "MASKKV_ERR_FORMAT", "missing object field 'weight_map'",
                 "weight_map is a list", index={"weight_map": ["model-00001-of-00002.safetensors"]})
        idx_case("idx-not-json", "MASKKV_ERR_FORMAT", "not valid JSON", "truncated index", index='{"weight_map": {')
        idx_case("idx-shard-is-config", "MASKKV_ERR_FORMAT", "header length",
                 "the index names config.json as a shard",
                 weight_map_mut=lambda wm: wm.update({q: "config.json"}))

        # Tokenizers in a model directory.
        def tok_case(name, text, status, message, note, cfg=None):
            self.model_dir(name)
            self.write(name + "/tokenizer.json", text)
            if cfg is not None:
                self.write(name + "/tokenizer_config.json", cfg)
            self.case(name, "maskkv_model_load", status, message, path=name, note=note)

        tj = json.dumps(tokenizer_json())
        tok_case("tok-ok", tj, "MASKKV_OK", "", "control: a model directory with a tokenizer")
        tok_case("tok-truncated", tj[: len(tj) // 2], "MASKKV_ERR_FORMAT", "truncated", "tokenizer.json cut in half")
        j = tokenizer_json()
        j["model"]["merges"].append("x yz")
        tok_case("tok-bad-merge", json.dumps(j), "MASKKV_ERR_FORMAT", "model.merges[4]", "a merge of unknown pieces")
        j = tokenizer_json()
        j["added_tokens"][0]["id"] = (1 << 30) - 1
        tok_case("tok-huge-id", json.dumps(j), "MASKKV_ERR_FORMAT", "added_tokens[0].id",
                 "an added token id of 2^30-1 (a dense id table would take 32 GiB)")
        j = tokenizer_json()
        j["model"]["vocab"]["hello"] = 1 << 29
        tok_case("tok-huge-vocab-id", json.dumps(j), "MASKKV_ERR_FORMAT", "model.vocab",
                 "a vocabulary id of 2^29 among 260 entries")
        tok_case("tok-deep-nesting", tj[:-1] + ', "x": ' + "[" * 100000 + "]" * 100000 + "}", "MASKKV_ERR_FORMAT",
                 "JSON nested deeper than 128 levels", "100000 nested arrays inside tokenizer.json")
        tok_case("tok-number-overflow", tj.replace('"version": "1.0"', '"version": -4e4444'), "MASKKV_ERR_FORMAT",
                 "malformed JSON", "a number past a double's range (the JSON library throws a different error)")
        tok_case("tok-config-not-json", tj, "MASKKV_ERR_FORMAT", "tokenizer_config.json",
                 "tokenizer_config.json is not JSON", cfg="{ bad")
        # A standalone tokenizer file.
        self.write("tok-file-not-json.json", tj[:1] + "\x00\x01")
        self.case("tok-file-not-json", "maskkv_tokenizer_load", "MASKKV_ERR_FORMAT", "malformed JSON",
                  path="tok-file-not-json.json", note="a tokenizer.json that is binary")
        self.write("tok-invalid-utf8/tokenizer.json", tj)
        self.case("tok-invalid-utf8-text", "maskkv_tokenize", "MASKKV_ERR_INVALID_ARGUMENT", "UTF-8",
                  path="tok-invalid-utf8", text_hex="68656cff6c6f", note="text that is not UTF-8")
        self.case("tok-id-out-of-range", "maskkv_detokenize", "MASKKV_ERR_OUT_OF_RANGE", "outside",
                  path="tok-invalid-utf8", ids=[104, 100000], note="an id past the vocabulary")
        j = tokenizer_json()
        j["pre_tokenizer"] = {"type": "Sequence", "pretokenizers": [
            {"type": "Split", "pattern": {"Regex": "(a+)+$"}, "behavior": "Isolated", "invert": False},
            {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": True, "use_regex": False}]}
        self.write("tok-redos/tokenizer.json", json.dumps(j))
        self.case("tok-redos", "maskkv_tokenize", "MASKKV_ERR_FORMAT", "backtracks without bound",
                  path="tok-redos", text_hex=("61" * 40) + "62",
                  note="a pre-tokenizer regex with catastrophic backtracking: PCRE2's match limit stops it")
        self.case("tok-negative-id", "maskkv_detokenize", "MASKKV_ERR_OUT_OF_RANGE", "outside",
                  path="tok-invalid-utf8", ids=[-1], note="a negative id")
        self.tokenizer_growth_cases(tok_case)

        # Profiles (model_fingerprint @MODEL@ is replaced by the model's own at test time).
        def profile(**kw):
            p = {"format": "maskkv-profile", "version": 1, "model_fingerprint": "@MODEL@", "n_layers": 1,
                 "n_kv_heads": 2, "samples": 1, "layer_importance": [0.5], "head_prompt_preference": [[0.2, 0.8]]}
            p.update(kw)
            return p

        def prof_case(name, content, status, message, note):
            self.write("profiles/" + name + ".json", content if isinstance(content, str) else json.dumps(content))
            self.case(name, "maskkv_profile_load", status, message, model="ok-llada",
                      path="profiles/" + name + ".json", note=note)

        prof_case("prof-ok", profile(), "MASKKV_OK", "", "control: a valid profile")
        prof_case("prof-not-json", '{"format": "maskkv-profile", ', "MASKKV_ERR_FORMAT", "not valid JSON", "truncated")
        prof_case("prof-wrong-format", profile(format="other"), "MASKKV_ERR_FORMAT", "not a maskkv profile",
                  "another kind of file")
        prof_case("prof-format-number", profile(format=5), "MASKKV_ERR_FORMAT", "not a maskkv profile",
                  "format is a number")
        prof_case("prof-samples-string", profile(samples="many"), "MASKKV_ERR_FORMAT", "'samples'",
                  "samples is a string")
        prof_case("prof-other-model", profile(model_fingerprint="0123456789abcdef"), "MASKKV_ERR_INVALID_ARGUMENT",
                  "measured on another model", "a profile of another model")
        prof_case("prof-overflowing", json.dumps(profile()).replace("0.5", "1e999"), "MASKKV_ERR_FORMAT",
                  "not valid JSON", "an importance of 1e999: past a double's range, refused by the JSON parser")
        prof_case("prof-string-number", profile(layer_importance=["0.5"]), "MASKKV_ERR_FORMAT",
                  "holds \"0.5\", not a finite non-negative number", "a number written as a string")
        prof_case("prof-negative", profile(head_prompt_preference=[[0.2, -0.8]]), "MASKKV_ERR_FORMAT",
                  "not a finite non-negative number", "a negative preference")
        prof_case("prof-short", profile(head_prompt_preference=[[0.2]]), "MASKKV_ERR_FORMAT",
                  "must be an array of 2 numbers", "one head short")
        prof_case("prof-huge-layers", profile(n_layers=1 << 40), "MASKKV_ERR_FORMAT", "'n_layers' must be a positive integer",
                  "n_layers 2^40")
        prof_case("prof-wrong-shape", profile(n_layers=2, layer_importance=[0.5, 0.5],
                                              head_prompt_preference=[[0.2, 0.8], [0.1, 0.9]]),
                  "MASKKV_ERR_INVALID_ARGUMENT", "describes 2 layers", "a profile for a deeper model")
        prof_case("prof-nested", json.dumps(profile()).replace("[0.5]", "[" + "[" * 50000 + "]" * 50000 + "]"),
                  "MASKKV_ERR_FORMAT", "JSON nested deeper than 128 levels", "50000 nested arrays in place of a number")

        # Option sets (maskkv_session_begin on the base model unless the call says otherwise).
        def opt_case(name, options, status, message, note, prompt=(1, 2, 3), call="maskkv_session_begin",
                     model="ok-llada", **kw):
            options = dict(options)
            options.setdefault("gen_length", 8)
            self.case(name, call, status, message, model=model, prompt=list(prompt), options=options,
                      note=note, **kw)

        opt_case("opt-size-zero", {"size": 0}, "MASKKV_ERR_INVALID_ARGUMENT", "maskkv_generate_options.size = 0",
                 "an uninitialised struct")
        opt_case("opt-size-huge", {"size": 1 << 30}, "MASKKV_ERR_INVALID_ARGUMENT", "is not a valid struct size",
                 "a size no header ever had")
        opt_case("opt-size-torn-pointer", {"size": "offsetof(profile)+4"}, "MASKKV_ERR_INVALID_ARGUMENT",
                 "ends inside a field", "a size that ends inside the profile pointer (would copy half of it)")
        opt_case("opt-size-unaligned", {"size": 10}, "MASKKV_ERR_INVALID_ARGUMENT", "is not a valid struct size",
                 "a size that cuts a 4-byte field")
        opt_case("opt-gen-length-negative", {"gen_length": -8}, "MASKKV_ERR_INVALID_ARGUMENT", "gen_length = -8",
                 "negative length")
        opt_case("opt-steps-not-dividing", {"gen_length": 8, "block_length": 4, "steps": 3},
                 "MASKKV_ERR_INVALID_ARGUMENT", "steps 3 is not divisible by the 2 blocks", "steps vs blocks")
        opt_case("opt-block-not-dividing", {"gen_length": 8, "block_length": 3}, "MASKKV_ERR_INVALID_ARGUMENT",
                 "not divisible by block_length 3", "block length")
        opt_case("opt-nan-temperature", {"temperature": "nan"}, "MASKKV_ERR_INVALID_ARGUMENT", "temperature = nan",
                 "NaN temperature")
        opt_case("opt-inf-top-p", {"top_p": "inf"}, "MASKKV_ERR_INVALID_ARGUMENT", "top_p = inf", "+Inf top_p")
        opt_case("opt-tiny-top-p", {"top_p": 1e-10}, "MASKKV_ERR_INVALID_ARGUMENT", "top_p = 1e-10 is outside [1e-09, 1]",
                 "a top_p below the range, printed exactly (was 0.000000 is outside [0.000000, 1.000000])")
        opt_case("opt-negative-top-k", {"top_k": -1}, "MASKKV_ERR_INVALID_ARGUMENT", "top_k = -1", "negative top_k")
        opt_case("opt-threshold-and-factor", {"threshold": 0.9, "factor": 1.0}, "MASKKV_ERR_INVALID_ARGUMENT",
                 "choose one", "two commit rules at once")
        opt_case("opt-unknown-policy", {"policy": 99}, "MASKKV_ERR_INVALID_ARGUMENT", "policy = 99",
                 "a policy number past the enum")
        opt_case("opt-unknown-sampler", {"sampler": -1}, "MASKKV_ERR_INVALID_ARGUMENT", "sampler = -1",
                 "a sampler number before the enum")
        opt_case("opt-maskkv-no-profile", {"policy": "maskkv", "budget": 2}, "MASKKV_ERR_INVALID_ARGUMENT",
                 "needs a profile", "MaskKV with neither a profile nor online")
        opt_case("opt-even-pool-kernel", {"policy": "snapkv", "pool_kernel": 4}, "MASKKV_ERR_INVALID_ARGUMENT",
                 "pool_kernel = 4 must be odd", "even pooling kernel")
        opt_case("opt-zero-budget", {"policy": "snapkv", "budget": 0}, "MASKKV_ERR_INVALID_ARGUMENT", "budget = 0",
                 "zero budget")
        opt_case("opt-nan-rho", {"policy": "full", "rho": "nan"}, "MASKKV_ERR_INVALID_ARGUMENT", "rho = nan",
                 "NaN refresh share")
        opt_case("opt-cfg-with-cache", {"policy": "full", "cfg_scale": 1.0}, "MASKKV_ERR_UNSUPPORTED",
                 "classifier-free guidance runs only with policy none", "CFG with a cached policy")
        opt_case("opt-dream-blocks", {"gen_length": 8, "block_length": 4}, "MASKKV_ERR_UNSUPPORTED",
                 "the Dream sampler has no blocks", "blocks with the Dream sampler", model="ok-dream")
        opt_case("opt-kv-limit", {"policy": "full", "kv_memory_limit": 1000}, "MASKKV_ERR_OUT_OF_MEMORY",
                 "above the limit of 1000 (kv_memory_limit)", "a K/V cap below what the run needs")
        opt_case("opt-context-overflow", {"gen_length": 62}, "MASKKV_ERR_OUT_OF_RANGE", "exceeds the context of 64",
                 "prompt + gen_length past max_sequence_length")
        opt_case("opt-rope-nan", {"rope_scaling": "nan"}, "MASKKV_ERR_INVALID_ARGUMENT", "rope_scaling = nan",
                 "NaN rope scaling")
        opt_case("opt-prompt-out-of-range", {}, "MASKKV_ERR_OUT_OF_RANGE", "prompt id 32 at position 1",
                 "a prompt id past the vocabulary", prompt=(1, 32))
        opt_case("opt-prompt-negative", {}, "MASKKV_ERR_OUT_OF_RANGE", "prompt id -5 at position 0",
                 "a negative prompt id", prompt=(-5,))
        opt_case("opt-prompt-mask", {}, "MASKKV_ERR_INVALID_ARGUMENT", "is the mask id 31",
                 "the mask id inside the prompt", prompt=(1, 31))
        opt_case("opt-generate-buffer", {"gen_length": 8}, "MASKKV_ERR_BUFFER_TOO_SMALL", "buffer holds 4 but 8",
                 "maskkv_generate into a 4-token buffer", call="maskkv_generate", capacity=4)
        # Model options.
        for name, mo, status, message, note in [
                ("mopt-cuda", {"backend": 2}, "MASKKV_ERR_UNSUPPORTED", "backend 'cuda' requested", "a CUDA request (where no device is usable)"),
                ("mopt-backend-unknown", {"backend": 7}, "MASKKV_ERR_INVALID_ARGUMENT", "backend = 7",
                 "a backend past the enum"),
                ("mopt-threads-huge", {"n_threads": 1 << 30}, "MASKKV_ERR_INVALID_ARGUMENT", "n_threads = 1073741824",
                 "a billion threads"),
                ("mopt-threads-past-limit", {"n_threads": 1025}, "MASKKV_ERR_INVALID_ARGUMENT",
                 "n_threads = 1025 must be in [0, 1024]", "one thread past the limit"),
                ("mopt-threads-negative", {"n_threads": -4}, "MASKKV_ERR_INVALID_ARGUMENT", "n_threads = -4",
                 "negative threads"),
                ("mopt-size-small", {"size": 4}, "MASKKV_ERR_INVALID_ARGUMENT", "maskkv_model_options.size = 4",
                 "a truncated struct"),
                ("mopt-weight-type-unknown", {"weight_type": 9}, "MASKKV_ERR_INVALID_ARGUMENT",
                 "weight_type = 9 is not a MASKKV_WEIGHT_TYPE_* value", "a weight type past the last"),
                ("mopt-weight-type-negative", {"weight_type": -1}, "MASKKV_ERR_INVALID_ARGUMENT",
                 "weight_type = -1 is not a MASKKV_WEIGHT_TYPE_* value", "a negative weight type")]:
            self.case(name, "maskkv_model_load", status, message, path="ok-llada", model_options=mo, note=note)

    def tokenizer_growth_cases(self, tok_case):
        """Files that made the tokenizer crash, recurse, grow or scan without bound."""
        # SentencePiece normalizer tables that libsentencepiece would walk out of bounds.
        with open(os.path.join(ROOT, "tests", "fixtures", "tokenizers", "spm", "unigram.model"), "rb") as f:
            spm = f.read()
        rnd = random.Random(17)
        garbage = bytes(rnd.randrange(256) for _ in range(139))
        trie = struct.pack("<I", 64) + bytes(rnd.randrange(256) for _ in range(64)) + b"ab\0"
        for name, cm, message, note in [
                ("spm-charsmap-garbage", garbage, "trie size", "139 random bytes as the normalizer table"),
                ("spm-charsmap-random-trie", trie, "normalizer_spec.precompiled_charsmap",
                 "a well-sized table whose trie is random: transitions leave it"),
                ("spm-charsmap-short", b"\x04\0\0", "shorter than its 4-byte trie size", "a 3-byte table")]:
            self.model_dir(name)
            self.write(name + "/tokenizer.model", spm_with_charsmap(spm, cm))
            self.case(name, "maskkv_model_load", "MASKKV_ERR_FORMAT", message, path=name, note=note)

        def with_(key, value):
            j = tokenizer_json()
            j[key] = value
            return json.dumps(j)

        split = {"type": "Split", "pattern": {"String": "x"}, "behavior": "Isolated", "invert": False}
        tok_case("tok-flat-pretokenizers", with_("pre_tokenizer", {"type": "Sequence", "pretokenizers": [split] * 50000}),
                 "MASKKV_ERR_FORMAT", "more than 64 pre-tokenizers",
                 "a flat Sequence of 50000 pre-tokenizers (one recursion each at encode)")
        tok_case("tok-flat-normalizers", with_("normalizer", {"type": "Sequence", "normalizers": [{"type": "NFC"}] * 65}),
                 "MASKKV_ERR_FORMAT", "more than 64 normalizers", "65 normalizers in a Sequence")
        tok_case("tok-flat-decoders", with_("decoder", {"type": "Sequence", "decoders": [{"type": "Fuse"}] * 65}),
                 "MASKKV_ERR_FORMAT", "more than 64 decoders", "65 decoders in a Sequence")
        tok_case("tok-flat-post-processors",
                 with_("post_processor", {"type": "Sequence", "processors": [{"type": "ByteLevel"}] * 65}),
                 "MASKKV_ERR_FORMAT", "more than 64 post-processors", "65 post-processors in a Sequence")
        grow = {"type": "Sequence", "normalizers": [
            {"type": "Replace", "pattern": {"String": ""}, "content": "x" * 1000}] * 4}
        j = tokenizer_json()
        j["normalizer"] = grow
        j["added_tokens"].append({"id": 301, "content": "zq", "single_word": False, "lstrip": False,
                                  "rstrip": False, "normalized": True, "special": False})
        tok_case("tok-growing-normalizer-load", json.dumps(j), "MASKKV_ERR_FORMAT", "grows a text of 2 bytes past",
                 "Replace steps with an empty pattern and long content, and an added token they normalize at load")
        self.write("tok-growing-normalizer/tokenizer.json", with_("normalizer", grow))
        self.case("tok-growing-normalizer-encode", "maskkv_tokenize", "MASKKV_ERR_FORMAT",
                  "normalizer.normalizers[1]: grows a text of 2 bytes past", path="tok-growing-normalizer",
                  text_hex="6869", note="the same normalizers met by tokenizing 'hi'")
        grow_dec = {"type": "Sequence", "decoders": [
            {"type": "Replace", "pattern": {"String": ""}, "content": "y" * 1000}] * 4}
        self.write("tok-growing-decoder/tokenizer.json", with_("decoder", grow_dec))
        self.case("tok-growing-decoder", "maskkv_detokenize", "MASKKV_ERR_FORMAT", "decoder.decoders[1]: grows a text",
                  path="tok-growing-decoder", ids=[104, 105], note="the same growth in the decoders")
        j = tokenizer_json()
        j["added_tokens"].append({"id": 301, "content": "a" * 1025, "single_word": False, "lstrip": False,
                                  "rstrip": False, "normalized": False, "special": False})
        tok_case("tok-long-added-token", json.dumps(j), "MASKKV_ERR_FORMAT",
                 "added_tokens[1].content: 1025 bytes exceed the limit of 1024",
                 "an added token of 1025 bytes (matching costs text x token length)")
        look = {"type": "Sequence", "pretokenizers": [
            {"type": "Split", "pattern": {"Regex": "a(?=[^b]*$)"}, "behavior": "Isolated", "invert": False},
            {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": True, "use_regex": False}]}
        tok_case("tok-unbounded-lookahead", with_("pre_tokenizer", look), "MASKKV_ERR_UNSUPPORTED",
                 "a lookaround that repeats without bound", "a(?=[^b]*$): quadratic in the text, no match too long")
        tok_case("tok-unbounded-lookahead-normalizer",
                 with_("normalizer", {"type": "Replace", "pattern": {"Regex": "x(?!y+z)"}, "content": "w"}),
                 "MASKKV_ERR_UNSUPPORTED", "a lookaround that repeats without bound", "the same in a Replace normalizer")

    def save(self):
        with open(os.path.join(self.dest, "manifest.json"), "w") as f:
            json.dump({"comment": "Generated by tools/make_bad_inputs.py; run by tests/reliability/test_bad_inputs.cpp. "
                                  "Each case: the C ABI call, its arguments, the status it must return and a "
                                  "substring of maskkv_last_error().", "cases": self.cases}, f, indent=1)
            f.write("\n")


def generate(dest):
    if os.path.lexists(dest):
        shutil.rmtree(dest)
    os.makedirs(dest)
    c = Catalogue(dest)
    c.build()
    c.save()
    return c


def same_tree(a, b):
    """True when two trees hold the same names, file bytes and symlink targets."""
    for dirpath, dirnames, filenames in os.walk(a):
        rel = os.path.relpath(dirpath, a)
        other = os.path.join(b, rel)
        if not os.path.isdir(other):
            return False
        mine = sorted(dirnames + filenames)
        if mine != sorted(os.listdir(other)):
            print("differs: %s" % rel, file=sys.stderr)
            return False
        for n in dirnames + filenames:
            x, y = os.path.join(dirpath, n), os.path.join(other, n)
            if os.path.islink(x) or os.path.islink(y):
                if not (os.path.islink(x) and os.path.islink(y) and os.readlink(x) == os.readlink(y)):
                    print("differs: %s" % os.path.join(rel, n), file=sys.stderr)
                    return False
            elif os.path.isfile(x) and not filecmp.cmp(x, y, shallow=False):
                print("differs: %s" % os.path.join(rel, n), file=sys.stderr)
                return False
        dirnames[:] = [d for d in dirnames if not os.path.islink(os.path.join(dirpath, d))]
    return True


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--check", action="store_true", help="fail if tests/bad_inputs differs from a fresh run")
    args = ap.parse_args()
    if args.check:
        with tempfile.TemporaryDirectory() as tmp:
            fresh = os.path.join(tmp, "bad_inputs")
            generate(fresh)
            if not (same_tree(fresh, DEST) and same_tree(DEST, fresh)):
                print("tests/bad_inputs is stale: run tools/make_bad_inputs.py", file=sys.stderr)
                return 1
        print("tests/bad_inputs is up to date")
        return 0
    c = generate(DEST)
    print("wrote %d cases under %s" % (len(c.cases), os.path.relpath(DEST, ROOT)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
