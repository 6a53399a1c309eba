"""Brute-force reference for prompt K/V eviction, following docs/eviction.md line by line.

Everything here is deliberately naive: the prefill materialises every attention matrix, scores
are summed with explicit loops in float64 from the float32 probabilities, pooling windows are
enumerated one by one, and every top-k is a full sort by (-score, position). It exists to be
obviously right, not fast; the C++ engine (lib/eviction) must select the same positions.

Vocabulary (docs/eviction.md): n_p prompt tokens, L response (mask) tokens, D layers, H query
heads, H_kv KV heads, g = H / H_kv. "Head" always means a KV head. Query head q reads KV head
q // g (the model's repeat_interleave layout).

Public entry points:
  prefill(model, prompt_ids, gen_length)            -> Prefill (h_in, h_out, probs, k, v, ...)
  mask_vote_scores(pf)                               -> [D] arrays [H_kv, n_p]
  window_scores(pf, window, kernel, pool)            -> [D] WindowScores (prefix scores)
  layer_importance(pf), head_prompt_preference(pf)   -> profile statistics of one prefill
  calibrate(model, samples)                          -> profile averaged over samples
  *_budgets(...)                                     -> the pure budget allocators
  evict(pf, policy, budget, ...)                     -> Selection (kept positions, gaps)
"""
import math

import numpy as np
import torch

torch.set_num_threads(1)

POLICIES = ("snapkv", "pyramidkv", "adakv", "squeezeattention", "maskkv")
PYRAMID_BETA = 20
ADAKV_FLOOR = 0.2      # floor fraction; implemented as b // 5 (exact)
SQUEEZE_CLUSTERS = 3
SQUEEZE_FRACTION = 0.4  # implemented as (2 * B) // 5 (exact)
SQUEEZE_MAX_ROUNDS = 100
MASKKV_ALPHA = 0.1
MASKKV_BETA = 0.4
INF = float("inf")


# ---------------------------------------------------------------------------------------------
# The prefill pass, with every intermediate exposed
# ---------------------------------------------------------------------------------------------
class Prefill:
    """Per layer l (lists of length D):
    h_in[l]   [n, d_model]  residual stream entering the attention sub-layer (before the norm)
    attn[l]   [n, d_model]  attention output after the output projection
    h_out[l]  [n, d_model]  h_in + attn
    ffn[l]    [n, d_model]  FFN output after the down projection
    probs[l]  [H, n, n]     A_q[i, j] = softmax_j(q_i . k_j / sqrt(d)) (float32)
    k[l], v[l] [n, H_kv, d] keys (RoPE applied at their position) and values
    logits    [n, vocab]    raw logits (identical to Model.forward)
    """

    def __init__(self, model, ids, n_p, L):
        spec = model.spec
        self.model = model
        self.ids = list(ids)
        self.n_p, self.L, self.n = n_p, L, n_p + L
        self.D, self.H, self.H_kv = spec.n_layers, spec.n_heads, spec.n_kv_heads
        self.g = self.H // self.H_kv
        self.h_in, self.attn, self.h_out, self.ffn = [], [], [], []
        self.probs, self.k, self.v = [], [], []
        self.logits = None

    def group(self, h):
        """The query heads that share KV head h."""
        return range(h * self.g, (h + 1) * self.g)


def prefill(model, prompt_ids, gen_length, rope_scaling=1.0):
    """The first forward pass of a generation: prompt followed by gen_length mask tokens, full
    bidirectional attention."""
    n_p, L = len(prompt_ids), int(gen_length)
    if n_p < 1 or L < 1:
        raise ValueError("need a prompt and a response")
    if model.spec.mask_id in prompt_ids:
        raise ValueError("the prompt contains the mask id")
    return forward_capture(model, list(prompt_ids) + [model.spec.mask_id] * L, n_p,
                           rope_scaling)


