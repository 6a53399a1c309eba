#!/usr/bin/env python3
"""Writes a random-weight LLaDA- or Dream-shaped checkpoint in the real Hugging Face layout,
for benchmarks (e.g. the ~100M-parameter LLaDA-shaped model of bench/bench_forward).

  python3 tools/make_random_checkpoint.py --out /tmp/llada-100m --family llada \
      --d-model 768 --layers 12 --heads 12 --mlp 2304 --vocab 16384 --dtype BF16
"""
import argparse
import json
import os
import struct
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from make_test_checkpoints import make_weights, write_model  # noqa: E402


def tensor_shapes(family, cfg):
    """{name: shape} of every tensor of the family, from the config."""
    if family == "llada":
        D, H, Hkv, nl = cfg["d_model"], cfg["n_heads"], cfg["n_kv_heads"], cfg["n_layers"]
        F, V = cfg["mlp_hidden_size"], cfg["embedding_size"]
        hd = D // H
        s = {"model.transformer.wte.weight": (V, D), "model.transformer.ln_f.weight": (D,),
             "model.transformer.ff_out.weight": (V, D)}
        for i in range(nl):
            b = "model.transformer.blocks.%d." % i
            s.update({b + "attn_norm.weight": (D,), b + "ff_norm.weight": (D,),
                      b + "q_proj.weight": (H * hd, D), b + "k_proj.weight": (Hkv * hd, D),
                      b + "v_proj.weight": (Hkv * hd, D), b + "attn_out.weight": (D, H * hd),
                      b + "ff_proj.weight": (F, D), b + "up_proj.weight": (F, D),
                      b + "ff_out.weight": (D, F)})
        return s
    D, H, Hkv = cfg["hidden_size"], cfg["num_attention_heads"], cfg["num_key_value_heads"]
    nl, F, V = cfg["num_hidden_layers"], cfg["intermediate_size"], cfg["vocab_size"]
    hd = D // H
    s = {"model.embed_tokens.weight": (V, D), "model.norm.weight": (D,), "lm_head.weight": (V, D)}
    for i in range(nl):
        b = "model.layers.%d." % i
        s.update({b + "input_layernorm.weight": (D,), b + "post_attention_layernorm.weight": (D,),
                  b + "self_attn.q_proj.weight": (H * hd, D), b + "self_attn.q_proj.bias": (H * hd,),
                  b + "self_attn.k_proj.weight": (Hkv * hd, D), b + "self_attn.k_proj.bias": (Hkv * hd,),
                  b + "self_attn.v_proj.weight": (Hkv * hd, D), b + "self_attn.v_proj.bias": (Hkv * hd,),
                  b + "self_attn.o_proj.weight": (D, H * hd), b + "mlp.gate_proj.weight": (F, D),
                  b + "mlp.up_proj.weight": (F, D), b + "mlp.down_proj.weight": (D, F)})
    return s


def write_tiled(directory, cfg, family, dtype, seed):
    """Streams a checkpoint to disk: every matrix is one random block (std 1/sqrt(fan_in))
    repeated, norm weights are ones. Memory stays at a few MiB whatever the model size."""
    from reference.checkpoint import _encode
    os.makedirs(directory, exist_ok=True)
    with open(os.path.join(directory, "config.json"), "w") as f:
        json.dump(dict(cfg, torch_dtype={"F32": "float32", "BF16": "bfloat16", "F16": "float16"}[dtype]),
                  f, indent=2)
    item = 4 if dtype == "F32" else 2
    shapes = tensor_shapes(family, cfg)
    names = sorted(shapes)
    header, offset = {}, 0
    for n in names:
        size = int(np.prod(shapes[n])) * item
        header[n] = {"dtype": dtype, "shape": list(shapes[n]), "data_offsets": [offset, offset + size]}
        offset += size
    text = json.dumps(header, sort_keys=True, separators=(",", ":")).encode()
    text += b" " * ((8 - len(text) % 8) % 8)
    rng = np.random.default_rng(seed)
    block = rng.standard_normal(1 << 20).astype(np.float32)
    with open(os.path.join(directory, "model.safetensors"), "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for i, n in enumerate(names):
            shape = shapes[n]
            count = int(np.prod(shape))
            if len(shape) == 1:
                f.write(_encode(np.ones(count, np.float32), dtype))
                continue
            chunk = _encode(block / np.sqrt(shape[-1]), dtype)
            full, rest = divmod(count, block.size)
            for _ in range(full):
                f.write(chunk)
            f.write(chunk[:rest * item])
            print("\r%d/%d tensors" % (i + 1, len(names)), end="", file=sys.stderr, flush=True)
    print(file=sys.stderr)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", required=True)
    ap.add_argument("--family", choices=["llada", "dream"], default="llada")
    ap.add_argument("--d-model", type=int, default=768)
    ap.add_argument("--layers", type=int, default=12)
    ap.add_argument("--heads", type=int, default=12)
    ap.add_argument("--kv-heads", type=int, default=0, help="0 = heads (no GQA)")
    ap.add_argument("--mlp", type=int, default=2304)
    ap.add_argument("--vocab", type=int, default=16384)
    ap.add_argument("--max-seq", type=int, default=32768)
    ap.add_argument("--dtype", choices=["F32", "BF16", "F16"], default="BF16")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--tiled", action="store_true",
                    help="stream tensors to disk by tiling one random block (for 8B-sized "
                         "checkpoints that do not fit in memory as float32)")
    a = ap.parse_args()
    kv = a.kv_heads or a.heads
    special = dict(mask_token_id=a.vocab - 4, eos_token_id=a.vocab - 3, pad_token_id=a.vocab - 3,
                   bos_token_id=a.vocab - 1, eot_token_id=a.vocab - 2)
    if a.family == "llada":
        cfg = dict(model_type="llada", architectures=["LLaDAModelLM"], d_model=a.d_model,
                   n_heads=a.heads, n_kv_heads=kv, n_layers=a.layers, mlp_hidden_size=a.mlp,
                   vocab_size=a.vocab, embedding_size=a.vocab, max_sequence_length=a.max_seq,
                   rope_theta=500000.0, rms_norm_eps=1e-5, weight_tying=False,
                   include_bias=False, **special)
    else:
        cfg = dict(model_type="Dream", architectures=["DreamModel"], hidden_size=a.d_model,
                   num_attention_heads=a.heads, num_key_value_heads=kv,
                   num_hidden_layers=a.layers, intermediate_size=a.mlp, vocab_size=a.vocab,
                   max_position_embeddings=a.max_seq, rope_theta=1e6, rms_norm_eps=1e-6,
                   tie_word_embeddings=False, **special)
    if a.tiled:
        write_tiled(a.out, cfg, a.family, a.dtype, a.seed)
    else:
        write_model(a.out, cfg, make_weights(a.family, cfg, a.seed), a.dtype)
    print("wrote", a.out)


if __name__ == "__main__":
    main()
