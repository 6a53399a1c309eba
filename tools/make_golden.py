#!/usr/bin/python3
"""Writes tests/fixtures/golden/{logits,generate}.json with the PyTorch reference
(tools/reference). Run tools/make_test_checkpoints.py first. Deterministic: rerunning gives
byte-identical files.

logits.json   raw logits (before any Dream shift) of every fixture model on a prompt followed
              by mask ids, plus cases with rope_scaling 4.
generate.json LLaDA and Dream generations under docs/sampling.md (SplitMix64 draws), with the
              number of denoising steps taken, the positions committed at each step and the
              smallest decision margin of the run.

For a seeded case the script tries seeds base, base+1, ... (for an unseeded one, variants of the
prompt's last token) and keeps the first whose smallest decision margin is at least
TARGET_MARGIN, so that float32 rounding differences between the engine and this reference
cannot flip a decision; every case must end above MIN_MARGIN.

Usage: /usr/bin/python3 tools/make_golden.py [--out DIR] [--models DIR]
"""
import argparse
import json
import os
import sys

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from tools.reference.model import Model  # noqa: E402
from tools.reference.sampling import Margins, llada_generate, dream_generate  # noqa: E402

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TARGET_MARGIN = 1e-3
MIN_MARGIN = 1e-4
SEED_TRIES = 64

# Prompts: ordinary ids (< 300); LLaDA prompts start with BOS (313).
_r = np.random.default_rng(777)
P16 = [313] + [int(v) for v in _r.integers(0, 300, 15)]
P7 = [313] + [int(v) for v in _r.integers(0, 300, 6)]
P1 = [313]
D16 = [int(v) for v in _r.integers(0, 300, 16)]
D7 = [int(v) for v in _r.integers(0, 300, 7)]
D1 = [int(v) for v in _r.integers(0, 300, 1)]

LOGIT_CASES = [
    ("llada_f32", 1.0), ("llada_bf16", 1.0), ("llada_f16", 1.0), ("llada_sharded_bf16", 1.0),
    ("dream_f32", 1.0), ("dream_bf16", 1.0), ("llada_f32", 4.0), ("dream_f32", 4.0),
]

DEFAULTS = dict(sampler="llada", remasking="low_confidence", alg=None, alg_temp=0.0,
                temperature=0.0, top_p=1.0, top_k=0, cfg_scale=0.0, threshold=0.0, factor=0.0,
                eos_logit_inf=False, eos_confidence_inf=False, seed=0, rope_scaling=1.0)


def L(name, model, prompt, gen_length, steps, block_length, **kw):
    c = dict(DEFAULTS, name=name, model=model, prompt_ids=prompt, gen_length=gen_length,
             steps=steps, block_length=block_length)
    c.update(kw)
    return c


def D(name, model, prompt, gen_length, steps, alg, **kw):
    c = dict(DEFAULTS, name=name, model=model, prompt_ids=prompt, gen_length=gen_length,
             steps=steps, block_length=gen_length, sampler="dream", remasking=None, alg=alg)
    c.update(kw)
    return c


SAMPLE = dict(temperature=0.5, top_p=0.9, top_k=20)

