#!/usr/bin/python3
"""Demo: a retrieval question over a long prompt, answered by a bundled demo model with the
full prompt cache and with MaskKV at a small budget (via the `maskkv` CLI).

  /usr/bin/python3 tools/eval/demo_retrieval.py [--model models/demo] [--task multikey] [--length 1024] [--budget 32]

Builds a seeded prompt of one task of tools/tasks/synth.py (passkey: filler text with "The pass
key is NN." hidden at --depth; multikey: several "The magic number for KEY is NN." needles, one
of them asked for, at --depth), and prints for each policy the answer, the wall time and the
peak prompt/response K/V memory the engine reports.
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


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", default=os.path.join(REPO, "models", "demo"))
    ap.add_argument("--bin", default=os.path.join(REPO, "build", "maskkv"))
    ap.add_argument("--task", choices=synth.TASKS, default="passkey")
    ap.add_argument("--length", type=int, default=2048)
    ap.add_argument("--depth", type=float, default=0.35)
    ap.add_argument("--budget", type=int, default=32)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--policies", default="full,maskkv")
    args = ap.parse_args()
    if synth.too_short([args.task], args.length):
        ap.error("--length: %s needs at least %d tokens" % (args.task, synth.MIN_TOKENS[args.task]))
    if not 0.0 <= args.depth <= 1.0:
        ap.error("--depth: a fraction in [0, 1]")
    tok = bpe.Tokenizer.load(os.path.join(args.model, "tokenizer.json"))
    s = synth.build(args.task, np.random.default_rng(args.seed), args.length, tok, depth=args.depth)
    text = s["prompt"][len(synth.BOS):]  # the tokenizer's post-processor adds BOS itself
    needles = [p.strip() + "." for p in text.split("\n")[0].split(".")
               if any(w in p for w in ("pass key is", "magic number for", "VAR "))]
    print("task %s: a %d-token prompt of filler text with %d needle%s:" % (
        args.task, len(s["prompt_ids"]), len(needles), "" if len(needles) == 1 else "s"))
    for n in needles[:8]:
        print("    \"%s\"" % n)
    print("question: \"%s\"   expected answer:%s\n" % (text.split("\n")[1], s["answer_text"]))
    base = [args.bin, "generate", "--model", args.model, "--prompt", text, "--gen-length", "8",
            "--steps", "8", "--block-length", "8", "--json"]
    print("%-26s %-8s %9s %11s %16s %12s" % ("policy", "answer", "seconds", "prefill s",
                                             "KV pairs kept", "peak KV MiB"))
    for pol in args.policies.split(","):
        cmd = base + ["--policy", pol]
        label = pol
        if pol not in ("none", "full"):
            cmd += ["--budget", str(args.budget)]
            label += " (budget %d/head)" % args.budget
            if pol == "maskkv":
                cmd += ["--profile", os.path.join(args.model, "maskkv_profile.json")]
        p = subprocess.run(cmd, capture_output=True, text=True)
        if p.returncode != 0:
            sys.exit(p.stderr)
        r = json.loads(p.stdout)
        ans = r.get("text", "").strip() or str(r["tokens"])
        print("%-26s %-8s %9.3f %11.3f %16d %12.2f" % (
            label, ans, r["seconds"], r.get("prefill_seconds", 0), r.get("kv_pairs_kept", 0),
            r.get("kv_bytes_peak", 0) / 2**20))
    print("\n(same command by hand: build/maskkv generate --model %s --prompt \"$TEXT\" --gen-length 8 "
          "--steps 8 --block-length 8 --policy maskkv --budget %d --profile %s/maskkv_profile.json --json)"
          % (os.path.relpath(args.model, REPO), args.budget, os.path.relpath(args.model, REPO)))


if __name__ == "__main__":
    main()
