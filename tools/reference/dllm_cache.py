"""Brute-force reference for the dLLM-Cache stepping of docs/eviction.md ("After the prefill"),
with the LLaDA sampler at temperature 0 (low_confidence remasking, no CFG).

Forward call c (the prefill is call 0) is:
  - a full refresh when c % Kp == 0 under policy "full" (never again under an eviction policy):
    the vanilla forward over prompt + response, refilling every cache;
  - else a response refresh when c % Kr == 0: the response tokens through every layer, attending
    to [kept prompt K/V] + [response K/V];
  - else a partial update: per layer, V_new for every response token, cosine similarity with the
    cached V (one cosine per token over its whole V row, all KV heads concatenated, as
    dLLM-Cache's refresh_index does; V carries no RoPE), the floor(rho * L) least similar tokens
    (ties: lower position) recompute Q, K, attention (over the kept prompt K/V and the response
    K/V with V = V_new) and their FFN; their K, attention and FFN outputs are scattered into the
    cache, V becomes V_new for all. Every response token's residual stream advances by its
    cached or fresh attention and FFN outputs.
Logits are produced for the response rows only (the sampler reads masked rows of its block).

A token whose V_new equals the cached V up to f32 rounding (nothing upstream of it changed)
gets cosine exactly 1 (1 - cos < 1e-8 counts as unchanged): rounding residue does not rank such
tokens, ties among them go to the lower position, so implementations agree even when fewer
than floor(rho * L) tokens changed.
"""
import math

import numpy as np
import torch

from . import eviction as ev
from .model import apply_rope, attend, rms_norm, split_heads
from .sampling import Margins, _argmax_margin, _order_desc, _rel, _softmax, llada_schedule

torch.set_num_threads(1)

POLICIES = ("full",) + ev.POLICIES


class CachedRunner:
    """One generation's caches. call(response_ids) runs forward call c = 0, 1, ... and returns
    float32 logits [L, vocab] of the response rows."""

    def __init__(self, model, prompt_ids, gen_length, policy="full", budget=None, window=32,
                 pool_kernel=7, pool="max", alpha=ev.MASKKV_ALPHA, beta=ev.MASKKV_BETA,
                 profile=None, online=False, prompt_refresh=50, response_refresh=5, rho=0.25,
                 rope_scaling=1.0, margins=None):
        if policy not in POLICIES:
            raise ValueError("unknown policy %r" % policy)
        self.m = model
        self.spec = model.spec
        self.prompt = list(prompt_ids)
        self.n_p, self.L = len(self.prompt), int(gen_length)
        self.policy = policy
        self.evict_args = dict(window=window, pool_kernel=pool_kernel, pool=pool, alpha=alpha,
                               beta=beta, profile=profile, online=online)
        self.budget = budget
        self.Kp, self.Kr, self.rho = int(prompt_refresh), int(response_refresh), float(rho)
        self.n_sel = int(math.floor(self.rho * self.L))
        self.c = 0
        self.margins = margins if margins is not None else Margins()
        self.selection = None
        self.cos, self.sin = model.rope(self.n_p + self.L, rope_scaling)
        self.counts = {"full": 0, "response": 0, "partial": 0}

    # -----------------------------------------------------------------------------------------
    def _rope(self, x, pos):
        """x [m, heads, d] at sequence positions pos (list)."""
        return apply_rope(x, self.cos[pos], self.sin[pos])

    def _norm(self, x, w):
        return rms_norm(x, w, self.spec.eps)

    def _qkv(self, layer, h):
        q, k, v = layer.qkv(h)
        sp = self.spec
        return (split_heads(q, sp.n_heads, sp.head_dim), split_heads(k, sp.n_kv_heads, sp.head_dim),
                split_heads(v, sp.n_kv_heads, sp.head_dim))

    def _attend(self, l, q):
        """q [m, H, d] (RoPE applied) over [prompt K/V of the head] + [response K/V]; returns
        the attention output after the output projection [m, d_model]. Each KV head keeps its
        own prompt positions, so each query head attends on its own."""
        sp = self.spec
        g = sp.n_heads // sp.n_kv_heads
        m = q.shape[0]
        out = torch.zeros(m, sp.n_heads, sp.head_dim)
        for qh in range(sp.n_heads):
            h = qh // g
            K = torch.cat([self.pk[l][h], self.rk[l][:, h]], dim=0)
            V = torch.cat([self.pv[l][h], self.rv[l][:, h]], dim=0)
            out[:, qh] = attend(q[:, qh:qh + 1], K[:, None], V[:, None])[0]
        return self.m.layers[l].out(out.reshape(m, sp.n_heads * sp.head_dim))

    # -----------------------------------------------------------------------------------------
    def _full(self, resp):
        """Vanilla forward over prompt + response; refills every cache. Under an eviction
        policy (call 0 only) the prompt K/V are compacted to the selected positions."""
        pf = ev.forward_capture(self.m, self.prompt + list(resp), self.n_p)
        D, Hkv = self.spec.n_layers, self.spec.n_kv_heads
        if self.policy == "full" or (self.budget is not None and self.budget >= self.n_p):
            kept = [[list(range(self.n_p))] * Hkv for _ in range(D)]
        else:
            sel = ev.evict(pf, self.policy, self.budget, **self.evict_args)
            self.selection = sel
            kept = sel.kept
            g = sel.min_gap()
            self.margins.add("eviction", g[0], g[1])
        n_p = self.n_p
        idx = [[torch.tensor(kept[l][h], dtype=torch.long) for h in range(Hkv)]
               for l in range(D)]
        self.pk = [[pf.k[l][:, h][idx[l][h]].clone() for h in range(Hkv)] for l in range(D)]
        self.pv = [[pf.v[l][:, h][idx[l][h]].clone() for h in range(Hkv)] for l in range(D)]
        self.rk = [pf.k[l][n_p:].clone() for l in range(D)]
        self.rv = [pf.v[l][n_p:].clone() for l in range(D)]
        self.ra = [pf.attn[l][n_p:].clone() for l in range(D)]
        self.rf = [pf.ffn[l][n_p:].clone() for l in range(D)]
        self.counts["full"] += 1
        return pf.logits[n_p:]

    def _response_refresh(self, resp):
        pos = list(range(self.n_p, self.n_p + self.L))
        x = self.m.embed[torch.tensor(list(resp), dtype=torch.long)]
        for l, Lw in enumerate(self.m.layers):
            h = self._norm(x, Lw.attn_norm)
            q, k, v = self._qkv(Lw, h)
            self.rk[l] = self._rope(k, pos)
            self.rv[l] = v
            a = self._attend(l, self._rope(q, pos))
            self.ra[l] = a
            x = x + a
            f = Lw.mlp(self._norm(x, Lw.ffn_norm))
            self.rf[l] = f
            x = x + f
        self.counts["response"] += 1
        return self.m.logits(x)

    def _partial(self, resp):
        x = self.m.embed[torch.tensor(list(resp), dtype=torch.long)]
        for l, Lw in enumerate(self.m.layers):
            h = self._norm(x, Lw.attn_norm)
            v_new = split_heads(Lw.value(h), self.spec.n_kv_heads, self.spec.head_dim)
            a64 = v_new.reshape(self.L, -1).double().numpy()
            b64 = self.rv[l].reshape(self.L, -1).double().numpy()
            cs = [float(np.dot(a64[i], b64[i])) /
                  (math.sqrt(float(np.dot(a64[i], a64[i]))) *
                   math.sqrt(float(np.dot(b64[i], b64[i])))) for i in range(self.L)]
            # V unchanged up to f32 rounding: cosine 1, so rounding residue never ranks tokens
            # (ties go to the lower position), as in lib/engine/cached_runner.cpp.
            cs = [1.0 if c > 1.0 - 1e-8 else c for c in cs]
            order = sorted(range(self.L), key=lambda i: (cs[i], i))
            sel = sorted(order[:self.n_sel])
            if 0 < self.n_sel < self.L:
                # absolute gap in cosine (values crowd near 1, where a relative gap says little)
                self.margins.add("cache_select", abs(cs[order[self.n_sel]] -
                                                     cs[order[self.n_sel - 1]]),
                                 (self.c, l))
            pos = [self.n_p + i for i in sel]
            self.rv[l] = v_new
            if sel:
                q, k, _ = self._qkv(Lw, h[sel])
                self.rk[l][sel] = self._rope(k, pos)
                self.ra[l][sel] = self._attend(l, self._rope(q, pos))
            x = x + self.ra[l]
            if sel:
                self.rf[l][sel] = Lw.mlp(self._norm(x[sel], Lw.ffn_norm))
            x = x + self.rf[l]
        self.counts["partial"] += 1
        return self.m.logits(x)

    @torch.no_grad()
    def call(self, resp):
        c = self.c
        if c == 0 or (self.policy == "full" and c % self.Kp == 0):
            out = self._full(resp)
        elif c % self.Kr == 0:
            out = self._response_refresh(resp)
        else:
            out = self._partial(resp)
        self.c += 1
        return out


