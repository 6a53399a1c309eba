#!/usr/bin/env python3
"""The PyTorch way of running LLaDA, for docs/performance.md's comparison: the transformer of
tools/reference/model.py (bf16 on a GPU, f32 on the CPU), with

  vanilla  the official generate loop: the whole sequence through the model at every step,
           logits for every position, low-confidence remasking in blocks (temperature 0);
  cached   dLLM-Cache in PyTorch: prompt K/V and per-layer response features (K, V, attention
           and FFN outputs) cached; a full pass every Kp calls, a response refresh every Kr,
           otherwise a partial update of the floor(rho * L) response tokens whose V moved most
           (the same schedule and selection as maskkv's `full` policy, docs/eviction.md).

Attention is torch's scaled_dot_product_attention where this torch has it (2.0+), else explicit
softmax attention. Prints one CSV row per run (seconds, tokens/s, peak GPU memory) and, with
--tokens, the generated ids, which the test compares with maskkv's (tests/bench/).

  python3 bench/torch_baseline.py --model DIR --lengths 2048,8192 --gens 32 \
      --variants vanilla,cached [--device cuda] [--dtype bf16] [--csv FILE] [--tokens]
"""
import argparse
import json
import math
import os
import sys
import time

import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tools"))
from reference.model import Model, apply_rope, attend, rms_norm, split_heads  # noqa: E402


def _load_with_safetensors(directory, device):
    """(config, {name: tensor on device}) read by the safetensors package straight into the
    file's dtype on the device, when that package is installed and the checkpoint is one file;
    else None (the reference loader then decodes to float32 on the host: same values, slower for
    an 8B checkpoint)."""
    path = os.path.join(directory, "model.safetensors")
    try:
        from safetensors.torch import load_file
    except ImportError:
        return None
    if not os.path.exists(path):
        return None
    with open(os.path.join(directory, "config.json"), "r", encoding="utf-8") as f:
        config = json.load(f)
    return config, load_file(path, device=str(device))


def load_llada(directory, device, dtype):
    """The shared transformer of tools/reference/model.py in `dtype` on `device`."""
    m = Model(directory, compute_dtype=dtype, device=device,
              loaded=_load_with_safetensors(directory, device))
    if m.spec.family != "llada":
        raise SystemExit("torch_baseline runs LLaDA checkpoints")
    return m


def llada_scaling(spec, n):
    """LongLLaDA's factor for n tokens (rope_scaling 0 in maskkv)."""
    if n <= spec.max_seq_len:
        return 1.0
    d, b = spec.head_dim, spec.rope_theta
    dc = 2 * math.ceil(d / 2 * math.log(spec.max_seq_len / (2 * math.pi)) / math.log(b))
    return max(math.nextafter(1.0, 2.0), (n / (2 * math.pi)) ** (d / dc) / b)


class Vanilla:
    """The official loop's model call: the whole sequence, logits for every position."""

    def __init__(self, m, scaling):
        self.m = m
        self.scaling = scaling

    def __call__(self, x, rows):
        return self.m.logits(self.m.hidden(x, self.scaling, fused=True))[rows]


class Cached:
    """dLLM-Cache (policy `full` of maskkv): see the module docstring."""

    def __init__(self, m, n_p, gen, scaling, kp=50, kr=5, rho=0.25):
        self.m, self.n_p, self.L = m, n_p, gen
        self.kp, self.kr, self.n_sel = kp, kr, int(math.floor(rho * gen))
        self.scaling = scaling
        self.cos, self.sin = m.rope(n_p + gen, scaling)
        self.c = 0

    def __call__(self, x, rows):
        c = self.c
        self.c += 1
        if c % self.kp == 0:
            h = self.full(x)
        else:
            h = self.response(x, partial=c % self.kr != 0)
        return self.m.logits(h[[r - self.n_p for r in rows]])

    def full(self, x):
        """The whole sequence through the model (the shared layer loop), caching per layer the
        prompt K/V and the response's K, V, attention and FFN outputs."""
        n_p = self.n_p
        self.cache = []
        seen = {}

        def tap(name, t):
            if name == "k":
                seen.clear()
            seen[name] = t
            if name == "ffn":
                k, v = seen["k"], seen["v"]
                self.cache.append({"pk": k[:n_p], "pv": v[:n_p], "rk": k[n_p:].clone(),
                                   "rv": v[n_p:].clone(), "att": seen["attn"][n_p:].clone(),
                                   "ffn": t[n_p:].clone()})

        return self.m.hidden(x, self.scaling, fused=True, tap=tap)[n_p:]

    def response(self, x, partial):
        m, n_p, sp = self.m, self.n_p, self.m.spec
        h = m.embed[x[n_p:]]
        pos = torch.arange(n_p, n_p + self.L, device=m.device)
        for L, cc in zip(m.layers, self.cache):
            a = rms_norm(h, L.attn_norm, sp.eps)
            v_new = split_heads(L.value(a), sp.n_kv_heads, sp.head_dim)
            if partial:
                vn, vo = v_new.reshape(self.L, -1).double(), cc["rv"].reshape(self.L, -1).double()
                cs = (vn * vo).sum(-1) / (vn.norm(dim=-1) * vo.norm(dim=-1)).clamp_min(1e-12)
                cs = torch.where(cs > 1 - 1e-8, torch.ones_like(cs), cs)
                # stable order: least similar first, ties to the lower position
                order = sorted(range(self.L), key=lambda i, cs=cs.tolist(): (cs[i], i))
                sel = torch.tensor(sorted(order[:self.n_sel]), dtype=torch.long, device=m.device)
            else:
                sel = torch.arange(self.L, device=m.device)
            cc["rv"] = v_new
            if sel.numel():
                q, k, _ = L.qkv(a[sel])
                cos, sin = self.cos[pos[sel]], self.sin[pos[sel]]
                q = apply_rope(split_heads(q, sp.n_heads, sp.head_dim), cos, sin)
                cc["rk"][sel] = apply_rope(split_heads(k, sp.n_kv_heads, sp.head_dim), cos, sin)
                keys, vals = torch.cat([cc["pk"], cc["rk"]]), torch.cat([cc["pv"], cc["rv"]])
                cc["att"][sel] = L.out(attend(q, keys, vals, fused=True)[0])
            h = h + cc["att"]
            if sel.numel():
                cc["ffn"][sel] = L.mlp(rms_norm(h[sel], L.ffn_norm, sp.eps))
            h = h + cc["ffn"]
        return h