def forward_capture(model, ids, n_p, rope_scaling=1.0):
    """The vanilla forward over ids (the first n_p of them the prompt), keeping every
    intermediate: Model.hidden with a tap on every layer (tools/fixtures/make_eviction_golden.py
    checks that the logits equal Model.forward's bit for bit)."""
    ids = list(ids)
    pf = Prefill(model, ids, n_p, len(ids) - n_p)
    lists = {"h_in": pf.h_in, "attn": pf.attn, "h_out": pf.h_out, "ffn": pf.ffn,
             "probs": pf.probs, "k": pf.k, "v": pf.v}

    def tap(name, tensor):
        lists[name].append(tensor.clone())

    pf.logits = model.logits(model.hidden(ids, rope_scaling, tap=tap, probs=True))
    return pf


# ---------------------------------------------------------------------------------------------
# Token scores
# ---------------------------------------------------------------------------------------------
def _probs64(pf, l):
    return pf.probs[l].double().numpy()  # [H, n, n]


def mask_vote_scores(pf):
    """S[h, j] = (1/g) * sum_{q in group(h)} sum_{i in response} A_q[i, j], j in the prompt.
    Returns a list over layers of float64 arrays [H_kv, n_p]."""
    out = []
    for l in range(pf.D):
        A = _probs64(pf, l)
        S = np.zeros((pf.H_kv, pf.n_p))
        for h in range(pf.H_kv):
            for q in pf.group(h):
                for j in range(pf.n_p):
                    S[h, j] += float(np.sum(A[q, pf.n_p:pf.n, j]))
            S[h] /= pf.g
        out.append(S)
    return out


class WindowScores:
    """SnapKV scores of one layer over the prefix columns 0 .. n_p - w - 1.
    S[h, j]       the pooled, group-averaged score
    source[h][j]  per query head of the group, the window column t whose W_q[t] is P_q[j]
                  (max pooling: lowest t among equal maxima; avg pooling: j itself). Two
                  positions with the same source tuple have bit-identical scores in every
                  implementation, so their order is decided by position, never by rounding.
    amargin[h, j] max pooling: the smallest relative gap, over the group, between the largest
                  and second-largest W_q in j's pooling window (INF for avg pooling)."""

    def __init__(self, S, source, amargin, w):
        self.S, self.source, self.amargin, self.w = S, source, amargin, w


def window_scores(pf, window=32, kernel=7, pool="max"):
    """docs/eviction.md "SnapKV window scores": w = min(window, n_p); window rows are the last w
    prompt positions; W_q[t] = sum over window rows of A_q[i, t] (softmax over all n_p + L keys);
    pooling along t over the prefix only (max: padding never wins; avg: padding counts as zeros,
    divisor k); then the mean over the g query heads of the group."""
    if pool not in ("max", "avg"):
        raise ValueError("pool must be max or avg")
    if kernel < 1:
        raise ValueError("kernel must be positive")
    n_p = pf.n_p
    w = min(window, n_p)
    npre = n_p - w
    r = kernel // 2
    out = []
    for l in range(pf.D):
        A = _probs64(pf, l)
        S = np.zeros((pf.H_kv, npre))
        source = [[() for _ in range(npre)] for _ in range(pf.H_kv)]
        amargin = np.full((pf.H_kv, npre), INF)
        for h in range(pf.H_kv):
            for q in pf.group(h):
                W = [float(np.sum(A[q, n_p - w:n_p, t])) for t in range(npre)]
                for j in range(npre):
                    nb = [t for t in range(j - r, j + r + 1) if 0 <= t < npre]
                    if pool == "max":
                        best = nb[0]
                        for t in nb:
                            if W[t] > W[best]:
                                best = t
                        P = W[best]
                        src = best
                        others = [W[t] for t in nb if t != best]
                        if others:
                            second = max(others)
                            mg = (P - second) / max(abs(P), abs(second), 1e-30)
                            amargin[h, j] = min(amargin[h, j], mg)
                    else:
                        P = sum(W[t] for t in nb) / kernel
                        src = j
                    S[h, j] += P
                    source[h][j] = source[h][j] + (src,)
            S[h] /= pf.g
        out.append(WindowScores(S, source, amargin, w))
    return out


