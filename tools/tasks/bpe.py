"""A small byte-level BPE (GPT-2 style) for the demo model: training, encoding, decoding, and the
Hugging Face tokenizer.json the engine loads.

Training runs merges to completion on the corpus' pretoken counts (most frequent pair first,
ties to the lexicographically smallest pair), so every distinct corpus word ends as one token:
task keys, values and words are single tokens by construction. Special tokens follow the BPE
vocabulary. Encoding matches the HF ByteLevel pre-tokenizer + BPE for ASCII text (the tasks are
ASCII); tests/eval/test_tasks.py (test_tokenizer_parity_with_engine) checks parity with the engine.
"""
import json
import re
from collections import Counter

from .synth import PRETOK, SPECIALS, BOS


def bytes_to_unicode():
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(ord("\xa1"), ord("\xac") + 1)) + \
        list(range(ord("\xae"), ord("\xff") + 1))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return dict(zip(bs, [chr(c) for c in cs]))


B2U = bytes_to_unicode()
U2B = {v: k for k, v in B2U.items()}


def _to_u(piece):
    return "".join(B2U[b] for b in piece.encode("utf-8"))


def train(texts, max_merges=4000):
    words = Counter()
    for t in texts:
        for p in PRETOK.findall(t):
            words[tuple(_to_u(p))] += 1
    words = {w: c for w, c in words.items()}
    merges = []
    while len(merges) < max_merges:
        pairs = Counter()
        for w, c in words.items():
            for a, b in zip(w, w[1:]):
                pairs[(a, b)] += c
        if not pairs:
            break
        best = min(pairs.items(), key=lambda kv: (-kv[1], kv[0]))[0]
        merges.append(best)
        new = {}
        for w, c in words.items():
            out, i = [], 0
            while i < len(w):
                if i + 1 < len(w) and (w[i], w[i + 1]) == best:
                    out.append(w[i] + w[i + 1])
                    i += 2
                else:
                    out.append(w[i])
                    i += 1
            new[tuple(out)] = new.get(tuple(out), 0) + c
        words = new
    vocab = {}
    for b in range(256):
        vocab[B2U[b]] = len(vocab)
    for a, b in merges:
        if a + b not in vocab:
            vocab[a + b] = len(vocab)
    return vocab, merges


class Tokenizer:
    def __init__(self, vocab, merges):
        self.vocab = dict(vocab)
        self.merges = [tuple(m) for m in merges]
        self.ranks = {m: i for i, m in enumerate(self.merges)}
        self.special = {}
        n = len(self.vocab)
        for s in SPECIALS:
            self.special[s] = n
            n += 1
        self.size = n
        self.id_to_piece = {i: p for p, i in self.vocab.items()}
        for s, i in self.special.items():
            self.id_to_piece[i] = s
        self._cache = {}
        self._split = re.compile("(" + "|".join(re.escape(s) for s in SPECIALS) + ")")

    @classmethod
    def load(cls, path):
        with open(path, "r", encoding="utf-8") as f:
            j = json.load(f)
        merges = [tuple(m.split(" ")) if isinstance(m, str) else tuple(m)
                  for m in j["model"]["merges"]]
        tok = cls(j["model"]["vocab"], merges)
        for t in j["added_tokens"]:
            assert tok.special[t["content"]] == t["id"]
        return tok

    def _bpe(self, piece):
        ids = self._cache.get(piece)
        if ids is not None:
            return ids
        w = list(_to_u(piece))
        while len(w) > 1:
            best, rank = None, None
            for a, b in zip(w, w[1:]):
                r = self.ranks.get((a, b))
                if r is not None and (rank is None or r < rank):
                    best, rank = (a, b), r
            if best is None:
                break
            out, i = [], 0
            while i < len(w):
                if i + 1 < len(w) and (w[i], w[i + 1]) == best:
                    out.append(w[i] + w[i + 1])
                    i += 2
                else:
                    out.append(w[i])
                    i += 1
            w = out
        ids = [self.vocab[s] for s in w]
        self._cache[piece] = ids
        return ids

    def encode(self, text):
        out = []
        for part in self._split.split(text):
            if not part:
                continue
            if part in self.special:
                out.append(self.special[part])
                continue
            for p in PRETOK.findall(part):
                out.extend(self._bpe(p))
        return out

    def decode(self, ids):
        data = bytearray()
        for i in ids:
            p = self.id_to_piece[int(i)]
            if p in self.special:
                data.extend(p.encode("utf-8"))
            else:
                data.extend(U2B[c] for c in p)
        return data.decode("utf-8", errors="replace")

    def to_json(self):
        added = [{"id": i, "content": s, "single_word": False, "lstrip": False, "rstrip": False,
                  "normalized": False, "special": True} for s, i in self.special.items()]
        bos = self.special[BOS]
        return {
            "version": "1.0",
            "truncation": None,
            "padding": None,
            "added_tokens": added,
            "normalizer": None,
            "pre_tokenizer": {"type": "ByteLevel", "add_prefix_space": False,
                              "trim_offsets": True, "use_regex": True},
            "post_processor": {
                "type": "TemplateProcessing",
                "single": [{"SpecialToken": {"id": BOS, "type_id": 0}},
                           {"Sequence": {"id": "A", "type_id": 0}}],
                "pair": [{"SpecialToken": {"id": BOS, "type_id": 0}},
                         {"Sequence": {"id": "A", "type_id": 0}},
                         {"Sequence": {"id": "B", "type_id": 1}}],
                "special_tokens": {BOS: {"id": BOS, "ids": [bos], "tokens": [BOS]}},
            },
            "decoder": {"type": "ByteLevel", "add_prefix_space": True, "trim_offsets": True,
                        "use_regex": True},
            "model": {"type": "BPE", "dropout": None, "unk_token": None,
                      "continuing_subword_prefix": None, "end_of_word_suffix": None,
                      "fuse_unk": False, "byte_fallback": False, "ignore_merges": False,
                      "vocab": self.vocab, "merges": ["%s %s" % m for m in self.merges]},
        }

    def save(self, path):
        with open(path, "w", encoding="utf-8") as f:
            json.dump(self.to_json(), f, ensure_ascii=False, indent=None)
            f.write("\n")
