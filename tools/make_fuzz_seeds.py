#!/usr/bin/env python3
"""Writes the fuzzers' seed corpora, tests/fuzz/seeds/TARGET/, from the fixtures (deterministic:
rerun it and nothing changes). Seeds are small on purpose: libFuzzer's mutations go further on
a 2 KiB safetensors image than on a 400 KiB one.

  safetensors     shrunk copies of every fixture checkpoint (the first 1-4 tensors, real bytes)
  index           the sharded fixture's index, and variants (a symlink shard, a missing shard)
  config          every fixture's config.json
  tokenizer_json  small tokenizer.json files of the shapes maskkv supports (also the
                  tokenizers fuzz_tokenize runs; files named rt_* round-trip losslessly)
  tokenizer_encode  the tokenizer_json seeds, a NUL byte, then a text to encode
  spm_model       the SentencePiece fixtures, with and without their normalizer tables
  tokenize        inputs for fuzz_tokenize: [tokenizer byte][operation byte] payload
  profile         MaskKV profiles shaped like the fixture models'
  options         inputs for fuzz_options: [model][prompt length][prompt ids] (field, u32)*
  gguf            tiny LLaDA and Dream GGUF files (F32, Q8_0, Q4_0, Q4_K, Q6_K tensors, gpt2
                  tokenizer metadata), a tokenizer-only file and an empty one
"""
import json
import os
import shutil
import struct
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from protobuf_wire import fields, message  # noqa: E402
from tasks.bpe import bytes_to_unicode  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FIX = os.path.join(ROOT, "tests", "fixtures", "models")
OUT = os.path.join(ROOT, "tests", "fuzz", "seeds")


def write(target, name, data):
    d = os.path.join(OUT, target)
    os.makedirs(d, exist_ok=True)
    if isinstance(data, str):
        data = data.encode("utf-8")
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def read_safetensors(path):
    with open(path, "rb") as f:
        raw = f.read()
    (n,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8:8 + n])
    return header, raw[8 + n:]


def safetensors_image(entries, meta=None):
    """entries: list of (name, dtype, shape, bytes) -> a safetensors image (header padded to 8)."""
    header, data, off = {}, b"", 0
    if meta is not None:
        header["__metadata__"] = meta
    for name, dtype, shape, blob in entries:
        header[name] = {"dtype": dtype, "shape": shape, "data_offsets": [off, off + len(blob)]}
        data += blob
        off += len(blob)
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * ((8 - len(text) % 8) % 8)
    return struct.pack("<Q", len(text)) + text + data


def seeds_safetensors():
    for model in sorted(os.listdir(FIX)):
        for fn in sorted(os.listdir(os.path.join(FIX, model))):
            if not fn.endswith(".safetensors"):
                continue
            header, data = read_safetensors(os.path.join(FIX, model, fn))
            meta = header.pop("__metadata__", None)
            # Smallest tensors first, so the seeds stay small.
            names = sorted(header, key=lambda k: (header[k]["data_offsets"][1] - header[k]["data_offsets"][0], k))
            for k in (1, 2, 4):
                chosen = []
                for name in names[:k]:
                    e = header[name]
                    b, en = e["data_offsets"]
                    chosen.append((name, e["dtype"], e["shape"], data[b:en]))
                stem = fn[: -len(".safetensors")]
                write("safetensors", "%s-%s-%d.safetensors" % (model, stem, k), safetensors_image(chosen, meta))
    write("safetensors", "empty-header.safetensors", safetensors_image([]))
    write("safetensors", "scalar-and-zero.safetensors",
          safetensors_image([("s", "F32", [], b"\0\0\x80\x3f"), ("z", "BF16", [0, 3], b"")]))


