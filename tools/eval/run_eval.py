#!/usr/bin/python3
"""Long-context quality suite for maskkv: runs the synthetic tasks of tools/tasks/synth.py
through the `maskkv generate` CLI for every prompt K/V policy and budget, then prints a table
and writes CSV, JSON, a markdown table and PNG plots.

  /usr/bin/python3 tools/eval/run_eval.py                 # the full benchmark (docs/results.md)
  /usr/bin/python3 tools/eval/run_eval.py --quick --floor 0.3   # the CI-size run (CTest)

Sections (each sample is generated from --seed, the task, the length and its index):
  main  every task at --lengths (the demo model's final training lengths), --samples each;
        policies none and full once, the eviction policies at every --budgets value.
  niah  passkey at --niah-lengths x --niah-depths, --niah-samples each, every policy at
        --niah-budget (the needle-in-a-haystack heatmaps; also the time/memory plot).
  long  every task at --long-lengths (beyond the final training stage), policies full and the
        eviction policies at --long-budget.
Decoding: gen length 8, 8 steps, block 8, low-confidence remasking, temperature 0 (LLaDA
sampler), dLLM-Cache defaults for the cached policies, MaskKV with the model's offline profile
(MODEL/maskkv_profile.json). When a budget is >= the prompt length no policy evicts anything
and the engine's result equals the full-cache run (docs/eviction.md); such rows reuse the full
run and are marked reused=1.
Scoring: exact match of the answer tokens before the first EOS (as a set for multivalue/cwe).
"""
import argparse
import concurrent.futures as cf
import csv
import json
import os
import subprocess
import sys
import threading
import time

import numpy as np

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, REPO)
from tools.tasks import synth, bpe  # noqa: E402

EVICT = ["maskkv", "snapkv", "pyramidkv", "squeezeattention", "adakv"]
ALL_POLICIES = ["none", "full"] + EVICT
FIELDS = ["section", "task", "length", "depth", "sample", "policy", "budget", "correct",
          "seconds", "prefill_seconds", "kv_pairs_kept", "kv_bytes_peak", "peak_rss_bytes",
          "reused", "tokens", "expected"]


def ints(s):
    return [int(x) for x in s.split(",") if x]


def floats(s):
    return [float(x) for x in s.split(",") if x]


class Progress:
    def __init__(self, total, label):
        self.total, self.done, self.label = total, 0, label
        self.tty = sys.stderr.isatty()
        self.t0 = time.time()
        self.lock = threading.Lock()

    def step(self):
        with self.lock:
            self.done += 1
            if not self.tty:
                if self.done * 10 // max(1, self.total) != (self.done - 1) * 10 // max(1, self.total):
                    sys.stderr.write("%s: %d/%d runs, %.0fs\n" % (self.label, self.done, self.total,
                                                                 time.time() - self.t0))
                    sys.stderr.flush()
                return
            f = self.done / max(1, self.total)
            el = time.time() - self.t0
            eta = el / f - el if f > 0 else 0
            bar = "#" * int(30 * f) + "-" * (30 - int(30 * f))
            sys.stderr.write("\r%-5s [%s] %d/%d  %.0fs elapsed, ~%.0fs left " % (
                self.label, bar, self.done, self.total, el, eta))
            if self.done == self.total:
                sys.stderr.write("\n")
            sys.stderr.flush()


def run_cli(args, ids, policy, budget):
    cmd = [args.bin, "generate", "--model", args.model, "--prompt-ids", ",".join(map(str, ids)),
           "--gen-length", str(synth.GEN_LENGTH), "--steps", str(synth.GEN_LENGTH),
           "--block-length", str(synth.GEN_LENGTH), "--policy", policy,
           "--threads", str(args.threads), "--json"]
    if policy not in ("none", "full"):  # they keep every pair: a budget is refused there
        cmd += ["--budget", str(budget)]
    if policy == "maskkv":
        cmd += ["--profile", args.profile] if args.profile else ["--online"]
    p = subprocess.run(cmd, capture_output=True, text=True)
    if p.returncode != 0:
        raise RuntimeError("%s failed (%d): %s" % (" ".join(cmd[:3] + cmd[5:]), p.returncode,
                                                   p.stderr.strip()[-400:]))
    return json.loads(p.stdout)


