#!/usr/bin/python3
"""Probes whether a trained demo-model checkpoint binds keys to values: for fresh prompts of a
task at a given length it reports, at the first response slot (all slots masked), the mean
probability of the right answer, the accuracy of the argmax, and how much probability sits on
the values present in the prompt. A model that copies *a* value from the prompt without knowing
*which* shows a high context mass with accuracy near 1 / (number of values in the prompt).
For the `pairs` task the probed slot is instead the value of the last pair whose key recurs,
masked in the prompt: the lookup LLaDA's pre-training objective trains on that task.

  /usr/bin/python3 tools/train/probe_binding.py MODEL_DIR [kv@24,kv@64,...] [--samples 64]
"""
import argparse
import json
import os
import sys

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np
import torch

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, REPO)
from tools.tasks import synth, bpe  # noqa: E402
from tools.train import train_demo_model as trainer  # noqa: E402


def recurring_value_slot(ids, values):
    """Position of the last value in a pair list whose key occurred before it, or None."""
    seen, slot = set(), None
    for i in range(1, len(ids)):
        if ids[i] in values and ids[i - 1] not in values:
            if ids[i - 1] in seen:
                slot = i
            seen.add(ids[i - 1])
    return slot


def probe(model, tok, task, n, samples, seed):
    """Question tasks: the first response slot. `pairs`: the value of the last recurring pair,
    masked in the prompt (the lookup the pre-training objective trains)."""
    rng = np.random.default_rng([seed, n])
    built = [synth.build(task, rng, n, tok) for _ in range(samples)]
    built = [s for s in built if len(s["prompt_ids"]) == n]
    mask = tok.special[synth.MASK]
    values = {tok.encode(" " + v)[0] for v in synth.VALUES}
    if task == "pairs":
        slots = [recurring_value_slot(s["prompt_ids"], values) for s in built]
        built, slots = [s for s, j in zip(built, slots) if j], [j for j in slots if j]
        answers = [s["prompt_ids"][j] for s, j in zip(built, slots)]
    else:
        slots = [n] * len(built)
        answers = [s["answer_ids"][0] for s in built]
    if not built:
        raise SystemExit("probe_binding: no %s prompt of exactly %d tokens to probe; try a longer one" % (task, n))
    x = torch.cat([torch.tensor([s["prompt_ids"] for s in built]),
                   torch.full((len(built), synth.GEN_LENGTH), mask)], 1)
    rows, cols = torch.arange(len(built)), torch.tensor(slots)
    x[rows, cols] = mask
    with torch.no_grad():
        p = torch.softmax(model(x).float()[rows, cols], -1)
    answer = torch.tensor(answers)
    present = [sorted(set(s["prompt_ids"]) & values) for s in built]
    return {"task": task, "length": n, "samples": len(built),
            "p_answer": float(p[rows, answer].mean()),
            "argmax_accuracy": float((p.argmax(-1) == answer).float().mean()),
            "context_value_mass": float(np.mean([float(p[i, present[i]].sum()) for i in range(len(built))])),
            "values_in_prompt": float(np.mean([len(v) for v in present]))}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("model")
    ap.add_argument("cells", nargs="?", default="kv@24,kv@32,kv@64", help="task@length,...")
    ap.add_argument("--samples", type=int, default=64)
    ap.add_argument("--seed", type=int, default=99)
    a = ap.parse_args()
    try:
        cells = trainer.parse_cells(a.cells)
        if not cells:
            raise ValueError("cell '': want task@length")
    except ValueError as e:
        ap.error(str(e))
    if a.samples < 1:
        ap.error("--samples: at least 1")
    for f in ("config.json", "model.safetensors", "tokenizer.json"):
        if not os.path.isfile(os.path.join(a.model, f)):
            ap.error("%s: no %s (want a model directory written by tools/train/train_demo_model.py)" % (a.model, f))
    torch.set_num_threads(1)
    with open(os.path.join(a.model, "config.json")) as f:
        cfg = json.load(f)
    model = trainer.DemoLM(cfg)
    trainer.load_weights(model, a.model)
    model.eval()
    tok = bpe.Tokenizer.load(os.path.join(a.model, "tokenizer.json"))
    for task, n in cells:
        print(json.dumps(probe(model, tok, task, n, a.samples, a.seed)), flush=True)


if __name__ == "__main__":
    main()