def llada_cached_generate(model, prompt_ids, gen_length, steps, block_length, margins=None,
                          commits=None, confidences=None, **runner_kw):
    """The LLaDA sampler (temperature 0, low_confidence, no CFG; the schedule, commits and ties
    of docs/sampling.md) with every forward call served by a CachedRunner. Returns (response ids,
    runner). `commits` / `confidences`, when lists, receive per step the committed response
    positions (ascending) / the confidence of every masked position of the block (ascending)."""
    spec = model.spec
    mask = spec.mask_id
    L, B = int(gen_length), int(block_length)
    if L <= 0 or B <= 0 or L % B:
        raise ValueError("block_length must divide gen_length")
    nb = L // B
    if steps <= 0 or steps % nb:
        raise ValueError("steps must be a positive multiple of the number of blocks")
    s_per_block = steps // nb
    m = margins if margins is not None else Margins()
    runner = CachedRunner(model, prompt_ids, L, margins=m, **runner_kw)
    x = np.array([mask] * L, dtype=np.int64)  # response only
    step = 0
    for b in range(nb):
        b0, b1 = b * B, (b + 1) * B
        M = int(np.sum(x[b0:b1] == mask))
        sched = llada_schedule(M, s_per_block)
        j = 0
        while True:
            P = [p for p in range(b0, b1) if x[p] == mask]
            if not P:
                break
            logits = runner.call(x.tolist()).numpy().astype(np.float64)[P]
            props, pmg = [], []
            for r in range(len(P)):
                best, mg = _argmax_margin(logits[r])
                props.append(best)
                pmg.append(mg)
            conf = [float(_softmax(logits[r])[props[r]]) for r in range(len(P))]
            if confidences is not None:
                confidences.append(list(conf))
            order = _order_desc(conf)
            k = sched[j]
            chosen = order[:k]
            if 0 < k < len(P):
                m.add("topk", _rel(conf[order[k - 1]], conf[order[k]]), (step, b))
            for r in chosen:
                m.add("proposal", pmg[r], (step, b))
                if props[r] == mask:
                    raise AssertionError("the model proposed the mask id")
                x[P[r]] = props[r]
            if commits is not None:
                commits.append(sorted(P[r] for r in chosen))
            step += 1
            j += 1
    return x.tolist(), runner
