"""The command line: python3 -m jobgate submit/status/result/cancel."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

PKG = Path(__file__).resolve().parents[1]

SCRIPT = textwrap.dedent("""
    import helper

    def add(a, b=0):
        return helper.twice(a) + b

    def boom(msg):
        raise ValueError("boom: " + msg)

    def stats(values, scale=1):
        return {"n": len(values), "total": sum(values) * scale}
""")


@pytest.fixture
def script(tmp_path):
    (tmp_path / "helper.py").write_text("def twice(x):\n    return 2 * x\n")
    (tmp_path / "work.py").write_text(SCRIPT)
    return tmp_path / "work.py"


@pytest.fixture
def run(stack):
    env = dict(os.environ, JOBGATE_URL=stack.url, JOBGATE_TOKEN=stack.client_token,
               PYTHONPATH=str(PKG), JOBGATE_CONFIG="/nonexistent/config.toml")

    def run(*args, ok=None):
        p = subprocess.run([sys.executable, "-m", "jobgate", *map(str, args)], env=env, text=True,
                           capture_output=True, timeout=120)
        if ok is not None:
            assert p.returncode == ok, (p.returncode, p.stdout, p.stderr)
        return p
    return run


def test_submit_then_result(run, script):
    job_id = run("submit", f"{script}:add", "20", "b=2", ok=0).stdout.strip()
    assert len(job_id) == 36
    assert run("result", job_id, ok=0).stdout.strip() == "42"
    status = json.loads(run("status", job_id, ok=0).stdout)
    assert status["status"] == "completed" and status["verdict"] == "OK" and status["id"] == job_id


def test_submit_wait_with_literals_and_options(run, script):
    p = run("submit", f"{script}:stats", "[1, 2, 3]", "scale=10", "--wait", "--json",
            "--label", "from=cli", "--limit", "cpu_ms=2000", "--priority", "5", ok=0)
    assert json.loads(p.stdout) == {"n": 3, "total": 60}
    job_id = p.stderr.strip().splitlines()[0]
    status = json.loads(run("status", job_id, ok=0).stdout)
    assert status["labels"] == {"from": "cli"} and status["limits"]["cpu_ms"] == 2000 and status["priority"] == 5


def test_remote_exception_prints_traceback_and_exits_1(run, script):
    job_id = run("submit", f"{script}:boom", "bad", ok=0).stdout.strip()
    p = run("result", job_id, ok=1)
    assert "ValueError: boom: bad" in p.stderr
    assert 'raise ValueError("boom: " + msg)' in p.stderr  # source line added from the local file
    assert p.stdout == ""


def test_cancel(run, script):
    job_id = run("submit", f"{script}:add", "1", "--runtime", "python3-idle", ok=0).stdout.strip()
    p = run("result", job_id, "--timeout", "0.2", ok=3)
    assert "still queued" in p.stderr
    assert run("cancel", job_id, ok=0).stdout.strip() == f"cancelled {job_id}"
    assert json.loads(run("status", job_id, ok=0).stdout)["status"] == "cancelled"
    assert "cancelled" in run("result", job_id, ok=1).stderr
    assert run("cancel", job_id, ok=0).stdout.strip() == f"cancelled {job_id}"  # idempotent
    done = run("submit", f"{script}:add", "1", ok=0).stdout.strip()
    run("result", done, ok=0)
    assert "already ended (completed)" in run("cancel", done, ok=1).stderr


def test_usage_errors(run, script):
    assert run("submit", "nofile.py:f", ok=2).stderr.startswith("jobgate: no such file")
    assert "has no nothing" in run("submit", f"{script}:nothing", ok=2).stderr
    assert "404" in run("status", "00000000-0000-4000-8000-000000000000", ok=2).stderr
    assert run("bogus").returncode == 2
