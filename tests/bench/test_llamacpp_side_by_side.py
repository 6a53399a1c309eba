"""The llama.cpp side-by-side benchmark (bench/llamacpp_side_by_side.sh): its prompts are the
same token ids for both engines, and its tables compute the ratios from the runs it has."""
import json
import os
import subprocess
import sys

import pytest

BIN = os.environ["MASKKV_BIN"]
BENCH = os.path.join(os.path.dirname(__file__), "..", "..", "bench")
sys.path.insert(0, BENCH)
import llamacpp_fixture  # noqa: E402
import llamacpp_side_by_side  # noqa: E402


def test_prompt_text_tokenizes_to_the_prompt_ids(tmp_path):
    llamacpp_fixture.write_tokenizer(str(tmp_path))
    llamacpp_fixture.make_prompt(str(tmp_path), 300)
    text = (tmp_path / "prompt-300.txt").read_text(encoding="ascii")
    ids = [int(x) for x in (tmp_path / "prompt-300.ids").read_text(encoding="ascii").split(",")]
    assert len(ids) == 300 and ids[0] == llamacpp_fixture.BOS
    assert " " in text  # spaces (a byte the byte-level map moves) are among the prompt's bytes
    p = subprocess.run([BIN, "tokenize", "--tokenizer", str(tmp_path / "tokenizer.json"), "--json-lines"],
                       input=json.dumps(text) + "\n", capture_output=True, text=True, timeout=120, check=True)
    assert json.loads(p.stdout) == ids[1:]


def test_prompt_needs_a_byte_after_bos(tmp_path):
    with pytest.raises(ValueError, match="at least 2 tokens"):
        llamacpp_fixture.make_prompt(str(tmp_path), 1)


def test_tables_use_complete_lengths_and_the_runs_ratios(tmp_path):
    fields = llamacpp_side_by_side.FIELDS
    runs = [("llama.cpp", "-", 512, 20.0, 0.0, 0.625), ("maskkv", "none", 512, 16.0, 0.5, 0.5),
            ("maskkv", "maskkv@256", 512, 2.0, 0.5, 0.05), ("maskkv", "snapkv@256", 512, 2.5, 0.5, 0.06),
            ("llama.cpp", "-", 1024, 40.0, 0.0, 1.25)]  # 1024 has no maskkv runs: left out
    lines = [",".join(fields)]
    for engine, policy, n, total, prefill, per_step in runs:
        row = dict(engine=engine, policy=policy, prompt=n, round=1, steps=32, total_s=total,
                   prefill_s=prefill, per_step_s=per_step, sampling_per_step_s="", wall_s=total + 1,
                   cpu_s=2 * total)
        lines.append(",".join(str(row[f]) for f in fields))
    path = tmp_path / "runs.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    rows, lengths, policies = llamacpp_side_by_side.read_csv(str(path))
    assert lengths == [512]
    assert policies == ["none", "maskkv@256", "snapkv@256"]
    out = llamacpp_side_by_side.tables(rows, lengths, policies)
    assert "| 512 | 0.6250 | 0.5000 | 0.0500 | 0.0600 | 1.25x |" in out
    assert "| 512 | 20.00 | 16.00 | 2.00 | 2.50 | 1.2x | 10.0x | 8.0x |" in out
    assert "1024" not in out
