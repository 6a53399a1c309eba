#!/usr/bin/python3
"""Trains maskkv's demo model: a small LLaDA-architecture masked diffusion LM for the synthetic
long-context retrieval tasks of tools/tasks/synth.py, plus its byte-level BPE tokenizer.

  /usr/bin/python3 tools/train/train_demo_model.py --out models/demo            # CPU (slow)
  python3 tools/train/train_demo_model.py --out DIR --device cuda --steps 4000  # GPU (minutes)

What it does, deterministically for a given --seed:
1. Tokenizer: byte-level BPE trained to completion on task text (tools/tasks/bpe.py), so every
   key, value and word of the tasks is one token; specials <|endoftext|> (EOS/pad),
   <|startoftext|> (BOS), <|mask|>, <|eot_id|> follow the BPE vocabulary. Writes tokenizer.json.
2. Model: LLaDA/OLMo layout (RMSNorm, rotate-half RoPE, bidirectional attention, SwiGLU, untied
   LM head, no biases), with LLaDA's Hugging Face tensor names.
3. Objective: LLaDA SFT. Prompt clean; the response (answer tokens then EOS up to the
   generation length) is masked token by token with probability t ~ U(t_min, 1) per sample (t_min 1e-3);
   cross-entropy on masked positions weighted 1/t, summed and divided by (batch x gen length).
   With --pretrain-frac F, a fraction F of the steps use LLaDA's pre-training objective instead
   (every token of prompt and response maskable, divided by batch x sequence length), on tasks
   drawn with --pretrain-weights (e.g. only the recurring-pairs task).
4. Curriculum: the prompt length of each batch is drawn log-uniformly in [min_len, cap(step)],
   cap growing from --start-len to --max-len over the first --ramp fraction of steps; tasks are
   drawn uniformly per sample; the batch holds about --batch-tokens tokens (mixed lengths
   across consecutive batches; the optimiser sees every length range at once after the ramp).
5. AdamW (no weight decay), lr warm-up then cosine, gradient clipping 1.0, bf16 autocast on GPU.
6. Writes config.json, model.safetensors (bf16), tokenizer.json and train_log.json (settings,
   loss curve, final loss, greedy accuracy per task and length) to --out; checkpoints
   (train_state.pt) every --ckpt-every seconds so that a run can be resumed with --resume.
"""
import argparse
import contextlib
import json
import math
import os
import sys
import time

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, REPO)
from tools.tasks import synth, bpe  # noqa: E402
from tools.reference.checkpoint import write_safetensors  # noqa: E402
from tools.reference.model import ModelSpec, rms_norm, rope_tables, run_layers  # noqa: E402


# ---------------------------------------------------------------------------------------------
def make_tokenizer(seed):
    rng = np.random.default_rng([seed, 7])
    vocab, merges = bpe.train(synth.corpus(rng, 3000))
    tok = bpe.Tokenizer(vocab, merges)
    for w in synth.KEYS + synth.VALUES:
        assert len(tok.encode(" " + w)) == 1, w
    return tok


class Block(nn.Module):
    def __init__(self, d, h, h_kv, mlp, bias):
        super().__init__()
        hd = d // h
        self.attn_norm = nn.Parameter(torch.ones(d))
        self.q_proj = nn.Linear(d, d, bias=bias)
        self.k_proj = nn.Linear(d, h_kv * hd, bias=bias)
        self.v_proj = nn.Linear(d, h_kv * hd, bias=bias)
        self.attn_out = nn.Linear(d, d, bias=False)
        self.ff_norm = nn.Parameter(torch.ones(d))
        self.ff_proj = nn.Linear(d, mlp, bias=False)
        self.up_proj = nn.Linear(d, mlp, bias=False)
        self.ff_out = nn.Linear(mlp, d, bias=False)

    # the layer interface of tools/reference/model.py (run_layers)
    @property
    def ffn_norm(self):
        return self.ff_norm

    def qkv(self, h):
        return self.q_proj(h), self.k_proj(h), self.v_proj(h)

    def out(self, a):
        return self.attn_out(a)

    def mlp(self, h):
        return self.ff_out(F.silu(self.ff_proj(h)) * self.up_proj(h))


