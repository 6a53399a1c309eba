"""tools/eval/run_eval.py refuses lengths its tasks cannot fill and unknown tasks, before it
starts any engine process."""
import os
import subprocess
import sys

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
EVAL = os.path.join(REPO, "tools", "eval", "run_eval.py")


@pytest.mark.parametrize("args, message", [
    (["--lengths", "64"], "--lengths: 64 tokens is too short for multikey, multivalue (needs 79)"),
    (["--tasks", "kv,cwe", "--lengths", "24"], "--lengths: 24 tokens is too short for cwe (needs 26)"),
    (["--niah-lengths", "256,10"], "--niah-lengths: 10 tokens is too short for passkey (needs 19)"),
    (["--long-tasks", "vartrack", "--long-lengths", "58"], "--long-lengths: 58 tokens is too short for vartrack"),
    (["--tasks", "passkey,needle"], "unknown task needle"),
])
def test_refused(tmp_path, args, message):
    p = subprocess.run([sys.executable, EVAL, "--out", str(tmp_path / "out"), "--bin", "/nonexistent", *args],
                       capture_output=True, text=True, timeout=120)
    assert p.returncode == 2 and message in p.stderr, p.stderr
    assert not (tmp_path / "out").exists()
