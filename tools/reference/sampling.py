"""The LLaDA and Dream denoising loops, following docs/sampling.md draw for draw.

Every random decision consumes SplitMix64 uniform() draws (rng.py) in the order the contract
fixes; every argmax/top-k picks the lowest index among equal values. Probabilities, Gumbel
scores and the Dream schedule are computed in double from the model's float32 logits.

Besides the tokens, both samplers can record *margins*: for each decision that depends on
model outputs, how far it was from going the other way (relative where the quantity is a
logit, a score or a confidence; absolute in probability mass for inverse-CDF sampling). A golden
case is robust against float32 rounding differences between implementations when its margins
are well above ~1e-6.
"""
import math

import numpy as np

from .rng import SplitMix64

ALGS = ("origin", "maskgit_plus", "topk_margin", "entropy")
REMASKINGS = ("low_confidence", "random")
NEG_INF = float("-inf")


# ---------------------------------------------------------------------------------------------
# margins
# ---------------------------------------------------------------------------------------------
class Margins:
    """Smallest margin seen per kind of decision, with where it happened."""

    def __init__(self):
        self.kinds = {}
        self.exact_ties = 0  # decisions between exactly equal values (NaN margins)

    def add(self, kind, value, where=None):
        value = float(value)
        if math.isnan(value):
            self.exact_ties += 1
            return
        if not math.isfinite(value):
            return
        cur = self.kinds.get(kind)
        if cur is None or value < cur[0]:
            self.kinds[kind] = (value, where)

    def min(self, exclude=()):
        best = None
        for kind, (value, where) in self.kinds.items():
            if kind in exclude:
                continue
            if best is None or value < best[0]:
                best = (value, kind, where)
        return best


def _rel(a, b, floor=1e-30):
    """Relative gap; NaN (ignored by Margins) for an exact tie, which every implementation
    reproduces exactly: such ties come from structure (e.g. two positions whose filtered
    distribution kept a single token, both with probability exactly 1) and are broken by
    position."""
    if a == b:
        return float("nan")
    if math.isinf(a) or math.isinf(b):
        return float("inf")
    return abs(a - b) / max(abs(a), abs(b), floor)


def _order_desc(values):
    """Indices sorted by descending value, ties by ascending index."""
    values = np.asarray(values, dtype=np.float64)
    return sorted(range(len(values)), key=lambda i: (-values[i], i))


def _softmax(l):
    l = np.asarray(l, dtype=np.float64)
    m = np.max(l)
    e = np.exp(l - m)
    return e / np.sum(e)


def _argmax_margin(l):
    """(argmax with lowest index among ties, relative gap to the runner-up)."""
    l = np.asarray(l, dtype=np.float64)
    best = int(np.argmax(l))
    if l.size < 2:
        return best, float("inf")
    rest = np.delete(l, best)
    second = float(np.max(rest))
    if not math.isfinite(second):
        return best, float("inf")
    return best, (float(l[best]) - second) / max(abs(float(l[best])), abs(second), 1.0)


def logits_at(model, out, positions):
    """The logits that predict `positions` (float64 rows). The logit shift is a property of the
    model, not of the sampler: for a Dream model the prediction for position p is read from the
    output at p - 1 (position 0 keeps its own); for LLaDA from p itself."""
    if model.spec.family == "dream":
        return out[[p - 1 if p > 0 else 0 for p in positions]]
    return out[list(positions)]


