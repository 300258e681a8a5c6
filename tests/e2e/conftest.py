"""End-to-end fixtures: a throwaway PostgreSQL, a gateway and executors as real processes.

Run with Debian's interpreter (cloudpickle comes from python3-cloudpickle):
    /usr/bin/python3 -m pytest tests/e2e -v          (or tests/e2e/run_e2e.sh)
Binaries come from $JOBGATE_BUILD (default build/). The executor backend is $JOBGATE_E2E_BACKEND:
"sandbox" (default when root) or "bare" (no isolation, any user).
"""
from __future__ import annotations

import base64
import json
import os
import random
import signal
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BUILD = Path(os.environ.get("JOBGATE_BUILD", ROOT / "build"))
GATEWAY = BUILD / "gateway" / "jobgate-gateway"
EXECUTOR = BUILD / "executor" / "jobgate-executor"
BACKEND = os.environ.get("JOBGATE_E2E_BACKEND", "sandbox" if os.geteuid() == 0 else "bare")
LEASE_TTL_MS = 1500
# Box uids of this session's executors: far from the default 60000 and random, so that test runs,
# quick starts and other executors on the same host never claim the same box.
UID_BASE = random.SystemRandom().randrange(100_000, 2_000_000, 1000)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def b64(data: bytes | str) -> str:
    return base64.b64encode(data.encode() if isinstance(data, str) else data).decode()


def unb64(text: str | None) -> bytes:
    return base64.b64decode(text or "")


