#!/usr/bin/env python3
"""Runs llama.cpp's llama-diffusion-cli and `maskkv generate` on the same model and prompts,
alternating, and prints per-step and end-to-end tables (CSV and markdown).

  llamacpp_side_by_side.py --llama-cli PATH --maskkv PATH --model-dir DIR --profile FILE
      [--lengths 512,1024,2048] [--threads 2] [--gen-length 32] [--steps 32] [--budget 256]
      [--rounds 1] [--csv OUT.csv]
  llamacpp_side_by_side.py --tables-from OUT.csv

DIR holds the model in both formats and the prompt files (bench/llamacpp_fixture.py). Each round
runs, for every prompt length, llama.cpp, then maskkv with policies none, maskkv@budget and
snapkv@budget, so that load on a shared machine falls on all of them alike.

What is measured:
  llama.cpp: its own report, "total time" (the denoising loop: every step's forward pass over
    prompt + response and the sampling) and "time per step" (total / steps). It has no prefill:
    every step runs the whole sequence. Flash attention on, n_ubatch = n_batch = n_ctx = prompt +
    gen length (the CLI denoises n_ubatch positions), one block as long as the sequence (so
    every step commits one token, as maskkv's single block does), temperature 0.
  maskkv: the JSON of `maskkv generate --json`, "seconds" (all steps, prefill included) and
    "prefill_seconds" (the first step's forward pass); per step is seconds / steps for `none`
    (every step runs the whole sequence) and (seconds - prefill_seconds) / (steps - 1), the steps
    after the prefill, for the caching policies.
  Both: the process's wall time and CPU time (user + system), model loading included; on a
    loaded machine the CPU time shows how much work each did, the wall time how long it waited.
"""
import argparse
import csv
import io
import json
import os
import re
import resource
import subprocess
import sys
import time

LLAMA_TIMES = re.compile(r"total time: ([0-9.]+)ms, time per step: ([0-9.]+)ms, "
                         r"sampling time per step: ([0-9.]+)ms")
FIELDS = ["engine", "policy", "prompt", "round", "steps", "total_s", "prefill_s", "per_step_s",
          "sampling_per_step_s", "wall_s", "cpu_s"]


