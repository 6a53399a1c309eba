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
DEMO = os.path.join(os.path.dirname(FIXTURES), "..", "models", "demo")  # the bundled model


def run(*args, check=True, input=None):
    p = subprocess.run([BIN, *args], capture_output=True, text=True, timeout=300, input=input)
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
    assert out["backend"] in ("cpu", "cuda") and out["gpu_peak_bytes"] >= 0
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


@pytest.mark.parametrize("weight_type", ["q8_0", "q4_0", "bf16"])
def test_weight_type_converts_at_load_and_generates(weight_type):
    info = json.loads(run("info", "--model", LLADA, "--backend", "cpu", "--weight-type", weight_type, "--json").stdout)
    assert info["weight_dtype"] == weight_type
    stored = json.loads(run("info", "--model", LLADA, "--json").stdout)
    assert info["weight_bytes"] < stored["weight_bytes"]  # f32 fixture: every type is smaller
    out = json.loads(run("generate", "--model", LLADA, "--prompt-ids", "1,2,3", "--gen-length", "16", "--steps", "8",
                         "--block-length", "8", "--backend", "cpu", "--weight-type", weight_type, "--json").stdout)
    assert len(out["tokens"]) == 16 and 310 not in out["tokens"]


@pytest.mark.parametrize("args,code,needle", [
    (["generate", "--model", LLADA, "--prompt-ids", "1", "--gen-lenght", "8"], 2, "unknown option '--gen-lenght'"),
    (["generate", "--model", LLADA], 2, "exactly one of --prompt, --prompt-file and --prompt-ids"),
    (["generate", "--model", LLADA, "--prompt-ids", "1,x"], 2, "'x' is not an integer id"),
    (["generate", "--model", LLADA, "--prompt-ids", "1", "--alg", "greedy"], 2, "--alg must be one of"),
    (["generate", "--model", LLADA, "--prompt-ids", "1", "--gen-length", "10", "--block-length", "4"], 1,
     "not divisible by block_length 4"),
    (["generate", "--model", LLADA, "--prompt-ids", "1", "--gen-length", "16", "--block-length", "4",
      "--steps", "6"], 1, "steps 6 is not divisible by the 4 blocks"),
    (["generate", "--model", LLADA, "--prompt-ids", "1,400"], 1, "prompt id 400 at position 1"),
    (["generate", "--model", LLADA, "--prompt-ids", "1", "--gen-length", "300"], 1, "exceeds the context"),
    (["generate", "--model", LLADA, "--prompt", "hello"], 1, "has no tokenizer"),
    (["generate", "--model", LLADA, "--prompt-ids", "1", "--backend", "cuda"], 1, "backend 'cuda' requested"),
    (["generate", "--model", "/no/such/dir", "--prompt-ids", "1"], 1, "/no/such/dir"),
    (["generate", "--model", DREAM, "--prompt-ids", "1", "--gen-length", "8", "--remasking", "random"], 1,
     "remasking has no effect here"),
    (["generate", "--model", LLADA, "--prompt-ids", "1", "--gen-length", "9999999999"], 2,
     "--gen-length 9999999999 is out of range"),
    (["generate", "--model", LLADA, "--prompt-ids", "1", "--gen-length", "-5"], 2, "--gen-length -5 is out of range"),
    (["generate", "--model", LLADA, "--prompt-ids", "1", "--gen-length", "abc"], 2, "--gen-length expects an integer"),
    (["generate", "--model", LLADA, "--prompt-ids", "1", "--chat"], 2, "need a text prompt"),
    (["generate", "--model", LLADA, "--prompt", "x", "--parse-special"], 2, "--parse-special applies to chat"),
    (["generate", "--model", LLADA, "--prompt", "x", "--prompt-file", "y"], 2, "one of --prompt and --prompt-file"),
    (["generate", "--model", LLADA, "--prompt-file", "/no/such/prompt.txt"], 1, "/no/such/prompt.txt"),
    (["info"], 2, "--model is required"),
    (["calibrate", "--model", LLADA, "--data", "x"], 2, "--out is required"),
    (["tokenize"], 2, "give one of --model DIR and --tokenizer FILE"),
    (["detokenize", "--model", LLADA, "--tokenizer", "x"], 2, "give one of --model DIR and --tokenizer FILE"),
    (["detokenize", "--model", LLADA, "--add-special"], 2, "unknown option '--add-special'"),
    (["generate", "--model", LLADA, "--prompt-ids", "1", "--weight-type", "q3_k"], 2, "--weight-type must be one of"),
    (["generate", "--model", LLADA, "--prompt-ids", "1", "--weight-type", "q8_0", "--backend", "cuda"], 1,
     "backend 'cuda' requested"),
    (["frobnicate"], 2, "unknown command"),
])
def test_errors_exit_with_a_message_naming_the_problem(args, code, needle):
    if "cuda" in args and run("info", "--model", LLADA, "--backend", "cuda", check=False).returncode == 0:
        pytest.skip("a CUDA device is usable here: a CUDA request is not an error")
    p = run(*args, check=False)
    assert p.returncode == code, p.stderr
    assert needle in p.stderr
    if code == 2 and args[0] != "frobnicate":  # a usage error is short and points at the help
        assert len(p.stderr.strip().splitlines()) <= 2 and "--help" in p.stderr, p.stderr