def autocast(amp):
    return torch.autocast("cuda", dtype=torch.bfloat16) if amp else contextlib.nullcontext()


class DemoLM(nn.Module):
    """The demo model of either family, from its config.json (see config_for): LLaDA (OLMo
    names, no biases, full attention heads) or Dream (Qwen2 names, q/k/v biases, GQA, and the
    logit shift: the token at position p is predicted from the output at p - 1)."""

    def __init__(self, cfg):
        super().__init__()
        self.cfg = cfg
        self.dream = str(cfg.get("model_type", "")).lower() == "dream"
        if self.dream:
            d, V, H = cfg["hidden_size"], cfg["vocab_size"], cfg["num_attention_heads"]
            Hkv, L, mlp = cfg["num_key_value_heads"], cfg["num_hidden_layers"], cfg["intermediate_size"]
        else:
            d, V, H = cfg["d_model"], cfg["embedding_size"], cfg["n_heads"]
            Hkv, L, mlp = cfg["n_kv_heads"], cfg["n_layers"], cfg["mlp_hidden_size"]
        self.d, self.H, self.Hkv, self.n_layers = d, H, Hkv, L
        self.spec = ModelSpec(cfg)
        self.eps = self.spec.eps
        self.wte = nn.Embedding(V, d)
        self.blocks = nn.ModuleList(Block(d, H, Hkv, mlp, self.dream) for _ in range(L))
        self.ln_f = nn.Parameter(torch.ones(d))
        self.lm_head = nn.Linear(d, V, bias=False)
        std = 0.02
        for n, p in self.named_parameters():
            if p.dim() == 2:
                s = std / math.sqrt(2 * L) if n.endswith(("attn_out.weight", "ff_out.weight")) and "blocks" in n else std
                nn.init.normal_(p, 0.0, s)
            elif n.endswith("bias"):
                nn.init.zeros_(p)
        self._rope = {}

    def rope(self, n, device):
        key = (n, str(device))
        if key not in self._rope:
            self._rope[key] = rope_tables(self.spec, n, device=device)
        return self._rope[key]

    def hidden(self, ids):
        """Final-norm hidden states [B, n, d] (the LM head is applied by the callers, on the
        rows they read): tools/reference/model.py's layer loop over this model's blocks, with
        torch's fused attention where it has it."""
        cos, sin = self.rope(ids.shape[1], ids.device)
        x = run_layers(self.spec, self.blocks, self.wte(ids), cos, sin, fused=True)
        return rms_norm(x, self.ln_f, self.eps)

    def source_of(self, pos):
        """The output positions whose logits predict the tokens at `pos` (a tensor): the same
        for LLaDA, one to the left for Dream (position 0 keeps its own)."""
        return (pos - 1).clamp(min=0) if self.dream else pos

    def forward(self, ids, logits_at=None):
        """Logits that predict the tokens at positions `logits_at` (a slice; default all)."""
        x = self.hidden(ids)
        pos = torch.arange(ids.shape[1], device=ids.device)
        if logits_at is not None:
            pos = pos[logits_at]
        return self.lm_head(x[:, self.source_of(pos)])

    def hf_parameters(self):
        """{tensor name in the family's checkpoint layout: parameter}."""
        if self.dream:
            t = {"model.embed_tokens.weight": self.wte.weight, "model.norm.weight": self.ln_f,
                 "lm_head.weight": self.lm_head.weight}
            names = {"attn_norm": "input_layernorm", "ff_norm": "post_attention_layernorm",
                     "q_proj": "self_attn.q_proj", "k_proj": "self_attn.k_proj", "v_proj": "self_attn.v_proj",
                     "attn_out": "self_attn.o_proj", "ff_proj": "mlp.gate_proj", "up_proj": "mlp.up_proj",
                     "ff_out": "mlp.down_proj"}
            prefix = "model.layers.%d."
        else:
            t = {"model.transformer.wte.weight": self.wte.weight,
                 "model.transformer.ln_f.weight": self.ln_f,
                 "model.transformer.ff_out.weight": self.lm_head.weight}
            names = {n: n for n in ("attn_norm", "ff_norm", "q_proj", "k_proj", "v_proj", "attn_out",
                                    "ff_proj", "up_proj", "ff_out")}
            prefix = "model.transformer.blocks.%d."
        for i, b in enumerate(self.blocks):
            p = prefix % i
            for own, hf in names.items():
                m = getattr(b, own)
                if isinstance(m, nn.Parameter):
                    t[p + hf + ".weight"] = m
                    continue
                t[p + hf + ".weight"] = m.weight
                if m.bias is not None:
                    t[p + hf + ".bias"] = m.bias
        return t

    def hf_tensors(self):
        return {k: v.detach().float().cpu().numpy() for k, v in self.hf_parameters().items()}

    def load_hf_tensors(self, tensors):
        """Copies a model directory's tensors (the family's names) into this model."""
        with torch.no_grad():
            for k, p in self.hf_parameters().items():
                if k not in tensors:
                    raise KeyError("missing tensor %s" % k)
                p.copy_(torch.from_numpy(np.asarray(tensors[k], dtype=np.float32)))


