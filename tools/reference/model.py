"""One bidirectional transformer for LLaDA and Dream: the building blocks and the layer loop that
every Python user of the model shares (the reference samplers, the eviction and dLLM-Cache
references, the PyTorch benchmark baseline and the demo-model trainer).

Per layer: RMSNorm -> q/k/v projections (+bias for Dream) -> rotate-half RoPE -> softmax
attention with GQA and no causal mask -> output projection -> residual -> RMSNorm -> SwiGLU MLP
-> residual; then the final norm and the LM head. The arithmetic follows the engine: RMSNorm,
RoPE and the attention softmax run in float32 (or float64) even when the weights are bf16/f16,
and attention scores are multiplied by 1/sqrt(head_dim).

A layer is anything with `attn_norm` and `ffn_norm` tensors and the methods `qkv(h)`, `out(a)`
and `mlp(h)` (DenseLayer here: plain tensors; the trainer's Block: nn.Linear modules), so the
same loop serves inference from a checkpoint and training with autograd.

Model(dir).forward(ids) returns raw float32 logits for every position (no Dream shift; the
samplers apply it).
"""
import math

import numpy as np
import torch
import torch.nn.functional as F

from .checkpoint import load_model_dir

torch.set_num_threads(1)

FAMILY_LLADA = "llada"
FAMILY_DREAM = "dream"
_HALF = (torch.bfloat16, torch.float16)


class ModelSpec:
    """Dimensions and special ids, read from an HF config.json."""

    def __init__(self, config):
        mt = str(config.get("model_type", "")).lower()
        archs = [str(a).lower() for a in config.get("architectures", []) or []]
        if mt == "llada" or any("llada" in a for a in archs):
            self.family = FAMILY_LLADA
            self.d_model = int(config["d_model"])
            self.n_heads = int(config["n_heads"])
            self.n_kv_heads = int(config.get("n_kv_heads") or self.n_heads)
            self.n_layers = int(config["n_layers"])
            self.mlp_hidden = int(config["mlp_hidden_size"])
            self.vocab_size = int(config.get("embedding_size") or config["vocab_size"])
            self.max_seq_len = int(config.get("max_sequence_length", 4096))
            self.tied = bool(config.get("weight_tying", False))
            self.qkv_bias = bool(config.get("include_bias", False))
            self.eps = float(config.get("rms_norm_eps", 1e-5))
            self.mask_id = int(config.get("mask_token_id", 126336))
            self.eos_id = int(config.get("eos_token_id", 126081))
            self.eot_id = int(config.get("eot_token_id", 126348))
            self.bos_id = int(config.get("bos_token_id", 126080))
        elif mt == "dream" or any("dream" in a for a in archs):
            self.family = FAMILY_DREAM
            self.d_model = int(config["hidden_size"])
            self.n_heads = int(config["num_attention_heads"])
            self.n_kv_heads = int(config.get("num_key_value_heads") or self.n_heads)
            self.n_layers = int(config["num_hidden_layers"])
            self.mlp_hidden = int(config["intermediate_size"])
            self.vocab_size = int(config["vocab_size"])
            self.max_seq_len = int(config.get("max_position_embeddings", 32768))
            self.tied = bool(config.get("tie_word_embeddings", False))
            self.qkv_bias = True
            self.eps = float(config.get("rms_norm_eps", 1e-6))
            self.mask_id = int(config.get("mask_token_id", 151666))
            self.eos_id = int(config.get("eos_token_id", 151643))
            self.eot_id = int(config.get("eot_token_id", 151645))
            self.bos_id = int(config.get("bos_token_id", 151643))
        else:
            raise ValueError("unknown model_type %r" % config.get("model_type"))
        self.rope_theta = float(config.get("rope_theta", 10000.0))
        if self.d_model % self.n_heads or self.n_heads % self.n_kv_heads:
            raise ValueError("inconsistent head counts")
        self.head_dim = self.d_model // self.n_heads


def layer_names(spec, i):
    """Tensor names of layer i: (attn_norm, q, k, v, o, ffn_norm, gate, up, down); q, k and v
    without their .weight / .bias suffix."""
    if spec.family == FAMILY_LLADA:
        p = "model.transformer.blocks.%d." % i
        return (p + "attn_norm.weight", p + "q_proj", p + "k_proj", p + "v_proj",
                p + "attn_out.weight", p + "ff_norm.weight", p + "ff_proj.weight",
                p + "up_proj.weight", p + "ff_out.weight")
    p = "model.layers.%d." % i
    return (p + "input_layernorm.weight", p + "self_attn.q_proj", p + "self_attn.k_proj",
            p + "self_attn.v_proj", p + "self_attn.o_proj.weight",
            p + "post_attention_layernorm.weight", p + "mlp.gate_proj.weight",
            p + "mlp.up_proj.weight", p + "mlp.down_proj.weight")