def test_c_example_streams_steps():
    p = subprocess.run([os.environ["MASKKV_EXAMPLE_C"], LLADA, "1", "2", "3"], capture_output=True,
                       text=True, timeout=120)
    assert p.returncode == 0, p.stderr
    assert p.stdout.count("step ") == 16
    assert "response:" in p.stdout


PROMPT60 = ",".join(str((i * 37) % 300) for i in range(60))


def generate_policy(*extra, model=LLADA):
    return json.loads(run("generate", "--model", model, "--prompt-ids", PROMPT60, "--gen-length", "16",
                          "--steps", "16", "--block-length", "8" if model == LLADA else "16",
                          "--json", *extra).stdout)


def test_policy_flags_and_json_fields():
    full = generate_policy("--policy", "full")
    assert full["policy"] == "full" and full["kv_pairs_kept"] == 60 * 2 * 4
    for policy in ("snapkv", "pyramidkv", "squeezeattention", "adakv"):
        out = generate_policy("--policy", policy, "--budget", "16", "--window", "4", "--pool-kernel", "3",
                              "--prompt-refresh", "50",
                              "--response-refresh", "5", "--rho", "0.25")
        assert out["policy"] == policy and out["budget"] == 16
        assert 0 < out["kv_pairs_kept"] <= 16 * 2 * 4 + 8, out
        assert out["kv_bytes_peak"] > 0 and len(out["tokens"]) == 16
    online = generate_policy("--policy", "maskkv", "--budget", "16", "--online", "--alpha", "0.1", "--beta", "0.4")
    assert online["kv_pairs_kept"] <= 16 * 2 * 4


def test_calibrate_then_generate_with_the_profile(tmp_path):
    data = tmp_path / "calib.jsonl"
    data.write_text('{"prompt_ids": [%s]}\n{"prompt_ids": [5, 6, 7, 8, 9, 10, 11, 12]}\n\n' % PROMPT60)
    profile = tmp_path / "profile.json"
    run("calibrate", "--model", LLADA, "--data", str(data), "--out", str(profile), "--gen-length", "16")
    p = json.loads(profile.read_text())
    assert p["samples"] == 2 and len(p["layer_importance"]) == 2 and len(p["head_prompt_preference"][0]) == 4
    out = generate_policy("--policy", "maskkv", "--budget", "16", "--profile", str(profile))
    assert out["kv_pairs_kept"] <= 16 * 2 * 4
    # The same profile is rejected by another model, and a corrupt one by any model.
    bad = run("generate", "--model", os.path.join(FIXTURES, "models", "llada_bf16"), "--prompt-ids", PROMPT60,
              "--policy", "maskkv", "--profile", str(profile), check=False)
    assert bad.returncode == 1 and "measured on another model" in bad.stderr
    corrupt = tmp_path / "corrupt.json"
    corrupt.write_text(profile.read_text()[:40])
    bad = run("generate", "--model", LLADA, "--prompt-ids", PROMPT60, "--policy", "maskkv", "--profile", str(corrupt),
              check=False)
    assert bad.returncode == 1 and "not valid JSON" in bad.stderr


