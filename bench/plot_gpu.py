#!/usr/bin/env python3
"""Plots bench_gpu CSVs (docs/performance.md): seconds per generation and peak GPU memory
against prompt length, one line per policy, like Figure 4 of the MaskKV paper.

  /usr/bin/python3 bench/plot_gpu.py OUT.png CSV [CSV ...] [--gen 32] [--per-step-none CSV]
      [--torch CSV]

--per-step-none names a CSV of `none` runs with a shorter gen_length: their time per step times
the plotted gen_length is drawn as a hollow marker, labelled an extrapolation. --torch adds the
PyTorch baseline's variants (bench/torch_baseline.py CSV) as dashed lines.
"""
import argparse
import csv

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


def rows(paths):
    out = []
    for p in paths:
        with open(p) as f:
            out += list(csv.DictReader(f))
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("csv", nargs="+")
    ap.add_argument("--gen", type=int, default=32)
    ap.add_argument("--per-step-none", default=None)
    ap.add_argument("--torch", default=None)
    a = ap.parse_args()
    data = [r for r in rows(a.csv) if int(r["gen"]) == a.gen]
    fig, (ax_t, ax_m) = plt.subplots(1, 2, figsize=(11, 4.2))
    for policy in dict.fromkeys(r["policy"] for r in data):
        pts = sorted((int(r["prompt"]), float(r["seconds"]), int(r["gpu_peak_bytes"]) / 2**30)
                     for r in data if r["policy"] == policy)
        xs = [p[0] for p in pts]
        line, = ax_t.plot(xs, [p[1] for p in pts], "o-", label=policy)
        ax_m.plot(xs, [p[2] for p in pts], "o-", color=line.get_color(), label=policy)
    if a.per_step_none:
        for r in rows([a.per_step_none]):
            est = float(r["seconds"]) / int(r["gen"]) * a.gen
            ax_t.plot([int(r["prompt"])], [est], "o", mfc="none", color="C0",
                      label="none (from %d steps)" % int(r["gen"]))
            ax_m.plot([int(r["prompt"])], [int(r["gpu_peak_bytes"]) / 2**30], "o", mfc="none", color="C0")
    if a.torch:
        data_t = [r for r in rows([a.torch]) if int(r["gen"]) == a.gen]
        for variant in dict.fromkeys(r["variant"] for r in data_t):
            pts = sorted((int(r["prompt"]), float(r["seconds"]), int(r["gpu_peak_bytes"]) / 2**30)
                         for r in data_t if r["variant"] == variant)
            line, = ax_t.plot([p[0] for p in pts], [p[1] for p in pts], "s--", label="PyTorch " + variant)
            ax_m.plot([p[0] for p in pts], [p[2] for p in pts], "s--", color=line.get_color())
    for ax in (ax_t, ax_m):
        ax.set_xscale("log", base=2)
        ax.set_xlabel("prompt tokens")
        ax.grid(alpha=0.3)
    ax_t.set_yscale("log")
    ax_t.set_ylabel("seconds per generation (gen %d)" % a.gen)
    ax_m.set_ylabel("peak GPU memory, GiB (weights included)")
    ax_t.legend(fontsize=8)
    fig.suptitle("LLaDA-8B-shaped model, bf16, one H100: time and memory vs prompt length")
    fig.tight_layout()
    fig.savefig(a.out, dpi=120)


if __name__ == "__main__":
    main()
