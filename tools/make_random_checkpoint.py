#!/usr/bin/env python3
"""Writes a random-weight LLaDA- or Dream-shaped checkpoint in the real Hugging Face layout,
for benchmarks (e.g. the ~100M-parameter LLaDA-shaped model of bench/bench_forward).

  python3 tools/make_random_checkpoint.py --out /tmp/llada-100m --family llada \
      --d-model 768 --layers 12 --heads 12 --mlp 2304 --vocab 16384 --dtype BF16
"""
import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from make_test_checkpoints import make_weights, write_model  # noqa: E402


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
    write_model(a.out, cfg, make_weights(a.family, cfg, a.seed), a.dtype)
    print("wrote", a.out)


if __name__ == "__main__":
    main()
