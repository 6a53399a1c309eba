"""Synthetic long-context tasks (RULER / LongBench style) for maskkv's demo model.

Every sample is built from a seeded numpy Generator and has an exact expected answer. Keys,
values and words are single tokens of the demo tokenizer by construction (its BPE is trained on
text made by this module), so that a tiny model can match a key in one attention step.

Tasks (name: what the prompt holds -> what is asked):
  passkey     filler text with one needle "The pass key is 47." at a chosen depth -> the key
  multikey    filler with K needles "The magic number for apple is 47." (K keys) -> one key's number
  multivalue  filler with 4 needles of one key (different numbers) + distractor keys -> all four
              numbers (scored as a set; the expected order is the order of appearance)
  kv          a list of "apple 47," pairs (distinct keys), spread through filler at long lengths
              -> the number paired with one key
  vartrack    chains "VAR a = 47." "VAR b = a." "VAR c = b." (2 hops) + distractor chains,
              scattered through filler -> the value of the chain's last variable
  cwe         a list of words in which three words are much more frequent than the rest
              -> the three most common words (scored as a set; expected order = most common first)

Prompt layout: [BOS] context "\\nQuestion: ...?\\nAnswer:"; response = answer tokens then EOS up
to the generation length. `build(task, rng, n_tokens, tok, depth=None)` returns a dict whose
`prompt_ids` has exactly n_tokens ids (BOS included).
"""
import re

import numpy as np

TASKS = ["passkey", "multikey", "multivalue", "kv", "vartrack", "cwe"]
# Training-only tasks (never evaluated; not in the tokenizer's corpus, whose words they reuse).
#   recall  several keys asked at once, in the pair-list, magic-number or VAR format
#           -> their values in the asked order: up to 7 supervised key->value lookups per sample
#           where the evaluated tasks have one, which is what teaches a small model to bind a
#           value to its key (docs/results.md, "Training the demo model").
#   pairs   a pair list " Pairs: apple 47, ..." in which each of 2-8 keys recurs, always with its
#           one value, then the kv question about one of them. Meant for the pre-training
#           objective (tools/train/train_demo_model.py --pretrain-weights), under which every masked
#           value whose key recurs with its value visible is a key->value lookup.
TRAIN_TASKS = TASKS + ["recall", "pairs"]
SET_TASKS = {"multivalue", "cwe"}
# The shortest prompt (tokens, BOS included) that every sample of a task fits: its needles and
# question at their largest draw (multikey: 8 needles; multivalue: 4 values + 3 distractors;
# vartrack: 3 chains of 2 hops). build() refuses shorter ones; tests/eval/test_tasks.py checks
# that every sample fits at these lengths and that the numbers are tight.
MIN_TOKENS = {"passkey": 19, "multikey": 79, "multivalue": 72, "kv": 23, "vartrack": 59, "cwe": 26,
              "recall": 23, "pairs": 23}
GEN_LENGTH = 8
# The fewest nouns a key pool may hold: vartrack draws up to 3 chains of 3 names, multikey 8 keys.
MIN_KEY_POOL = 9

# 128 keys (single-token nouns); also the variable names and the words of the cwe task.
KEYS = """apple river stone cloud tiger piano lemon candle forest bridge garden rocket
window dragon silver pepper castle island mirror orange rabbit shadow summer winter
anchor basket butter camera carpet cotton desert engine falcon finger flower gravel
hammer helmet jacket jungle kettle ladder magnet marble meadow needle nickel noodle
oyster paddle parrot pebble pencil pickle pillow planet pocket puzzle quartz ribbon
saddle salmon sandal shovel spider spoon squid sponge statue sugar tomato tunnel turtle
velvet violin wagon walnut wizard yogurt zebra acorn badge bottle cactus cherry comet
copper crayon donkey eagle feather glacier goblet harbor honey iguana ivory jigsaw kayak
koala lantern lizard lobster mango melon mitten nectar olive otter panda peach penguin
pirate plum pumpkin radar raven robot scarf shark skate sloth snail tulip vase walrus
whale""".split()
KEYS = list(dict.fromkeys(KEYS))[:128]
VALUES = ["%d" % v for v in range(10, 100)]  # 90 two-digit numbers, single tokens " 47"