# ---------------------------------------------------------------------------------------------
# Profile statistics (MaskKV layer importance and head prompt preference)
# ---------------------------------------------------------------------------------------------
def _cos(a, b):
    na, nb = math.sqrt(float(np.dot(a, a))), math.sqrt(float(np.dot(b, b)))
    return float(np.dot(a, b)) / (na * nb)


def layer_importance(pf):
    """I^(l) = 1 - mean_i cos(h_in_i, h_out_i) over all n_p + L prefill positions (also
    SqueezeAttention's layer score)."""
    out = []
    for l in range(pf.D):
        hi = pf.h_in[l].double().numpy()
        ho = pf.h_out[l].double().numpy()
        c = [_cos(hi[i], ho[i]) for i in range(pf.n)]
        out.append(1.0 - sum(c) / pf.n)
    return out


def head_prompt_preference(pf):
    """P_{l,h} = M_p / (M_p + M_r): M_p = sum_{q in group(h)} sum_{i in response} sum_{j in
    prompt} A_q[i, j]; M_r the same over response columns j."""
    out = []
    for l in range(pf.D):
        A = _probs64(pf, l)
        row = []
        for h in range(pf.H_kv):
            Mp = Mr = 0.0
            for q in pf.group(h):
                for i in range(pf.n_p, pf.n):
                    Mp += float(np.sum(A[q, i, :pf.n_p]))
                    Mr += float(np.sum(A[q, i, pf.n_p:]))
            row.append(Mp / (Mp + Mr))
        out.append(row)
    return out


def profile_of(pf):
    return {"layer_importance": layer_importance(pf),
            "head_prompt_preference": head_prompt_preference(pf)}


def calibrate(model, samples, rope_scaling=1.0):
    """samples: [{"prompt_ids", "gen_length"}]. A profile averages I and P over the samples (P
    averaged per sample, not pooled)."""
    if not samples:
        raise ValueError("no calibration samples")
    D, Hkv = model.spec.n_layers, model.spec.n_kv_heads
    I_sum = [0.0] * D
    P_sum = [[0.0] * Hkv for _ in range(D)]
    for s in samples:
        pf = prefill(model, s["prompt_ids"], s["gen_length"], rope_scaling)
        I = layer_importance(pf)
        P = head_prompt_preference(pf)
        for l in range(D):
            I_sum[l] += I[l]
            for h in range(Hkv):
                P_sum[l][h] += P[l][h]
    n = len(samples)
    return {"layer_importance": [v / n for v in I_sum],
            "head_prompt_preference": [[v / n for v in row] for row in P_sum]}


# ---------------------------------------------------------------------------------------------
# Budget allocators (pure functions of integers and the statistics)
# ---------------------------------------------------------------------------------------------
def pyramid_prefix_budgets(B, w, n_p, D, beta=PYRAMID_BETA):
    """Per-layer prefix budgets of PyramidKV (B > w and B < n_p). Returns (budgets, excess
    before it was taken back).

    With the integer step the raw budgets sum to D*b or more; docs/eviction.md takes the excess
    back one token at a time from layers 0, 1, 2, ... (cycling) so that the mean is exactly b."""
    b = B - w
    lo = b // beta
    hi = 2 * b - lo
    if hi >= n_p - w:
        hi = n_p - w
        lo = 2 * b - hi
    step = (hi - lo) // (D - 1) if D > 1 else 0
    budgets = [hi - l * step for l in range(D)]
    excess = sum(budgets) - D * b
    left, l = excess, 0
    while left > 0:
        if budgets[l] > 0:
            budgets[l] -= 1
            left -= 1
        l = (l + 1) % D
    rem = -excess
    return budgets, rem