def make_jobs(args, tok):
    """Returns (samples, jobs): samples[key] = sample dict; jobs = list of (key, policy, budget)."""
    samples, jobs = {}, []

    def add(section, task, n, i, depth, policies, budgets):
        rng = np.random.default_rng([args.seed, synth.TASKS.index(task), n, i,
                                     int(round((depth if depth is not None else -1) * 1000)) + 1000,
                                     ["main", "niah", "long"].index(section)])
        hops = 2 if task == "vartrack" else None
        s = synth.build(task, rng, n, tok, depth=depth, hops=hops)
        key = (section, task, n, depth, i)
        samples[key] = s
        for pol in policies:
            if pol in ("none", "full"):
                jobs.append((key, pol, 0))
            else:
                for b in budgets:
                    jobs.append((key, pol, b))

    pols = [p for p in args.policies.split(",") if p]
    for task in args.tasks.split(","):
        for n in ints(args.lengths):
            for i in range(args.samples):
                add("main", task, n, i, None, pols, ints(args.budgets))
    for n in ints(args.niah_lengths):
        for d in floats(args.niah_depths):
            for i in range(args.niah_samples):
                ps = [p for p in pols if not (p == "none" and n > args.none_max_len)]
                add("niah", "passkey", n, i, d, ps, [args.niah_budget])
    for task in (args.long_tasks.split(",") if args.long_lengths else []):
        for n in ints(args.long_lengths):
            for i in range(args.long_samples):
                ps = [p for p in pols if p != "none"]  # none costs 8 full passes: skipped here
                add("long", task, n, i, None, ps, [args.long_budget])
    return samples, jobs


def run_all(args, tok, samples, jobs):
    rows, lock = [], threading.Lock()
    # budget >= prompt length: nothing is evicted, identical to full (reuse the full run)
    real = [j for j in jobs if not (j[1] in EVICT and j[2] >= samples[j[0]]["n_tokens"])]
    reused = [j for j in jobs if j not in real]
    # longest first, so that the pool stays busy to the end
    real.sort(key=lambda j: -samples[j[0]]["n_tokens"] * (8 if j[1] == "none" else 1))
    prog = Progress(len(real), "eval")
    results = {}

    def work(job):
        key, pol, b = job
        s = samples[key]
        r = run_cli(args, s["prompt_ids"], pol, b if b else 256)
        prog.step()
        return job, r

    partial = open(os.path.join(args.out, "results.partial.jsonl"), "w")  # survives a timeout
    with cf.ThreadPoolExecutor(max_workers=args.jobs) as ex:
        for job, r in ex.map(work, real):
            with lock:
                results[job] = r
                partial.write(json.dumps({"job": [list(job[0]), job[1], job[2]], "result": r}) + "\n")
                partial.flush()
    partial.close()
    for job in reused:
        results[job] = dict(results[(job[0], "full", 0)], _reused=True)
    for job in jobs:
        key, pol, b = job
        s = samples[key]
        r = results[job]
        rows.append({
            "section": key[0], "task": key[1], "length": key[2],
            "depth": "" if key[3] is None else key[3], "sample": key[4], "policy": pol,
            "budget": b if b else "", "correct": synth.score(s, r["tokens"], tok),
            "seconds": round(r["seconds"], 5), "prefill_seconds": round(r.get("prefill_seconds", 0), 5),
            "kv_pairs_kept": r.get("kv_pairs_kept", ""), "kv_bytes_peak": r.get("kv_bytes_peak", ""),
            "peak_rss_bytes": r.get("peak_rss_bytes", ""), "reused": int(bool(r.get("_reused"))),
            "tokens": " ".join(map(str, r["tokens"])), "expected": " ".join(map(str, s["answer_ids"]))})
    return rows


