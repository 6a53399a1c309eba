"""Command line for the reference samplers.

  /usr/bin/python3 -m tools.reference.generate --model tests/fixtures/models/llada_f32 \\
      --prompt-ids 313,5,17 --gen-length 16 --steps 8 --block-length 4 --json

Prints the response ids (or, with --json, a JSON object with tokens, steps_taken, the
per-step commits and the smallest decision margin). --logits prints the raw logits of
prompt + gen_length mask ids instead of generating.
"""
import argparse
import json
import os
import sys

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

from .model import Model  # noqa: E402
from .sampling import ALGS, REMASKINGS, Margins, dream_generate, llada_generate  # noqa: E402


def _ids(text):
    return [int(t) for t in text.replace(" ", "").split(",") if t != ""]


def main(argv=None):
    ap = argparse.ArgumentParser(prog="python3 -m tools.reference.generate",
                                 description="maskkv reference sampler (docs/sampling.md)")
    ap.add_argument("--model", required=True, help="HF model directory")
    ap.add_argument("--prompt-ids", required=True, help="comma-separated token ids")
    ap.add_argument("--gen-length", type=int, default=64)
    ap.add_argument("--steps", type=int, default=0, help="0 = gen_length")
    ap.add_argument("--block-length", type=int, default=0, help="0 = gen_length (LLaDA)")
    ap.add_argument("--sampler", choices=("auto", "llada", "dream"), default="auto")
    ap.add_argument("--remasking", choices=REMASKINGS, default="low_confidence")
    ap.add_argument("--alg", choices=ALGS, default="entropy")
    ap.add_argument("--alg-temp", type=float, default=0.0)
    ap.add_argument("--temperature", type=float, default=0.0)
    ap.add_argument("--top-p", type=float, default=1.0)
    ap.add_argument("--top-k", type=int, default=0)
    ap.add_argument("--cfg-scale", type=float, default=0.0)
    ap.add_argument("--threshold", type=float, default=0.0)
    ap.add_argument("--factor", type=float, default=0.0)
    ap.add_argument("--eos-logit-inf", action="store_true")
    ap.add_argument("--eos-confidence-inf", action="store_true")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--rope-scaling", type=float, default=1.0)
    ap.add_argument("--logits", action="store_true", help="print raw logits instead")
    ap.add_argument("--json", action="store_true")
    a = ap.parse_args(argv)

    model = Model(a.model)
    prompt = _ids(a.prompt_ids)
    if a.logits:
        ids = prompt + [model.spec.mask_id] * a.gen_length
        logits = model.forward(ids, a.rope_scaling).tolist()
        print(json.dumps({"input_ids": ids, "logits": logits}))
        return 0
    steps = a.steps or a.gen_length
    block = a.block_length or a.gen_length
    sampler = a.sampler if a.sampler != "auto" else model.spec.family
    margins, commits = Margins(), []
    if sampler == "llada":
        tokens, taken = llada_generate(
            model, prompt, a.gen_length, steps, block, temperature=a.temperature,
            remasking=a.remasking, cfg_scale=a.cfg_scale, threshold=a.threshold,
            factor=a.factor, eos_logit_inf=a.eos_logit_inf,
            eos_confidence_inf=a.eos_confidence_inf, seed=a.seed, rope_scaling=a.rope_scaling,
            margins=margins, commits=commits)
    else:
        tokens, taken = dream_generate(
            model, prompt, a.gen_length, steps, alg=a.alg, alg_temp=a.alg_temp,
            temperature=a.temperature, top_p=a.top_p, top_k=a.top_k, seed=a.seed,
            rope_scaling=a.rope_scaling, margins=margins, commits=commits)
    if a.json:
        best = margins.min(exclude=("count",))
        print(json.dumps({"sampler": sampler, "tokens": tokens, "steps_taken": taken,
                          "commits": commits,
                          "min_margin": None if best is None else best[0],
                          "min_margin_kind": None if best is None else best[1]}))
    else:
        print(",".join(str(t) for t in tokens))
    return 0


if __name__ == "__main__":
    sys.exit(main())
