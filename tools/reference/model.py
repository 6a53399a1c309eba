"""One bidirectional transformer for LLaDA and Dream, computed in float32 with PyTorch.

Weights of any file dtype are upcast to float32. Per layer: RMSNorm -> q/k/v projections
(+bias for Dream) -> rotate-half RoPE (fp32) -> full softmax attention with GQA -> output
projection -> residual -> RMSNorm -> SwiGLU MLP -> residual; then the final norm and the LM head.
forward() returns raw logits for every position (no Dream shift; the samplers apply it).
"""
import math

import numpy as np
import torch

from .checkpoint import load_model_dir

torch.set_num_threads(1)

FAMILY_LLADA = "llada"
FAMILY_DREAM = "dream"


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


def _names(spec, i):
    """Tensor names of layer i: (attn_norm, q, k, v, o, ffn_norm, gate, up, down)."""
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


class Model:
    def __init__(self, directory, compute_dtype=torch.float32):
        """compute_dtype: float32 (the reference); float64 only to check that golden decisions
        are robust against rounding differences."""
        config, tensors, dtypes = load_model_dir(directory)
        self.directory = directory
        self.config = config
        self.spec = spec = ModelSpec(config)
        self.dtypes = dtypes

        def t(name):
            if name not in tensors:
                raise KeyError("%s: missing tensor %s" % (directory, name))
            return torch.from_numpy(np.ascontiguousarray(tensors[name], dtype=np.float32)).to(
                compute_dtype)

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
            an, q, k, v, o, fn, g, u, d = _names(spec, i)
            layer = {"attn_norm": t(an), "wq": t(q + ".weight"), "wk": t(k + ".weight"),
                     "wv": t(v + ".weight"), "wo": t(o), "ffn_norm": t(fn), "w_gate": t(g),
                     "w_up": t(u), "w_down": t(d)}
            if spec.qkv_bias:
                layer["bq"] = t(q + ".bias")
                layer["bk"] = t(k + ".bias")
                layer["bv"] = t(v + ".bias")
            self.layers.append(layer)
        self.vocab_size = self.lm_head.shape[0]
        self.compute_dtype = compute_dtype

    # -----------------------------------------------------------------------------------------
    def _rms_norm(self, x, w):
        return x * torch.rsqrt(x.pow(2).mean(dim=-1, keepdim=True) + self.spec.eps) * w

    def _rope_tables(self, n, rope_scaling):
        d = self.spec.head_dim
        theta = self.spec.rope_theta * float(rope_scaling)
        dt = self.compute_dtype
        inv_freq = 1.0 / (theta ** (torch.arange(0, d, 2, dtype=dt) / d))
        pos = torch.arange(n, dtype=dt)
        freqs = torch.outer(pos, inv_freq)
        ang = torch.cat([freqs, freqs], dim=-1)  # [n, d]
        return ang.cos(), ang.sin()

    @staticmethod
    def _rotate_half(x):
        h = x.shape[-1] // 2
        return torch.cat([-x[..., h:], x[..., :h]], dim=-1)

    @torch.no_grad()
    def forward(self, ids, rope_scaling=1.0):
        """ids: sequence of ints. Returns logits [n, vocab] (torch tensor, float32 unless the
        model was built with another compute_dtype)."""
        spec = self.spec
        ids_t = torch.tensor(list(ids), dtype=torch.long)
        if ids_t.numel() == 0:
            raise ValueError("empty input")
        if int(ids_t.min()) < 0 or int(ids_t.max()) >= self.embed.shape[0]:
            raise ValueError("token id out of range")
        n = ids_t.numel()
        H, Hkv, d = spec.n_heads, spec.n_kv_heads, spec.head_dim
        g = H // Hkv
        cos, sin = self._rope_tables(n, rope_scaling)
        cos, sin = cos[:, None, :], sin[:, None, :]
        scale = 1.0 / math.sqrt(d)
        x = self.embed[ids_t]  # [n, D]
        for L in self.layers:
            h = self._rms_norm(x, L["attn_norm"])
            q = h @ L["wq"].T
            k = h @ L["wk"].T
            v = h @ L["wv"].T
            if spec.qkv_bias:
                q = q + L["bq"]
                k = k + L["bk"]
                v = v + L["bv"]
            q = q.view(n, H, d)
            k = k.view(n, Hkv, d)
            v = v.view(n, Hkv, d)
            q = q * cos + self._rotate_half(q) * sin
            k = k * cos + self._rotate_half(k) * sin
            # query head h reads KV head h // g
            k = k.repeat_interleave(g, dim=1)
            v = v.repeat_interleave(g, dim=1)
            scores = torch.einsum("qhd,khd->hqk", q, k) * scale  # [H, n, n], no causal mask
            probs = torch.softmax(scores, dim=-1)
            att = torch.einsum("hqk,khd->qhd", probs, v).reshape(n, H * d)
            x = x + att @ L["wo"].T
            h = self._rms_norm(x, L["ffn_norm"])
            gate = h @ L["w_gate"].T
            up = h @ L["w_up"].T
            x = x + (torch.nn.functional.silu(gate) * up) @ L["w_down"].T
        x = self._rms_norm(x, self.final_norm)
        return x @ self.lm_head.T
