#!/usr/bin/python3
"""Writes the tiny random-weight test checkpoints of maskkv (deterministic: rerunning gives
byte-identical files).

  tests/fixtures/models/llada_f32, llada_bf16, llada_f16, llada_sharded_bf16, dream_f32, dream_bf16
  tests/fixtures/models/llada_deep_f32  (6 layers, width 32, 2 heads: exercises the layer-level
                                         budget allocation of the eviction policies)

It never writes outside tests/fixtures/models (models/demo is not generated here).

The bf16/f16 checkpoints hold the bf16/f16-rounded values of the same float32 weights.
Scales are chosen so that logits are peaky (std of a few units) and attention depends on
position, so that argmax/top-k decisions in the golden runs are not near-ties.

Usage: /usr/bin/python3 tools/make_test_checkpoints.py [--out-root DIR]
"""
import argparse
import json
import os
import shutil
import sys

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from tools.reference.checkpoint import write_safetensors, _ITEMSIZE  # noqa: E402

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

LLADA_CONFIG = {
    "model_type": "llada",
    "architectures": ["LLaDAModelLM"],
    "d_model": 64,
    "n_heads": 4,
    "n_kv_heads": 4,
    "n_layers": 2,
    "mlp_hidden_size": 96,
    "vocab_size": 320,
    "embedding_size": 320,
    "max_sequence_length": 256,
    "rope_theta": 10000.0,
    "rms_norm_eps": 1e-5,
    "weight_tying": False,
    "include_bias": False,
    "mask_token_id": 310,
    "eos_token_id": 311,
    "pad_token_id": 311,
    "bos_token_id": 313,
    "eot_token_id": 312,
    # further keys that real LLaDA-8B configs carry; the engine must tolerate/ignore them
    "activation_type": "silu",
    "block_type": "llama",
    "layer_norm_type": "rms",
    "rope": True,
    "attention_dropout": 0.0,
    "use_cache": False,
}

DREAM_CONFIG = {
    "model_type": "Dream",
    "architectures": ["DreamModel"],
    "hidden_size": 64,
    "num_attention_heads": 4,
    "num_key_value_heads": 2,
    "num_hidden_layers": 2,
    "intermediate_size": 96,
    "vocab_size": 320,
    "max_position_embeddings": 256,
    "rope_theta": 10000.0,
    "rms_norm_eps": 1e-6,
    "tie_word_embeddings": False,
    "mask_token_id": 310,
    "eos_token_id": 311,
    "pad_token_id": 311,
    "bos_token_id": 313,
    # further Qwen2-style keys of the real Dream config
    "hidden_act": "silu",
    "attention_dropout": 0.0,
    "rope_scaling": None,
    "use_cache": False,
    "use_sliding_window": False,
}

# Deeper and narrower: 6 layers, so that MaskKV's boundary/middle split, PyramidKV's falling
# budgets and SqueezeAttention's layer clustering are exercised (the 2-layer fixtures cannot).
LLADA_DEEP_CONFIG = dict(LLADA_CONFIG, d_model=32, n_heads=2, n_kv_heads=2, n_layers=6,
                         mlp_hidden_size=48, vocab_size=320, embedding_size=320,
                         max_sequence_length=256)

TORCH_DTYPE = {"F32": "float32", "BF16": "bfloat16", "F16": "float16"}


