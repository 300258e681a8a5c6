"""A call payload made by another Python version is refused (PythonVersionMismatch) before it runs.

payloads/ holds payloads pickled by Pythons 3.7, 3.10, 3.12 and 3.13 (make_payloads.py says how). Run
here against the harness alone (fast, no cluster) and through a real executor."""
from __future__ import annotations

import json
import pickle
import subprocess
import sys
from pathlib import Path

import cloudpickle
import pytest

from conftest import ROOT, b64, unb64

PAYLOADS = Path(__file__).parent / "payloads"
HARNESS = ROOT / "executor" / "runtimes" / "call_harness.py"
HERE = "Python %d.%d.%d with cloudpickle %s" % (*sys.version_info[:3], cloudpickle.__version__)

sys.path.insert(0, str(PAYLOADS))
import make_payloads  # noqa: E402  (the functions the other versions' payloads hold)
from make_payloads import busy, double  # noqa: E402

cloudpickle.register_pickle_by_value(make_payloads)


def harness(tmp_path: Path, payload: bytes) -> dict:
    (tmp_path / "payload.pkl").write_bytes(payload)
    subprocess.run(["/usr/bin/python3", "-I", "-B", str(HARNESS)], cwd=tmp_path, check=True, timeout=60)
    return json.loads((tmp_path / "outcome.json").read_text())


# (file, what the message must name as the evidence)
FOREIGN = [("py3.7-double.pkl", "code object of 15 fields"),
           ("py3.10-double.pkl", "code object of 16 fields"),
           ("py3.12-busy.pkl", "bytecode is not this Python's"),
           ("py3.13-double.pkl", "bytecode is not this Python's"),
           ("py3.13-busy.pkl", "bytecode is not this Python's")]


@pytest.mark.parametrize("name,evidence", FOREIGN)
def test_foreign_payload_is_refused_by_the_harness(tmp_path, name, evidence):
    out = harness(tmp_path, (PAYLOADS / name).read_bytes())
    assert out["ok"] is False and out["error"]["type"] == "PythonVersionMismatch", out
    msg = out["error"]["message"]
    assert msg.startswith("payload from another Python version") and evidence in msg, msg
    assert "this executor runs " + HERE in msg, msg


def test_py312_payload_that_happens_to_be_valid_here_runs(tmp_path):
    # A one-line function compiles to the same bytecode in 3.11 and 3.12: nothing to refuse.
    out = harness(tmp_path, (PAYLOADS / "py3.12-double.pkl").read_bytes())
    assert out["ok"] is True, out
    assert pickle.loads(unb64(out["result"])) == 42


@pytest.mark.parametrize("fn,expected", [(double, 42), (busy, "84-3-3")])
def test_same_version_payloads_run(tmp_path, fn, expected):
    out = harness(tmp_path, cloudpickle.dumps((fn, (21,), {})))
    assert out["ok"] is True, out
    assert pickle.loads(unb64(out["result"])) == expected


def test_header_names_the_version_exactly(tmp_path):
    header = pickle.dumps({"python": "3.12.1", "cloudpickle": "3.0.0"}, protocol=2)
    out = harness(tmp_path, header + cloudpickle.dumps((double, (21,), {})))
    assert out["error"]["type"] == "PythonVersionMismatch", out
    assert out["error"]["message"] == (
        "payload from Python 3.12.1 with cloudpickle 3.0.0; this executor runs %s: submit it from Python %d.%d"
        % (HERE, *sys.version_info[:2]))
    same = "%d.%d.99" % sys.version_info[:2]
    out = harness(tmp_path, pickle.dumps({"python": same}) + cloudpickle.dumps((double, (21,), {})))
    assert out["ok"] is True, out


def test_newer_pickle_protocol_is_a_mismatch(tmp_path):
    data = bytearray(cloudpickle.dumps((double, (21,), {})))
    assert data[:2] == b"\x80\x05"
    data[1] = 9  # a protocol from the future
    out = harness(tmp_path, bytes(data))
    assert out["error"]["type"] == "PythonVersionMismatch" and "pickle protocol: 9" in out["error"]["message"], out


def test_mismatch_through_the_executor(client):
    job = client.wait_done(client.submit({"runtime": "python3", "kind": "call",
                                          "code": b64((PAYLOADS / "py3.13-busy.pkl").read_bytes())}))
    assert job["status"] == "completed" and job["verdict"] == "EXC", job
    assert job["error"]["type"] == "PythonVersionMismatch"
    assert "this executor runs Python 3." in job["error"]["message"]
    assert "result" not in job or job["result"] is None
