"""The quality suite's intervals: the Wilson interval of a proportion and the paired difference
of two policies on the same prompts."""
import os
import sys

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(REPO, "tools", "eval"))
import run_eval  # noqa: E402


def test_wilson_interval():
    lo, hi = run_eval.wilson(50, 100)
    assert lo == pytest.approx(0.4038, abs=1e-3) and hi == pytest.approx(0.5962, abs=1e-3)
    lo, hi = run_eval.wilson(0, 20)
    assert lo == 0.0 and hi == pytest.approx(0.1611, abs=1e-3)
    assert run_eval.wilson(0, 0) == (0.0, 1.0)


def test_paired_difference_uses_only_shared_prompts():
    a = {("kv", 256, "", i): float(i % 2 == 0) for i in range(40)}
    b = {("kv", 256, "", i): 0.0 for i in range(40)}
    b[("kv", 256, "", 99)] = 1.0  # not run by a: ignored
    m, lo, hi, n = run_eval.paired_diff(a, b)
    assert n == 40 and m == pytest.approx(0.5)
    assert 0.33 < lo < 0.5 < hi < 0.67
    same = run_eval.paired_diff(a, a)
    assert same[:3] == (0.0, 0.0, 0.0)