# ---------------------------------------------------------------------------------------------
def acc_table(rows, section, tasks):
    """{(policy, budget): {task: acc, 'avg': acc}} over the rows of one section."""
    cells = {}
    for r in rows:
        if r["section"] != section:
            continue
        cells.setdefault((r["policy"], r["budget"]), {}).setdefault(r["task"], []).append(r["correct"])
    out = {}
    for k, per in cells.items():
        d = {t: float(np.mean(per[t])) for t in tasks if t in per}
        d["avg"] = float(np.mean([d[t] for t in tasks if t in d]))
        out[k] = d
    return out


def wilson(k, n, z=1.96):
    """95% Wilson score interval of a proportion k/n."""
    if n == 0:
        return 0.0, 1.0
    p = k / n
    c = (p + z * z / (2 * n)) / (1 + z * z / n)
    h = z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return max(0.0, c - h), min(1.0, c + h)


def pooled(rows, section):
    """{(policy, budget): {sample key: correct}} over the rows of one section."""
    out = {}
    for r in rows:
        if r["section"] == section:
            out.setdefault((r["policy"], r["budget"]), {})[
                (r["task"], r["length"], r["depth"], r["sample"])] = float(r["correct"])
    return out


def paired_diff(a, b, z=1.96):
    """Mean of a - b over the samples both policies ran, with a 95% normal interval (paired:
    the same prompts, so prompt difficulty cancels). Returns (mean, lo, hi, n)."""
    keys = sorted(set(a) & set(b))
    d = np.array([a[k] - b[k] for k in keys])
    if len(d) == 0:
        return 0.0, 0.0, 0.0, 0
    m = float(d.mean())
    h = z * float(d.std(ddof=1)) / np.sqrt(len(d)) if len(d) > 1 else 0.0
    return m, m - h, m + h, len(d)


def order_key(k):
    pol, b = k
    return (ALL_POLICIES.index(pol) if pol in ALL_POLICIES else 99, b if b != "" else -1)


def format_table(table, tasks, title, pool=None):
    """Accuracy per task, the average over tasks with its 95% Wilson interval (over the pooled
    samples, given `pool` from pooled()), and the share of the full-cache average."""
    full = table.get(("full", ""), {}).get("avg")
    head = "| policy | budget | " + " | ".join(tasks) + " | avg | 95% CI | % of full |"
    lines = ["**%s**" % title, "", head, "|" + "---|" * (len(tasks) + 5)]
    for k in sorted(table, key=order_key):
        d = table[k]
        pct = "%.0f%%" % (100 * d["avg"] / full) if full else "-"
        ci = "-"
        if pool and k in pool:
            v = list(pool[k].values())
            ci = "%.2f-%.2f" % wilson(sum(v), len(v))
        lines.append("| %s | %s | " % (k[0], k[1] if k[1] != "" else "-") +
                     " | ".join("%.2f" % d[t] if t in d else "-" for t in tasks) +
                     " | %.3f | %s | %s |" % (d["avg"], ci, pct))
    return "\n".join(lines)


def versus_table(pool, budgets, title):
    """Per budget: MaskKV's accuracy over the pooled samples, and for each baseline its accuracy
    and MaskKV minus it on the same prompts with a 95% interval; an interval that excludes 0 is
    a resolved difference (marked "ahead" or "behind")."""
    base = [p for p in EVICT if p != "maskkv"]
    lines = ["**%s**" % title, "", "| budget | maskkv | " + " | ".join(base) + " |",
             "|" + "---|" * (len(base) + 2)]
    for b in budgets:
        if ("maskkv", b) not in pool:
            continue
        m = pool[("maskkv", b)]
        cells = []
        for p in base:
            if (p, b) in pool:
                d, lo, hi, _ = paired_diff(m, pool[(p, b)])
                verdict = "ahead" if lo > 0 else ("behind" if hi < 0 else "not resolved")
                cells.append("%.3f (maskkv %+.3f [%+.3f, %+.3f] %s)" % (
                    float(np.mean(list(pool[(p, b)].values()))), d, lo, hi, verdict))
            else:
                cells.append("-")
        lines.append("| %d | %.3f | " % (b, float(np.mean(list(m.values())))) + " | ".join(cells) + " |")
    return "\n".join(lines)