CASES = [
    # LLaDA, greedy, the four block/step shapes
    L("llada_t0_L8_S8_B8", "llada_f32", P16, 8, 8, 8),
    L("llada_t0_L16_S8_B4", "llada_f32", P16, 16, 8, 4),
    L("llada_t0_L16_S16_B8_p7", "llada_f32", P7, 16, 16, 8),
    L("llada_t0_L12_S6_B4_p1", "llada_f32", P1, 12, 6, 4),
    # randomness
    L("llada_random_L16_S8_B4", "llada_f32", P16, 16, 8, 4, remasking="random", seed=100),
    L("llada_t07_L16_S16_B8", "llada_f32", P16, 16, 16, 8, temperature=0.7, seed=200),
    L("llada_t07_random_L12_S6_B4_p7", "llada_f32", P7, 12, 6, 4, temperature=0.7,
      remasking="random", seed=300),
    # classifier-free guidance
    L("llada_cfg15_L16_S8_B4", "llada_f32", P16, 16, 8, 4, cfg_scale=1.5),
    L("llada_cfg15_t07_L8_S8_B8_p7", "llada_f32", P7, 8, 8, 8, cfg_scale=1.5,
      temperature=0.7, seed=400),
    # Fast-dLLM parallel commit rules
    L("llada_threshold05_L16_S16_B8", "llada_f32", P16, 16, 16, 8, threshold=0.5),
    L("llada_threshold09_L16_S8_B8_p7", "llada_f32", P7, 16, 8, 8, threshold=0.9),
    L("llada_factor1_L16_S16_B8", "llada_f32", P16, 16, 16, 8, factor=1.0),
    L("llada_factor1_t07_L16_S8_B8_p7", "llada_f32", P7, 16, 8, 8, factor=1.0,
      temperature=0.7, seed=500),
    # EOS options (the plain run llada_eos_base commits EOS/EoT)
    L("llada_eos_base_L16_S16_B8", "llada_f32", P16, 16, 16, 8, threshold=0.5),
    L("llada_eos_logit_inf_L16_S16_B8", "llada_f32", P16, 16, 16, 8, threshold=0.5,
      eos_logit_inf=True),
    L("llada_eos_confidence_inf_L16_S16_B8", "llada_f32", P16, 16, 16, 8, threshold=0.5,
      eos_confidence_inf=True),
    L("llada_eos_both_L16_S16_B8", "llada_f32", P16, 16, 16, 8, threshold=0.5,
      eos_logit_inf=True, eos_confidence_inf=True),
    L("llada_eos_confidence_inf_L16_S8_B4", "llada_f32", P16, 16, 8, 4,
      eos_confidence_inf=True),
    # long-context RoPE scaling
    L("llada_rope4_L16_S8_B4", "llada_f32", P16, 16, 8, 4, rope_scaling=4.0),
    # other dtypes and the sharded checkpoint
    L("llada_bf16_t0_L16_S8_B4", "llada_bf16", P16, 16, 8, 4),
    L("llada_bf16_t07_L16_S16_B8", "llada_bf16", P16, 16, 16, 8, temperature=0.7, seed=600),
    L("llada_f16_t0_L16_S8_B4", "llada_f16", P16, 16, 8, 4),
    L("llada_sharded_bf16_t0_L16_S8_B4", "llada_sharded_bf16", P16, 16, 8, 4),
    # Dream, greedy, every alg
    D("dream_origin_t0_L16_S8", "dream_f32", D16, 16, 8, "origin", seed=1000),
    D("dream_maskgit_plus_t0_L16_S8", "dream_f32", D16, 16, 8, "maskgit_plus"),
    D("dream_topk_margin_t0_L16_S8_p7", "dream_f32", D7, 16, 8, "topk_margin"),
    D("dream_entropy_t0_L16_S8", "dream_f32", D16, 16, 8, "entropy"),
    # Dream, sampling with top-p and top-k, every alg
    D("dream_origin_t05_L16_S16_p7", "dream_f32", D7, 16, 16, "origin", seed=1100, **SAMPLE),
    D("dream_maskgit_plus_t05_L16_S16_p7", "dream_f32", D7, 16, 16, "maskgit_plus",
      seed=1200, **SAMPLE),
    D("dream_topk_margin_t05_L16_S16_p7", "dream_f32", D7, 16, 16, "topk_margin", seed=1300,
      **SAMPLE),
    D("dream_entropy_t05_L16_S16_p7", "dream_f32", D7, 16, 16, "entropy", seed=1400,
      **SAMPLE),
    # alg_temp, filters at temperature 0, short prompt, rope scaling
    D("dream_entropy_t05_algtemp03_L16_S8", "dream_f32", D16, 16, 8, "entropy",
      alg_temp=0.3, seed=1500, **SAMPLE),
    D("dream_maskgit_plus_t0_algtemp03_L12_S6", "dream_f32", D16, 12, 6, "maskgit_plus",
      alg_temp=0.3, seed=1600),
    D("dream_maskgit_plus_t0_topp09_L16_S8", "dream_f32", D16, 16, 8, "maskgit_plus",
      top_p=0.9),
    D("dream_entropy_t0_topk5_L16_S8_p7", "dream_f32", D7, 16, 8, "entropy", top_k=5),
    D("dream_entropy_t0_L12_S12_p1", "dream_f32", D1, 12, 12, "entropy"),
    D("dream_topk_margin_t0_L8_S4_p1", "dream_f32", D1, 8, 4, "topk_margin"),
    D("dream_rope4_entropy_t0_L16_S8", "dream_f32", D16, 16, 8, "entropy", rope_scaling=4.0),
    # each sampler on the other family's model (the logit shift follows the model)
    L("cross_llada_sampler_on_dream_L16_S8_B8", "dream_f32", D16, 16, 8, 8),
    D("cross_dream_sampler_on_llada_entropy_L16_S8", "llada_f32", P16, 16, 8, "entropy"),
    # bf16
    D("dream_bf16_entropy_t0_L16_S8", "dream_bf16", D16, 16, 8, "entropy"),
    D("dream_bf16_maskgit_plus_t05_L16_S16_p7", "dream_bf16", D7, 16, 16, "maskgit_plus",
      seed=1700, **SAMPLE),
]