def make_weights(family, cfg, seed):
    """Float32 weights {name: array}, drawn from numpy default_rng(seed) in a fixed order."""
    rng = np.random.default_rng(seed)
    if family == "llada":
        D, H, Hkv, nl = cfg["d_model"], cfg["n_heads"], cfg["n_kv_heads"], cfg["n_layers"]
        F, V = cfg["mlp_hidden_size"], cfg["embedding_size"]
    else:
        D, H, Hkv = cfg["hidden_size"], cfg["num_attention_heads"], cfg["num_key_value_heads"]
        nl, F, V = cfg["num_hidden_layers"], cfg["intermediate_size"], cfg["vocab_size"]
    hd = D // H

    def normal(shape, std):
        return (rng.standard_normal(shape) * std).astype(np.float32)

    def norm_w(n):
        return (1.0 + 0.1 * rng.standard_normal(n)).astype(np.float32)

    w = {}
    embed = normal((V, D), 1.0)
    layers = []
    for _ in range(nl):
        L = {
            "attn_norm": norm_w(D),
            "q": normal((H * hd, D), 1.6 / np.sqrt(D)),
            "k": normal((Hkv * hd, D), 1.6 / np.sqrt(D)),
            "v": normal((Hkv * hd, D), 1.0 / np.sqrt(D)),
            "o": normal((D, H * hd), 1.0 / np.sqrt(H * hd)),
            "ffn_norm": norm_w(D),
            "gate": normal((F, D), 1.0 / np.sqrt(D)),
            "up": normal((F, D), 1.0 / np.sqrt(D)),
            "down": normal((D, F), 1.0 / np.sqrt(F)),
        }
        if family == "dream":
            L["bq"] = normal((H * hd,), 0.2)
            L["bk"] = normal((Hkv * hd,), 0.2)
            L["bv"] = normal((Hkv * hd,), 0.2)
        layers.append(L)
    final_norm = norm_w(D)
    lm_head = normal((V, D), 0.5)
    # Special rows: the mask id is never a sensible prediction (a trained model never proposes
    # it); EOS/EoT are made more likely so that the EOS options of the samplers matter.
    mask_id, eos_id = cfg["mask_token_id"], cfg["eos_token_id"]
    eot_id = cfg.get("eot_token_id", eos_id + 1)
    lm_head[mask_id] *= 0.05
    lm_head[eos_id] *= 2.0
    lm_head[eot_id] *= 2.0

    if family == "llada":
        p = "model.transformer."
        w[p + "wte.weight"] = embed
        for i, L in enumerate(layers):
            b = p + "blocks.%d." % i
            w[b + "attn_norm.weight"] = L["attn_norm"]
            w[b + "q_proj.weight"] = L["q"]
            w[b + "k_proj.weight"] = L["k"]
            w[b + "v_proj.weight"] = L["v"]
            w[b + "attn_out.weight"] = L["o"]
            w[b + "ff_norm.weight"] = L["ffn_norm"]
            w[b + "ff_proj.weight"] = L["gate"]
            w[b + "up_proj.weight"] = L["up"]
            w[b + "ff_out.weight"] = L["down"]
        w[p + "ln_f.weight"] = final_norm
        w[p + "ff_out.weight"] = lm_head
    else:
        w["model.embed_tokens.weight"] = embed
        for i, L in enumerate(layers):
            b = "model.layers.%d." % i
            w[b + "input_layernorm.weight"] = L["attn_norm"]
            for nm in ("q", "k", "v"):
                w[b + "self_attn.%s_proj.weight" % nm] = L[nm]
                w[b + "self_attn.%s_proj.bias" % nm] = L["b" + nm]
            w[b + "self_attn.o_proj.weight"] = L["o"]
            w[b + "post_attention_layernorm.weight"] = L["ffn_norm"]
            w[b + "mlp.gate_proj.weight"] = L["gate"]
            w[b + "mlp.up_proj.weight"] = L["up"]
            w[b + "mlp.down_proj.weight"] = L["down"]
        w["model.norm.weight"] = final_norm
        w["lm_head.weight"] = lm_head
    return w


def write_json(path, obj):
    with open(path, "w", encoding="utf-8") as f:
        f.write(json.dumps(obj, indent=2) + "\n")


def write_model(directory, config, weights, dtype, shards=1):
    if os.path.isdir(directory):
        shutil.rmtree(directory)
    os.makedirs(directory)
    cfg = dict(config, torch_dtype=TORCH_DTYPE[dtype])
    write_json(os.path.join(directory, "config.json"), cfg)
    meta = {"format": "pt"}
    if shards == 1:
        write_safetensors(os.path.join(directory, "model.safetensors"), weights, dtype, meta)
        return
    # Split the tensors (in name order) into `shards` groups of about equal byte size.
    names = sorted(weights)
    sizes = [int(np.prod(weights[n].shape)) * _ITEMSIZE[dtype] for n in names]
    total = sum(sizes)
    groups, acc = [[] for _ in range(shards)], 0
    for n, s in zip(names, sizes):
        groups[min(shards - 1, acc * shards // total)].append(n)
        acc += s
    weight_map = {}
    for k, group in enumerate(groups):
        fname = "model-%05d-of-%05d.safetensors" % (k + 1, shards)
        write_safetensors(os.path.join(directory, fname), {n: weights[n] for n in group},
                          dtype, meta)
        for n in group:
            weight_map[n] = fname
    write_json(os.path.join(directory, "model.safetensors.index.json"),
               {"metadata": {"total_size": total},
                "weight_map": {n: weight_map[n] for n in sorted(weight_map)}})


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out-root", default=REPO, help="repository root to write into")
    args = ap.parse_args()
    fixtures = os.path.join(args.out_root, "tests", "fixtures", "models")
    os.makedirs(fixtures, exist_ok=True)

    llada = make_weights("llada", LLADA_CONFIG, seed=20250101)
    dream = make_weights("dream", DREAM_CONFIG, seed=20250202)
    deep = make_weights("llada", LLADA_DEEP_CONFIG, seed=20250404)
    written = []
    for name, cfg, w, dtype, shards in (
            ("llada_f32", LLADA_CONFIG, llada, "F32", 1),
            ("llada_bf16", LLADA_CONFIG, llada, "BF16", 1),
            ("llada_f16", LLADA_CONFIG, llada, "F16", 1),
            ("llada_sharded_bf16", LLADA_CONFIG, llada, "BF16", 2),
            ("dream_f32", DREAM_CONFIG, dream, "F32", 1),
            ("dream_bf16", DREAM_CONFIG, dream, "BF16", 1),
            ("llada_deep_f32", LLADA_DEEP_CONFIG, deep, "F32", 1)):
        d = os.path.join(fixtures, name)
        write_model(d, cfg, w, dtype, shards)
        written.append(d)

    for d in written:
        size = sum(os.path.getsize(os.path.join(d, f)) for f in os.listdir(d))
        print("%-60s %9d bytes  %s" % (os.path.relpath(d, args.out_root), size,
                                       " ".join(sorted(os.listdir(d)))))


if __name__ == "__main__":
    main()