# Filler: random sentences over a small vocabulary disjoint from KEYS and VALUES.
F_SUBJ = ["The man", "The woman", "The child", "The farmer", "The teacher", "The doctor",
          "The king", "The sailor", "A boy", "A girl", "The old man", "The young girl"]
F_VERB = ["walked to", "looked at", "talked about", "went past", "thought about", "saw",
          "found", "liked", "left", "visited", "painted", "cleaned"]
F_OBJ = ["the house", "the town", "the hill", "the road", "the field", "the school",
         "the market", "the lake", "the door", "the wall", "the old house", "the big tree"]
F_TAIL = ["", "", " in the morning", " at night", " again", " with a friend", " very slowly",
          " after the rain", " on the way home", " for a long time"]
F_OTHER = ["The grass is green.", "The sky is blue.", "The sun is yellow.", "Here we go.",
           "There and back again.", "It was a quiet day.", "Nothing else happened.",
           "Time went by.", "The weather was fine."]

BOS, EOS, MASK, EOT = "<|startoftext|>", "<|endoftext|>", "<|mask|>", "<|eot_id|>"
SPECIALS = [EOS, BOS, MASK, EOT]

# GPT-2 byte-level pre-tokenisation; the texts are ASCII, so \p{L} = [A-Za-z], \p{N} = [0-9].
PRETOK = re.compile(r"""'s|'t|'re|'ve|'m|'ll|'d| ?[A-Za-z]+| ?[0-9]+| ?[^\sA-Za-z0-9]+|\s+(?!\S)|\s+""")


def filler_sentence(rng):
    if rng.random() < 0.3:
        return " " + F_OTHER[rng.integers(len(F_OTHER))]
    return " %s %s %s%s." % (F_SUBJ[rng.integers(len(F_SUBJ))], F_VERB[rng.integers(len(F_VERB))],
                             F_OBJ[rng.integers(len(F_OBJ))], F_TAIL[rng.integers(len(F_TAIL))])


def corpus(rng, n_samples=3000):
    """Text for training the BPE: samples of every task at short lengths plus every word list,
    with tokenisation done only by the regex (no BPE yet)."""
    out = []
    for s in range(n_samples):
        task = TASKS[s % len(TASKS)]
        out.append(build(task, rng, 160, None)["prompt"])
    for _ in range(40):
        out.append("".join(" " + k for k in KEYS))
        out.append("".join(" " + v for v in VALUES))
    return out


# ---------------------------------------------------------------------------------------------
class _Counter:
    """Token counter used while building: exact ids when a tokenizer is given, otherwise
    pretoken counts (used only to make the BPE corpus)."""

    def __init__(self, tok):
        self.tok = tok

    def n(self, text):
        if self.tok is None:
            return len(PRETOK.findall(text))
        return len(self.tok.encode(text))


def _filler_units(rng, count, cnt):
    """A list of filler sentences totalling exactly `count` tokens (the last one may be cut
    short; every filler word is one token)."""
    units, total = [], 0
    while total < count:
        s = filler_sentence(rng)
        k = cnt.n(s)
        if total + k > count:
            words = PRETOK.findall(s)
            need = count - total
            s = "".join(words[:need - 1]) + "." if need > 1 else " Here"
            k = cnt.n(s)
        units.append(s)
        total += k
    return units


def _insert(units, items, depths):
    """Inserts items (strings) between filler units at relative depths in [0, 1]; keeps order
    of items with equal depth."""
    n = len(units)
    slots = [int(round(d * n)) for d in depths]
    order = sorted(range(len(items)), key=lambda i: (slots[i], i))
    out, j = [], 0
    for pos in range(n + 1):
        while j < len(order) and slots[order[j]] == pos:
            out.append(items[order[j]])
            j += 1
        if pos < n:
            out.append(units[pos])
    return out


