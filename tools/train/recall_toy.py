#!/usr/bin/python3
"""Multi-query associative recall on the demo model's architecture: the smallest experiment that
asks whether a LLaDA-layout model (RoPE, RMSNorm, bidirectional attention, no biases) learns to
bind a value to its key, and how fast.

  OPENBLAS_NUM_THREADS=1 /usr/bin/python3 tools/train/recall_toy.py --d-model 64 --n-layers 2 \\
      --n-heads 2 --lr 3e-3 --pairs 2,8 --steps 20000

Each sample is [BOS] " Pairs:" then P pairs "key value," (keys: distinct nouns of synth.KEYS,
values: numbers of synth.VALUES, single tokens of the shipped tokenizer), then "\\nQuestion:" and
every key again, each followed by a masked slot whose target is its value (P supervised lookups
per sample). With --order fixed the keys are asked in the listed order, so each answer sits at a
fixed distance from its slot and no key matching is needed (a control that any working model
learns); --order shuffled (default) asks them in random order, which needs the match.
--prev-weight W adds, at every unmasked position, cross-entropy for predicting the token before
it (forces a content-independent previous-token head at every position; 0 = off).

Every --eval-every steps it prints the training loss, the previous-token loss and the slot
accuracy on fresh samples with 2, 8 and 16 pairs (chance: one over the number of pairs).
"""
import argparse
import os
import sys
import time

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np
import torch
import torch.nn.functional as F

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, REPO)
from tools.tasks import synth, bpe  # noqa: E402
from tools.train import train_demo_model as trainer  # noqa: E402

EVAL_PAIRS = (2, 8, 16)


class Recall:
    """Sample builder on the shipped tokenizer's ids."""

    def __init__(self, tok, order, rng):
        self.keys = [tok.encode(" " + k)[0] for k in synth.KEYS]
        self.values = [tok.encode(" " + v)[0] for v in synth.VALUES]
        self.head = [tok.special[synth.BOS]] + tok.encode(" Pairs:")
        self.comma = tok.encode(",")[0]
        self.question = tok.encode("\nQuestion:")
        self.mask = tok.special[synth.MASK]
        self.order, self.rng = order, rng

    def batch(self, pairs, size):
        """(ids with masked slots [size, n], slot row index, slot column index, target ids)."""
        rows, bi, pi, ys = [], [], [], []
        for b in range(size):
            ks = self.rng.choice(len(self.keys), pairs, replace=False)
            vs = self.rng.integers(len(self.values), size=pairs)
            ids = list(self.head)
            for k, v in zip(ks, vs):
                ids += [self.keys[k], self.values[v], self.comma]
            ids += self.question
            asked = self.rng.permutation(pairs) if self.order == "shuffled" else range(pairs)
            for i in asked:
                ids += [self.keys[ks[i]], self.mask]
                bi.append(b)
                pi.append(len(ids) - 1)
                ys.append(self.values[vs[i]])
            rows.append(ids)
        return torch.tensor(rows), torch.tensor(bi), torch.tensor(pi), torch.tensor(ys)


def losses(model, x, bi, pi, y, mask_id, with_prev):
    """(slot cross-entropy, previous-token cross-entropy at the unmasked positions, or None
    unless with_prev: it costs a cross-entropy over every position and the vocabulary)."""
    logits = model(x)
    slot = F.cross_entropy(logits[bi, pi], y)
    if not with_prev:
        return slot, None
    keep = x[:, 1:] != mask_id
    prev = F.cross_entropy(logits[:, 1:].reshape(-1, logits.shape[-1]), x[:, :-1].reshape(-1),
                           reduction="none").view_as(keep)
    return slot, (prev * keep).sum() / keep.sum()


@torch.no_grad()
def accuracy(model, data, pairs, size=64):
    x, bi, pi, y = data.batch(pairs, size)
    return float((model(x)[bi, pi].argmax(-1) == y).float().mean())


