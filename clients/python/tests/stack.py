"""A throwaway jobgate stack for the SDK's tests and benchmarks: PostgreSQL (scripts/pg.sh), a gateway
and executors as real processes, on free ports, in a temporary directory (the pattern of
tests/e2e/conftest.py). Binaries come from $JOBGATE_BUILD (default build/); the executor backend is
$JOBGATE_E2E_BACKEND: "sandbox" (default when root) or "bare".

By hand:  /usr/bin/python3 clients/python/tests/stack.py   (prints JOBGATE_URL/JOBGATE_TOKEN; SIGINT/SIGTERM stop it)
"""
from __future__ import annotations

import json
import itertools
import os
import random
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Optional

ROOT = Path(__file__).resolve().parents[3]
BUILD = Path(os.environ.get("JOBGATE_BUILD", ROOT / "build"))
GATEWAY = BUILD / "gateway" / "jobgate-gateway"
EXECUTOR = BUILD / "executor" / "jobgate-executor"
BACKEND = os.environ.get("JOBGATE_E2E_BACKEND", "sandbox" if os.geteuid() == 0 else "bare")

# Runtimes in the gateway's catalog that no real executor serves: jobs of "python3-idle" stay queued
# (to hold thousands of futures cheaply), "python3-fast" is served by FastExecutor below.
EXTRA_RUNTIMES = "python3-idle=call,python3-fast=call"

# Box uids of this process's executors: a band of its own (the sandbox's Check tests use 61000+, the
# e2e suite 100,000-2,000,000, the benches 400,000+), random so that concurrent runs rarely meet.
_uids = itertools.count(random.SystemRandom().randrange(3_000_000, 4_000_000, 1000), 16)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def http(url: str, token: str, method: str, path: str, body=None, timeout: float = 60):
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url + path, data=data, method=method, headers={
        "Authorization": "Bearer " + token, "Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return r.status, json.loads(r.read() or b"null")
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read() or b"null")


class Stack:
    def __init__(self, tmp: Optional[Path] = None, gateway_args: tuple = ()):
        self.tmp = tmp or Path(tempfile.mkdtemp(prefix="jobgate-sdk-"))
        os.chmod(self.tmp, 0o755)
        self.pg_dir = self.tmp / "pg"
        self.db_url = subprocess.check_output([str(ROOT / "scripts" / "pg.sh"), "start", str(self.pg_dir)],
                                              text=True).strip().splitlines()[-1]
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.executors: list[subprocess.Popen] = []
        self.gateway: Optional[subprocess.Popen] = None
        self.gateway_args = gateway_args
        self.start_gateway()
        self.exec_token = self.token("executor")
        self.client_token = self.token("client")

    def token(self, role: str, name: Optional[str] = None, tenant: Optional[str] = None) -> str:
        args = [str(GATEWAY), "token", "create", "--role", role, "--name", name or f"sdk-{role}",
                "--database", self.db_url]
        if tenant:
            args += ["--tenant", tenant]
        out = subprocess.check_output(args, text=True, stderr=subprocess.DEVNULL)
        return out.strip().splitlines()[-1]

    def start_gateway(self) -> None:
        log = open(self.tmp / "gateway.log", "ab")
        self.gateway = subprocess.Popen(
            [str(GATEWAY), "--database", self.db_url, "--listen", f"127.0.0.1:{self.port}",
             "--runtimes", EXTRA_RUNTIMES, "--lease-ttl-ms", "3000", "--sweep-interval-ms", "100",
             "--retry-backoff-ms", "100", *self.gateway_args],
            stdout=log, stderr=log)
        for _ in range(200):
            try:
                urllib.request.urlopen(self.url + "/healthz", timeout=1)
                return
            except Exception:
                time.sleep(0.05)
        raise RuntimeError("gateway did not start: " + (self.tmp / "gateway.log").read_text()[-2000:])

    def start_executor(self, *extra: str, slots: int = 2, name: str = "sdk") -> subprocess.Popen:
        """Start an executor; box uids are picked away from other executors on this host (other
        stacks, the quick start), moving on when a range is taken."""
        for attempt in range(20):
            first_uid = next(_uids)
            log = self.tmp / f"executor-{len(self.executors)}-{attempt}.log"
            args = [str(EXECUTOR), "--gateway", self.url, "--token", self.exec_token, "--name", name,
                    "--slots", str(slots), "--lease-wait", "5", "--work-dir", str(self.tmp),
                    "--first-uid", str(first_uid)]
            if BACKEND == "bare":
                args += ["--backend", "bare", "--min-isolation", "none"]
            args += list(extra)
            proc = subprocess.Popen(args, stdout=open(log, "wb"), stderr=subprocess.STDOUT)
            for _ in range(300):
                text = log.read_text(errors="replace")
                if "slot(s), runtimes" in text or proc.poll() is not None:
                    break
                time.sleep(0.02)
            if proc.poll() is None:
                self.executors.append(proc)
                return proc
            if "already used by a box" not in text:
                raise RuntimeError("executor exited: " + text[-2000:])
        raise RuntimeError("no free range of box uids")

    def stop_executor(self, proc: subprocess.Popen) -> None:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        if proc in self.executors:
            self.executors.remove(proc)

    def stop(self) -> None:
        for proc in list(self.executors):
            if proc.poll() is None:
                proc.kill()
                proc.wait()
        self.executors.clear()
        if self.gateway and self.gateway.poll() is None:
            self.gateway.send_signal(signal.SIGTERM)
            try:
                self.gateway.wait(10)
            except subprocess.TimeoutExpired:
                self.gateway.kill()
        subprocess.run([str(ROOT / "scripts" / "pg.sh"), "stop", str(self.pg_dir)], check=False,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        if os.environ.get("JOBGATE_KEEP_TMP") != "1":
            shutil.rmtree(self.tmp, ignore_errors=True)


def _stop(*_: object) -> None:
    raise SystemExit(0)


if __name__ == "__main__":
    # SIGINT is ignored in a background job of a non-interactive shell: stop on either signal.
    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    stack = Stack()
    try:
        stack.start_executor()
        print(f"export JOBGATE_URL={stack.url}\nexport JOBGATE_TOKEN={stack.client_token}\n# logs in {stack.tmp}",
              flush=True)
        while True:
            signal.pause()
    finally:
        stack.stop()