def seeds_index():
    path = os.path.join(FIX, "llada_sharded_bf16", "model.safetensors.index.json")
    with open(path) as f:
        idx = json.load(f)
    write("index", "fixture.json", json.dumps(idx, indent=2))
    # Every tensor in one shard (which does not hold them all), a symlinked shard, a subdir.
    wm = idx["weight_map"]
    first = sorted(wm)[0]
    v = json.loads(json.dumps(idx))
    v["weight_map"][first] = "link.safetensors"
    write("index", "symlink-shard.json", json.dumps(v))
    v = json.loads(json.dumps(idx))
    v["weight_map"][first] = "up/model/model-00001-of-00002.safetensors"
    write("index", "dir-symlink.json", json.dumps(v))
    write("index", "one-entry.json", json.dumps({"weight_map": {first: wm[first]}}))
    write("index", "empty.json", json.dumps({"weight_map": {}}))


def seeds_config():
    for model in sorted(os.listdir(FIX)):
        with open(os.path.join(FIX, model, "config.json")) as f:
            write("config", model + ".json", f.read())


# --- tokenizers ---------------------------------------------------------------------------------

BL = bytes_to_unicode()


def bl(s):
    return "".join(BL[b] for b in s.encode("utf-8"))


def added(i, content, special=True):
    return {"id": i, "content": content, "single_word": False, "lstrip": False, "rstrip": False,
            "normalized": False, "special": special}


def byte_level_model(extra_tokens, merges):
    vocab = {BL[b]: b for b in range(256)}
    for t in extra_tokens:
        vocab[t] = len(vocab)
    return {"type": "BPE", "dropout": None, "unk_token": None, "continuing_subword_prefix": None,
            "end_of_word_suffix": None, "fuse_unk": False, "byte_fallback": False, "ignore_merges": False,
            "vocab": vocab, "merges": merges}


LLAMA3_RE = ("(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|"
             "\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+")
QWEN_RE = ("(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|"
           "\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+")