KEY_ORDER = ["name", "model", "prompt_ids", "gen_length", "steps", "block_length", "sampler",
             "remasking", "alg", "alg_temp", "temperature", "top_p", "top_k", "cfg_scale",
             "threshold", "factor", "eos_logit_inf", "eos_confidence_inf", "seed",
             "rope_scaling", "tokens", "steps_taken", "commits", "min_margin"]


def is_seeded(c):
    return (c["temperature"] > 0 or c["remasking"] == "random" or c["alg"] == "origin"
            or c["alg_temp"] > 0)


def prompt_variant(prompt, t):
    """The t-th deterministic variant of a prompt (t = 0: the prompt itself): the last token
    replaced by another ordinary id. Used for unseeded cases whose margin is too small."""
    if t == 0:
        return list(prompt)
    return list(prompt[:-1]) + [(prompt[-1] + 37 * t) % 300]


def excluded_kinds(c):
    """Margin kinds that cannot change the output of case c. At temperature 0 an argmax
    near-tie at a position that is not committed changes nothing (its confidence is the same
    either way); "count" (Dream's floor(M(1-s/t))) does not depend on the model."""
    exclude = {"count"}
    if c["temperature"] == 0 and not c["eos_confidence_inf"]:
        exclude.add("proposal_uncommitted")
    return exclude


def run_case(model, c, seed):
    margins, commits = Margins(), []
    if c["sampler"] == "llada":
        tokens, steps = llada_generate(
            model, c["prompt_ids"], c["gen_length"], c["steps"], c["block_length"],
            temperature=c["temperature"], remasking=c["remasking"], cfg_scale=c["cfg_scale"],
            threshold=c["threshold"], factor=c["factor"], eos_logit_inf=c["eos_logit_inf"],
            eos_confidence_inf=c["eos_confidence_inf"], seed=seed,
            rope_scaling=c["rope_scaling"], margins=margins, commits=commits)
    else:
        tokens, steps = dream_generate(
            model, c["prompt_ids"], c["gen_length"], c["steps"], alg=c["alg"],
            alg_temp=c["alg_temp"], temperature=c["temperature"], top_p=c["top_p"],
            top_k=c["top_k"], seed=seed, rope_scaling=c["rope_scaling"], margins=margins,
            commits=commits)
    best = margins.min(exclude=excluded_kinds(c))
    return tokens, steps, commits, margins, best


def fmt_float(v, digits=8):
    return float("%.*g" % (digits, v))


