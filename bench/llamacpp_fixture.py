#!/usr/bin/env python3
"""Writes the model and prompts of the llama.cpp side-by-side benchmark (bench/llamacpp_side_by_side.sh).

  llamacpp_fixture.py model OUT_DIR     random ~117M-parameter LLaDA-shaped model (12 layers,
                                        d_model 768, 12 heads, MLP 2304, vocabulary 16384, bf16)
                                        as OUT_DIR/ (safetensors, for maskkv) and OUT_DIR/model.gguf
                                        (bf16, as llama.cpp's converter writes LLaDA), same weights
  llamacpp_fixture.py prompt OUT_DIR N  OUT_DIR/prompt-N.txt and OUT_DIR/prompt-N.ids: a prompt of
                                        N tokens (the BOS token and N-1 random byte tokens) as text
                                        for llama.cpp and as comma-separated ids for maskkv

The tokenizer is a byte-level BPE without merges: ids 0-255 are the 256 byte tokens (id = byte
value), so a text of ASCII letters, digits and spaces tokenizes to one token per byte, in both
engines, with llama.cpp's BOS first (the LLaDA converter always sets add_bos_token). The chat
template passes the user message through unchanged, so llama-diffusion-cli (which applies the
model's chat template to every prompt) sees exactly those N tokens.
"""
import json
import os
import random
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
FIXTURES = os.path.join(ROOT, "tools", "fixtures")
sys.path.insert(0, os.path.join(ROOT, "tools"))
sys.path.insert(0, FIXTURES)
from tasks.bpe import bytes_to_unicode  # noqa: E402  (GPT-2's byte-to-character map)
VOCAB = 16384
# make_random_checkpoint.py's special ids for a vocabulary of V: mask V-4, eos V-3, eot V-2, bos V-1.
SPECIAL = {VOCAB - 4: "<|mdm_mask|>", VOCAB - 3: "<|endoftext|>", VOCAB - 2: "<|eot_id|>",
           VOCAB - 1: "<|startoftext|>"}
BOS = VOCAB - 1
PASS_THROUGH_TEMPLATE = "{% for message in messages %}{{ message['content'] }}{% endfor %}"
PROMPT_ALPHABET = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 "


def write_tokenizer(directory):
    chars = bytes_to_unicode()
    vocab = {chars[b]: b for b in range(256)}
    for i in range(256, VOCAB):
        if i not in SPECIAL:
            vocab["<unused%d>" % i] = i
    added = [{"id": i, "content": t, "single_word": False, "lstrip": False, "rstrip": False,
              "normalized": False, "special": True} for i, t in sorted(SPECIAL.items())]
    tok = {"version": "1.0", "added_tokens": added, "normalizer": None,
           "pre_tokenizer": {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": True,
                             "use_regex": True},
           "post_processor": None,
           "decoder": {"type": "ByteLevel", "add_prefix_space": True, "trim_offsets": True,
                       "use_regex": True},
           "model": {"type": "BPE", "dropout": None, "unk_token": None, "continuing_subword_prefix": None,
                     "end_of_word_suffix": None, "fuse_unk": False, "byte_fallback": False,
                     "vocab": vocab, "merges": []}}
    with open(os.path.join(directory, "tokenizer.json"), "w", encoding="utf-8") as f:
        json.dump(tok, f, ensure_ascii=False)
    cfg = {"bos_token": SPECIAL[BOS], "eos_token": SPECIAL[VOCAB - 3], "pad_token": SPECIAL[VOCAB - 3],
           "mask_token": SPECIAL[VOCAB - 4], "add_bos_token": True, "chat_template": PASS_THROUGH_TEMPLATE}
    with open(os.path.join(directory, "tokenizer_config.json"), "w", encoding="utf-8") as f:
        json.dump(cfg, f, indent=2)


def make_model(directory):
    subprocess.run([sys.executable, os.path.join(FIXTURES, "make_random_checkpoint.py"), "--out", directory,
                    "--layers", "12", "--d-model", "768", "--heads", "12", "--mlp", "2304",
                    "--vocab", str(VOCAB), "--max-seq", "8192", "--dtype", "BF16"], check=True)
    write_tokenizer(directory)
    import convert_to_gguf  # numpy and the checkpoint reader: only when a model is written
    convert_to_gguf.convert(directory, os.path.join(directory, "model.gguf"), "BF16")
    print("wrote", directory, "and", os.path.join(directory, "model.gguf"))


def make_prompt(directory, n):
    if n < 2:
        raise ValueError("a prompt needs at least 2 tokens (BOS and one byte), got %d" % n)
    rng = random.Random(n)
    text = "".join(rng.choice(PROMPT_ALPHABET) for _ in range(n - 1))
    ids = [BOS] + [ord(c) for c in text]
    with open(os.path.join(directory, "prompt-%d.txt" % n), "w", encoding="ascii") as f:
        f.write(text)
    with open(os.path.join(directory, "prompt-%d.ids" % n), "w", encoding="ascii") as f:
        f.write(",".join(map(str, ids)))


def main(argv):
    if len(argv) == 3 and argv[1] == "model":
        make_model(argv[2])
    elif len(argv) == 4 and argv[1] == "prompt":
        make_prompt(argv[2], int(argv[3]))
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main(sys.argv)