def tok_gpt2():
    merges = ["h e", "l l", "he ll", "hell o", bl(" ") + " w", "o r"]
    model = byte_level_model(["he", "ll", "hell", "hello", bl(" ") + "w", "or"], merges)
    return {"version": "1.0", "truncation": None, "padding": None, "normalizer": None,
            "pre_tokenizer": {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": True, "use_regex": True},
            "post_processor": None,
            "decoder": {"type": "ByteLevel", "add_prefix_space": True, "trim_offsets": True, "use_regex": True},
            "model": model, "added_tokens": [added(300, "<|bos|>"), added(301, "<|eos|>")]}


def tok_llama3():
    merges = ["t h", "th e", bl(" ") + " t", bl(" t") + " h", bl(" th") + " e", "i n", "a n", "an d", "1 2", "12 3"]
    model = byte_level_model(["th", "the", bl(" t"), bl(" th"), bl(" the"), "in", "an", "and", "12", "123"], merges)
    specials = ["<|begin_of_text|>", "<|end_of_text|>", "<|start_header_id|>", "<|end_header_id|>", "<|eot_id|>"]
    n = len(model["vocab"])
    return {"version": "1.0", "truncation": None, "padding": None, "normalizer": None,
            "pre_tokenizer": {"type": "Sequence", "pretokenizers": [
                {"type": "Split", "pattern": {"Regex": LLAMA3_RE}, "behavior": "Isolated", "invert": False},
                {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": True, "use_regex": False}]},
            "post_processor": {"type": "TemplateProcessing",
                               "single": [{"SpecialToken": {"id": "<|begin_of_text|>", "type_id": 0}},
                                          {"Sequence": {"id": "A", "type_id": 0}}],
                               "pair": [], "special_tokens": {"<|begin_of_text|>": {
                                   "id": "<|begin_of_text|>", "ids": [n], "tokens": ["<|begin_of_text|>"]}}},
            "decoder": {"type": "ByteLevel", "add_prefix_space": True, "trim_offsets": True, "use_regex": True},
            "model": model, "added_tokens": [added(n + i, s) for i, s in enumerate(specials)]}


def tok_qwen():
    merges = ["i n", "a n", bl(" ") + " a", "Ã ©"]
    model = byte_level_model(["in", "an", bl(" a"), "Ã©"], merges)
    n = len(model["vocab"])
    specials = ["<|endoftext|>", "<|im_start|>", "<|im_end|>", "<|mask|>"]
    return {"version": "1.0", "truncation": None, "padding": None, "normalizer": {"type": "NFC"},
            "pre_tokenizer": {"type": "Sequence", "pretokenizers": [
                {"type": "Split", "pattern": {"Regex": QWEN_RE}, "behavior": "Isolated", "invert": False},
                {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": False, "use_regex": False}]},
            "post_processor": {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": False, "use_regex": False},
            "decoder": {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": False, "use_regex": False},
            "model": model, "added_tokens": [added(n + i, s) for i, s in enumerate(specials)]}


def tok_llama2():
    vocab = {"<unk>": 0, "<s>": 1, "</s>": 2}
    for b in range(256):
        vocab["<0x%02X>" % b] = 3 + b
    for t in ["\u2581", "a", "b", "\u2581a", "ab", "\u2581ab"]:
        vocab[t] = len(vocab)
    return {"normalizer": {"type": "Sequence", "normalizers": [
                {"type": "Prepend", "prepend": "\u2581"},
                {"type": "Replace", "pattern": {"String": " "}, "content": "\u2581"}]},
            "pre_tokenizer": None,
            "post_processor": {"type": "TemplateProcessing",
                               "single": [{"SpecialToken": {"id": "<s>", "type_id": 0}},
                                          {"Sequence": {"id": "A", "type_id": 0}}],
                               "pair": [], "special_tokens": {"<s>": {"id": "<s>", "ids": [1], "tokens": ["<s>"]}}},
            "decoder": {"type": "Sequence", "decoders": [
                {"type": "Replace", "pattern": {"String": "\u2581"}, "content": " "},
                {"type": "ByteFallback"}, {"type": "Fuse"},
                {"type": "Strip", "content": " ", "start": 1, "stop": 0}]},
            "model": {"type": "BPE", "unk_token": "<unk>", "fuse_unk": True, "byte_fallback": True,
                      "vocab": vocab, "merges": ["\u2581 a", "\u2581a b", "a b"]},
            "added_tokens": [added(0, "<unk>"), added(1, "<s>"), added(2, "</s>")]}


def seeds_tokenizers():
    toks = {"rt_gpt2.json": tok_gpt2(), "rt_llama3.json": tok_llama3(), "qwen.json": tok_qwen(),
            "llama2.json": tok_llama2()}
    for name, j in toks.items():
        write("tokenizer_json", name, json.dumps(j, ensure_ascii=False, indent=1))
    encode_texts = ["Hello world! 123", "caf\u00e9  \t\n x<|bos|> \u2581 don't", "aaaa" * 64 + "b", " " * 300]
    for name, j in toks.items():
        for i, s in enumerate(encode_texts):
            write("tokenizer_encode", "%s-%d" % (name[:-5], i),
                  json.dumps(j, ensure_ascii=False).encode() + b"\0" + s.encode())
    # fuzz_tokenize sorts the files: index 0 llama2, 1 qwen, 2 rt_gpt2, 3 rt_llama3.
    texts = ["Hello world! 123", "caf\u00e9  \t\n x<|bos|><|im_start|>user", "\U0001F600 \u2581 ab 4567 don't",
             "<|begin_of_text|><|start_header_id|>user<|end_header_id|>\n\nhi<|eot_id|>", ""]
    for t in range(4):
        for i, s in enumerate(texts):
            write("tokenize", "encode-%d-%d" % (t, i), bytes([t, 0]) + s.encode())
        write("tokenize", "encode-special-%d" % t, bytes([t, 4]) + texts[1].encode())
        write("tokenize", "invalid-utf8-%d" % t, bytes([t, 0]) + b"ab\xff\xc3(\xed\xa0\x80z")
        write("tokenize", "decode-%d" % t, bytes([t, 1]) + struct.pack("<8H", 0, 1, 2, 72, 101, 300, 260, 1000))
        write("tokenize", "chat-%d" % t, bytes([t, 2 | 4 | (2 << 3)]) + b"system\0be brief\0user\0hi\0assistant\0yo")
        write("tokenize", "vocab-%d" % t, bytes([t, 3]) + "<|im_end|>".encode())


def _without_charsmaps(model):
    """The .model with precompiled_charsmap (NormalizerSpec field 2) dropped from
    normalizer_spec (ModelProto field 3) and denormalizer_spec (5): smaller, identity rules."""
    out = []
    for k, v in fields(model):
        if k >> 3 in (3, 5) and k & 7 == 2:
            v = message([f for f in fields(v) if f[0] >> 3 != 2])
        out.append((k, v))
    return message(out)


def seeds_spm():
    d = os.path.join(ROOT, "tests", "fixtures", "tokenizers", "spm")
    for name in ("bpe.model", "unigram.model"):
        with open(os.path.join(d, name), "rb") as f:
            model = f.read()
        write("spm_model", name, model)
        write("spm_model", name.replace(".model", "-no-charsmap.model"), _without_charsmaps(model))


def seeds_profile():
    for name, layers, heads in [("llada_f32", 2, 4), ("dream_f32", 2, 2), ("llada_deep_f32", 6, 4)]:
        p = {"format": "maskkv-profile", "version": 1, "model_fingerprint": "00c0ffee00c0ffee",
             "n_layers": layers, "n_kv_heads": heads, "samples": 3,
             "layer_importance": [round(0.1 * (i + 1), 3) for i in range(layers)],
             "head_prompt_preference": [[round(0.5 + 0.01 * (i * heads + h), 3) for h in range(heads)]
                                        for i in range(layers)]}
        write("profile", name + ".json", json.dumps(p, indent=1))


def seeds_options():
    # Field numbers of fuzz_options.cpp.
    F = dict(size=0, gen_length=1, steps=2, block_length=3, sampler=4, remasking=5, alg=6, alg_temp=7,
             temperature=8, top_p=9, top_k=10, cfg_scale=11, threshold=12, factor=13, seed=16,
             rope_scaling=17, policy=18, budget=19, profile=20, online=21, prompt_refresh=22,
             response_refresh=23, rho=24, alpha=25, beta=26, window=27, pool_kernel=28, kv_limit=29,
             run_steps=30, stats_size=31, one_shot=32, small_gen=33)

    def rec(field, value, is_float=False):
        return bytes([F[field]]) + (struct.pack("<f", value) if is_float else struct.pack("<I", value & 0xFFFFFFFF))

    def inp(model, prompt, *records):
        b = bytes([model, len(prompt)])
        for t in prompt:
            b += struct.pack("<H", t + 2)
        return b + b"".join(records)

    prompt = [5, 17, 42, 99, 7, 1, 2, 3]
    cases = {
        "default-llada": inp(0, prompt, rec("run_steps", 2)),
        "default-dream": inp(1, prompt, rec("run_steps", 2)),
        "llada-blocks": inp(0, prompt, rec("gen_length", 16), rec("block_length", 4), rec("steps", 8), rec("run_steps", 2)),
        "llada-cfg-random": inp(0, prompt, rec("cfg_scale", 1.5, True), rec("remasking", 1), rec("temperature", 0.7, True),
                                rec("run_steps", 2)),
        "dream-topk": inp(1, prompt, rec("alg", 1), rec("top_k", 5), rec("top_p", 0.9, True), rec("temperature", 0.5, True),
                          rec("run_steps", 2)),
        "threshold": inp(0, prompt, rec("threshold", 0.9, True), rec("run_steps", 2), rec("one_shot", 1)),
        "factor": inp(1, prompt, rec("factor", 1.0, True), rec("run_steps", 1)),
        "full": inp(0, prompt, rec("policy", 1), rec("run_steps", 2)),
        "maskkv-profile": inp(0, prompt, rec("policy", 2), rec("budget", 4), rec("profile", 1), rec("run_steps", 2)),
        "maskkv-online": inp(2, prompt, rec("policy", 2), rec("budget", 3), rec("online", 1), rec("run_steps", 2)),
        "maskkv-wrong-profile": inp(1, prompt, rec("policy", 2), rec("budget", 4), rec("profile", 2)),
        "snapkv": inp(1, prompt, rec("policy", 3), rec("budget", 4), rec("window", 2), rec("pool_kernel", 3),
                      rec("run_steps", 2)),
        "pyramid": inp(0, prompt, rec("policy", 4), rec("budget", 4), rec("run_steps", 1)),
        "squeeze": inp(2, prompt, rec("policy", 5), rec("budget", 4), rec("run_steps", 1)),
        "adakv": inp(0, prompt, rec("policy", 6), rec("budget", 4), rec("rho", 0.5, True), rec("run_steps", 1)),
        "kv-limit": inp(0, prompt, rec("policy", 1), rec("kv_limit", 1000)),
        "old-struct": inp(0, prompt, rec("size", 40), rec("run_steps", 1)),
        "bad-size": inp(0, prompt, rec("size", 3)),
        "nan-temp": inp(0, prompt, rec("temperature", float("nan"), True)),
        "rope": inp(0, prompt, rec("rope_scaling", 4.0, True), rec("small_gen", 7), rec("run_steps", 1)),
        "stats-small": inp(0, prompt, rec("stats_size", 12), rec("run_steps", 1)),
        "mask-in-prompt": inp(0, [310, 1]),
        "empty-prompt": inp(1, [], rec("run_steps", 1)),
        "model-options": bytes([0xFF]) + struct.pack("<BIii", 1, 12, 2, 1) + struct.pack("<i", 3) + b"snapkv",
        "model-options-cuda": bytes([0xFF, 0]) + struct.pack("<ii", 2, 0) + struct.pack("<i", 99) + b"nope",
    }
    for name, b in cases.items():
        write("options", name, b)


def seeds_gguf():
    sys.path.insert(0, os.path.join(ROOT, "tools", "fixtures"))
    import gguf_writer as gw
    import numpy as np

    def values(rows, cols, salt):
        i = np.arange(rows * cols, dtype=np.int64).reshape(rows, cols)
        return (((i * 37 + salt) % 101 - 50) / 64.0).astype(np.float32)

    tokens = ["h", "e", "l", "o", "he", "ll", bl(" "), "<|bos|>", "<|mask|>"]
    types = [gw.TOKEN_NORMAL] * 7 + [gw.TOKEN_CONTROL] * 2

    def model(arch, n_kv, ff, types_of):
        d, heads = 32, 2
        w = gw.GGUFWriter(arch=arch)
        w.add_uint32(arch + ".block_count", 1)
        w.add_uint32(arch + ".context_length", 64)
        w.add_uint32(arch + ".embedding_length", d)
        w.add_uint32(arch + ".feed_forward_length", ff)
        w.add_uint32(arch + ".attention.head_count", heads)
        w.add_uint32(arch + ".attention.head_count_kv", n_kv)
        w.add_float32(arch + ".rope.freq_base", 10000.0)
        w.add_float32(arch + ".attention.layer_norm_rms_epsilon", 1e-5)
        w.add_string("tokenizer.ggml.model", "gpt2")
        w.add_string("tokenizer.ggml.pre", "gpt-2")
        w.add_array("tokenizer.ggml.tokens", gw.STRING, tokens)
        w.add_array("tokenizer.ggml.token_type", gw.INT32, types)
        w.add_array("tokenizer.ggml.merges", gw.STRING, ["h e", "l l"])
        w.add_uint32("tokenizer.ggml.bos_token_id", 7)
        w.add_uint32("tokenizer.ggml.mask_token_id", 8)
        w.add_bool("tokenizer.ggml.add_bos_token", True)
        kv = n_kv * d // heads
        shapes = {"token_embd.weight": (len(tokens), d), "output_norm.weight": (d,), "output.weight": (len(tokens), d),
                  "blk.0.attn_norm.weight": (d,), "blk.0.attn_q.weight": (d, d), "blk.0.attn_k.weight": (kv, d),
                  "blk.0.attn_v.weight": (kv, d), "blk.0.attn_output.weight": (d, d), "blk.0.ffn_norm.weight": (d,),
                  "blk.0.ffn_gate.weight": (ff, d), "blk.0.ffn_up.weight": (ff, d), "blk.0.ffn_down.weight": (d, ff)}
        if arch == "dream":
            shapes.update({"blk.0.attn_q.bias": (d,), "blk.0.attn_k.bias": (kv,), "blk.0.attn_v.bias": (kv,)})
        for salt, (name, shape) in enumerate(shapes.items()):
            a = values(shape[0], shape[1], salt) if len(shape) == 2 else values(1, shape[0], salt)[0]
            w.add_tensor(name, a, types_of(name, a))
        return w.to_bytes()

    write("gguf", "llada-q8_0.gguf", model("llada", 2, 32, lambda n, a: "Q8_0" if a.ndim == 2 and "embd" not in n else "F32"))
    write("gguf", "dream-q4_k.gguf", model("dream", 1, 256, lambda n, a: {"blk.0.ffn_down.weight": "Q4_K"}.get(
        n, "Q4_0" if n.startswith("blk.0.ffn") else "F16" if a.ndim == 2 else "F32")))
    write("gguf", "dream-q6_k.gguf", model("dream", 1, 256, lambda n, a: {"blk.0.ffn_down.weight": "Q6_K"}.get(
        n, "Q4_0" if n.startswith("blk.0.ffn") else "BF16" if a.ndim == 2 else "F32")))
    w = gw.GGUFWriter()
    w.add_string("tokenizer.ggml.model", "gpt2")
    w.add_string("tokenizer.ggml.pre", "llama-bpe")
    w.add_array("tokenizer.ggml.tokens", gw.STRING, tokens)
    w.add_array("tokenizer.ggml.merges", gw.STRING, ["h e"])
    write("gguf", "tokenizer-llama3.gguf", w.to_bytes())
    write("gguf", "empty.gguf", gw.GGUFWriter().to_bytes())


def generate():
    if os.path.isdir(OUT):
        shutil.rmtree(OUT)
    seeds_safetensors()
    seeds_index()
    seeds_config()
    seeds_tokenizers()
    seeds_spm()
    seeds_profile()
    seeds_options()
    seeds_gguf()
    return sum(len(fs) for _, _, fs in os.walk(OUT))


def main():
    global OUT
    if "--check" in sys.argv[1:]:
        # Regenerate into a temporary directory and compare with the committed seeds.
        import filecmp
        import tempfile
        committed = OUT
        with tempfile.TemporaryDirectory() as tmp:
            OUT = os.path.join(tmp, "seeds")
            generate()
            cmp = filecmp.dircmp(OUT, committed)
            stale = []

            def walk(c, rel=""):
                stale.extend(os.path.join(rel, n) for n in c.left_only + c.right_only + c.diff_files)
                for name, sub in c.subdirs.items():
                    walk(sub, os.path.join(rel, name))
            walk(cmp)
            if stale:
                print("tests/fuzz/seeds is stale (%s): run tools/make_fuzz_seeds.py" % ", ".join(sorted(stale)[:5]),
                      file=sys.stderr)
                return 1
        print("tests/fuzz/seeds is up to date")
        return 0
    n = generate()
    print("wrote %d seeds under %s" % (n, os.path.relpath(OUT, ROOT)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