def length_table(rows, section, title):
    """Average accuracy over tasks per prompt length, for each policy and budget."""
    cells, lengths = {}, set()
    for r in rows:
        if r["section"] == section:
            lengths.add(r["length"])
            cells.setdefault((r["policy"], r["budget"]), {}).setdefault(r["length"], []).append(r["correct"])
    lengths = sorted(lengths)
    lines = ["**%s**" % title, "", "| policy | budget | " + " | ".join(str(n) for n in lengths) + " |",
             "|" + "---|" * (len(lengths) + 2)]
    for k in sorted(cells, key=order_key):
        lines.append("| %s | %s | " % (k[0], k[1] if k[1] != "" else "-") + " | ".join(
            "%.2f" % np.mean(cells[k][n]) if n in cells[k] else "-" for n in lengths) + " |")
    return "\n".join(lines)


def fidelity_table(rows, section, budgets, title):
    """Fraction of samples whose 8 output tokens equal the full-cache run's, per policy and
    budget: how faithfully a policy preserves the model's behaviour, right or wrong."""
    ref = {(r["task"], r["length"], r["depth"], r["sample"]): r["tokens"] for r in rows
           if r["section"] == section and r["policy"] == "full"}
    cells = {}
    for r in rows:
        if r["section"] == section and r["policy"] != "full":
            k = (r["task"], r["length"], r["depth"], r["sample"])
            if k in ref:
                cells.setdefault((r["policy"], r["budget"]), []).append(float(r["tokens"] == ref[k]))
    bs = [""] + budgets
    lines = ["**%s**" % title, "", "| policy | " + " | ".join(str(b) if b != "" else "-" for b in bs) + " |",
             "|" + "---|" * (len(bs) + 1)]
    for p in ALL_POLICIES:
        if p == "full" or not any(k[0] == p for k in cells):
            continue
        lines.append("| %s | " % p + " | ".join("%.2f" % np.mean(cells[(p, b)]) if (p, b) in cells else ""
                                                 for b in bs) + " |")
    return "\n".join(lines)


def per_length_table(rows, section, policies):
    """Average accuracy over tasks per length for policy full and the others' budgets."""
    cells = {}
    for r in rows:
        if r["section"] == section:
            cells.setdefault((r["policy"], r["budget"], r["length"]), []).append(r["correct"])
    return {k: float(np.mean(v)) for k, v in cells.items()}


