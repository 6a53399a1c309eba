#!/usr/bin/python3
"""Token agreement of quantized weights with the stored ones: runs the same prompts through
`maskkv generate` with --weight-type auto (the file's dtype) and each quantized type, and
reports the fraction of output tokens identical to the auto run, and each run's task accuracy.

  /usr/bin/python3 tools/eval/quant_agreement.py --model models/demo --per-task 8
  /usr/bin/python3 tools/eval/quant_agreement.py --model models/demo-dream --per-task 8

Prompts: --per-task samples of every task of tools/tasks/synth.py at each of --lengths tokens,
from generator seed [--seed, task, length, index] (the calibration prompts use another seed).
Decoding as in tools/eval/run_eval.py: gen length 8, 8 steps, block 8, greedy (temperature 0),
policy --policy (default full: the weights are what differs, not the cache).
"""
import argparse
import json
import os
import subprocess
import sys

import numpy as np

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, REPO)
from tools.tasks import synth, bpe  # noqa: E402


def generate(args, ids, weight_type):
    cmd = [args.bin, "generate", "--model", args.model, "--prompt-ids", ",".join(map(str, ids)),
           "--gen-length", str(synth.GEN_LENGTH), "--steps", str(synth.GEN_LENGTH),
           "--block-length", str(synth.GEN_LENGTH), "--policy", args.policy,
           "--threads", str(args.threads), "--backend", "cpu", "--weight-type", weight_type, "--json"]
    p = subprocess.run(cmd, capture_output=True, text=True)
    if p.returncode != 0:
        raise RuntimeError("%s failed (%d): %s" % (" ".join(cmd), p.returncode, p.stderr.strip()[-400:]))
    return json.loads(p.stdout)["tokens"]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--model", default=os.path.join(REPO, "models", "demo"))
    ap.add_argument("--bin", default=os.path.join(REPO, "build", "maskkv"))
    ap.add_argument("--types", default="q8_0,q4_0")
    ap.add_argument("--lengths", default="256")
    ap.add_argument("--per-task", type=int, default=8)
    ap.add_argument("--policy", default="full")
    ap.add_argument("--seed", type=int, default=77)
    ap.add_argument("--threads", type=int, default=1)
    args = ap.parse_args()
    tok = bpe.Tokenizer.load(os.path.join(args.model, "tokenizer.json"))
    types = [t for t in args.types.split(",") if t]
    same = {t: 0 for t in types}
    same_seq = {t: 0 for t in types}
    correct = {t: 0 for t in ["auto"] + types}
    n_tokens = n_prompts = 0
    for ti, task in enumerate(synth.TASKS):
        for n in [int(x) for x in args.lengths.split(",")]:
            for i in range(args.per_task):
                s = synth.build(task, np.random.default_rng([args.seed, ti, n, i]), n, tok)
                base = generate(args, s["prompt_ids"], "auto")
                correct["auto"] += synth.score(s, base, tok)
                for t in types:
                    out = generate(args, s["prompt_ids"], t)
                    same[t] += sum(a == b for a, b in zip(base, out))
                    same_seq[t] += base == out
                    correct[t] += synth.score(s, out, tok)
                n_tokens += len(base)
                n_prompts += 1
    print("model %s: %d prompts (%s, lengths %s, %d per task), %d output tokens, policy %s" %
          (args.model, n_prompts, ",".join(synth.TASKS), args.lengths, args.per_task, n_tokens, args.policy))
    print("| weight type | identical tokens | identical outputs | task accuracy |")
    print("|---|---:|---:|---:|")
    print("| auto (stored) | - | - | %.3f |" % (correct["auto"] / n_prompts))
    for t in types:
        print("| %s | %.3f (%d/%d) | %.3f | %.3f |" % (t, same[t] / n_tokens, same[t], n_tokens,
                                                     same_seq[t] / n_prompts, correct[t] / n_prompts))


if __name__ == "__main__":
    main()
