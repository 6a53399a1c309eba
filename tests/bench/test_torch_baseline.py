"""The PyTorch baseline of docs/performance.md (bench/torch_baseline.py) generates what
maskkv generates: its vanilla loop the tokens of policy `none`, its dLLM-Cache loop those of
policy `full`, at temperature 0 on the f32 fixtures (so the speed comparison compares the same
computation)."""
import json
import os
import subprocess
import sys

import pytest

BIN = os.environ["MASKKV_BIN"]
FIXTURES = os.environ["MASKKV_FIXTURES"]
SCRIPT = os.path.join(os.path.dirname(__file__), "..", "..", "bench", "torch_baseline.py")


def maskkv_tokens(model, prompt, gen, block, policy):
    p = subprocess.run([BIN, "generate", "--model", model, "--prompt-ids", prompt, "--gen-length", str(gen),
                        "--steps", str(gen), "--block-length", str(block), "--policy", policy, "--json"],
                       capture_output=True, text=True, timeout=300, check=True)
    return json.loads(p.stdout)["tokens"]


def torch_tokens(model, prompt, gen, block):
    p = subprocess.run([sys.executable, SCRIPT, "--model", model, "--prompt-ids", prompt, "--gens", str(gen),
                        "--block", str(block), "--device", "cpu", "--dtype", "f32", "--tokens"],
                       capture_output=True, text=True, timeout=300, check=True)
    out = {}
    for line in p.stdout.splitlines():
        if line.startswith("{"):
            j = json.loads(line)
            out[j["variant"]] = j["tokens"]
    return out


@pytest.mark.parametrize("model,n_prompt,gen,block", [
    ("llada_f32", 60, 16, 8),
    ("llada_f32", 23, 24, 8),
    ("llada_deep_f32", 40, 16, 4),
])
def test_torch_baseline_generates_what_maskkv_generates(model, n_prompt, gen, block):
    path = os.path.join(FIXTURES, "models", model)
    prompt = ",".join(str((i * 53 + 7) % 300) for i in range(n_prompt))
    got = torch_tokens(path, prompt, gen, block)
    assert got["vanilla"] == maskkv_tokens(path, prompt, gen, block, "none")
    assert got["cached"] == maskkv_tokens(path, prompt, gen, block, "full")