# ---------------------------------------------------------------------------------------------
# Building blocks
# ---------------------------------------------------------------------------------------------
def upcast(x):
    """bf16/f16 -> float32; float32 and float64 unchanged."""
    return x.float() if x.dtype in _HALF else x


def rms_norm(x, w, eps):
    """x / rms(x) * w over the last dimension, the statistics in float32 or wider."""
    xf = upcast(x)
    return (xf * torch.rsqrt(xf.pow(2).mean(dim=-1, keepdim=True) + eps)).to(x.dtype) * w.to(x.dtype)


def rope_tables(spec, n, rope_scaling=1.0, dtype=torch.float32, device=None):
    """cos, sin [n, 1, head_dim] of positions 0..n-1 with theta = rope_theta * rope_scaling,
    computed on the CPU (the same values on every device) and moved to `device`."""
    d = spec.head_dim
    theta = spec.rope_theta * float(rope_scaling)
    inv_freq = 1.0 / (theta ** (torch.arange(0, d, 2, dtype=dtype) / d))
    freqs = torch.outer(torch.arange(n, dtype=dtype), inv_freq)
    ang = torch.cat([freqs, freqs], dim=-1)
    cos, sin = ang.cos()[:, None, :], ang.sin()[:, None, :]
    if device is not None:
        cos, sin = cos.to(device), sin.to(device)
    return cos, sin


def rotate_half(x):
    h = x.shape[-1] // 2
    return torch.cat([-x[..., h:], x[..., :h]], dim=-1)


def apply_rope(x, cos, sin):
    """x [..., n, heads, d] rotated by the tables of its n positions ([n, 1, d])."""
    xf = upcast(x)
    return (xf * cos + rotate_half(xf) * sin).to(x.dtype)


def split_heads(t, heads, head_dim):
    """[..., heads * head_dim] -> [..., heads, head_dim]."""
    return t.view(*t.shape[:-1], heads, head_dim)


def attend(q, k, v, fused=False, want_probs=False):
    """Bidirectional softmax attention. q [..., n, H, d]; k, v [..., m, H_kv, d] (query head h
    reads KV head h // (H / H_kv)). Returns (output [..., n, H * d], probabilities [..., H, n, m]
    or None). fused: torch's scaled_dot_product_attention where this torch has it (2.0+) and the
    probabilities are not wanted; else the explicit product, softmax in float32 or wider."""
    H, d = q.shape[-2], q.shape[-1]
    g = H // k.shape[-2]
    if g > 1:
        k = k.repeat_interleave(g, dim=-2)
        v = v.repeat_interleave(g, dim=-2)
    qh, kh, vh = q.transpose(-3, -2), k.transpose(-3, -2), v.transpose(-3, -2)
    probs = None
    if fused and not want_probs and hasattr(F, "scaled_dot_product_attention"):
        o = F.scaled_dot_product_attention(qh, kh, vh)
    else:
        probs = torch.softmax(upcast(qh @ kh.transpose(-1, -2)) * (1.0 / math.sqrt(d)), dim=-1)
        o = probs.to(v.dtype) @ vh
    return o.transpose(-3, -2).reshape(*q.shape[:-2], H * d), probs


def layer_attention(spec, layer, h, cos, sin, fused=False, tap=None, probs=False):
    """The attention sub-layer on normalised inputs h [..., n, D]: output after the output
    projection. tap(name, tensor), when given, receives "k" and "v" (RoPE applied to k,
    [..., n, H_kv, d]) and, with probs, "probs" ([..., H, n, n]; explicit attention then)."""
    q, k, v = layer.qkv(h)
    q = apply_rope(split_heads(q, spec.n_heads, spec.head_dim), cos, sin)
    k = apply_rope(split_heads(k, spec.n_kv_heads, spec.head_dim), cos, sin)
    v = split_heads(v, spec.n_kv_heads, spec.head_dim)
    a, p = attend(q, k, v, fused=fused, want_probs=probs)
    if tap is not None:
        tap("k", k)
        tap("v", v)
        if probs:
            tap("probs", p)
    return layer.out(a)


def run_layers(spec, layers, x, cos, sin, fused=False, tap=None, probs=False):
    """The residual stream x [..., n, D] through every layer (before the final norm). tap(name,
    tensor), when given, receives per layer, in order: "h_in" (the stream entering the layer),
    "k", "v", "probs" (only with probs), "attn" (attention output after the output projection),
    "h_out" (h_in + attn) and "ffn" (the MLP output)."""
    for layer in layers:
        if tap is not None:
            tap("h_in", x)
        a = layer_attention(spec, layer, rms_norm(x, layer.attn_norm, spec.eps), cos, sin,
                            fused, tap, probs)
        x = x + a
        f = layer.mlp(rms_norm(x, layer.ffn_norm, spec.eps))
        if tap is not None:
            tap("attn", a)
            tap("h_out", x)
            tap("ffn", f)
        x = x + f
    return x