def generate(model_call, prompt, gen, block, mask_id):
    """LLaDA's loop at temperature 0, low_confidence remasking, steps = gen_length."""
    n_p = len(prompt)
    x = torch.tensor(prompt + [mask_id] * gen, dtype=torch.long, device=model_call.m.device)
    for b in range(gen // block):
        lo, hi = n_p + b * block, n_p + (b + 1) * block
        for _ in range(block):  # one commit per step: steps = gen_length
            masked = (x[lo:hi] == mask_id).nonzero().flatten() + lo
            if masked.numel() == 0:
                break
            logits = model_call(x, list(range(lo, hi)))
            p = torch.softmax(logits.double(), -1)
            conf, tok = p.max(-1)
            cand = masked - lo
            best = cand[torch.argmax(conf[cand])]  # ties: the lowest position
            x[lo + best] = tok[best]
    return x[n_p:].tolist()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--model", required=True)
    ap.add_argument("--lengths", default="2048")
    ap.add_argument("--gens", default="32")
    ap.add_argument("--block", type=int, default=8)
    ap.add_argument("--variants", default="vanilla,cached")
    ap.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    ap.add_argument("--dtype", choices=("bf16", "f32"), default=None)
    ap.add_argument("--prompt-ids", default=None, help="comma-separated ids (else a fixed pattern)")
    ap.add_argument("--csv", default=None)
    ap.add_argument("--tokens", action="store_true", help="print the generated ids as JSON")
    a = ap.parse_args()
    dtype = {"bf16": torch.bfloat16, "f32": torch.float32}[a.dtype or ("bf16" if a.device == "cuda" else "f32")]
    t0 = time.time()
    m = load_llada(a.model, a.device, dtype)
    print("loaded %s on %s (%s) in %.1f s" % (a.model, a.device, dtype, time.time() - t0), file=sys.stderr)
    out = open(a.csv, "w") if a.csv else None
    header = "variant,prompt,gen,seconds,tokens_per_s,gpu_peak_bytes"
    print(header)
    if out:
        print(header, file=out)
    s = m.spec
    for gen in [int(g) for g in a.gens.split(",")]:
        for n in [int(v) for v in a.lengths.split(",")]:
            prompt = ([int(t) for t in a.prompt_ids.split(",")] if a.prompt_ids
                      else [(i * 7919 + 13) % (s.vocab_size - 8) for i in range(n)])
            scaling = llada_scaling(s, len(prompt) + gen)
            for variant in a.variants.split(","):
                if a.device == "cuda":
                    torch.cuda.synchronize()
                    torch.cuda.reset_peak_memory_stats()
                t1 = time.time()
                with torch.no_grad():
                    call = (Vanilla(m, scaling) if variant == "vanilla"
                            else Cached(m, len(prompt), gen, scaling))
                    tokens = generate(call, prompt, gen, min(a.block, gen), s.mask_id)
                if a.device == "cuda":
                    torch.cuda.synchronize()
                sec = time.time() - t1
                peak = torch.cuda.max_memory_allocated() if a.device == "cuda" else 0
                row = "%s,%d,%d,%.4f,%.3f,%d" % (variant, len(prompt), gen, sec, gen / sec, peak)
                print(row, flush=True)
                if out:
                    print(row, file=out, flush=True)
                if a.tokens:
                    print(json.dumps({"variant": variant, "tokens": tokens}), flush=True)


if __name__ == "__main__":
    main()