# ---------------------------------------------------------------------------------------------
def length_for(step, args, rng):
    f = min(1.0, max(0.0, step / max(1, args.steps) - args.hold) / max(1e-9, args.ramp - args.hold))
    cap = args.start_len * (args.max_len / args.start_len) ** f
    lo = min(args.min_len, cap)
    n = math.exp(rng.uniform(math.log(lo), math.log(cap)))
    return max(args.min_len, int(n) // 16 * 16)


def is_pretrain_step(step, args):
    return args.pretrain_frac > 0 and np.random.default_rng([args.seed, 2, step]).random() < args.pretrain_frac


def key_pool(step, args):
    """The nouns keys are drawn from at `step`: the first --key-pool of synth.KEYS, doubled every
    --key-pool-every steps up to all of them (0: all from the start)."""
    if not args.key_pool:
        return None
    k = args.key_pool * 2 ** (step // max(1, args.key_pool_every))
    return None if k >= len(synth.KEYS) else synth.KEYS[:k]


def make_batch(step, args, tok):
    """(prompt ids, response ids, whether the step is on the pre-training objective)."""
    rng = np.random.default_rng([args.seed, 1, step])
    keys = key_pool(step, args)
    n = length_for(step, args, rng)
    bs = int(min(args.max_batch, max(args.min_batch, args.batch_tokens // (n + synth.GEN_LENGTH))))
    pre = is_pretrain_step(step, args)
    task_p = args.pretrain_p if pre else args.task_p
    xs, ys = [], []
    for _ in range(bs):
        task = synth.TRAIN_TASKS[rng.choice(len(synth.TRAIN_TASKS), p=task_p)]
        s = synth.build(task, rng, n, tok, keys=keys)
        ids = s["prompt_ids"]
        if len(ids) < n:  # rare one short from punctuation merges (build() never returns more)
            ids = ids + [tok.special[synth.BOS]] * (n - len(ids))
        xs.append(ids)
        ys.append(synth.response_ids(s, tok))
    return torch.tensor(xs), torch.tensor(ys), pre


class Batches(torch.utils.data.IterableDataset):
    def __init__(self, args, tok, start):
        self.args, self.tok, self.start = args, tok, start

    def __iter__(self):
        wi = torch.utils.data.get_worker_info()
        nw, w = (wi.num_workers, wi.id) if wi else (1, 0)
        step = self.start + w
        while step < self.args.steps:
            yield step, make_batch(step, self.args, self.tok)
            step += nw


def masked_diffusion_loss(model, prompt, resp, mask_id, device, amp, t_min=1e-3, whole=False,
                          aux_next=0.0):
    """LLaDA's objective: each maskable token masked with probability t ~ U(t_min, 1) per
    sample, cross-entropy on the masked ones weighted 1/t, summed and divided by (batch x
    maskable length). SFT (whole=False): the response is maskable and the prompt stays clean.
    Pre-training (whole=True): prompt and response alike.

    aux_next > 0 adds, with that weight, the mean cross-entropy of every unmasked position
    predicting the token that follows it. Where that token is masked (a key followed by its
    hidden value), this trains the "find my earlier occurrence and copy what came after it"
    half of key->value binding directly; the masked slot then only has to read its neighbour.
    The engine never reads logits at unmasked positions, so inference is unchanged. For Dream
    (logit shift) the output at p is the one that predicts p + 1 anyway: the auxiliary term adds
    that prediction at every unmasked p, whether p + 1 is masked or not. The LM head runs once,
    on the rows either term reads. Returns (loss, auxiliary cross-entropy or None)."""
    x0 = torch.cat([prompt, resp], 1)
    B, L = x0.shape
    start = 0 if whole else prompt.shape[1]
    t = torch.rand(B, 1, device=device) * (1 - t_min) + t_min
    m = torch.rand(B, L - start, device=device) < t
    target = x0[:, start:]
    x = torch.cat([x0[:, :start], torch.where(m, torch.full_like(target, mask_id), target)], 1)
    V = model.lm_head.out_features
    first = max(start, 1) if model.dream else start  # Dream: position 0 has no left neighbour
    src = model.source_of(torch.arange(first, L, device=device))
    with autocast(amp):
        h = model.hidden(x)
        logits = model.lm_head(h if aux_next > 0 else h[:, src])
    slot_logits = logits[:, src] if aux_next > 0 else logits
    ce = F.cross_entropy(slot_logits.float().reshape(-1, V), x0[:, first:].reshape(-1), reduction="none").view(B, -1)
    masked = m[:, first - start:]
    loss = ((ce / t) * masked).sum() / (B * (L - start))
    if aux_next <= 0:
        return loss, None
    full_mask = torch.cat([torch.zeros(B, start, dtype=torch.bool, device=device), m], 1)
    unmasked = ~full_mask[:, :-1]  # position i, predicting x0[i + 1]
    ce2 = F.cross_entropy(logits[:, :-1].float().reshape(-1, V), x0[:, 1:].reshape(-1),
                          reduction="none").view(B, L - 1)
    aux = (ce2 * unmasked).sum() / unmasked.sum().clamp(min=1)
    return loss + aux_next * aux, aux


@torch.no_grad()
def greedy(model, prompts, mask_id, gen, device, amp):
    """LLaDA low-confidence remasking, temperature 0, one block, one token per step."""
    x = torch.cat([prompts, torch.full((prompts.shape[0], gen), mask_id, dtype=torch.long)], 1).to(device)
    n = prompts.shape[1]
    for _ in range(gen):
        with autocast(amp):
            lg = model(x, logits_at=slice(n, n + gen)).float()
        p = torch.softmax(lg, -1)
        conf, pred = p.max(-1)
        masked = x[:, n:] == mask_id
        conf = torch.where(masked, conf, torch.full_like(conf, -1.0))
        j = conf.argmax(-1)
        rows = torch.arange(x.shape[0], device=device)
        x[rows, n + j] = pred[rows, j]
    return x[:, n:].cpu().tolist()


def evaluate(model, tok, args, device, amp, lengths, per=32, seed=12345):
    """Greedy accuracy per task and length; the training-only tasks too when trained on. A task
    is left out at lengths below its synth.MIN_TOKENS."""
    model.eval()
    res = {}
    tasks = [t for t, p in zip(synth.TRAIN_TASKS, args.task_p) if t in synth.TASKS or p > 0]
    for task in tasks:
        for n in lengths:
            if synth.too_short([task], n):
                continue
            rng = np.random.default_rng([seed, synth.TRAIN_TASKS.index(task), n])
            samples = [synth.build(task, rng, n, tok) for _ in range(per)]
            samples = [s for s in samples if len(s["prompt_ids"]) == n]
            bs = max(1, min(len(samples), 65536 // n))
            acc = 0.0
            for i in range(0, len(samples), bs):
                chunk = samples[i:i + bs]
                outs = greedy(model, torch.tensor([s["prompt_ids"] for s in chunk]),
                              tok.special[synth.MASK], synth.GEN_LENGTH, device, amp)
                acc += sum(synth.score(s, o, tok) for s, o in zip(chunk, outs))
            res["%s@%d" % (task, n)] = acc / max(1, len(samples))
    model.train()
    return res


def parse_cells(text):
    """'task@length,...' -> [(task, length)], checked against synth (ValueError naming the cell);
    '' -> no cells."""
    cells = []
    for c in (text.split(",") if text else []):
        task, _, n = c.partition("@")
        if task not in synth.TRAIN_TASKS or not n.isdigit():
            raise ValueError("cell %r: want task@length with a task of %s" % (c, ",".join(synth.TRAIN_TASKS)))
        if synth.too_short([task], int(n)):
            raise ValueError("cell %r: %s needs at least %d tokens" % (c, task, synth.MIN_TOKENS[task]))
        cells.append((task, int(n)))
    return cells


def binding_probe(model, tok, cells, device, samples=32, seed=99):
    """tools/train/probe_binding.py's report for each cell, on the model being trained."""
    from tools.train.probe_binding import probe
    model.eval()
    out = {"%s@%d" % (t, n): {k: round(v, 4) for k, v in probe(model, tok, t, n, samples, seed).items()
                                if k in ("p_answer", "argmax_accuracy", "context_value_mass")}
           for t, n in cells}
    model.train()
    return out


def load_weights(model, model_dir):
    """Copies a model directory's tensors into `model`."""
    from tools.reference.checkpoint import load_model_dir
    _, tensors, _ = load_model_dir(model_dir)
    model.load_hf_tensors(tensors)


def config_for(args, tok):
    """config.json of the chosen family (args.family: llada or dream) with the demo tokenizer's
    special ids."""
    V = tok.size
    ids = {"mask_token_id": tok.special[synth.MASK], "eos_token_id": tok.special[synth.EOS],
           "pad_token_id": tok.special[synth.EOS], "bos_token_id": tok.special[synth.BOS],
           "eot_token_id": tok.special[synth.EOT]}
    kv_heads = getattr(args, "n_kv_heads", 0) or args.n_heads
    if getattr(args, "family", "llada") == "dream":
        return {
            "model_type": "Dream", "architectures": ["DreamModel"],
            "hidden_size": args.d_model, "num_attention_heads": args.n_heads,
            "num_key_value_heads": kv_heads, "num_hidden_layers": args.n_layers,
            "intermediate_size": args.mlp, "vocab_size": V, "max_position_embeddings": args.max_seq,
            "rope_theta": args.rope_theta, "rms_norm_eps": 1e-6, "tie_word_embeddings": False,
            **ids, "hidden_act": "silu", "attention_dropout": 0.0, "rope_scaling": None,
            "use_cache": False, "use_sliding_window": False, "torch_dtype": "bfloat16",
        }
    return {
        "model_type": "llada", "architectures": ["LLaDAModelLM"],
        "d_model": args.d_model, "n_heads": args.n_heads, "n_kv_heads": kv_heads,
        "n_layers": args.n_layers, "mlp_hidden_size": args.mlp, "mlp_ratio": args.mlp / args.d_model,
        "vocab_size": V, "embedding_size": V, "max_sequence_length": args.max_seq,
        "rope_theta": args.rope_theta, "rms_norm_eps": 1e-5, "weight_tying": False,
        "include_bias": False, **ids,
        "activation_type": "silu", "block_type": "llama", "layer_norm_type": "rms", "rope": True,
        "attention_dropout": 0.0, "use_cache": False, "torch_dtype": "bfloat16",
    }


def write_tokenizer_config(out, cfg):
    """tokenizer_config.json naming the chat template maskkv applies for --chat: the family's own
    (the demo models know only the task format; the template is there so that chat works end to
    end)."""
    with open(os.path.join(out, "tokenizer_config.json"), "w") as f:
        json.dump({"bos_token": synth.BOS, "eos_token": synth.EOS, "mask_token": synth.MASK,
                   "maskkv_chat_template": "chatml" if cfg.get("model_type") == "Dream" else "llada"}, f, indent=2)
        f.write("\n")


def export(model, tok, cfg, out, log):
    os.makedirs(out, exist_ok=True)
    with open(os.path.join(out, "config.json"), "w") as f:
        json.dump(cfg, f, indent=2)
        f.write("\n")
    tok.save(os.path.join(out, "tokenizer.json"))
    write_tokenizer_config(out, cfg)
    write_safetensors(os.path.join(out, "model.safetensors"), model.hf_tensors(), "BF16",
                      metadata={"format": "pt"})
    with open(os.path.join(out, "train_log.json"), "w") as f:
        json.dump(log, f, indent=1)
        f.write("\n")


def task_probabilities(ap, option, text):
    try:
        w = [float(x) for x in text.split(",")]
    except ValueError:
        w = []
    if not len(synth.TASKS) <= len(w) <= len(synth.TRAIN_TASKS) or min(w) < 0 or sum(w) <= 0:
        ap.error("%s: %d to %d non-negative weights (%s), not all 0"
                 % (option, len(synth.TASKS), len(synth.TRAIN_TASKS), ",".join(synth.TRAIN_TASKS)))
    w = np.array(w + [0.0] * (len(synth.TRAIN_TASKS) - len(w)))
    return (w / w.sum()).tolist()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", default=os.path.join(REPO, "models", "demo"))
    ap.add_argument("--seed", type=int, default=1234)
    ap.add_argument("--family", choices=["llada", "dream"], default="llada",
                    help="llada: OLMo layout, no biases; dream: Qwen2 layout, q/k/v biases, GQA, logit shift")
    ap.add_argument("--n-kv-heads", type=int, default=0, help="K/V heads (GQA; default --n-heads)")
    ap.add_argument("--aux-next", type=float, default=0.0,
                    help="weight of the auxiliary next-token loss at unmasked positions (0 = off)")
    ap.add_argument("--key-pool", type=int, default=0,
                    help="curriculum: draw keys from the first N nouns, doubling every --key-pool-every steps (0 = all)")
    ap.add_argument("--key-pool-every", type=int, default=2000)
    ap.add_argument("--probe-cells", default="multikey@128,kv@64",
                    help="binding probe (tools/train/probe_binding.py) cells reported at every evaluation")
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--d-model", type=int, default=192)
    ap.add_argument("--n-heads", type=int, default=6)
    ap.add_argument("--n-layers", type=int, default=6)
    ap.add_argument("--mlp", type=int, default=512)
    ap.add_argument("--rope-theta", type=float, default=10000.0)
    ap.add_argument("--max-seq", type=int, default=8192)
    ap.add_argument("--steps", type=int, default=4000)
    ap.add_argument("--lr", type=float, default=1e-3)
    ap.add_argument("--pretrain-frac", type=float, default=0.0,
                    help="fraction of steps on LLaDA's pre-training objective (whole sequence masked) "
                         "instead of SFT")
    ap.add_argument("--pretrain-weights", default="",
                    help="task weights of the pre-training steps (default: --task-weights)")
    ap.add_argument("--t-min", type=float, default=1e-3,
                    help="lowest mask ratio t of both objectives (LLaDA: 1e-3); a larger one caps the 1/t "
                         "weight, less gradient noise for small batches")
    ap.add_argument("--warmup", type=int, default=200)
    ap.add_argument("--batch-tokens", type=int, default=65536)
    ap.add_argument("--min-batch", type=int, default=8)
    ap.add_argument("--max-batch", type=int, default=256)
    ap.add_argument("--min-len", type=int, default=128)
    ap.add_argument("--start-len", type=int, default=192)
    ap.add_argument("--max-len", type=int, default=4096)
    ap.add_argument("--hold", type=float, default=0.0, help="fraction of steps at --start-len")
    ap.add_argument("--ramp", type=float, default=0.5, help="fraction of steps when --max-len is reached")
    ap.add_argument("--init-from", default="", help="start from the weights of a model directory")
    ap.add_argument("--state-dir", default="", help="where train_state.pt goes (default --out)")
    ap.add_argument("--workers", type=int, default=0)
    ap.add_argument("--time-limit", type=float, default=0, help="seconds; stop early and export")
    ap.add_argument("--ckpt-every", type=float, default=120)
    ap.add_argument("--eval-every", type=int, default=500)
    ap.add_argument("--eval-lengths", default="256,1024,4096")
    ap.add_argument("--final-per", type=int, default=64)
    ap.add_argument("--resume", default="")
    ap.add_argument("--tokenizer-only", action="store_true")
    ap.add_argument("--task-weights", default="1,1,1,1,1,1,0",
                    help="sampling weights of " + ",".join(synth.TRAIN_TASKS) + " (the last ones 0 if omitted)")
    args = ap.parse_args()
    args.task_p = task_probabilities(ap, "--task-weights", args.task_weights)
    args.pretrain_p = task_probabilities(ap, "--pretrain-weights", args.pretrain_weights or args.task_weights)
    if not 0.0 <= args.pretrain_frac <= 1.0:
        ap.error("--pretrain-frac: a fraction in [0, 1]")
    if not 0.0 < args.t_min <= 1.0:
        ap.error("--t-min: a mask ratio in (0, 1]")
    if args.aux_next < 0:
        ap.error("--aux-next: a non-negative weight")
    if args.key_pool and not synth.MIN_KEY_POOL <= args.key_pool <= len(synth.KEYS):
        ap.error("--key-pool: 0 or %d to %d nouns" % (synth.MIN_KEY_POOL, len(synth.KEYS)))
    if args.key_pool_every < 1:
        ap.error("--key-pool-every: at least 1 step")
    kv = args.n_kv_heads or args.n_heads
    if args.d_model % args.n_heads or args.n_heads % kv or (args.family == "llada" and kv != args.n_heads):
        ap.error("--n-heads must divide --d-model and --n-kv-heads must divide --n-heads "
                 "(GQA only for --family dream)")
    try:
        args.probe_cells = parse_cells(args.probe_cells)
    except ValueError as e:
        ap.error("--probe-cells: %s" % e)
    trained = [t for t, p, q in zip(synth.TRAIN_TASKS, args.task_p, args.pretrain_p)
               if p > 0 or (q > 0 and args.pretrain_frac > 0)]
    short = synth.too_short(trained, args.min_len)
    if short:
        ap.error("--min-len %d: too short for %s (needs %d tokens; see synth.MIN_TOKENS)" % (
            args.min_len, ", ".join(short), max(synth.MIN_TOKENS[t] for t in short)))

    t0 = time.time()
    torch.manual_seed(args.seed)
    np.random.seed(args.seed)
    if args.device == "cpu":
        torch.set_num_threads(1)
    device = torch.device(args.device)
    amp = device.type == "cuda"
    if amp:
        torch.backends.cuda.matmul.allow_tf32 = True
    tok = make_tokenizer(args.seed)
    cfg = config_for(args, tok)
    os.makedirs(args.out, exist_ok=True)
    if args.tokenizer_only:
        tok.save(os.path.join(args.out, "tokenizer.json"))
        print("tokenizer: %d ids" % tok.size)
        return
    model = DemoLM(cfg).to(device)
    nparam = sum(p.numel() for p in model.parameters())
    opt = torch.optim.AdamW(model.parameters(), lr=args.lr, betas=(0.9, 0.98), weight_decay=0.0)
    start = 0
    log = {"settings": vars(args), "params": nparam, "loss": [], "evals": []}
    if args.resume:
        st = torch.load(args.resume, map_location=device)
        model.load_state_dict(st["model"])
        opt.load_state_dict(st["opt"])
        start = st["step"]
        log = st["log"]
        log["resumed_at"] = start
        torch.set_rng_state(st["rng"])
        if amp and "cuda_rng" in st:
            torch.cuda.set_rng_state(st["cuda_rng"])
    if args.init_from:
        load_weights(model, args.init_from)
        log["init_from"] = args.init_from
        log["init_from_log"] = json.load(open(os.path.join(args.init_from, "train_log.json"))).get("settings") \
            if os.path.exists(os.path.join(args.init_from, "train_log.json")) else None
    print("params %d, vocab %d, device %s" % (nparam, tok.size, device), flush=True)

    def lr_at(s):
        if s < args.warmup:
            return args.lr * (s + 1) / args.warmup
        f = (s - args.warmup) / max(1, args.steps - args.warmup)
        return args.lr * (0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * min(1.0, f))))

    ds = Batches(args, tok, start)
    dl = torch.utils.data.DataLoader(ds, batch_size=None, num_workers=args.workers,
                                     persistent_workers=False)
    mask_id = tok.special[synth.MASK]
    lengths = [int(x) for x in args.eval_lengths.split(",")]
    last_ckpt = time.time()
    ema, step = None, start
    tstart = time.time() - log.get("train_seconds", 0.0)
    for step, (prompt, resp, pre) in dl:
        for g in opt.param_groups:
            g["lr"] = lr_at(step)
        prompt, resp = prompt.to(device, non_blocking=True), resp.to(device, non_blocking=True)
        loss, aux = masked_diffusion_loss(model, prompt, resp, mask_id, device, amp, args.t_min, whole=pre,
                                          aux_next=args.aux_next)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        lv = float(loss)
        ema = lv if ema is None else 0.98 * ema + 0.02 * lv
        if step % 50 == 0:
            el = time.time() - tstart
            av = float(aux) if aux is not None else float("nan")
            print("step %d len %d bs %d loss %.4f ema %.4f aux %.4f lr %.2e  %.0fs" % (
                step, prompt.shape[1], prompt.shape[0], lv, ema, av, lr_at(step), el), flush=True)
            log["loss"].append([step, prompt.shape[1], round(lv, 5), round(ema, 5), round(el, 1),
                                None if aux is None else round(av, 5)])
        if args.eval_every and step % args.eval_every == 0 and step > start:
            r = evaluate(model, tok, args, device, amp, lengths, per=16)
            pr = binding_probe(model, tok, args.probe_cells, device)
            log["evals"].append({"step": step, "acc": r, "probe": pr})
            print("eval", step, json.dumps(r), flush=True)
            print("probe", step, json.dumps(pr), flush=True)
        done_time = args.time_limit and time.time() - t0 > args.time_limit
        if time.time() - last_ckpt > args.ckpt_every or done_time:
            log["train_seconds"] = time.time() - tstart
            torch.save({"model": model.state_dict(), "opt": opt.state_dict(), "step": step + 1,
                        "log": log, "rng": torch.get_rng_state(),
                        **({"cuda_rng": torch.cuda.get_rng_state()} if amp else {})},
                       os.path.join(args.state_dir or args.out, "train_state.pt"))
            export(model, tok, cfg, args.out, log)
            last_ckpt = time.time()
        if done_time:
            print("time limit reached at step %d" % step, flush=True)
            log["stopped_early_at"] = step
            break
    log["train_seconds"] = time.time() - tstart
    log["final_step"] = step
    log["final_loss_ema"] = ema
    r = evaluate(model, tok, args, device, amp, lengths, per=args.final_per)
    log["final_eval"] = r
    avg = {n: float(np.mean([r["%s@%d" % (t, n)] for t in synth.TASKS if "%s@%d" % (t, n) in r]))
           for n in lengths if any("%s@%d" % (t, n) in r for t in synth.TASKS)}
    log["final_eval_avg"] = avg
    print("final", json.dumps(r), json.dumps(avg), flush=True)
    log["total_seconds"] = time.time() - t0
    log["torch"] = torch.__version__
    torch.save({"model": model.state_dict(), "opt": opt.state_dict(), "step": step + 1, "log": log,
                "rng": torch.get_rng_state(),
                **({"cuda_rng": torch.cuda.get_rng_state()} if amp else {})},
               os.path.join(args.state_dir or args.out, "train_state.pt"))
    export(model, tok, cfg, args.out, log)


if __name__ == "__main__":
    main()
