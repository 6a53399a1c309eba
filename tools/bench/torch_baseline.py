#!/usr/bin/env python3
"""The PyTorch way of running LLaDA, for docs/performance.md's comparison: the model as plain
PyTorch modules (bf16 on a GPU, f32 on the CPU), with

  vanilla  the official generate loop: the whole sequence through the model at every step,
           logits for every position, low-confidence remasking in blocks (temperature 0);
  cached   dLLM-Cache in PyTorch: prompt K/V and per-layer response features (K, V, attention
           and FFN outputs) cached; a full pass every Kp calls, a response refresh every Kr,
           otherwise a partial update of the floor(rho * L) response tokens whose V moved most
           (the same schedule and selection as maskkv's `full` policy, docs/eviction.md).

Attention is torch's scaled_dot_product_attention where this torch has it (2.0+), else explicit
softmax attention. Prints one CSV row per run (seconds, tokens/s, peak GPU memory) and, with
--tokens, the generated ids, which the test compares with maskkv's (tests/bench/).

  python3 tools/bench/torch_baseline.py --model DIR --lengths 2048,8192 --gens 32 \
      --variants vanilla,cached [--device cuda] [--dtype bf16] [--csv FILE] [--tokens]
"""
import argparse
import json
import math
import os
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from reference.checkpoint import load_model_dir  # noqa: E402
from reference.model import ModelSpec, _names  # noqa: E402


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


class TorchLLaDA:
    def __init__(self, directory, device, dtype):
        fast = _load_with_safetensors(directory, device)
        if fast is None:
            config, tensors, _ = load_model_dir(directory)
        else:
            config, tensors = fast
        self.spec = s = ModelSpec(config)
        if s.family != "llada":
            raise SystemExit("torch_baseline runs LLaDA checkpoints")
        self.device, self.dtype = device, dtype

        def t(name):
            v = tensors.pop(name)
            if not torch.is_tensor(v):
                v = torch.from_numpy(np.ascontiguousarray(v, dtype=np.float32))
            return v.to(device=device, dtype=dtype)

        self.embed = t("model.transformer.wte.weight")
        self.final_norm = t("model.transformer.ln_f.weight")
        self.lm_head = self.embed if s.tied else t("model.transformer.ff_out.weight")
        self.layers = []
        for i in range(s.n_layers):
            an, q, k, v, o, fn, g, u, d = _names(s, i)
            self.layers.append({"attn_norm": t(an), "wq": t(q + ".weight"), "wk": t(k + ".weight"),
                                "wv": t(v + ".weight"), "wo": t(o), "ffn_norm": t(fn),
                                "w_gate": t(g), "w_up": t(u), "w_down": t(d)})

    def rms(self, x, w):
        xf = x.float()
        return (xf * torch.rsqrt(xf.pow(2).mean(-1, keepdim=True) + self.spec.eps)).to(x.dtype) * w

    def rope_tables(self, n, scaling):
        d = self.spec.head_dim
        theta = self.spec.rope_theta * scaling
        inv = 1.0 / (theta ** (torch.arange(0, d, 2, dtype=torch.float32, device=self.device) / d))
        ang = torch.outer(torch.arange(n, dtype=torch.float32, device=self.device), inv)
        ang = torch.cat([ang, ang], -1)
        return ang.cos()[:, None, :], ang.sin()[:, None, :]

    @staticmethod
    def rope(x, cos, sin):
        h = x.shape[-1] // 2
        xf = x.float()
        rot = torch.cat([-xf[..., h:], xf[..., :h]], -1)
        return (xf * cos + rot * sin).to(x.dtype)

    def qkv(self, L, h):
        s = self.spec
        m = h.shape[0]
        return ((h @ L["wq"].T).view(m, s.n_heads, s.head_dim), (h @ L["wk"].T).view(m, s.n_kv_heads, s.head_dim),
                (h @ L["wv"].T).view(m, s.n_kv_heads, s.head_dim))

    def attend(self, q, k, v):
        """q [m, H, d] over k, v [n, Hkv, d]: [m, H*d]."""
        s = self.spec
        g = s.n_heads // s.n_kv_heads
        if g > 1:
            k, v = k.repeat_interleave(g, 1), v.repeat_interleave(g, 1)
        qh, kh, vh = q.transpose(0, 1), k.transpose(0, 1), v.transpose(0, 1)
        if hasattr(F, "scaled_dot_product_attention"):
            o = F.scaled_dot_product_attention(qh[None], kh[None], vh[None])[0]
        else:
            p = torch.softmax((qh @ kh.transpose(1, 2)).float() / math.sqrt(s.head_dim), -1).to(q.dtype)
            o = p @ vh
        return o.transpose(0, 1).reshape(q.shape[0], -1)

    def ffn(self, L, x):
        h = self.rms(x, L["ffn_norm"])
        return (F.silu(h @ L["w_gate"].T) * (h @ L["w_up"].T)) @ L["w_down"].T

    def logits(self, x):
        return self.rms(x, self.final_norm) @ self.lm_head.T