def plots(rows, args, tasks, out):
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("matplotlib missing (apt-get install python3-matplotlib): no plots", file=sys.stderr)
        return []
    files = []
    colors = {"none": "black", "full": "gray", "maskkv": "tab:red", "snapkv": "tab:blue",
              "pyramidkv": "tab:green", "squeezeattention": "tab:purple", "adakv": "tab:orange"}
    main = acc_table(rows, "main", tasks)
    budgets = ints(args.budgets)
    if main:
        # accuracy vs budget: average and per task
        ncol = 4
        nrow = (len(tasks) + 1 + ncol - 1) // ncol
        fig, axes = plt.subplots(nrow, ncol, figsize=(4 * ncol, 3.3 * nrow), sharey=True, squeeze=False)
        axes = axes.ravel()
        for ax in axes[len(tasks) + 1:]:
            ax.axis("off")
        for ai, t in enumerate(["avg"] + tasks):
            ax = axes[ai]
            for pol in ALL_POLICIES:
                if pol in ("none", "full"):
                    if (pol, "") in main and t in main[(pol, "")]:
                        ax.axhline(main[(pol, "")][t], color=colors[pol], ls="--" if pol == "full" else ":",
                                   label=pol + " (no eviction)")
                    continue
                xs = [b for b in budgets if (pol, b) in main and t in main[(pol, b)]]
                if xs:
                    ax.plot(xs, [main[(pol, b)][t] for b in xs], marker="o", color=colors[pol], label=pol)
            ax.set_xscale("log", base=2)
            ax.set_xticks(budgets)
            ax.set_xticklabels([str(b) for b in budgets])
            ax.set_title("average over tasks" if t == "avg" else t)
            ax.set_xlabel("KV budget per head")
            ax.set_ylim(-0.02, 1.02)
            ax.grid(alpha=0.3)
        axes[0].set_ylabel("accuracy")
        axes[0].legend(fontsize=7, loc="lower right")
        fig.suptitle("Accuracy vs KV budget (prompt lengths %s, %d samples per task and length)" % (
            args.lengths, args.samples))
        fig.tight_layout()
        p = os.path.join(out, "accuracy_vs_budget.png")
        fig.savefig(p, dpi=90)
        plt.close(fig)
        files.append(p)
    niah = [r for r in rows if r["section"] == "niah"]
    if niah:
        lengths = sorted({r["length"] for r in niah})
        depths = sorted({r["depth"] for r in niah})
        pols = [p for p in ALL_POLICIES if any(r["policy"] == p for r in niah)]
        fig, axes = plt.subplots(1, len(pols), figsize=(2.6 * len(pols), 3.2))
        for ax, pol in zip(np.atleast_1d(axes), pols):
            m = np.full((len(depths), len(lengths)), np.nan)
            for i, d in enumerate(depths):
                for j, n in enumerate(lengths):
                    v = [r["correct"] for r in niah if r["policy"] == pol and r["depth"] == d and r["length"] == n]
                    if v:
                        m[i, j] = np.mean(v)
            ax.imshow(m, vmin=0, vmax=1, cmap="RdYlGn", aspect="auto")
            for i in range(len(depths)):
                for j in range(len(lengths)):
                    if not np.isnan(m[i, j]):
                        ax.text(j, i, "%.0f" % (100 * m[i, j]), ha="center", va="center", fontsize=7)
            ax.set_xticks(range(len(lengths)))
            ax.set_xticklabels([str(n) for n in lengths], rotation=45, fontsize=7)
            ax.set_yticks(range(len(depths)))
            ax.set_yticklabels(["%.0f%%" % (100 * d) for d in depths], fontsize=7)
            ax.set_title(pol + ("" if pol in ("none", "full") else " @%d" % args.niah_budget), fontsize=9)
            ax.set_xlabel("prompt tokens", fontsize=8)
        np.atleast_1d(axes)[0].set_ylabel("needle depth")
        fig.suptitle("Passkey retrieval (%% correct), budget %d per head" % args.niah_budget)
        fig.tight_layout()
        p = os.path.join(out, "niah_heatmaps.png")
        fig.savefig(p, dpi=90)
        plt.close(fig)
        files.append(p)
        # seconds and peak KV memory vs prompt length
        fig, axes = plt.subplots(1, 2, figsize=(10, 3.8))
        for pol in pols:
            xs, sec, kv = [], [], []
            for n in lengths:
                v = [r for r in niah if r["policy"] == pol and r["length"] == n and not r["reused"]]
                if v:
                    xs.append(n)
                    sec.append(np.mean([r["seconds"] for r in v]))
                    kv.append(np.mean([float(r["kv_bytes_peak"]) for r in v]) / 2**20)
            axes[0].plot(xs, sec, marker="o", color=colors[pol], label=pol)
            axes[1].plot(xs, kv, marker="o", color=colors[pol], label=pol)
        for ax, yl in zip(axes, ["seconds per generation (8 tokens)", "peak KV memory (MiB)"]):
            ax.set_xscale("log", base=2)
            ax.set_yscale("log")
            ax.set_xticks(lengths)
            ax.set_xticklabels([str(n) for n in lengths])
            ax.set_xlabel("prompt tokens")
            ax.set_ylabel(yl)
            ax.grid(alpha=0.3)
        axes[0].legend(fontsize=7)
        fig.suptitle("Cost vs prompt length (passkey, budget %d, %d CPU thread(s))" % (
            args.niah_budget, args.threads))
        fig.tight_layout()
        p = os.path.join(out, "cost_vs_length.png")
        fig.savefig(p, dpi=90)
        plt.close(fig)
        files.append(p)
    return files


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--model", default=os.path.join(REPO, "models", "demo"))
    ap.add_argument("--bin", default=os.path.join(REPO, "build", "maskkv"))
    ap.add_argument("--profile", default=None, help="MaskKV profile (default MODEL/maskkv_profile.json; '' = --online)")
    ap.add_argument("--out", default=os.path.join(REPO, "build", "eval"))
    ap.add_argument("--seed", type=int, default=2025)
    ap.add_argument("--tasks", default=",".join(synth.TASKS))
    ap.add_argument("--policies", default=",".join(ALL_POLICIES))
    ap.add_argument("--budgets", default="16,32,64,128,256,512")
    ap.add_argument("--lengths", default="256,512,1024")
    ap.add_argument("--samples", type=int, default=8)
    ap.add_argument("--niah-lengths", default="256,512,1024,2048,4096")
    ap.add_argument("--niah-depths", default="0,0.25,0.5,0.75,1")
    ap.add_argument("--niah-samples", type=int, default=2)
    ap.add_argument("--niah-budget", type=int, default=256)
    ap.add_argument("--long-lengths", default="2048,4096")
    ap.add_argument("--long-tasks", default=",".join(synth.TASKS))
    ap.add_argument("--long-samples", type=int, default=3)
    ap.add_argument("--long-budget", type=int, default=256)
    ap.add_argument("--none-max-len", type=int, default=4096, help="skip policy none above this length")
    ap.add_argument("--jobs", type=int, default=2, help="CLI processes in parallel")
    ap.add_argument("--threads", type=int, default=1, help="--threads of each CLI process")
    ap.add_argument("--quick", action="store_true", help="CI size: 2 samples at 256, few budgets")
    ap.add_argument("--floor", type=float, default=None, help="fail unless full-cache avg >= this")
    ap.add_argument("--no-plots", action="store_true")
    ap.add_argument("--from-csv", default="", help="re-render tables and plots from a results.csv")
    args = ap.parse_args()
    if args.quick:
        args.samples, args.lengths, args.budgets = 2, "256", "16,64"
        args.niah_lengths, args.niah_depths, args.niah_samples = "256,512", "0,0.5,1", 1
        args.long_lengths = ""
    for opt, tasks_at, lens in (("--lengths", args.tasks, args.lengths), ("--niah-lengths", "passkey", args.niah_lengths),
                                ("--long-lengths", args.long_tasks, args.long_lengths)):
        names = [t for t in tasks_at.split(",") if t]
        unknown = [t for t in names if t not in synth.TASKS]
        if unknown:
            ap.error("unknown task %s (tasks: %s)" % (", ".join(unknown), ",".join(synth.TASKS)))
        for n in (ints(lens) if lens else []):
            bad = synth.too_short(names, n)
            if bad:
                ap.error("%s: %d tokens is too short for %s (needs %d)" % (
                    opt, n, ", ".join(bad), max(synth.MIN_TOKENS[t] for t in bad)))
    if args.profile is None:
        args.profile = os.path.join(args.model, "maskkv_profile.json")
    os.makedirs(args.out, exist_ok=True)
    tok = bpe.Tokenizer.load(os.path.join(args.model, "tokenizer.json"))
    tasks = [t for t in args.tasks.split(",") if t]
    t0 = time.time()
    if args.from_csv:
        with open(args.from_csv) as f:
            rows = list(csv.DictReader(f))
        for r in rows:
            r["length"], r["sample"], r["reused"] = int(r["length"]), int(r["sample"]), int(r["reused"])
            r["budget"] = int(r["budget"]) if r["budget"] != "" else ""
            r["depth"] = float(r["depth"]) if r["depth"] != "" else ""
            r["correct"], r["seconds"] = float(r["correct"]), float(r["seconds"])
        wall = 0.0
    else:
        samples, jobs = make_jobs(args, tok)
        for s in samples.values():
            if len(s["prompt_ids"]) > s["n_tokens"] + 1 or len(s["prompt_ids"]) < s["n_tokens"] - 1:
                raise AssertionError("sample length %d != %d" % (len(s["prompt_ids"]), s["n_tokens"]))
        rows = run_all(args, tok, samples, jobs)
        wall = time.time() - t0
        with open(os.path.join(args.out, "results.csv"), "w", newline="") as f:
            w = csv.DictWriter(f, fieldnames=FIELDS)
            w.writeheader()
            w.writerows(rows)
    commit = subprocess.run(["git", "-C", REPO, "rev-parse", "--short", "HEAD"], capture_output=True,
                            text=True).stdout.strip()
    dirty = subprocess.run(["git", "-C", REPO, "status", "--porcelain", "--untracked-files=no"],
                           capture_output=True, text=True).stdout.strip() != ""
    main_t = acc_table(rows, "main", tasks)
    long_t = acc_table(rows, "long", tasks)
    main_p, long_p = pooled(rows, "main"), pooled(rows, "long")
    md = [format_table(main_t, tasks, "Accuracy at prompt lengths %s (%d samples per task and length)" % (
        args.lengths, args.samples), main_p)]
    if long_t:
        md.append(format_table(long_t, tasks, "Accuracy at prompt lengths %s (%d samples per task and length, budget %d)" % (
            args.long_lengths, args.long_samples, args.long_budget), long_p))
    md.append(versus_table(main_p, ints(args.budgets),
                           "MaskKV vs each baseline: accuracy at lengths %s, and MaskKV's paired difference "
                           "with its 95%% interval" % args.lengths))
    if long_t:
        md.append(versus_table(long_p, [args.long_budget],
                               "MaskKV vs each baseline at lengths %s" % args.long_lengths))
    md.append(fidelity_table(rows, "main", ints(args.budgets),
                             "Agreement with the full-cache output (same 8 tokens), lengths %s" % args.lengths))
    md.append(length_table(rows, "main", "Average accuracy over tasks by prompt length"))
    if long_t:
        md.append(length_table(rows, "long", "Average accuracy over tasks by prompt length (long)"))
    md.append(length_table(rows, "niah", "Passkey (needle in a haystack) accuracy by prompt length, all depths"))
    pl = per_length_table(rows, "main", ALL_POLICIES)
    files = [] if args.no_plots else plots(rows, args, tasks, args.out)
    summary = {"commit": commit + ("-dirty" if dirty else ""), "wall_seconds": round(wall, 1),
               "argv": sys.argv[1:], "settings": {k: v for k, v in vars(args).items()},
               "runs": len(rows), "main": {"%s@%s" % k: v for k, v in main_t.items()},
               "long": {"%s@%s" % k: v for k, v in long_t.items()},
               "main_by_length": {"%s@%s@%s" % k: v for k, v in pl.items()}, "plots": files}
    if not args.from_csv:  # a re-render keeps the measured run's summary
        with open(os.path.join(args.out, "summary.json"), "w") as f:
            json.dump(summary, f, indent=1)
    with open(os.path.join(args.out, "tables.md"), "w") as f:
        f.write("\n\n".join(md) + "\n")
    print("\n\n".join(md))
    print("\n%d generations in %.0f s; commit %s%s; wrote %s" % (
        len(rows), wall, commit, " (dirty)" if dirty else "", args.out))
    full = main_t.get(("full", ""), {}).get("avg")
    if args.floor is not None:
        if full is None or full < args.floor:
            print("FAIL: full-cache average accuracy %s < floor %.3f" % (full, args.floor))
            return 1
        print("OK: full-cache average accuracy %.3f >= floor %.3f" % (full, args.floor))
    return 0


if __name__ == "__main__":
    sys.exit(main())
