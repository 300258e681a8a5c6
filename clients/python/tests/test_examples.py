"""The examples run as documented, against a stack of two executors (one slot each) that grant the
network to jobs labelled network=host."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from stack import Stack

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


@pytest.fixture(scope="module")
def two_executors():
    s = Stack()
    try:
        for name in ("ex-a", "ex-b"):
            s.start_executor("--allow-network-labels", "network=host", slots=1, name=name)
        yield s
    finally:
        s.stop()


def run(stack, script, *args):
    env = dict(os.environ, JOBGATE_URL=stack.url, JOBGATE_TOKEN=stack.client_token,
               JOBGATE_CONFIG="/nonexistent/config.toml")
    p = subprocess.run([sys.executable, str(EXAMPLES / script), *args], env=env, text=True,
                       capture_output=True, timeout=600)
    assert p.returncode == 0, p.stdout + p.stderr
    return p.stdout


def test_wordcount(two_executors):
    out = run(two_executors, "wordcount.py", str(EXAMPLES.parent / "jobgate"), "--reducers", "3", "--top", "3")
    assert "same counts as a local run" in out and "3 reduce jobs" in out


def test_crawler(two_executors):
    out = run(two_executors, "crawler.py", "--pages", "12")
    assert "crawled 13 pages" in out  # the home page and its 12 pages


def test_numeric_speed_up(two_executors):
    out = run(two_executors, "numeric.py", "--size", "300", "--depth", "100", "--jobs", "8")
    assert "map over 2 slot(s)" in out and "speed-up" in out
    print(out)