def squeeze_layer_budgets(scores, B, n_p, fraction_num=2, fraction_den=5):
    """SqueezeAttention: 1-D k-means (3 clusters) on the layer scores with centroids initialised
    at min, lower median, max; assignment to the nearest centroid (ties: the lower centroid);
    centroids recomputed as cluster means (an empty cluster keeps its centroid); stop when the
    assignment no longer changes (at most 100 rounds). Low group = the cluster whose centroid is
    lowest (ties: the lower cluster index). Returns (budgets, low layers, diagnostics: the final
    centroids and assignment, and `margin`, the smallest relative advantage of a chosen centroid
    over the nearest other one in any round)."""
    D = len(scores)
    srt = sorted(scores)
    cent = [srt[0], srt[(D - 1) // 2], srt[-1]]
    assign = None
    margin = INF
    for _ in range(SQUEEZE_MAX_ROUNDS):
        new = []
        for s in scores:
            best = min(range(SQUEEZE_CLUSTERS), key=lambda c: (abs(s - cent[c]), cent[c], c))
            new.append(best)
            # robustness of this assignment: how much nearer the chosen centroid is than the
            # nearest centroid of another value (equal centroids tie structurally), relative
            # to the scale of the scores
            d1 = abs(s - cent[best])
            others = [abs(s - cent[c]) for c in range(SQUEEZE_CLUSTERS) if cent[c] != cent[best]]
            if others:
                margin = min(margin, (min(others) - d1) / max(abs(s), abs(cent[best]), 1e-30))
        if new == assign:
            break
        assign = new
        for c in range(SQUEEZE_CLUSTERS):
            members = [scores[l] for l in range(D) if assign[l] == c]
            if members:
                cent[c] = sum(members) / len(members)
    low_c = min(range(SQUEEZE_CLUSTERS), key=lambda c: (cent[c], c))
    low = [l for l in range(D) if assign[l] == low_c]
    if len(low) == D:
        budgets = [B] * D
    else:
        lowb = (fraction_num * B) // fraction_den  # floor(0.4 * B), exactly
        other = (D * B - len(low) * lowb) // (D - len(low))
        budgets = [min(n_p, lowb if l in low else other) for l in range(D)]
    return budgets, low, {"centroids": cent, "assign": assign, "margin": margin}


def maskkv_head_budgets(B, D, H_kv, I, P, alpha=MASKKV_ALPHA, beta=MASKKV_BETA):
    """MaskKV's k_{l,h} (docs/eviction.md, "maskkv"), before the min(n_p, .) cap. Returns
    (budgets [D][H_kv], floor arguments [D][H_kv], k_l [D])."""
    k_p = B * D
    k_base = beta * B
    k_imp = k_p - D * k_base
    if D <= 2:
        bound, mid = list(range(D)), []
    else:
        bound, mid = [0, D - 1], list(range(1, D - 1))
    I_B = sum(I[l] for l in bound)
    I_M = sum(I[l] for l in mid) if mid else 0.0
    if I_B + I_M == 0:
        k_B = k_imp * len(bound) / D
    else:
        k_B = k_imp * I_B / (I_B + I_M)
    k_M = k_imp - k_B
    k_l = []
    for l in range(D):
        if l in bound:
            k_l.append(k_base + k_B / len(bound))
        else:
            k_l.append(k_base + k_M / len(mid))
    budgets, args = [], []
    for l in range(D):
        tot = sum(P[l])
        if tot == 0:
            P_hat = [1.0 / H_kv] * H_kv
        else:
            P_hat = [p / tot for p in P[l]]
        row_b, row_a = [], []
        for h in range(H_kv):
            a = alpha * k_l[l] + (1 - alpha) * H_kv * k_l[l] * P_hat[h]
            row_a.append(a)
            row_b.append(int(math.floor(a + 1e-9)))  # docs/eviction.md: floor(x + 1e-9)
        budgets.append(row_b)
        args.append(row_a)
    return budgets, args, k_l


# ---------------------------------------------------------------------------------------------
# Selection
# ---------------------------------------------------------------------------------------------
def _rel(a, b):
    return abs(a - b) / max(abs(a), abs(b), 1e-30)


def _boundary_gap(values, classes, amargin, kept, dropped):
    """Robustness of one top-k split: the smallest relative gap between a kept and a dropped
    item of different classes (items of one class tie bit-exactly everywhere and are ordered by
    position); for kept/dropped items of the same class, the pooling-argmax margins of both
    (a near-tie inside a pooling window could change the class). INF when nothing is split."""
    if not kept or not dropped:
        return INF
    vk = np.array([values[i] for i in kept])
    vd = np.array([values[j] for j in dropped])
    ck = [classes[i] for i in kept]
    cd = [classes[j] for j in dropped]
    ids = {}
    ik = np.array([ids.setdefault(c, len(ids)) for c in ck])
    idd = np.array([ids.setdefault(c, len(ids)) for c in cd])
    same = ik[:, None] == idd[None, :]
    den = np.maximum(np.maximum(np.abs(vk)[:, None], np.abs(vd)[None, :]), 1e-30)
    rel = np.abs(vk[:, None] - vd[None, :]) / den
    gap = INF
    if np.any(~same):
        gap = float(np.min(rel[~same]))
    if np.any(same):
        mk = np.array([amargin[i] for i in kept])
        md = np.array([amargin[j] for j in dropped])
        pair = np.minimum(mk[:, None], md[None, :])
        gap = min(gap, float(np.min(pair[same])))
    return gap


def topk_positions(values, k, classes=None, amargin=None):
    """Top k indices by value (ties: lower index), returned ascending, and the boundary gap."""
    n = len(values)
    k = max(0, min(k, n))
    order = sorted(range(n), key=lambda j: (-values[j], j))
    kept, dropped = order[:k], order[k:]
    if classes is None:
        classes = list(range(n))
    if amargin is None:
        amargin = [INF] * n
    gap = _boundary_gap(values, classes, amargin, kept, dropped)
    return sorted(kept), gap


class Selection:
    """kept[l][h]: ascending prompt positions kept by (layer l, KV head h); budgets[l][h] =
    len(kept[l][h]). gaps: {kind: (smallest gap, where)} over the decisions taken;
    floor_margins: MaskKV's distance of each k_{l,h} floor argument to the nearest integer."""

    def __init__(self, D, H_kv):
        self.kept = [[None] * H_kv for _ in range(D)]
        self.gaps = {}
        self.floor_margin = INF
        self.info = {}

    @property
    def budgets(self):
        return [[len(k) for k in row] for row in self.kept]

    def gap(self, kind, value, where):
        cur = self.gaps.get(kind)
        if cur is None or value < cur[0]:
            self.gaps[kind] = (value, where)

    def min_gap(self):
        best = (INF, None, None)
        for kind, (v, where) in self.gaps.items():
            if v < best[0]:
                best = (v, kind, where)
        if self.floor_margin < best[0]:
            best = (self.floor_margin, "maskkv_floor", None)
        return best


def _snap_select(sel, ws, l, h, budget, n_p):
    """SnapKV tokens of one head inside a per-head budget: the whole prompt when budget >= n_p;
    the last `budget` tokens when budget <= w (window clipped to the budget); otherwise the w
    window tokens plus the top (budget - w) prefix tokens by S."""
    w = ws.w
    if budget >= n_p:
        return list(range(n_p))
    if budget <= w:
        return list(range(n_p - budget, n_p))
    npre = n_p - w
    top, gap = topk_positions(list(ws.S[h]), budget - w, ws.source[h], list(ws.amargin[h]))
    sel.gap("snap_topk", gap, (l, h))
    return top + list(range(npre, n_p))


def evict(pf, policy, budget, window=32, pool_kernel=7, pool="max", alpha=MASKKV_ALPHA,
          beta=MASKKV_BETA, profile=None, online=False):
    """Applies one policy of docs/eviction.md to a prefill. Returns a Selection."""
    if policy not in POLICIES:
        raise ValueError("unknown policy %r" % policy)
    D, Hkv, n_p = pf.D, pf.H_kv, pf.n_p
    B = int(budget)
    if B < 1:
        raise ValueError("budget must be positive")
    sel = Selection(D, Hkv)
    if B >= n_p:
        for l in range(D):
            for h in range(Hkv):
                sel.kept[l][h] = list(range(n_p))
        sel.info["no_eviction"] = True
        return sel

    if policy == "maskkv":
        if online:
            stats = profile_of(pf)
        else:
            if profile is None:
                raise ValueError("offline maskkv needs a profile")
            stats = profile
        kb, args, k_l = maskkv_head_budgets(B, D, Hkv, stats["layer_importance"],
                                            stats["head_prompt_preference"], alpha, beta)
        for row in args:
            for a in row:
                if a != 0.0:  # an exact 0 (a zero preference with alpha 0) is structural
                    sel.floor_margin = min(sel.floor_margin,
                                           abs(a - round(a)) / max(1.0, abs(a)))
        sel.info["k_l"] = k_l
        sel.info["floor_args"] = args
        S = mask_vote_scores(pf)
        for l in range(D):
            for h in range(Hkv):
                k = min(n_p, kb[l][h])
                top, gap = topk_positions(list(S[l][h]), k)
                sel.gap("mask_vote_topk", gap, (l, h))
                sel.kept[l][h] = top
        return sel

    ws_all = window_scores(pf, window, pool_kernel, pool)
    w = ws_all[0].w

    if policy == "snapkv":
        for l in range(D):
            for h in range(Hkv):
                sel.kept[l][h] = _snap_select(sel, ws_all[l], l, h, B, n_p)
        return sel

    if policy == "pyramidkv":
        if B <= w:
            for l in range(D):
                for h in range(Hkv):
                    sel.kept[l][h] = list(range(n_p - B, n_p))
            return sel
        pre, rem = pyramid_prefix_budgets(B, w, n_p, D)
        sel.info["prefix_budgets"] = pre
        sel.info["remainder"] = rem
        for l in range(D):
            for h in range(Hkv):
                sel.kept[l][h] = _snap_select(sel, ws_all[l], l, h, pre[l] + w, n_p)
        return sel

    if policy == "adakv":
        if B <= w:
            for l in range(D):
                for h in range(Hkv):
                    sel.kept[l][h] = list(range(n_p - B, n_p))
            return sel
        b = B - w
        f = b // 5  # floor(0.2 * b), exactly
        npre = n_p - w
        for l in range(D):
            ws = ws_all[l]
            items = [(h, j) for h in range(Hkv) for j in range(npre)]
            vals = [ws.S[h, j] for h, j in items]
            order = sorted(range(len(items)),
                           key=lambda x: (-vals[x], items[x][0], items[x][1]))
            kept_g, dropped_g = order[:Hkv * b], order[Hkv * b:]
            classes = [(h, ws.source[h][j]) for h, j in items]
            amar = [ws.amargin[h, j] for h, j in items]
            sel.gap("adakv_global", _boundary_gap(vals, classes, amar, kept_g, dropped_g),
                    (l,))
            c = [0] * Hkv
            for x in kept_g:
                c[items[x][0]] += 1
            caps = []
            for h in range(Hkv):
                # round_half_even(0.8 * c_h + f): 0.8 * c_h = 4 c_h / 5 is never a half, so
                # this is round(4 c_h / 5) + f = (8 c_h + 5) // 10 + f, exactly.
                k_h = min(npre, (8 * c[h] + 5) // 10 + f)
                caps.append(k_h)
                top, gap = topk_positions(list(ws.S[h]), k_h, ws.source[h],
                                          list(ws.amargin[h]))
                sel.gap("adakv_head_topk", gap, (l, h))
                sel.kept[l][h] = top + list(range(npre, n_p))
            sel.info.setdefault("counts", []).append(c)
            sel.info.setdefault("prefix_budgets", []).append(caps)
        return sel

    if policy == "squeezeattention":
        scores = layer_importance(pf)
        lb, low, diag = squeeze_layer_budgets(scores, B, n_p)
        srt = sorted(scores)
        gaps = [_rel(srt[i], srt[i + 1]) for i in range(len(srt) - 1)]
        if gaps:
            sel.gap("squeeze_layer_scores", min(gaps), None)
        sel.gap("squeeze_kmeans", diag["margin"], None)
        sel.info["kmeans"] = diag
        sel.info["layer_scores"] = scores
        sel.info["layer_budgets"] = lb
        sel.info["low"] = low
        for l in range(D):
            for h in range(Hkv):
                sel.kept[l][h] = _snap_select(sel, ws_all[l], l, h, lb[l], n_p)
        return sel
    raise AssertionError(policy)
