"""Smoke checks of tools/train/train_demo_model.py: four steps of a one-layer model (steps 0-2 on the
SFT objective, step 3 on the pre-training one, for seed 1234 and --pretrain-frac 0.5) write a
model directory the engine loads, with the shipped tokenizer (it is deterministic from the
seed), and absurd options are refused with a message naming them."""
import json
import math
import os
import subprocess
import sys

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TRAIN = os.path.join(REPO, "tools", "train", "train_demo_model.py")
MODEL = os.path.join(REPO, "models", "demo")
BIN = os.environ.get("MASKKV_BIN", os.path.join(REPO, "build", "maskkv"))
TINY = ["--d-model", "32", "--n-heads", "2", "--n-layers", "1", "--mlp", "64", "--steps", "4",
        "--warmup", "1", "--batch-tokens", "512", "--min-len", "96", "--start-len", "96",
        "--max-len", "96", "--eval-every", "0", "--eval-lengths", "96", "--final-per", "2"]


def train(out, *extra):
    return subprocess.run([sys.executable, TRAIN, "--out", str(out), *TINY, *extra], capture_output=True,
                          text=True, env={**os.environ, "OPENBLAS_NUM_THREADS": "1"}, timeout=240)


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    out = tmp_path_factory.mktemp("tiny")
    p = train(out, "--t-min", "0.2", "--pretrain-frac", "0.5", "--task-weights", "1,1,1,1,1,1,1")
    assert p.returncode == 0, p.stderr
    return out


def test_writes_a_model_directory_with_its_settings(tiny):
    for f in ("config.json", "model.safetensors", "tokenizer.json", "train_log.json"):
        assert (tiny / f).is_file(), f
    cfg = json.loads((tiny / "config.json").read_text())
    assert (cfg["d_model"], cfg["n_layers"], cfg["n_heads"], cfg["mlp_hidden_size"]) == (32, 1, 2, 64)
    log = json.loads((tiny / "train_log.json").read_text())
    assert log["settings"]["t_min"] == 0.2 and log["settings"]["pretrain_frac"] == 0.5
    assert log["final_step"] == 3
    assert math.isfinite(log["final_loss_ema"]) and log["final_loss_ema"] > 0
    assert "recall@96" in log["final_eval"]  # trained on, so evaluated
    assert set(log["final_eval_avg"]) == {"96"}


def test_tokenizer_is_the_shipped_one(tiny):
    assert (tiny / "tokenizer.json").read_bytes() == open(os.path.join(MODEL, "tokenizer.json"), "rb").read()