def llada_scaling(spec, n):
    """LongLLaDA's factor for n tokens (rope_scaling 0 in maskkv)."""
    if n <= spec.max_seq_len:
        return 1.0
    d, b = spec.head_dim, spec.rope_theta
    dc = 2 * math.ceil(d / 2 * math.log(spec.max_seq_len / (2 * math.pi)) / math.log(b))
    return max(math.nextafter(1.0, 2.0), (n / (2 * math.pi)) ** (d / dc) / b)


class Vanilla:
    """The official loop's model call: the whole sequence, logits for every position."""

    def __init__(self, m, n, scaling):
        self.m = m
        self.cos, self.sin = m.rope_tables(n, scaling)

    def __call__(self, x, rows):
        m = self.m
        h = m.embed[x]
        for L in m.layers:
            a = m.rms(h, L["attn_norm"])
            q, k, v = m.qkv(L, a)
            q, k = m.rope(q, self.cos, self.sin), m.rope(k, self.cos, self.sin)
            h = h + m.attend(q, k, v) @ L["wo"].T
            h = h + m.ffn(L, h)
        return m.logits(h)[rows]


class Cached:
    """dLLM-Cache (policy `full` of maskkv): see the module docstring."""

    def __init__(self, m, n_p, gen, scaling, kp=50, kr=5, rho=0.25):
        self.m, self.n_p, self.L = m, n_p, gen
        self.kp, self.kr, self.n_sel = kp, kr, int(math.floor(rho * gen))
        self.cos, self.sin = m.rope_tables(n_p + gen, scaling)
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
        m, n_p = self.m, self.n_p
        h = m.embed[x]
        self.cache = []
        for L in m.layers:
            a = m.rms(h, L["attn_norm"])
            q, k, v = m.qkv(L, a)
            q, k = m.rope(q, self.cos, self.sin), m.rope(k, self.cos, self.sin)
            att = m.attend(q, k, v) @ L["wo"].T
            h = h + att
            f = m.ffn(L, h)
            h = h + f
            self.cache.append({"pk": k[:n_p], "pv": v[:n_p], "rk": k[n_p:].clone(), "rv": v[n_p:].clone(),
                               "att": att[n_p:].clone(), "ffn": f[n_p:].clone()})
        return h[n_p:]

    def response(self, x, partial):
        m, n_p = self.m, self.n_p
        h = m.embed[x[n_p:]]
        pos = torch.arange(n_p, n_p + self.L, device=m.device)
        for L, cc in zip(m.layers, self.cache):
            a = m.rms(h, L["attn_norm"])
            v_new = (a @ L["wv"].T).view(self.L, m.spec.n_kv_heads, m.spec.head_dim)
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
                q, k, _ = m.qkv(L, a[sel])
                q = m.rope(q, self.cos[pos[sel]], self.sin[pos[sel]])
                cc["rk"][sel] = m.rope(k, self.cos[pos[sel]], self.sin[pos[sel]])
                keys, vals = torch.cat([cc["pk"], cc["rk"]]), torch.cat([cc["pv"], cc["rv"]])
                cc["att"][sel] = m.attend(q, keys, vals) @ L["wo"].T
            h = h + cc["att"]
            if sel.numel():
                cc["ffn"][sel] = m.ffn(L, h[sel])
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
    m = TorchLLaDA(a.model, a.device, dtype)
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
                    call = (Vanilla(m, len(prompt) + gen, scaling) if variant == "vanilla"
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