def parse_pairs(ap, text):
    try:
        lo, hi = (int(v) for v in text.split(","))
    except ValueError:
        ap.error("--pairs: want MIN,MAX, e.g. 2,8")
    if not 2 <= lo <= hi <= len(synth.KEYS):
        ap.error("--pairs: 2 <= MIN <= MAX <= %d (the number of keys)" % len(synth.KEYS))
    return lo, hi


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--d-model", type=int, default=64)
    ap.add_argument("--n-heads", type=int, default=2)
    ap.add_argument("--n-layers", type=int, default=2)
    ap.add_argument("--lr", type=float, default=3e-3)
    ap.add_argument("--warmup", type=int, default=200)
    ap.add_argument("--batch", type=int, default=64, help="samples per step")
    ap.add_argument("--pairs", default="2,8", help="MIN,MAX pairs per sample (drawn per step)")
    ap.add_argument("--order", choices=["shuffled", "fixed"], default="shuffled")
    ap.add_argument("--prev-weight", type=float, default=0.0)
    ap.add_argument("--steps", type=int, default=3000)
    ap.add_argument("--eval-every", type=int, default=100)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--model", default=os.path.join(REPO, "models", "demo"), help="where tokenizer.json is")
    args = ap.parse_args(argv)
    lo, hi = parse_pairs(ap, args.pairs)
    if args.d_model < 8 or args.n_heads < 1 or args.d_model % args.n_heads or args.n_layers < 1:
        ap.error("--d-model must be a multiple of --n-heads (>= 8), --n-layers >= 1")
    if args.steps < 0 or args.batch < 1 or args.eval_every < 1 or not 0 < args.lr < 1 or args.prev_weight < 0:
        ap.error("--steps >= 0, --batch >= 1, --eval-every >= 1, 0 < --lr < 1, --prev-weight >= 0")

    torch.set_num_threads(1)
    torch.manual_seed(args.seed)
    tok = bpe.Tokenizer.load(os.path.join(args.model, "tokenizer.json"))
    rng = np.random.default_rng(args.seed)
    data = Recall(tok, args.order, rng)
    mlp = args.d_model * 8 // 3 // 8 * 8
    cfg = trainer.config_for(argparse.Namespace(d_model=args.d_model, n_heads=args.n_heads, n_layers=args.n_layers,
                                                mlp=mlp, rope_theta=1e4, max_seq=8192), tok)
    model = trainer.DemoLM(cfg)
    opt = torch.optim.AdamW(model.parameters(), lr=args.lr, betas=(0.9, 0.98), weight_decay=0.0)
    print("params %d; pairs %d-%d, order %s, prev-weight %g" % (
        sum(p.numel() for p in model.parameters()), lo, hi, args.order, args.prev_weight), flush=True)
    t0, result = time.time(), {}
    for step in range(args.steps + 1):
        for g in opt.param_groups:
            g["lr"] = args.lr * min(1.0, (step + 1) / args.warmup)
        x, bi, pi, y = data.batch(int(rng.integers(lo, hi + 1)), args.batch)
        report = step % args.eval_every == 0 or step == args.steps
        slot, prev = losses(model, x, bi, pi, y, data.mask, with_prev=args.prev_weight > 0 or report)
        loss = slot + args.prev_weight * prev if args.prev_weight else slot
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        if report:
            result = {"step": step, "slot_loss": float(slot), "prev_loss": float(prev),
                      **{"acc@%d" % p: accuracy(model, data, p) for p in EVAL_PAIRS}}
            print("step %6d  slot loss %.3f  prev loss %.3f  %s  %.0fs" % (
                step, result["slot_loss"], result["prev_loss"],
                "  ".join("acc@%d %.2f" % (p, result["acc@%d" % p]) for p in EVAL_PAIRS), time.time() - t0), flush=True)
    return result


if __name__ == "__main__":
    main()