@pytest.mark.skipif(not os.path.exists(BIN), reason="maskkv CLI not built")
def test_the_engine_loads_and_runs_the_trained_model(tiny):
    prompt = "Pairs: apple 47, river 12,\nQuestion: What is the number paired with river?\nAnswer:"
    p = subprocess.run([BIN, "generate", "--model", str(tiny), "--prompt", prompt, "--gen-length", "8", "--json"],
                       capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, p.stderr
    r = json.loads(p.stdout)
    assert len(r["tokens"]) == 8 and r["steps"] == 8


@pytest.mark.parametrize("args, message", [
    (["--t-min", "0"], "--t-min"),
    (["--t-min", "1.5"], "--t-min"),
    (["--pretrain-frac", "-0.1"], "--pretrain-frac"),
    (["--task-weights", "1,1"], "--task-weights"),
    (["--task-weights", "0,0,0,0,0,0"], "--task-weights"),
    (["--min-len", "64"], "--min-len 64: too short for multikey, multivalue (needs 79 tokens"),
    (["--aux-next", "-1"], "--aux-next"),
    (["--key-pool", "4"], "--key-pool"),
    (["--key-pool", "16", "--key-pool-every", "0"], "--key-pool-every"),
    (["--n-kv-heads", "1"], "GQA only for --family dream"),
    (["--family", "dream", "--n-kv-heads", "3"], "--n-kv-heads must divide --n-heads"),
    (["--probe-cells", "kv@8"], "--probe-cells"),
    (["--min-len", "20", "--task-weights", "0,0,0,1,0,0", "--pretrain-frac", "0.5", "--pretrain-weights", "1,0,0,0,0,0"],
     "--min-len 20: too short for kv (needs 23 tokens"),
])
def test_absurd_options_are_refused(tmp_path, args, message):
    p = train(tmp_path / "never", *args)
    assert p.returncode == 2 and message in p.stderr
    assert not (tmp_path / "never" / "model.safetensors").exists()


@pytest.fixture(scope="module")
def tiny_dream(tmp_path_factory):
    out = tmp_path_factory.mktemp("tiny_dream")
    p = train(out, "--family", "dream", "--n-kv-heads", "1", "--aux-next", "1", "--key-pool", "16",
              "--key-pool-every", "2", "--eval-every", "2", "--probe-cells", "kv@64")
    assert p.returncode == 0, p.stderr
    return out


def test_dream_family_directory(tiny_dream):
    cfg = json.loads((tiny_dream / "config.json").read_text())
    assert cfg["model_type"] == "Dream" and cfg["num_key_value_heads"] == 1 and cfg["num_attention_heads"] == 2
    log = json.loads((tiny_dream / "train_log.json").read_text())
    assert log["settings"]["aux_next"] == 1 and log["settings"]["key_pool"] == 16
    assert all(row[5] is not None for row in log["loss"])  # the auxiliary loss is logged
    assert log["evals"] and "kv@64" in log["evals"][0]["probe"]  # the binding probe runs during training


@pytest.mark.skipif(not os.path.exists(BIN), reason="maskkv CLI not built")
def test_the_engine_runs_the_dream_model_like_the_reference(tiny_dream):
    ids = "980,300,301,302,303,304"
    common = ["--gen-length", "8", "--steps", "8", "--alg", "entropy"]
    ref = subprocess.run([sys.executable, "-m", "tools.reference.generate", "--model", str(tiny_dream),
                          "--prompt-ids", ids, "--json", *common], capture_output=True, text=True, timeout=120,
                         cwd=REPO)
    assert ref.returncode == 0, ref.stderr
    eng = subprocess.run([BIN, "generate", "--model", str(tiny_dream), "--prompt-ids", ids, "--json", *common],
                         capture_output=True, text=True, timeout=60)
    assert eng.returncode == 0, eng.stderr
    assert json.loads(eng.stdout)["tokens"] == json.loads(ref.stdout)["tokens"]


def test_key_pool_curriculum():
    sys.path.insert(0, REPO)
    import argparse
    from tools.train import train_demo_model as trainer
    a = argparse.Namespace(key_pool=16, key_pool_every=100)
    assert trainer.key_pool(0, a) == trainer.synth.KEYS[:16]
    assert trainer.key_pool(150, a) == trainer.synth.KEYS[:32]
    assert trainer.key_pool(300, a) is None  # 128: all of them
    assert trainer.key_pool(0, argparse.Namespace(key_pool=0, key_pool_every=100)) is None


def probe(model, cells, samples="16"):
    p = subprocess.run([sys.executable, os.path.join(REPO, "tools", "train", "probe_binding.py"), str(model), cells,
                        "--samples", samples], capture_output=True, text=True, timeout=120,
                       env={**os.environ, "OPENBLAS_NUM_THREADS": "1"})
    return p, [json.loads(line) for line in p.stdout.splitlines() if line.strip()]


def test_binding_probe_on_the_shipped_model():
    p, rows = probe(MODEL, "passkey@256,multikey@256,pairs@64")
    assert p.returncode == 0, p.stderr
    passkey, multikey, pairs = rows
    assert passkey["samples"] == 16 and passkey["values_in_prompt"] == 1.0
    assert passkey["p_answer"] > 0.9 and passkey["argmax_accuracy"] == 1.0  # it does retrieve one needle
    assert 0.0 <= multikey["p_answer"] <= multikey["context_value_mass"] <= 1.0
    assert multikey["values_in_prompt"] > 1.0
    # 64-token recurring-pair lists: some key recurs in nearly every one (2-8 keys, 16 pairs)
    assert pairs["samples"] >= 12 and 0.0 <= pairs["p_answer"] <= pairs["context_value_mass"] <= 1.0


def test_binding_probe_refuses_bad_cells_and_a_missing_model(tmp_path):
    for cells in ("kv@8", "nosuchtask@64", "kv"):
        p, _ = probe(MODEL, cells)
        assert p.returncode == 2 and "cell" in p.stderr
    p, _ = probe(tmp_path, "kv@64")
    assert p.returncode == 2 and "no config.json" in p.stderr
