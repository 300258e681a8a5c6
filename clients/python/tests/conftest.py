"""Fixtures: one real stack per session (PostgreSQL, gateway, a sandboxed executor with 2 slots).

    /usr/bin/python3 -m pytest clients/python/tests          binaries from $JOBGATE_BUILD (default build/)

The gateway's catalog also has "python3-idle" (no executor: jobs stay queued) and "python3-fast"
(served in-process by fake_executor.FastExecutor when a test starts one).
"""
from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))  # the package, without installing it
sys.path.insert(0, str(HERE))

import jobgate  # noqa: E402
from fake_executor import FastExecutor  # noqa: E402
from stack import Stack  # noqa: E402

IDLE = {"runtime": "python3-idle"}
FAST = {"runtime": "python3-fast"}


@pytest.fixture(scope="session")
def stack():
    s = Stack()
    try:
        s.start_executor(slots=2)
        yield s
    finally:
        s.stop()


@pytest.fixture
def client(stack, monkeypatch):
    monkeypatch.delenv("JOBGATE_PROFILE", raising=False)
    c = jobgate.Client(stack.url, stack.client_token)
    try:
        yield c
    finally:
        c.close()


@pytest.fixture
def fast(stack):
    """An in-process executor for runtime python3-fast."""
    ex = FastExecutor(stack.url, stack.exec_token)
    try:
        yield ex
    finally:
        ex.stop()


@pytest.fixture(autouse=True)
def _isolated_config(tmp_path, monkeypatch):
    """No test reads the real ~/.config/jobgate or inherits JOBGATE_* settings."""
    monkeypatch.setenv("JOBGATE_CONFIG", str(tmp_path / "no-config.toml"))
    for var in ("JOBGATE_URL", "JOBGATE_TOKEN", "JOBGATE_PROFILE"):
        monkeypatch.delenv(var, raising=False)
    os.environ.pop("JOBGATE_PROFILE", None)
