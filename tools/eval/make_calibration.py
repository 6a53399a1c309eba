#!/usr/bin/python3
"""Writes the calibration prompts of a demo model: JSON lines {"prompt_ids": [...]} that
`maskkv calibrate` reads to build the model's MaskKV offline profile.

  /usr/bin/python3 tools/eval/make_calibration.py --model models/demo --lengths 128,256,512 \\
      --per-task 4 --out models/demo/calibration.jsonl

Every task of tools/tasks/synth.py contributes --per-task prompts, spread over --lengths, drawn
from generator seed [--seed, 0] (the quality suite uses other seeds, so calibration and
evaluation prompts never coincide).
"""
import argparse
import json
import os
import sys

import numpy as np

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, REPO)
from tools.tasks import synth, bpe  # noqa: E402


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--model", required=True, help="model directory (its tokenizer.json is used)")
    ap.add_argument("--out", required=True)
    ap.add_argument("--lengths", default="128,256,512")
    ap.add_argument("--per-task", type=int, default=4)
    ap.add_argument("--seed", type=int, default=2024)
    a = ap.parse_args()
    try:
        lengths = [int(x) for x in a.lengths.split(",") if x]
    except ValueError:
        ap.error("--lengths: comma-separated integers")
    if not lengths or a.per_task < 1:
        ap.error("--lengths needs at least one length and --per-task at least 1")
    short = synth.too_short(synth.TASKS, min(lengths))
    if short:
        ap.error("--lengths: %d tokens is too short for %s" % (min(lengths), ", ".join(short)))
    tok = bpe.Tokenizer.load(os.path.join(a.model, "tokenizer.json"))
    rng = np.random.default_rng([a.seed, 0])
    with open(a.out, "w") as f:
        for task in synth.TASKS:
            for i in range(a.per_task):
                s = synth.build(task, rng, lengths[i % len(lengths)], tok)
                f.write(json.dumps({"prompt_ids": s["prompt_ids"]}) + "\n")
    print("wrote %d prompts to %s" % (len(synth.TASKS) * a.per_task, a.out))


if __name__ == "__main__":
    main()
