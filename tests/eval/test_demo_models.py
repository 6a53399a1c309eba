"""The shipped demo models (models/demo: LLaDA family; models/demo-dream: Dream family): each
is a complete model directory, and the engine reproduces the PyTorch reference
(tools/reference) token for token on task prompts of every kind, greedy, with the family's own
sampler."""
import json
import os
import subprocess
import sys

import numpy as np
import pytest

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, REPO)
from tools.tasks import synth, bpe  # noqa: E402

BIN = os.environ.get("MASKKV_BIN", os.path.join(REPO, "build", "maskkv"))
MODELS = {"demo": "llada", "demo-dream": "dream"}


@pytest.mark.parametrize("name", sorted(MODELS))
def test_model_directory_is_complete(name):
    d = os.path.join(REPO, "models", name)
    for f in ("config.json", "model.safetensors", "tokenizer.json", "maskkv_profile.json", "README.md",
              "train_log.json", "calibration.jsonl"):
        assert os.path.isfile(os.path.join(d, f)), f
    cfg = json.load(open(os.path.join(d, "config.json")))
    assert cfg["model_type"].lower() == MODELS[name]
    if MODELS[name] == "dream":
        assert cfg["num_key_value_heads"] < cfg["num_attention_heads"]  # GQA


@pytest.mark.skipif(not os.path.exists(BIN), reason="maskkv CLI not built")
@pytest.mark.parametrize("name", sorted(MODELS))
@pytest.mark.parametrize("task", ["passkey", "multikey", "kv", "vartrack"])
def test_engine_matches_reference(name, task):
    d = os.path.join(REPO, "models", name)
    tok = bpe.Tokenizer.load(os.path.join(d, "tokenizer.json"))
    s = synth.build(task, np.random.default_rng([31, synth.TASKS.index(task)]), 160, tok)
    ids = ",".join(map(str, s["prompt_ids"]))
    common = ["--gen-length", "8", "--steps", "8", "--block-length", "8"]
    if MODELS[name] == "dream":
        common += ["--alg", "entropy"]
    ref = subprocess.run([sys.executable, "-m", "tools.reference.generate", "--model", d, "--prompt-ids", ids,
                          "--json", *common], capture_output=True, text=True, timeout=300, cwd=REPO,
                         env={**os.environ, "OPENBLAS_NUM_THREADS": "1"})
    assert ref.returncode == 0, ref.stderr
    eng = subprocess.run([BIN, "generate", "--model", d, "--prompt-ids", ids, "--json", "--threads", "1", *common],
                         capture_output=True, text=True, timeout=300)
    assert eng.returncode == 0, eng.stderr
    assert json.loads(eng.stdout)["tokens"] == json.loads(ref.stdout)["tokens"]
