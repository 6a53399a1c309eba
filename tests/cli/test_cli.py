"""The `maskkv` CLI as scripts use it: exact flag spellings, JSON output, exit codes, and
error messages that name the problem. Also runs the C example so that it cannot rot."""
import json
import os
import subprocess

import pytest

BIN = os.environ["MASKKV_BIN"]
FIXTURES = os.environ["MASKKV_FIXTURES"]
LLADA = os.path.join(FIXTURES, "models", "llada_f32")
DREAM = os.path.join(FIXTURES, "models", "dream_bf16")


def run(*args, check=True):
    p = subprocess.run([BIN, *args], capture_output=True, text=True, timeout=300)
    if check and p.returncode != 0:
        raise AssertionError("exit %d: %s" % (p.returncode, p.stderr))
    return p


def golden_case(name):
    with open(os.path.join(FIXTURES, "golden", "generate.json")) as f:
        return next(c for c in json.load(f) if c["name"] == name)


def test_generate_json_has_the_documented_fields():
    out = json.loads(run("generate", "--model", LLADA, "--prompt-ids", "1,2,3", "--gen-length", "16",
                         "--steps", "8", "--block-length", "8", "--json").stdout)
    assert len(out["tokens"]) == 16
    assert out["steps"] == 8
    assert out["seconds"] > 0
    assert out["peak_rss_bytes"] > 1 << 20
    assert out["prompt_tokens"] == 3


def test_generate_matches_the_reference_through_the_cli():
    for c in (golden_case("llada_t0_L8_S8_B8"),):
        args = ["generate", "--model", os.path.join(FIXTURES, "models", c["model"]),
                "--prompt-ids", ",".join(map(str, c["prompt_ids"])),
                "--gen-length", str(c["gen_length"]), "--steps", str(c["steps"]),
                "--block-length", str(c["block_length"]), "--json"]
        assert json.loads(run(*args).stdout)["tokens"] == c["tokens"]


def test_every_dream_algorithm_spelling_is_accepted():
    for alg in ("origin", "maskgit_plus", "topk_margin", "entropy"):
        out = json.loads(run("generate", "--model", DREAM, "--prompt-ids", "5,6,7", "--gen-length", "8",
                             "--steps", "4", "--alg", alg, "--alg-temp", "0", "--temperature", "0.5",
                             "--top-p", "0.9", "--top-k", "20", "--seed", "3", "--json").stdout)
        assert len(out["tokens"]) == 8


def test_llada_options_spellings():
    out = json.loads(run("generate", "--model", LLADA, "--prompt-ids", "1,2", "--gen-length", "8",
                         "--steps", "8", "--block-length", "4", "--remasking", "random",
                         "--temperature", "0.7", "--cfg-scale", "1.5", "--seed", "9",
                         "--threads", "1", "--backend", "cpu", "--json").stdout)
    assert out["forward_passes"] == 2 * out["steps"]  # classifier-free guidance: two passes a step
    out = json.loads(run("generate", "--model", LLADA, "--prompt-ids", "1,2", "--gen-length", "8",
                         "--threshold", "0.9", "--json").stdout)
    assert 1 <= out["steps"] <= 8


def test_same_seed_same_output():
    args = ("generate", "--model", LLADA, "--prompt-ids", "4,5", "--gen-length", "8", "--temperature",
            "1.0", "--seed", "17", "--json")
    assert json.loads(run(*args).stdout)["tokens"] == json.loads(run(*args).stdout)["tokens"]


def test_human_output_prints_ids_and_stats():
    p = run("generate", "--model", LLADA, "--prompt-ids", "1", "--gen-length", "4")
    assert len(p.stdout.strip().split(",")) == 4
    assert "steps" in p.stderr


def test_info_json():
    out = json.loads(run("info", "--model", DREAM, "--json").stdout)
    assert out["family"] == "dream"
    assert out["n_kv_heads"] < out["n_heads"]
    assert out["weight_dtype"] == "bf16"
    assert out["special_ids"]["mask"] == 310


@pytest.mark.parametrize("args,code,needle", [
    (["generate", "--model", LLADA, "--prompt-ids", "1", "--gen-lenght", "8"], 2, "unknown option '--gen-lenght'"),
    (["generate", "--model", LLADA], 2, "exactly one of --prompt and --prompt-ids"),
    (["generate", "--model", LLADA, "--prompt-ids", "1,x"], 2, "'x' is not an integer id"),
    (["generate", "--model", LLADA, "--prompt-ids", "1", "--alg", "greedy"], 2, "--alg must be one of"),
    (["generate", "--model", LLADA, "--prompt-ids", "1", "--gen-length", "10", "--block-length", "4"], 1,
     "not divisible by block_length 4"),
    (["generate", "--model", LLADA, "--prompt-ids", "1", "--gen-length", "16", "--block-length", "4",
      "--steps", "6"], 1, "steps 6 is not divisible by the 4 blocks"),
    (["generate", "--model", LLADA, "--prompt-ids", "1,400"], 1, "prompt id 400 at position 1"),
    (["generate", "--model", LLADA, "--prompt-ids", "1", "--gen-length", "300"], 1, "exceeds the context"),
    (["generate", "--model", LLADA, "--prompt", "hello"], 1, "has no tokenizer"),
    (["generate", "--model", LLADA, "--prompt-ids", "1", "--backend", "cuda"], 1, "no CUDA backend"),
    (["generate", "--model", "/no/such/dir", "--prompt-ids", "1"], 1, "/no/such/dir"),
    (["info"], 2, "--model is required"),
    (["frobnicate"], 2, "unknown command"),
])
def test_errors_exit_with_a_message_naming_the_problem(args, code, needle):
    p = run(*args, check=False)
    assert p.returncode == code, p.stderr
    assert needle in p.stderr


def test_c_example_streams_steps():
    p = subprocess.run([os.environ["MASKKV_EXAMPLE_C"], LLADA, "1", "2", "3"], capture_output=True,
                       text=True, timeout=120)
    assert p.returncode == 0, p.stderr
    assert p.stdout.count("step ") == 16
    assert "response:" in p.stdout