class Client:
    def __init__(self, url: str, token: str):
        self.url, self.token = url, token

    def request(self, method: str, path: str, body=None, timeout: float = 60):
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(self.url + path, data=data, method=method, headers={
            "Authorization": "Bearer " + self.token, "Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(req, timeout=timeout) as r:
                return r.status, json.loads(r.read() or b"null")
        except urllib.error.HTTPError as e:
            return e.code, json.loads(e.read() or b"null")

    def submit(self, job: dict) -> str:
        status, body = self.request("POST", "/jobs", job)
        assert status == 201, body
        return body["id"]

    def get(self, job_id: str, wait: float = 0) -> dict:
        status, body = self.request("GET", f"/jobs/{job_id}?wait={wait}" if wait else f"/jobs/{job_id}",
                                    timeout=wait + 10)
        assert status == 200, body
        return body

    def wait_done(self, job_id: str, timeout: float = 60) -> dict:
        deadline = time.monotonic() + timeout
        while True:
            job = self.get(job_id, wait=min(10.0, max(0.1, deadline - time.monotonic())))
            if job["status"] in ("completed", "failed", "cancelled") or time.monotonic() > deadline:
                return job

    def wait_status(self, job_id: str, status: str, timeout: float = 30) -> dict:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            job = self.get(job_id)
            if job["status"] == status:
                return job
            time.sleep(0.05)
        raise AssertionError(f"job {job_id} never reached {status}: {job}")


class Executor:
    def __init__(self, proc: subprocess.Popen, log: Path, first_uid: int):
        self.proc, self.log, self.first_uid = proc, log, first_uid

    def text(self) -> str:
        return self.log.read_text(errors="replace")

    def wait_running(self, job_id: str, timeout: float = 60):
        """Until a slot has started the job (the gateway says "running" from the lease on)."""
        deadline = time.monotonic() + timeout
        while f": job {job_id} (" not in self.text():
            assert time.monotonic() < deadline and self.proc.poll() is None, self.text()
            time.sleep(0.02)


class Cluster:
    def __init__(self, tmp: Path):
        self.tmp = tmp
        self.pg_dir = tmp / "pg"
        self.db_url = subprocess.check_output([str(ROOT / "scripts" / "pg.sh"), "start", str(self.pg_dir)],
                                              text=True).strip().splitlines()[-1]
        self.exec_token = self.token("executor")
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.gateway = None
        self.start_gateway()
        self.client = Client(self.url, self.token("client"))
        self.executors: list[Executor] = []
        self.shared: Executor | None = None
        # The package index of jobs' requirements: a wheel directory with one tiny package.
        self.wheels = tmp / "wheels"
        self.wheels.mkdir()
        subprocess.check_call(["/usr/bin/python3", str(ROOT / "tests" / "executor" / "make_wheel.py"),
                               str(self.wheels), "jgtiny", "1.0"], stdout=subprocess.DEVNULL)

    def token(self, role: str) -> str:
        out = subprocess.check_output([str(GATEWAY), "token", "create", "--role", role, "--name", f"e2e-{role}",
                                       "--database", self.db_url], text=True, stderr=subprocess.DEVNULL)
        return out.strip().splitlines()[-1]

    def start_gateway(self, lease_ttl_ms: int = LEASE_TTL_MS):
        log = open(self.tmp / "gateway.log", "ab")
        self.gateway = subprocess.Popen(
            [str(GATEWAY), "--database", self.db_url, "--listen", f"127.0.0.1:{self.port}",
             "--lease-ttl-ms", str(lease_ttl_ms), "--retry-backoff-ms", "100", "--sweep-interval-ms", "100"],
            stdout=log, stderr=log)
        for _ in range(200):
            try:
                urllib.request.urlopen(self.url + "/healthz", timeout=1)
                return
            except Exception:
                time.sleep(0.05)
        raise RuntimeError("gateway did not start")

    def stop_gateway(self, sig: int = signal.SIGTERM):
        self.gateway.send_signal(sig)
        self.gateway.wait(30)

    def start_executor(self, *extra: str, name: str = "e2e", env: dict[str, str] | None = None) -> Executor:
        """An executor with extra options; env is added to its environment (with JOBGATE_TOKEN there,
        the token is not on its command line)."""
        log = self.tmp / f"executor-{len(self.executors)}.log"
        first_uid = UID_BASE + 16 * len(self.executors)
        args = [str(EXECUTOR), "--gateway", self.url, "--name", name,
                "--lease-wait", "5", "--log-level", "debug", "--work-dir", str(self.tmp),
                "--venv-dir", str(self.tmp / "venvs"), "--pip-find-links", str(self.wheels),
                "--first-uid", str(first_uid)]
        if "JOBGATE_TOKEN" not in (env or {}):
            args += ["--token", self.exec_token]
        if BACKEND == "bare":
            args += ["--backend", "bare", "--min-isolation", "none"]
        args += list(extra)
        proc = subprocess.Popen(args, stdout=open(log, "wb"), stderr=subprocess.STDOUT,
                                env={**os.environ, **(env or {})})
        ex = Executor(proc, log, first_uid)
        self.executors.append(ex)
        for _ in range(200):
            if "slot(s), runtimes" in ex.text() or proc.poll() is not None:
                break
            time.sleep(0.02)
        assert proc.poll() is None, ex.text()
        return ex

    def shared_executor(self) -> Executor:
        """The executor most tests use (2 slots); started again when a test stopped it."""
        if self.shared is None or self.shared.proc.poll() is not None:
            self.shared = self.start_executor("--slots", "2")
        return self.shared

    def logs(self) -> str:
        """Every executor's log so far."""
        return "".join(ex.text() for ex in self.executors)

    def stop(self):
        for ex in self.executors:
            if ex.proc.poll() is None:
                ex.proc.send_signal(signal.SIGKILL)
                ex.proc.wait()
        if self.gateway and self.gateway.poll() is None:
            self.gateway.send_signal(signal.SIGTERM)
            self.gateway.wait(10)
        subprocess.run([str(ROOT / "scripts" / "pg.sh"), "stop", str(self.pg_dir)], check=False)


@pytest.fixture(scope="session")
def cluster():
    tmp = Path(tempfile.mkdtemp(prefix="jobgate-e2e-"))
    os.chmod(tmp, 0o755)
    c = Cluster(tmp)
    try:
        yield c
    finally:
        c.stop()


@pytest.fixture
def executor(cluster):
    """The shared executor most tests use (2 slots)."""
    return cluster.shared_executor()


@pytest.fixture
def client(cluster, executor):
    return cluster.client
