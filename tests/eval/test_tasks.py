"""Checks of the synthetic long-context tasks (tools/tasks/synth.py) and the demo tokenizer."""
import json
import os
import re
import subprocess
import sys

import numpy as np
import pytest

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, REPO)
from tools.tasks import synth, bpe  # noqa: E402

MODEL = os.path.join(REPO, "models", "demo")
BIN = os.environ.get("MASKKV_BIN", os.path.join(REPO, "build", "maskkv"))


@pytest.fixture(scope="module")
def tok():
    return bpe.Tokenizer.load(os.path.join(MODEL, "tokenizer.json"))


@pytest.mark.parametrize("task", synth.TASKS)
def test_lengths_answers_and_determinism(tok, task):
    for n in (256, 1000, 2048):
        a = synth.build(task, np.random.default_rng([1, n]), n, tok)
        b = synth.build(task, np.random.default_rng([1, n]), n, tok)
        assert a["prompt_ids"] == b["prompt_ids"] and a["answer"] == b["answer"]
        assert abs(len(a["prompt_ids"]) - n) <= 1
        assert a["prompt_ids"][0] == tok.special[synth.BOS]
        assert len(a["answer_ids"]) == len(a["answer"]) >= 1
        for w in a["answer"]:
            assert (" " + w) in a["prompt"]  # the answer is in the context
        resp = synth.response_ids(a, tok)
        assert len(resp) == synth.GEN_LENGTH and synth.score(a, resp, tok) == 1.0


@pytest.mark.parametrize("task", [t for t in synth.TRAIN_TASKS if t not in synth.TASKS])
def test_training_only_tasks(tok, task):
    for n in (64, 256, 1000):
        for seed in range(20):
            s = synth.build(task, np.random.default_rng([seed, n]), n, tok)
            assert len(s["prompt_ids"]) == n and s["prompt_ids"][0] == tok.special[synth.BOS]
            assert 1 <= len(s["answer_ids"]) == len(s["answer"]) < synth.GEN_LENGTH
            for w in s["answer"]:
                assert (" " + w) in s["prompt"]
            if task == "pairs":  # every key recurs with one value, and most keys recur
                found = re.findall(r" (\w+) (\d\d),", s["prompt"])
                seen = {}
                for k, v in found:
                    assert seen.setdefault(k, v) == v
                assert len(found) >= 2 * len(seen) - 1 and len(found) * 3 >= n // 2


def test_needle_depth(tok):
    for d in (0.0, 0.5, 1.0):
        s = synth.build("passkey", np.random.default_rng(3), 1024, tok, depth=d)
        pos = s["prompt"].index("pass key is") / len(s["prompt"])
        assert abs(pos - d) < 0.1


def test_cwe_answer_is_most_common(tok):
    s = synth.build("cwe", np.random.default_rng(4), 1024, tok)
    words = s["prompt"].split("Words:")[1].split("\n")[0].split()
    counts = sorted(((words.count(w), w) for w in set(words)), reverse=True)
    assert [w for _, w in counts[:3]] == s["answer"]


def test_scoring(tok):
    s = synth.build("multivalue", np.random.default_rng(5), 512, tok)
    eos = tok.special[synth.EOS]
    ids = list(s["answer_ids"])
    assert synth.score(s, ids[::-1] + [eos] * 4, tok) == 1.0  # a set
    assert synth.score(s, ids[:3] + [eos] * 5, tok) == 0.0
    k = synth.build("kv", np.random.default_rng(6), 512, tok)
    assert synth.score(k, k["answer_ids"] + [eos] * 7, tok) == 1.0
    assert synth.score(k, k["answer_ids"] * 2 + [eos] * 6, tok) == 0.0


@pytest.mark.skipif(not os.path.exists(BIN), reason="maskkv CLI not built")
def test_tokenizer_parity_with_engine(tok):
    rng = np.random.default_rng(8)
    texts = [synth.build(t, rng, 300, tok)["prompt"][len(synth.BOS):] for t in synth.TASKS]
    texts += ["Hello, world! 123 4567 it's  spaces\n\n\tx", "caf\u00e9 \u2603 <|mask|> a<|endoftext|>b"]
    p = subprocess.run([BIN, "tokenize", "--model", MODEL, "--json-lines"], input="\n".join(json.dumps(t) for t in texts),
                       capture_output=True, text=True, check=True)
    got = [json.loads(line) for line in p.stdout.splitlines() if line.strip()]
    assert len(got) == len(texts)
    for t, g in zip(texts, got):
        if g[:1] == [tok.special[synth.BOS]]:  # the CLI may apply the post-processor (BOS)
            g = g[1:]
        assert g == tok.encode(t)
    p = subprocess.run([BIN, "detokenize", "--model", MODEL],
                       input="\n".join(json.dumps(tok.encode(t)) for t in texts[:6]),
                       capture_output=True, text=True, check=True)
    assert [json.loads(line) for line in p.stdout.splitlines() if line.strip()] == texts[:6]


@pytest.mark.parametrize("task", synth.TRAIN_TASKS)
def test_minimum_lengths(tok, task):
    """Every sample fits MIN_TOKENS[task]; one token less is refused with a message naming the
    task and the minimum; and the minimum is tight (some sample needs all of it)."""
    m = synth.MIN_TOKENS[task]
    longest = 0
    for seed in range(40):
        ids = synth.build(task, np.random.default_rng([seed, m]), m, tok)["prompt_ids"]
        assert len(ids) <= m
        longest = max(longest, len(ids))
    assert longest == m
    with pytest.raises(ValueError, match="task %s: a %d-token prompt .* at least %d tokens" % (task, m - 1, m)):
        synth.build(task, np.random.default_rng(0), m - 1, tok)
    assert synth.too_short([task, "multikey"], m - 1) == [task, "multikey"]  # 79 is the largest
    assert synth.too_short([task, "passkey"], max(m, 19)) == []


def test_unknown_task(tok):
    with pytest.raises(ValueError, match="unknown task 'needle'"):
        synth.build("needle", np.random.default_rng(0), 256, tok)