def write_logits(models, out_dir):
    entries = []
    for name, scaling in LOGIT_CASES:
        m = models[name]
        prompt = D16 if m.spec.family == "dream" else P16
        ids = prompt + [m.spec.mask_id] * 8
        logits = m.forward(ids, scaling).numpy()
        entries.append((name, ids, len(prompt), scaling, logits))
    path = os.path.join(out_dir, "logits.json")
    with open(path, "w", encoding="utf-8") as f:
        f.write("[\n")
        for k, (name, ids, n_p, scaling, logits) in enumerate(entries):
            f.write('{"model": %s, "input_ids": %s, "n_prompt": %d, "rope_scaling": %s, '
                    '"vocab": %d, "logits": [\n' % (json.dumps(name), json.dumps(ids), n_p,
                                                   json.dumps(scaling), logits.shape[1]))
            rows = [json.dumps([fmt_float(v) for v in row.tolist()]) for row in logits]
            f.write(",\n".join(rows))
            f.write("\n]}" + (",\n" if k + 1 < len(entries) else "\n"))
        f.write("]\n")
    return path, entries


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--models", default=os.path.join(REPO, "tests", "fixtures", "models"))
    ap.add_argument("--out", default=os.path.join(REPO, "tests", "fixtures", "golden"))
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)

    names = sorted({c["model"] for c in CASES} | {n for n, _ in LOGIT_CASES})
    models = {n: Model(os.path.join(args.models, n)) for n in names}

    lpath, entries = write_logits(models, args.out)
    print("logits.json: %d cases" % len(entries))
    for name, ids, n_p, scaling, logits in entries:
        resp = logits[n_p:]
        top2 = np.sort(resp, axis=-1)[:, -2:]
        print("  %-20s rope %.1f  logit std %.2f  min top1-top2 gap at masks %.4f"
              % (name, scaling, float(logits.std()), float((top2[:, 1] - top2[:, 0]).min())))

    results = []
    overall = None
    per_kind = {}
    print("\ngenerate.json:")
    print("  %-40s %5s %6s  %-10s %-22s %s" % ("name", "seed", "steps", "min margin", "kind",
                                               "tokens"))
    for c in CASES:
        model = models[c["model"]]
        if is_seeded(c):  # seeds first, then prompt variants (step 0 does not depend on it)
            tries = [(c["seed"] + t % 8, prompt_variant(c["prompt_ids"], t // 8))
                     for t in range(SEED_TRIES)]
        else:
            tries = [(c["seed"], prompt_variant(c["prompt_ids"], t)) for t in range(SEED_TRIES)]
        chosen, chosen_m = None, None
        for seed, prompt in tries:
            cand = (seed,) + run_case(model, dict(c, prompt_ids=prompt), seed) + (prompt,)
            mval = cand[5][0] if cand[5] is not None else float("inf")
            if chosen is None or mval > chosen_m:
                chosen, chosen_m = cand, mval
            if mval >= TARGET_MARGIN:
                break
        seed, tokens, steps, commits, margins, best, prompt = chosen
        if best is not None and best[0] < MIN_MARGIN:
            raise SystemExit("case %s: smallest margin %.3g (%s at %s) is below %.0e"
                             % (c["name"], best[0], best[1], best[2], MIN_MARGIN))
        rec = dict(c, seed=seed, prompt_ids=prompt, tokens=tokens, steps_taken=steps, commits=commits,
                   min_margin=None if best is None else float("%.3g" % best[0]))
        results.append({k: rec[k] for k in KEY_ORDER})
        for kind, (value, _) in margins.kinds.items():
            if kind not in excluded_kinds(c) and (kind not in per_kind
                                                  or value < per_kind[kind][0]):
                per_kind[kind] = (value, c["name"])
        if best is not None and (overall is None or best[0] < overall[0]):
            overall = (best[0], best[1], c["name"])
        print("  %-40s %5d %6d  %-10.3g %-22s %s%s"
              % (c["name"], seed, steps, best[0] if best else float("inf"),
                 best[1] if best else "-", tokens,
                 ("  exact ties: %d" % margins.exact_ties) if margins.exact_ties else ""))

    # Cross-checks: the sharded checkpoint is the bf16 one; the EOS options must matter.
    by = {r["name"]: r for r in results}
    assert by["llada_sharded_bf16_t0_L16_S8_B4"]["tokens"] == by["llada_bf16_t0_L16_S8_B4"][
        "tokens"]
    base = by["llada_eos_base_L16_S16_B8"]["tokens"]
    spec = models["llada_f32"].spec
    assert spec.eos_id in base or spec.eot_id in base, "EOS base case commits no EOS/EoT"
    for n in ("llada_eos_logit_inf_L16_S16_B8", "llada_eos_confidence_inf_L16_S16_B8",
              "llada_eos_both_L16_S16_B8"):
        assert (by[n]["tokens"], by[n]["commits"]) != (base, by["llada_eos_base_L16_S16_B8"][
            "commits"]), n + " runs exactly like the base case"
    assert spec.eos_id not in by["llada_eos_logit_inf_L16_S16_B8"]["tokens"]

    gpath = os.path.join(args.out, "generate.json")
    with open(gpath, "w", encoding="utf-8") as f:
        f.write("[\n")
        f.write(",\n".join(json.dumps(r) for r in results))
        f.write("\n]\n")
    print("\nsmallest decision margin over all cases: %.3g (%s, %s)" % overall)
    for kind in sorted(per_kind):
        print("  %-12s %.3g  (%s)" % (kind, per_kind[kind][0], per_kind[kind][1]))
    for p in (lpath, gpath):
        print("%s: %d bytes" % (os.path.relpath(p, REPO), os.path.getsize(p)))


if __name__ == "__main__":
    main()