@pytest.mark.parametrize("args,code,needle", [
    (["--policy", "h2o"], 2, "--policy must be one of"),
    (["--policy", "snapkv", "--budget", "0"], 2, "--budget 0 is out of range"),
    (["--policy", "snapkv", "--budget", "-4"], 2, "--budget -4 is out of range"),
    (["--policy", "snapkv", "--budget", "8", "--window", "100"], 1, "window 100 is larger than the prompt"),
    (["--policy", "maskkv", "--budget", "8"], 1, "needs a profile"),
    (["--policy", "full", "--rho", "1.5"], 2, "--rho 1.5 is out of range: it must be between 0 and 1"),
    (["--policy", "snapkv", "--pool-kernel", "4"], 1, "pool_kernel = 4"),
    (["--policy", "none", "--budget", "16"], 1, "budget has no effect here: policy none"),
    (["--policy", "full", "--budget", "16"], 1, "budget has no effect here: policy full"),
    (["--policy", "full", "--window", "8"], 1, "window has no effect here"),
    (["--policy", "snapkv", "--alpha", "0.2"], 1, "alpha has no effect here"),
    (["--online"], 1, "online has no effect here"),
    (["--rho", "0.5"], 1, "rho has no effect here: policy none"),
    (["--top-k", "5"], 1, "top_k has no effect here"),
    (["--top-p", "0.9"], 1, "top_p has no effect here"),
    (["--alg", "origin"], 1, "alg has no effect here"),
])
def test_cache_option_errors(args, code, needle):
    p = run("generate", "--model", LLADA, "--prompt-ids", PROMPT60, *args, check=False)
    assert p.returncode == code, p.stderr
    assert needle in p.stderr


def test_calibrate_errors(tmp_path):
    data = tmp_path / "calib.jsonl"
    data.write_text('{"nope": 1}\n')
    p = run("calibrate", "--model", LLADA, "--data", str(data), "--out", str(tmp_path / "p.json"), check=False)
    assert p.returncode == 1 and "calib.jsonl:1" in p.stderr
    p = run("calibrate", "--model", LLADA, "--data", str(tmp_path / "missing.jsonl"), "--out", "x", check=False)
    assert p.returncode == 1 and "cannot open" in p.stderr


def test_the_prompt_comes_from_a_file_or_stdin_without_a_size_limit(tmp_path):
    # Larger than the kernel's limit on one argument (128 KiB): only a file or a pipe carries it.
    # It is also past the demo model's context, so the run stops at the check (cheap) with a
    # message that counts the prompt's tokens and says how to widen the context.
    words = " ".join("needle%d" % (i % 97) for i in range(20000))
    assert len(words) > 140000
    prompt = tmp_path / "prompt.txt"
    prompt.write_text(words)
    n = len(json.loads(run("tokenize", "--model", DEMO, "--add-special", input=words + "\n").stdout))
    args = ["generate", "--model", DEMO, "--gen-length", "4"]
    for extra, stdin in ((["--prompt-file", str(prompt)], None), (["--prompt", "-"], words),
                         (["--prompt-file", "-"], words)):
        p = run(*args, *extra, input=stdin, check=False)
        assert p.returncode == 1 and "prompt (%d tokens)" % n in p.stderr, p.stderr
        assert "--rope-scaling" in p.stderr
    small = tmp_path / "small.txt"
    small.write_text("k1 v1 k2")
    out = json.loads(run(*args, "--json", "--prompt-file", str(small)).stdout)
    assert out == json.loads(run(*args, "--json", "--prompt", "-", input="k1 v1 k2").stdout) | {
        k: out[k] for k in ("seconds", "prefill_seconds", "peak_rss_bytes")}
    assert json.loads(run(*args, "--json", "--prompt", "k1 v1 k2").stdout)["tokens"] == out["tokens"]


def test_tokenize_reads_plain_lines_and_json_lines():
    plain = run("tokenize", "--model", DEMO, input="Hello world\nsecond line\n").stdout.splitlines()
    assert len(plain) == 2 and all(json.loads(l) for l in plain)
    as_json = run("tokenize", "--model", DEMO, "--json-lines", input='"Hello world"\n').stdout.splitlines()
    assert as_json[0] == plain[0]
    bad = run("tokenize", "--model", DEMO, "--json-lines", input="Hello\n", check=False)
    assert bad.returncode == 1 and "line 1" in bad.stderr and "json.exception" not in bad.stderr
    bad = run("detokenize", "--model", DEMO, input="[1, x]\n", check=False)
    assert bad.returncode == 1 and "line 1" in bad.stderr and "json.exception" not in bad.stderr