def run(cmd):
    """Runs cmd; returns its stdout, stderr, wall seconds and CPU seconds (user + system)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.monotonic()
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, encoding="utf-8",
                       errors="replace")  # generated text may hold partial UTF-8 sequences
    wall = time.monotonic() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if p.returncode != 0:
        sys.stderr.write(p.stdout[-2000:] + p.stderr[-4000:])
        raise RuntimeError("exit %d: %s" % (p.returncode, " ".join(cmd)))
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return p.stdout, p.stderr, wall, cpu


def run_llama(a, n, rnd):
    seq = n + a.gen_length
    cmd = [a.llama_cli, "-m", os.path.join(a.model_dir, "model.gguf"),
           "-f", os.path.join(a.model_dir, "prompt-%d.txt" % n),
           "-t", str(a.threads), "-tb", str(a.threads), "-fa", "on",
           "-c", str(seq), "-b", str(seq), "-ub", str(seq),
           "--diffusion-steps", str(a.steps), "--diffusion-block-length", str(seq),
           "--temp", "0", "--seed", "1"]
    out, err, wall, cpu = run(cmd)
    m = LLAMA_TIMES.search(out + err)
    if not m:
        raise RuntimeError("no timing line in llama-diffusion-cli's output:\n" + (out + err)[-3000:])
    total, per_step, sampling = (float(x) / 1000.0 for x in m.groups())
    return dict(engine="llama.cpp", policy="-", prompt=n, round=rnd, steps=a.steps, total_s=total,
                prefill_s=0.0, per_step_s=per_step, sampling_per_step_s=sampling, wall_s=wall, cpu_s=cpu)


def run_maskkv(a, n, rnd, policy):
    with open(os.path.join(a.model_dir, "prompt-%d.ids" % n), encoding="ascii") as f:
        ids = f.read().strip()
    cmd = [a.maskkv, "generate", "--model", a.model_dir, "--prompt-ids", ids, "--json", "--quiet",
           "--gen-length", str(a.gen_length), "--steps", str(a.steps), "--threads", str(a.threads),
           "--policy", policy, "--seed", "1"]
    if policy != "none":
        cmd += ["--budget", str(a.budget)]
    if policy == "maskkv":
        cmd += ["--profile", a.profile]
    out, _, wall, cpu = run(cmd)
    j = json.loads(out)
    if j["prompt_tokens"] != n or j["gen_length"] != a.gen_length:
        raise RuntimeError("maskkv ran %d prompt tokens and %d response tokens, expected %d and %d"
                           % (j["prompt_tokens"], j["gen_length"], n, a.gen_length))
    steps = j["steps"]
    total, prefill = j["seconds"], j["prefill_seconds"]
    # The prefill is the first step's forward pass (over prompt and masks, filling the cache).
    per_step = total / steps if policy == "none" else (total - prefill) / max(1, steps - 1)
    label = policy if policy in ("none",) else "%s@%d" % (policy, a.budget)
    return dict(engine="maskkv", policy=label, prompt=n, round=rnd, steps=steps, total_s=total,
                prefill_s=prefill, per_step_s=per_step, sampling_per_step_s="", wall_s=wall, cpu_s=cpu)


def read_csv(path):
    """Rows of an earlier run, the prompt lengths that have every engine's run, and the policies."""
    with open(path, encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    if not rows:
        raise SystemExit("%s holds no runs" % path)
    policies = sorted({r["policy"] for r in rows if r["engine"] == "maskkv"},
                      key=lambda p: (p != "none", p))
    wanted = {("llama.cpp", "-")} | {("maskkv", p) for p in policies}
    lengths = sorted({int(r["prompt"]) for r in rows})
    lengths = [n for n in lengths
               if wanted <= {(r["engine"], r["policy"]) for r in rows if int(r["prompt"]) == n}]
    for r in rows:
        r["prompt"] = int(r["prompt"])
    if "none" not in policies or not lengths:
        raise SystemExit("%s has no prompt length with every engine's run" % path)
    return rows, lengths, policies


def median(xs):
    xs = sorted(xs)
    k = len(xs) // 2
    return xs[k] if len(xs) % 2 else 0.5 * (xs[k - 1] + xs[k])


def tables(rows, lengths, policies):
    by = {}
    for r in rows:
        by.setdefault((r["engine"], r["policy"], r["prompt"]), []).append(r)

    def med(engine, policy, n, field):
        return median([float(r[field]) for r in by[(engine, policy, n)]])

    out = ["Per step (s; llama.cpp: its total / steps; maskkv none: seconds / steps; "
           "caching policies: after the prefill)", ""]
    head = ["prompt", "llama.cpp s/step"] + ["%s s/step" % p for p in policies] + ["llama.cpp / none"]
    out += ["| " + " | ".join(head) + " |", "|" + "---:|" * len(head)]
    for n in lengths:
        ll = med("llama.cpp", "-", n, "per_step_s")
        cells = [str(n), "%.4f" % ll] + ["%.4f" % med("maskkv", p, n, "per_step_s") for p in policies]
        cells.append("%.2fx" % (ll / med("maskkv", "none", n, "per_step_s")))
        out.append("| " + " | ".join(cells) + " |")
    out += ["", "End to end (s: llama.cpp's denoising total; maskkv's seconds, prefill included; "
            "the ratio is llama.cpp / maskkv)", ""]
    head = ["prompt", "llama.cpp s"] + ["%s s" % p for p in policies] + ["llama.cpp / %s" % p for p in policies]
    out += ["| " + " | ".join(head) + " |", "|" + "---:|" * len(head)]
    for n in lengths:
        ll = med("llama.cpp", "-", n, "total_s")
        mk = [med("maskkv", p, n, "total_s") for p in policies]
        cells = [str(n), "%.2f" % ll] + ["%.2f" % x for x in mk] + ["%.1fx" % (ll / x) for x in mk]
        out.append("| " + " | ".join(cells) + " |")
    mk = next((p for p in policies if p.startswith("maskkv@")), None)
    out += ["", "Targets: maskkv `none` per step at least 1.2x faster than llama.cpp at every length; "
            "%s end to end at least 35x faster at 4096." % (mk or "maskkv@budget")]
    for n in lengths:
        ratio = med("llama.cpp", "-", n, "per_step_s") / med("maskkv", "none", n, "per_step_s")
        line = "- %d: none per step %.2fx (%s)" % (n, ratio, "met" if ratio >= 1.2 else "not met")
        if n == 4096 and mk:
            e2e = med("llama.cpp", "-", n, "total_s") / med("maskkv", mk, n, "total_s")
            line += "; %s end to end %.1fx (%s)" % (mk, e2e, "met" if e2e >= 35 else "not met")
        out.append(line)
    out += ["", "Whole process (s, model loading included): wall time / CPU time (user + system)", ""]
    head = ["prompt", "llama.cpp"] + policies
    out += ["| " + " | ".join(head) + " |", "|" + "---:|" * len(head)]
    for n in lengths:
        cells = [str(n), "%.2f / %.2f" % (med("llama.cpp", "-", n, "wall_s"), med("llama.cpp", "-", n, "cpu_s"))]
        cells += ["%.2f / %.2f" % (med("maskkv", p, n, "wall_s"), med("maskkv", p, n, "cpu_s")) for p in policies]
        out.append("| " + " | ".join(cells) + " |")
    return "\n".join(out)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--llama-cli")
    ap.add_argument("--maskkv")
    ap.add_argument("--model-dir")
    ap.add_argument("--profile")
    ap.add_argument("--tables-from", metavar="CSV",
                    help="print the tables of an earlier run's CSV (complete lengths only) and exit")
    ap.add_argument("--lengths", default="512,1024,2048")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--gen-length", type=int, default=32)
    ap.add_argument("--steps", type=int, default=32)
    ap.add_argument("--budget", type=int, default=256)
    ap.add_argument("--rounds", type=int, default=1)
    ap.add_argument("--csv", default="")
    a = ap.parse_args()
    if a.tables_from:
        rows, lengths, policies = read_csv(a.tables_from)
        print(tables(rows, lengths, policies))
        return
    missing = [o for o in ("llama_cli", "maskkv", "model_dir", "profile") if not getattr(a, o)]
    if missing:
        ap.error("missing " + ", ".join("--" + o.replace("_", "-") for o in missing))
    lengths = [int(x) for x in a.lengths.split(",") if x]
    if not lengths or min(lengths) < 2:
        ap.error("--lengths needs prompt lengths of at least 2 tokens")
    if a.rounds < 1:
        ap.error("--rounds must be at least 1")
    for path in [a.llama_cli, a.maskkv]:
        if not os.access(path, os.X_OK):
            ap.error("%s is not an executable file" % path)
    policies = ["none", "maskkv@%d" % a.budget, "snapkv@%d" % a.budget]
    rows = []
    # The CSV file grows run by run, so that an interrupted sweep keeps what it measured.
    csv_file = open(a.csv, "w", encoding="utf-8") if a.csv else None
    if csv_file:
        csv.DictWriter(csv_file, FIELDS, lineterminator="\n").writeheader()
    for rnd in range(1, a.rounds + 1):
        for n in lengths:
            for step in ["llama.cpp", "none", "maskkv", "snapkv"]:
                r = run_llama(a, n, rnd) if step == "llama.cpp" else run_maskkv(a, n, rnd, step)
                rows.append(r)
                if csv_file:
                    csv.DictWriter(csv_file, FIELDS, lineterminator="\n").writerow(r)
                    csv_file.flush()
                print("%-9s %-11s prompt %5d round %d: total %.3f s, per step %.4f s, wall %.2f s, CPU %.2f s"
                      % (r["engine"], r["policy"], n, rnd, r["total_s"], r["per_step_s"], r["wall_s"],
                         r["cpu_s"]),
                      file=sys.stderr, flush=True)
    buf = io.StringIO()
    w = csv.DictWriter(buf, FIELDS, lineterminator="\n")
    w.writeheader()
    w.writerows(rows)
    if csv_file:
        csv_file.close()
    print(buf.getvalue())
    print(tables(rows, lengths, policies))


if __name__ == "__main__":
    main()