class DenseLayer:
    """One layer's weights as plain tensors (y = h @ W^T + b)."""

    def __init__(self, attn_norm, wq, wk, wv, wo, ffn_norm, w_gate, w_up, w_down, bq=None,
                 bk=None, bv=None):
        self.attn_norm, self.ffn_norm = attn_norm, ffn_norm
        self.wq, self.wk, self.wv, self.wo = wq, wk, wv, wo
        self.bq, self.bk, self.bv = bq, bk, bv
        self.w_gate, self.w_up, self.w_down = w_gate, w_up, w_down

    def value(self, h):
        v = h @ self.wv.T
        return v if self.bv is None else v + self.bv

    def qkv(self, h):
        q, k = h @ self.wq.T, h @ self.wk.T
        if self.bq is not None:
            q, k = q + self.bq, k + self.bk
        return q, k, self.value(h)

    def out(self, a):
        return a @ self.wo.T

    def mlp(self, h):
        return (F.silu(h @ self.w_gate.T) * (h @ self.w_up.T)) @ self.w_down.T


# ---------------------------------------------------------------------------------------------
# A model read from a checkpoint directory
# ---------------------------------------------------------------------------------------------
class Model:
    def __init__(self, directory, compute_dtype=torch.float32, device="cpu", loaded=None):
        """compute_dtype: float32 (the reference); float64 only to check that golden decisions
        are robust against rounding differences; bf16 for the benchmark baseline on a GPU.
        loaded: (config, {name: array or tensor}) already read (else load_model_dir)."""
        if loaded is None:
            config, tensors, dtypes = load_model_dir(directory)
        else:
            (config, tensors), dtypes = loaded, None
        self.directory = directory
        self.config = config
        self.spec = spec = ModelSpec(config)
        self.dtypes = dtypes
        self.device = torch.device(device)
        self.compute_dtype = compute_dtype
        self.table_dtype = torch.float64 if compute_dtype == torch.float64 else torch.float32

        def t(name):
            if name not in tensors:
                raise KeyError("%s: missing tensor %s" % (directory, name))
            v = tensors.pop(name)
            if not torch.is_tensor(v):
                v = torch.from_numpy(np.ascontiguousarray(v, dtype=np.float32))
            return v.to(device=self.device, dtype=compute_dtype)

        if spec.family == FAMILY_LLADA:
            self.embed = t("model.transformer.wte.weight")
            self.final_norm = t("model.transformer.ln_f.weight")
            self.lm_head = self.embed if spec.tied else t("model.transformer.ff_out.weight")
        else:
            self.embed = t("model.embed_tokens.weight")
            self.final_norm = t("model.norm.weight")
            self.lm_head = self.embed if spec.tied else t("lm_head.weight")
        self.layers = []
        for i in range(spec.n_layers):
            an, q, k, v, o, fn, g, u, d = layer_names(spec, i)
            bias = {}
            if spec.qkv_bias:
                bias = {"bq": t(q + ".bias"), "bk": t(k + ".bias"), "bv": t(v + ".bias")}
            self.layers.append(DenseLayer(t(an), t(q + ".weight"), t(k + ".weight"),
                                          t(v + ".weight"), t(o), t(fn), t(g), t(u), t(d),
                                          **bias))
        self.vocab_size = self.lm_head.shape[0]

    def rope(self, n, rope_scaling=1.0):
        """cos, sin [n, 1, head_dim] for this model's dtype and device."""
        return rope_tables(self.spec, n, rope_scaling, self.table_dtype, self.device)

    def embed_ids(self, ids):
        """ids: a sequence of ints or a 1-D LongTensor -> embeddings [n, D]; refuses an empty or
        out-of-range input."""
        ids_t = ids if torch.is_tensor(ids) else torch.tensor(list(ids), dtype=torch.long)
        if ids_t.numel() == 0:
            raise ValueError("empty input")
        if int(ids_t.min()) < 0 or int(ids_t.max()) >= self.embed.shape[0]:
            raise ValueError("token id out of range")
        return self.embed[ids_t.to(self.device)]

    def logits(self, x):
        """Final norm and LM head on residual-stream rows x [..., D]."""
        return rms_norm(x, self.final_norm, self.spec.eps) @ self.lm_head.T

    @torch.no_grad()
    def hidden(self, ids, rope_scaling=1.0, fused=False, tap=None, probs=False):
        """The residual stream after the last layer [n, D] (before the final norm); fused, tap
        and probs as in run_layers."""
        x = self.embed_ids(ids)
        cos, sin = self.rope(x.shape[0], rope_scaling)
        return run_layers(self.spec, self.layers, x, cos, sin, fused=fused, tap=tap, probs=probs)

    @torch.no_grad()
    def forward(self, ids, rope_scaling=1.0):
        """ids: sequence of ints. Returns logits [n, vocab] (torch tensor, float32 unless the
        model was built with another compute_dtype)."""
        return self.logits(self.hidden(ids, rope_scaling))