# ---------------------------------------------------------------------------------------------
# LLaDA
# ---------------------------------------------------------------------------------------------
def llada_schedule(M, s):
    """Tokens committed at each of the s steps of a block with M masks."""
    return [M // s + (1 if j < M % s else 0) for j in range(s)]


def llada_generate(model, prompt_ids, gen_length, steps, block_length,
                   temperature=0.0, remasking="low_confidence", cfg_scale=0.0,
                   threshold=0.0, factor=0.0, eos_logit_inf=False, eos_confidence_inf=False,
                   seed=0, rope_scaling=1.0, margins=None, commits=None):
    """Returns (response ids, steps taken). `commits`, when a list, receives per step the
    committed response-relative positions (ascending)."""
    spec = model.spec
    mask, eos, eot = spec.mask_id, spec.eos_id, spec.eot_id
    L, B = int(gen_length), int(block_length)
    if L <= 0 or B <= 0 or L % B:
        raise ValueError("block_length must divide gen_length")
    nb = L // B
    if steps <= 0 or steps % nb:
        raise ValueError("steps must be a positive multiple of the number of blocks")
    if remasking not in REMASKINGS:
        raise ValueError("unknown remasking %r" % remasking)
    s_per_block = steps // nb
    n_p = len(prompt_ids)
    x = np.array(list(prompt_ids) + [mask] * L, dtype=np.int64)
    rng = SplitMix64(seed)
    m = margins if margins is not None else Margins()
    dynamic = factor > 0 or threshold > 0
    steps_taken = 0

    for b in range(nb):
        b0, b1 = n_p + b * B, n_p + (b + 1) * B
        M = int(np.sum(x[b0:b1] == mask))
        sched = llada_schedule(M, s_per_block)
        j = 0
        while True:
            P = [p for p in range(b0, b1) if x[p] == mask]
            if not P:
                break
            if not dynamic and j >= s_per_block:  # cannot happen: the schedule sums to M
                raise AssertionError("schedule exhausted with masks left")
            where = (steps_taken, b)
            cond = model.forward(x.tolist(), rope_scaling).numpy().astype(np.float64)
            logits = logits_at(model, cond, P)
            if cfg_scale > 0:
                un_x = x.copy()
                un_x[:n_p] = mask
                unc = logits_at(model, model.forward(un_x.tolist(), rope_scaling).numpy()
                                .astype(np.float64), P)
                logits = unc + (cfg_scale + 1.0) * (logits - unc)
            if eos_logit_inf:
                logits[:, eos] = NEG_INF
            V = logits.shape[1]

            # 3. proposals, one position at a time (ascending); T > 0 draws V uniforms each
            props, prop_margin = [], []
            for r in range(len(P)):
                if temperature > 0:
                    U = rng.uniforms(V)
                    score = np.exp(logits[r]) / np.power(-np.log(U), temperature)
                    best = int(np.argmax(score))
                    srt = np.sort(score)
                    mg = 1.0 - srt[-2] / srt[-1] if srt[-1] > 0 else float("inf")
                else:
                    best, mg = _argmax_margin(logits[r])
                props.append(best)
                prop_margin.append(mg)

            # 4. confidences
            if remasking == "low_confidence":
                conf = [float(_softmax(logits[r])[props[r]]) for r in range(len(P))]
            else:
                conf = [float(u) for u in rng.uniforms(len(P))]
            if eos_confidence_inf:
                conf = [NEG_INF if props[r] in (eos, eot) else conf[r] for r in range(len(P))]

            # 5. commit
            order = _order_desc(conf)
            model_conf = remasking == "low_confidence"
            if factor > 0:
                passed = [n for n in range(1, len(P) + 1)
                          if conf[order[n - 1]] >= 1.0 - factor / (n + 1)]
                ok = max(passed) if passed else 1
                chosen = order[:ok]
                if model_conf:
                    for n in ((ok, ok + 1) if passed else ()):
                        if n <= len(P):
                            m.add("factor", _rel(conf[order[n - 1]], 1.0 - factor / (n + 1)),
                                  where)
                    if ok < len(P):
                        m.add("topk", _rel(conf[order[ok - 1]], conf[order[ok]]), where)
            elif threshold > 0:
                chosen = [i for i in order if conf[i] >= threshold]
                if model_conf:
                    for c in conf:
                        m.add("threshold", _rel(c, threshold), where)
                    if not chosen and len(P) > 1:
                        m.add("topk", _rel(conf[order[0]], conf[order[1]]), where)
                if not chosen:
                    chosen = [order[0]]
            else:
                k = sched[j]
                chosen = order[:k]
                if model_conf and 0 < k < len(P):
                    m.add("topk", _rel(conf[order[k - 1]], conf[order[k]]), where)

            chosen_set = set(chosen)
            for r in range(len(P)):
                kind = "proposal" if (r in chosen_set or temperature > 0 or eos_confidence_inf
                                      ) else "proposal_uncommitted"
                m.add(kind, prop_margin[r], where)
            for r in sorted(chosen_set):
                if props[r] == mask:
                    raise AssertionError("the model proposed the mask id at position %d" % P[r])
                x[P[r]] = props[r]
            if commits is not None:
                commits.append(sorted(P[r] - n_p for r in chosen_set))
            steps_taken += 1
            j += 1
    return x[n_p:].tolist(), steps_taken


# ---------------------------------------------------------------------------------------------
# Dream
# ---------------------------------------------------------------------------------------------
def dream_sample_token(logits_row, temperature, top_p, top_k, rng, m=None, where=None):
    """sample_tokens of docs/sampling.md for one position. Returns (token, probs, margin):
    probs in double after temperature and filters; margin of the token choice (relative logit
    gap at temperature 0, distance in probability mass to the inverse-CDF boundaries else)."""
    l = np.array(logits_row, dtype=np.float64)
    V = l.size
    if temperature > 0:
        l = l / temperature
    if top_p is not None and top_p < 1.0:
        order = np.array(_order_desc(l))
        cum = np.cumsum(_softmax(l[order]))
        remove = np.zeros(V, dtype=bool)
        remove[1:] = cum[:-1] > top_p
        cut = int(np.argmax(cum > top_p)) if np.any(cum > top_p) else V - 1
        if m is not None:
            m.add("top_p", abs(cum[cut] - top_p) / top_p, where)
            if cut > 0:
                m.add("top_p", abs(top_p - cum[cut - 1]) / top_p, where)
        l[order[remove]] = NEG_INF
    if top_k is not None and 0 < top_k < V:
        srt = np.sort(l)[::-1]
        kth = srt[top_k - 1]
        if m is not None and math.isfinite(srt[top_k]):
            m.add("top_k", (kth - srt[top_k]) / max(abs(kth), abs(srt[top_k]), 1.0), where)
        l[l < kth] = NEG_INF
    probs = _softmax(l)
    if temperature > 0:
        u = rng.uniform()
        cum = np.cumsum(probs)
        target = u * float(np.sum(probs))
        tok = int(np.searchsorted(cum, target, side="right"))
        if tok >= V:  # only if u rounded to 1.0
            tok = int(np.nonzero(probs > 0)[0][-1])
        mg = cum[tok] - target
        if tok > 0:
            mg = min(mg, target - cum[tok - 1])
        pmg = float(mg)
    else:
        tok, pmg = _argmax_margin(l)
    return tok, probs, pmg


def dream_confidence(alg, probs, tok):
    if alg == "maskgit_plus":
        return float(probs[tok])
    if alg == "topk_margin":
        srt = np.sort(probs)[::-1]
        return float(srt[0] - srt[1])
    if alg == "entropy":
        return float(np.sum(probs * np.log(probs + 1e-10)))
    raise ValueError("unknown alg %r" % alg)


def dream_times(i, steps, eps=1e-3):
    t = 1.0 - i * (1.0 - eps) / steps
    s = 1.0 - (i + 1) * (1.0 - eps) / steps
    return t, s


def dream_generate(model, prompt_ids, gen_length, steps, alg="entropy", alg_temp=0.0,
                   temperature=0.0, top_p=1.0, top_k=0, seed=0, rope_scaling=1.0, eps=1e-3,
                   margins=None, commits=None):
    """Returns (response ids, steps taken). The loop stops early when no mask is left."""
    if alg not in ALGS:
        raise ValueError("unknown alg %r" % alg)
    if steps <= 0 or gen_length <= 0:
        raise ValueError("steps and gen_length must be positive")
    spec = model.spec
    mask = spec.mask_id
    n_p = len(prompt_ids)
    if n_p < 1:
        raise ValueError("Dream needs a prompt of at least one token")
    x = np.array(list(prompt_ids) + [mask] * gen_length, dtype=np.int64)
    rng = SplitMix64(seed)
    m = margins if margins is not None else Margins()
    steps_taken = 0
    for i in range(steps):
        Mi = [p for p in range(n_p, len(x)) if x[p] == mask]
        if not Mi:
            break
        where = (i,)
        out = model.forward(x.tolist(), rope_scaling).numpy().astype(np.float64)
        rows = logits_at(model, out, Mi)
        t, s = dream_times(i, steps, eps)
        last = i == steps - 1
        chosen = []
        if alg == "origin":
            p_transfer = 1.0 - s / t
            us = rng.uniforms(len(Mi))
            revealed = [k for k in range(len(Mi)) if last or us[k] < p_transfer]
            toks = {}
            for k in revealed:
                tok, _, pmg = dream_sample_token(rows[k], temperature, top_p, top_k, rng, m,
                                                 where)
                m.add("proposal", pmg, where)
                toks[k] = tok
            chosen = revealed
        else:
            toks, confs, pmgs = {}, [], []
            for k in range(len(Mi)):
                tok, probs, pmg = dream_sample_token(rows[k], temperature, top_p, top_k, rng,
                                                     m, where)
                toks[k] = tok
                pmgs.append(pmg)
                confs.append(dream_confidence(alg, probs, tok))
            M = len(Mi)
            if last:
                n = M
            else:
                val = M * (1.0 - s / t)
                n = int(math.floor(val))
                m.add("count", min(val - math.floor(val), math.ceil(val) - val)
                      if val != math.floor(val) else 0.0, where)
            if n > 0:
                if not alg_temp:
                    order = _order_desc(confs)
                    chosen = order[:n]
                    if n < M:
                        m.add("topk", _rel(confs[order[n - 1]], confs[order[n]]), where)
                else:
                    w = _softmax(np.array(confs) / alg_temp)
                    remaining = list(range(M))
                    for _ in range(n):
                        u = rng.uniform()
                        ws = w[remaining]
                        cum = np.cumsum(ws)
                        target = u * float(np.sum(ws))
                        idx = int(np.searchsorted(cum, target, side="right"))
                        idx = min(idx, len(remaining) - 1)
                        mg = cum[idx] - target
                        if idx > 0:
                            mg = min(mg, target - cum[idx - 1])
                        m.add("alg_temp", mg / float(np.sum(ws)), where)
                        chosen.append(remaining.pop(idx))
            chosen_set = set(chosen)
            for k in range(M):
                kind = "proposal" if (k in chosen_set or temperature > 0) \
                    else "proposal_uncommitted"
                m.add(kind, pmgs[k], where)
        for k in sorted(chosen):
            if toks[k] == mask:
                raise AssertionError("the model proposed the mask id at position %d" % Mi[k])
            x[Mi[k]] = toks[k]
        if commits is not None:
            commits.append(sorted(Mi[k] - n_p for k in chosen))
        steps_taken += 1
    return x[n_p:].tolist(), steps_taken