def _pick(rng, seq, k):
    idx = rng.choice(len(seq), size=k, replace=False)
    return [seq[i] for i in idx]


def build(task, rng, n_tokens, tok, depth=None, hops=None, keys=None):
    """One sample of `task` with a prompt of exactly n_tokens tokens (BOS included) when tok is
    given. depth in [0, 1] places the (first) needle; None draws it. `keys`: the nouns that keys
    and variable names are drawn from (default all of KEYS; training curricula start with a
    few). cwe always draws its words from all of KEYS. Raises ValueError for an unknown task, a
    key pool too small for the task, or a length below MIN_TOKENS[task]."""
    if task not in MIN_TOKENS:
        raise ValueError("unknown task %r (tasks: %s)" % (task, ", ".join(TRAIN_TASKS)))
    if n_tokens < MIN_TOKENS[task]:
        raise ValueError("task %s: a %d-token prompt cannot hold its needles and question; "
                         "it needs at least %d tokens" % (task, n_tokens, MIN_TOKENS[task]))
    pool = KEYS if keys is None else list(keys)
    if len(pool) < MIN_KEY_POOL:
        raise ValueError("a key pool of %d nouns is too small; tasks need at least %d" % (len(pool), MIN_KEY_POOL))
    cnt = _Counter(tok)
    info = {}
    if task == "passkey":
        v = VALUES[rng.integers(len(VALUES))]
        needles = [" The pass key is %s." % v]
        question = "\nQuestion: What is the pass key?\nAnswer:"
        answer = [v]
        d = float(rng.random()) if depth is None else float(depth)
        depths = [d]
        info["depth"] = d
    elif task == "multikey":
        k = int(rng.integers(2, 9))
        keys = _pick(rng, pool, k)
        vals = [VALUES[rng.integers(len(VALUES))] for _ in keys]
        needles = [" The magic number for %s is %s." % (a, b) for a, b in zip(keys, vals)]
        q = int(rng.integers(k))
        question = "\nQuestion: What is the magic number for %s?\nAnswer:" % keys[q]
        answer = [vals[q]]
        depths = [float(rng.random()) for _ in keys]
        if depth is not None:
            depths[q] = float(depth)
        info["depth"] = depths[q]
    elif task == "multivalue":
        nd = int(rng.integers(1, 4))
        keys = _pick(rng, pool, 1 + nd)
        vals = _pick(rng, VALUES, 4)
        depths = sorted(float(rng.random()) for _ in range(4))
        needles = [" The magic number for %s is %s." % (keys[0], v) for v in vals]
        for kd in keys[1:]:
            needles.append(" The magic number for %s is %s." % (kd, VALUES[rng.integers(len(VALUES))]))
            depths.append(float(rng.random()))
        question = "\nQuestion: What are all the magic numbers for %s?\nAnswer:" % keys[0]
        answer = vals  # order of appearance (depths sorted; ties keep this order)
        info["depth"] = depths[0]
    elif task == "vartrack":
        h = int(rng.integers(1, 3)) if hops is None else int(hops)
        nchains = int(rng.integers(2, 4))
        names = _pick(rng, pool, nchains * (h + 1))
        vals = _pick(rng, VALUES, nchains)
        needles, depths = [], []
        for c in range(nchains):
            chain = names[c * (h + 1):(c + 1) * (h + 1)]
            ds = sorted(float(rng.random()) for _ in range(h + 1))
            needles.append(" VAR %s = %s." % (chain[0], vals[c]))
            for a, b in zip(chain[1:], chain[:-1]):
                needles.append(" VAR %s = %s." % (a, b))
            depths += ds
        if depth is not None:
            depths[0] = float(depth)
        question = "\nQuestion: What is the value of %s?\nAnswer:" % names[h]
        answer = [vals[0]]
        info["depth"] = depths[0]
        info["hops"] = h
    elif task == "kv":
        # pairs " apple 47," (3 tokens); as many distinct keys as fit, at most all of KEYS
        fixed = "\nQuestion: What is the number paired with %s?\nAnswer:" % KEYS[0]
        budget = n_tokens - 1 - cnt.n(" Pairs:") - cnt.n(fixed)
        npairs = max(2, min(len(pool), budget // 3))
        keys = _pick(rng, pool, npairs)
        vals = [VALUES[rng.integers(len(VALUES))] for _ in keys]
        q = int(rng.integers(npairs)) if depth is None else min(npairs - 1, int(depth * npairs))
        question = "\nQuestion: What is the number paired with %s?\nAnswer:" % keys[q]
        prompt = _pair_list_prompt(rng, list(zip(keys, vals)), budget, question, cnt)
        info["depth"] = q / max(1, npairs - 1)
        return _finish(task, prompt, [vals[q]], tok, n_tokens, info)
    elif task == "cwe":
        question = "\nQuestion: What are the three most common words?\nAnswer:"
        budget = n_tokens - 1 - cnt.n(" Words:") - cnt.n(question)
        words = _pick(rng, KEYS, 3 + 30)
        top, rest = words[:3], words[3:]
        shares = [0.14, 0.11, 0.08]
        counts = [max(3 - i + 1, int(round(s * budget))) for i, s in enumerate(shares)]
        n_rest = budget - sum(counts)
        seq = []
        for w, c in zip(top, counts):
            seq += [w] * c
        seq += [rest[i] for i in rng.integers(len(rest), size=n_rest)]
        seq = [seq[i] for i in rng.permutation(len(seq))]
        prompt = BOS + " Words:" + "".join(" " + w for w in seq) + question
        return _finish(task, prompt, top, tok, n_tokens, info)
    elif task == "recall":
        return _recall(rng, n_tokens, tok, cnt, pool)
    elif task == "pairs":
        return _pairs(rng, n_tokens, tok, cnt, pool)

    rest = n_tokens - 1 - cnt.n("".join(needles) + question)
    units = _filler_units(rng, max(0, rest), cnt)
    body = _insert(units, needles, depths)
    prompt = BOS + "".join(body) + question
    return _finish(task, prompt, answer, tok, n_tokens, info)


RECALL_FORMATS = [  # (needle, question head, joiner of the asked keys)
    (" %s %s,", "\nQuestion: What are the numbers paired with %s?\nAnswer:"),
    (" The magic number for %s is %s.", "\nQuestion: What is the magic number for %s?\nAnswer:"),
    (" VAR %s = %s.", "\nQuestion: What is the value of %s?\nAnswer:"),
]


def _recall(rng, n_tokens, tok, cnt, pool):
    """The training-only multi-query task: k in [1, 7] keys asked among np >= k needles."""
    form = int(rng.integers(len(RECALL_FORMATS)))
    needle, qhead = RECALL_FORMATS[form]
    k = int(rng.integers(1, GEN_LENGTH))
    per = cnt.n(needle % (KEYS[0], VALUES[0]))

    def budget_for(k):
        return n_tokens - 1 - cnt.n(" Pairs:") - cnt.n(qhead % ", ".join(KEYS[:k])) - 2

    while k > 1 and budget_for(k) < k * per:  # short prompts ask fewer keys
        k -= 1
    budget = budget_for(k)
    most = max(k, min(len(pool), budget // per))
    npairs = int(rng.integers(k, most + 1))
    keys = _pick(rng, pool, npairs)
    vals = [VALUES[rng.integers(len(VALUES))] for _ in keys]
    asked = [int(i) for i in rng.choice(npairs, size=k, replace=False)]
    question = qhead % ", ".join(keys[i] for i in asked)
    needles = [needle % (a, b) for a, b in zip(keys, vals)]
    head = " Pairs:" if form == 0 else ""
    rest = n_tokens - 1 - cnt.n(head + "".join(needles) + question)
    units = _filler_units(rng, max(0, rest), cnt)
    body = _insert(units, needles, sorted(float(rng.random()) for _ in needles))
    prompt = BOS + head + "".join(body) + question
    return _finish("recall", prompt, [vals[i] for i in asked], tok, n_tokens, {"depth": 0.0})


def _pair_list_prompt(rng, pairs, budget, question, cnt):
    """BOS " Pairs:" then the pairs " apple 47," (3 tokens each) spread evenly through filler
    that makes up the rest of `budget` tokens (a dense list when nothing is left), then the
    question."""
    rest = budget - 3 * len(pairs)
    units = _filler_units(rng, rest, cnt) if rest > 0 else []
    depths = [i / max(1, len(pairs) - 1) for i in range(len(pairs))]
    body = _insert(units, [" %s %s," % kv for kv in pairs], depths)
    return BOS + " Pairs:" + "".join(body) + question


def _pairs(rng, n_tokens, tok, cnt, pool):
    """The training-only recurring-pairs task: 2-8 keys, each bound to one value, drawn again and
    again into a pair list that fills the prompt (every key at least once)."""
    fixed = "\nQuestion: What is the number paired with %s?\nAnswer:" % KEYS[0]
    budget = n_tokens - 1 - cnt.n(" Pairs:") - cnt.n(fixed)
    npairs = max(2, budget // 3)
    nkeys = min(int(rng.integers(2, 9)), max(2, npairs // 2))  # keys recur about twice or more
    keys = _pick(rng, pool, nkeys)
    vals = [VALUES[rng.integers(len(VALUES))] for _ in keys]
    q = int(rng.integers(nkeys))
    question = "\nQuestion: What is the number paired with %s?\nAnswer:" % keys[q]
    order = list(rng.permutation(nkeys)) + [int(i) for i in rng.integers(nkeys, size=npairs - nkeys)]
    order = [order[i] for i in rng.permutation(npairs)]
    prompt = _pair_list_prompt(rng, [(keys[i], vals[i]) for i in order], budget, question, cnt)
    return _finish("pairs", prompt, [vals[q]], tok, n_tokens, {"depth": 0.0})


def too_short(tasks, n_tokens):
    """The tasks among `tasks` whose samples do not fit n_tokens tokens (for option checks)."""
    return [t for t in tasks if n_tokens < MIN_TOKENS[t]]


def _finish(task, prompt, answer, tok, n_tokens, info):
    out = {"task": task, "prompt": prompt, "answer": answer,
           "answer_text": "".join(" " + a for a in answer), "n_tokens": n_tokens}
    out.update(info)
    if tok is not None:
        ids = tok.encode(prompt)
        if len(ids) > n_tokens:  # MIN_TOKENS out of date with the formats
            raise AssertionError("%s sample of %d tokens for a %d-token prompt" % (task, len(ids), n_tokens))
        out["prompt_ids"] = ids
        out["answer_ids"] = tok.encode(out["answer_text"])
        if len(out["answer_ids"]) != len(answer):
            raise AssertionError("answer words are not single tokens: %r" % answer)
    return out


def response_ids(sample, tok, gen_length=GEN_LENGTH):
    ids = list(sample["answer_ids"]) + [tok.special[EOS]] * gen_length
    return ids[:gen_length]


def score(sample, tokens, tok):
    """1.0 when the generated tokens (cut at the first EOS/EoT) are the expected answer (as a
    set for multivalue and cwe), else 0.0."""
    stop = {tok.special[EOS], tok.special[EOT]}
    out = []
    for t in tokens:
        if t in stop:
            break
        out.append(int(t))
    exp = list(sample["answer_ids"])
    if sample["task"] in SET_TASKS:
        return 1.0 if sorted(out) == sorted(exp) else 0.0
    return 1.0 if out == exp else 0.0
