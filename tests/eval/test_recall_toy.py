"""tools/train/recall_toy.py: the fixed-order control is learned (the model and its data work),
and absurd options are refused."""
import os
import subprocess
import sys

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(REPO, "tools", "train"))
TOY = os.path.join(REPO, "tools", "train", "recall_toy.py")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
import recall_toy  # noqa: E402


def test_fixed_order_control_is_learned():
    # answers at a fixed distance from their slots: far above chance (0.5) within 300 steps
    r = recall_toy.main(["--order", "fixed", "--pairs", "2,2", "--steps", "300", "--eval-every", "300"])
    assert r["step"] == 300 and r["acc@2"] >= 0.9


def test_prev_token_objective_is_learned():
    r = recall_toy.main(["--pairs", "2,4", "--prev-weight", "1", "--steps", "300", "--eval-every", "300"])
    assert r["prev_loss"] < 0.5  # from about 6.9 (uniform over the vocabulary) at step 0


@pytest.mark.parametrize("args, message", [
    (["--pairs", "1,4"], "--pairs"),
    (["--pairs", "8"], "--pairs"),
    (["--d-model", "30", "--n-heads", "4"], "--d-model"),
    (["--lr", "0"], "--lr"),
])
def test_absurd_options_are_refused(args, message):
    p = subprocess.run([sys.executable, TOY, *args], capture_output=True, text=True, timeout=120)
    assert p.returncode == 2 and message in p.stderr, p.stderr