def test_response_text_stops_at_the_end_of_sequence():
    info = json.loads(run("info", "--model", DEMO, "--json").stdout)
    eos = info["special_ids"]["eos"]
    out = json.loads(run("generate", "--model", DEMO, "--prompt", "k1 v1", "--gen-length", "16", "--json").stdout)
    assert len(out["tokens"]) == 16  # tokens stay complete
    ends = [i for i, t in enumerate(out["tokens"]) if t in (eos, info["special_ids"].get("eot"))]
    cut = out["tokens"][:ends[0]] if ends else out["tokens"]
    expect = run("detokenize", "--model", DEMO, "--skip-special", input=json.dumps(cut) + "\n").stdout
    assert out["text"] == json.loads(expect)


def test_chat_options(tmp_path):
    base = ["generate", "--model", DEMO, "--prompt", "hello", "--gen-length", "4", "--steps", "1", "--json"]
    plain = json.loads(run(*base).stdout)
    chat = json.loads(run(*base, "--chat-template", "llada").stdout)
    system = json.loads(run(*base, "--chat-template", "llada", "--system", "Answer briefly.").stdout)
    assert plain["prompt_tokens"] < chat["prompt_tokens"] < system["prompt_tokens"]
    # A Jinja template file is recognised by family.
    jinja = tmp_path / "chat_template.jinja"
    jinja.write_text(  # LLaDA-8B-Instruct's chat_template
        "{% set loop_messages = messages %}{% for message in loop_messages %}{% set content = "
        "'<|start_header_id|>' + message['role'] + '<|end_header_id|>\\n\\n'+ message['content'] | trim "
        "+ '<|eot_id|>' %}{% if loop.index0 == 0 %}{% set content = bos_token + content %}{% endif %}"
        "{{ content }}{% endfor %}{% if add_generation_prompt %}"
        "{{ '<|start_header_id|>assistant<|end_header_id|>\\n\\n' }}{% endif %}")
    from_file = json.loads(run(*base, "--chat-template", str(jinja)).stdout)
    assert from_file["prompt_tokens"] == chat["prompt_tokens"]
    bad = run(*base, "--chat-template", "vicuna", check=False)
    assert bad.returncode == 1 and "unknown chat template 'vicuna'" in bad.stderr
    # Special-token text typed by the user stays text unless --parse-special.
    inject = ["generate", "--model", DEMO, "--prompt", "hi<|eot_id|>", "--chat-template", "llada",
              "--gen-length", "4", "--steps", "1", "--json"]
    safe = json.loads(run(*inject).stdout)
    parsed = json.loads(run(*inject, "--parse-special").stdout)
    assert safe["prompt_tokens"] > parsed["prompt_tokens"]


def test_quiet_prints_nothing_on_stderr():
    p = run("generate", "--model", DEMO, "--prompt-ids", "1,2", "--gen-length", "4", "--quiet")
    assert p.stderr == "" and p.stdout.strip() != ""


def test_chat_answers_each_line_in_plain_text_when_not_a_terminal():
    p = run("chat", "--model", DEMO, "--chat-template", "llada", "--system", "Answer briefly.",
            "--gen-length", "4", "--steps", "2", input="k1 v1\nwhat is k1\n/reset\nhello\n/exit\nignored\n")
    lines = p.stdout.split("\n")
    assert len(lines) == 4 and lines[-1] == "", p.stdout  # three responses, nothing after /exit
    assert "\033" not in p.stdout  # no terminal control codes in a pipe


def test_chat_on_a_terminal_redraws_the_response_with_masks_resolving():
    import pty
    pid, fd = pty.fork()
    if pid == 0:  # the child: stdin, stdout and stderr are the terminal
        os.execv(BIN, [BIN, "chat", "--model", DEMO, "--chat-template", "llada", "--gen-length", "8",
                       "--steps", "4"])
    os.write(fd, b"k1 v1\n")
    out = b""
    while out.count(b"> ") < 2:  # the prompt for the next message: the response is done
        chunk = os.read(fd, 4096)
        assert chunk, out
        out += chunk
    os.write(fd, b"\x04")  # end of input
    os.waitpid(pid, 0)
    frames = out.split(b"\0338")
    assert len(frames) >= 4, out  # one redraw per step, then the final text
    assert b"_" in frames[1] and b"_" not in frames[-1].split(b">")[0], out
