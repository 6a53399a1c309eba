#!/usr/bin/env python3
"""Shows that check_engine_calls.py can fail: a planted call is reported, while the same names
in comments, strings and the allowed queries are not."""
import pathlib
import subprocess
import sys
import tempfile

here = pathlib.Path(__file__).resolve().parent
checker, header = here / "check_engine_calls.py", pathlib.Path(sys.argv[1])


def run(source):
    with tempfile.TemporaryDirectory() as d:
        (pathlib.Path(d) / "planted.cpp").write_text(source)
        p = subprocess.run([sys.executable, str(checker), str(header), d], capture_output=True, text=True)
        return p.returncode, p.stderr


clean = ('// be.gather(x) in a comment\n/* be.linear(\n */ auto s = "be.rope(";\n'
         'bool host = model->backend().host_memory();\nsession.add_sample(ids);\n')
rc, err = run(clean)
assert rc == 0, f"clean source flagged: {err}"
for planted, name in [("be.linear(x, m, w, nullptr, y);", "linear"),
                      ("backend_->attention_ragged (q, n);", "attention_ragged"),
                      ("model_->backend().scatter(a, o, m, w, b);", "scatter")]:
    rc, err = run(clean + "\n" + planted + "\n")
    assert rc == 1 and f"planted.cpp:7: calls Backend::{name}" in err, f"{planted!r} not flagged: rc {rc}, {err}"
print("selftest: planted calls are flagged, comments, strings and queries are not")
