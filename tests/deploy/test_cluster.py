"""Smoke test of a running jobgate cluster (the compose cluster of docker/, started by scripts/test-deploy.sh).

    JOBGATE_URL=http://127.0.0.1:18080 JOBGATE_TOKEN=<client> JOBGATE_EXECUTOR_TOKEN=<executor> \
    JOBGATE_EXECUTOR_CONTAINERS="<id> <id>" /usr/bin/python3 -m pytest -q tests/deploy

Jobs of every kind go through the gateway to the executors in their containers. The hostile programs of the
sandbox suite (tests/sandbox/hostile/cases.tsv) run as jobs too, with the verdict the suite expects; then
the containers are checked from outside: still the same processes, no box process left behind, a canary
untouched, and no job output carrying the executor's token.
"""
from __future__ import annotations

import base64
import json
import os
import pickle
import subprocess
import sys
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import cloudpickle
import pytest

ROOT = Path(__file__).resolve().parents[2]
HOSTILE = ROOT / "tests" / "sandbox" / "hostile"
URL = os.environ.get("JOBGATE_URL", "http://127.0.0.1:8080")
TOKEN = os.environ.get("JOBGATE_TOKEN", "")
EXECUTOR_TOKEN = os.environ.get("JOBGATE_EXECUTOR_TOKEN", "")
CONTAINERS = os.environ.get("JOBGATE_EXECUTOR_CONTAINERS", "").split()
CANARY = "/tmp/jobgate-canary"
FIRST_BOX_UID = 60000

cloudpickle.register_pickle_by_value(sys.modules[__name__])


def b64(data: bytes | str) -> str:
    return base64.b64encode(data.encode() if isinstance(data, str) else data).decode()


def unb64(text: str | None) -> bytes:
    return base64.b64decode(text or "")


def request(method: str, path: str, body=None, timeout: float = 30):
    req = urllib.request.Request(URL + path, method=method,
                                 data=json.dumps(body).encode() if body is not None else None,
                                 headers={"Authorization": "Bearer " + TOKEN, "Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return r.status, json.loads(r.read() or b"null")
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read() or b"null")


def run(job: dict, timeout: float = 120) -> dict:
    """Submit a job and long-poll it to its end."""
    status, body = request("POST", "/jobs", job)
    assert status == 201, body
    deadline = time.monotonic() + timeout
    while True:
        status, body = request("GET", f"/jobs/{body['id']}?wait=10", timeout=20)
        assert status == 200, body
        if body["status"] in ("completed", "failed", "cancelled") or time.monotonic() > deadline:
            return body


def docker(*args: str) -> str:
    return subprocess.run(["docker", *args], check=True, capture_output=True, text=True).stdout


def containers_state() -> dict:
    return {c: docker("inspect", "-f", "{{.State.Status}} {{.State.StartedAt}} {{.RestartCount}}", c).strip()
            for c in CONTAINERS}


def box_processes(container: str) -> list[str]:
    """Processes of the container running as a box uid (the executor itself is root)."""
    rows = docker("top", container, "-eo", "uid,pid,comm").splitlines()[1:]
    return [r for r in rows if r.split() and r.split()[0].isdigit() and int(r.split()[0]) >= FIRST_BOX_UID]


@pytest.fixture(scope="module", autouse=True)
def cluster():
    assert TOKEN, "JOBGATE_TOKEN (a client token) is required"
    status, body = request("GET", "/runtimes")
    assert status == 200, body
    live = {r["name"]: r for r in body["runtimes"]}
    assert all(live[n]["available"] for n in ("python3", "c11", "cpp17")), body


# --- the three kinds ------------------------------------------------------------------------------------

def test_call_returns_the_pickled_value():
    job = run({"runtime": "python3", "kind": "call",
               "code": b64(cloudpickle.dumps((lambda n: {"sum": sum(range(n))}, (1000,), {})))})
    assert job["status"] == "completed" and job["verdict"] == "OK", job
    assert pickle.loads(unb64(job["result"])) == {"sum": 499500}


def test_function_with_tests():
    src = "def add(a, b):\n    return a + b\n"
    tests = [{"args": [1, 2], "expected": 3}, {"args": [2, 2], "expected": 5}]
    job = run({"runtime": "python3", "kind": "function", "code": b64(src), "entrypoint": "add", "tests": tests,
               "stop_on_failure": False})
    assert job["verdict"] == "WA" and [t["verdict"] for t in job["tests"]] == ["OK", "WA"], job
    job = run({"runtime": "python3", "kind": "function", "code": b64(src), "entrypoint": "add", "args": [40, 2]})
    assert job["verdict"] == "OK" and job["value"] == 42, job


@pytest.mark.parametrize("runtime,source", [
    ("c11", '#include <stdio.h>\nint main(void){long a,b;scanf("%ld %ld",&a,&b);printf("%ld\\n",a+b);}\n'),
    ("cpp17", '#include <iostream>\nint main(){long a,b;std::cin>>a>>b;std::cout<<a+b<<"\\n";}\n'),
    ("python3", 'a, b = map(int, input().split())\nprint(a + b)\n'),
])
def test_program(runtime, source):
    job = run({"runtime": runtime, "kind": "program", "code": b64(source), "stdin": b64("20 22\n")})
    assert job["verdict"] == "OK" and unb64(job["stdout"]) == b"42\n", job
    job = run({"runtime": runtime, "kind": "program", "code": b64(source),
               "tests": [{"input": b64("1 2\n"), "expected": b64("3\n")}, {"input": b64("2 2\n"), "expected": b64("5\n")}]})
    assert job["verdict"] == "WA" and job["score"] == 1, job


# --- hostile programs, inside the containers ------------------------------------------------------------

LIMIT_KEYS = {"cpu": ("cpu_ms", 1), "wall": ("wall_ms", 1), "mem": ("memory_mb", 1024), "procs": ("processes", 1),
              "out": ("output_kb", 1024)}
VERDICTS = {"TLE_CPU": "TLE", "TLE_WALL": "TLE"}


def hostile_cases() -> list:
    """The sandbox suite's cases that need no host-side argv (the API passes none) and only limits the API has."""
    cases = []
    for line in (HOSTILE / "cases.tsv").read_text().splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        name, program, verdict, limits, expect = line.split("\t")
        keys = {kv.split("=")[0] for kv in limits.split(",")} if limits != "-" else set()
        if "collect=" in expect or not keys <= LIMIT_KEYS.keys():
            continue
        cases.append(pytest.param(program, verdict, limits, expect, id=name))
    return cases


def hostile_job(program: str, limits: str) -> dict:
    source = (HOSTILE / program).read_text()
    runtime = "python3" if program.endswith(".py") else "c11"
    if runtime == "c11":
        source = "#define _GNU_SOURCE\n" + source  # the suite builds them as GNU C; c11 jobs are strict C11
    else:
        source = source.replace('"prog.py"', '"main.py"')  # the suite's runner names the script prog.py
    job = {"runtime": runtime, "kind": "program", "code": b64(source), "stdin": b64("")}
    if limits != "-":
        job["limits"] = {}
        for kv in limits.split(","):
            key, value = kv.split("=")
            name, unit = LIMIT_KEYS[key]
            job["limits"][name] = max(1, int(value) // unit)
    return job


@pytest.fixture(scope="module")
def contained():
    """Record the containers' state and plant a canary before the hostile jobs; check both after them."""
    before = containers_state()
    for c in CONTAINERS:
        docker("exec", c, "sh", "-c", f"echo canary > {CANARY}")
    outputs: list[bytes] = []
    yield outputs
    assert containers_state() == before, "an executor container restarted or stopped"
    deadline = time.monotonic() + 10
    while any(box_processes(c) for c in CONTAINERS) and time.monotonic() < deadline:
        time.sleep(0.5)
    for c in CONTAINERS:
        assert box_processes(c) == [], f"box processes left in {c}"
        assert docker("exec", c, "cat", CANARY) == "canary\n"
    if EXECUTOR_TOKEN:
        assert not [o for o in outputs if EXECUTOR_TOKEN.encode() in o], "a job saw the executor token"


def test_hostile_programs_are_contained(contained):
    params = hostile_cases()
    assert len(params) >= 20, "the hostile suite shrank or its format changed"

    def one(p):
        program, verdict, limits, expect = p.values
        return p.id, VERDICTS.get(verdict, verdict), expect, run(hostile_job(program, limits))

    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(one, params))
    wrong = []
    for name, verdict, expect, job in results:
        contained.extend([unb64(job.get("stdout")), unb64(job.get("stderr")), unb64(job.get("compile_output"))])
        exit_ok = "exit=0" not in expect or job.get("exit_code") == 0
        if job.get("verdict") != verdict or not exit_ok:
            wrong.append((name, verdict, {k: job.get(k) for k in ("status", "verdict", "exit_code", "signal", "error")},
                          unb64(job.get("stdout"))[:400], unb64(job.get("stderr"))[:400]))
    assert not wrong, wrong


def test_box_cannot_see_the_containers_secrets_or_network(contained):
    probe = f"""
import os, socket, sys
sys.stdout.reconfigure(line_buffering=True)  # the SIGSYS at the end must not eat the lines before it
for path in ["/run/jobgate-executor/executor-token", "/proc/1/environ", "{CANARY}"]:
    try:
        print("READ", path, open(path, "rb").read()[:200])
    except OSError as e:
        print("no", path, e.errno)
    try:
        open("{CANARY}", "w").write("pwned")
    except OSError as e:
        pass
print("env", dict(os.environ))
try:
    print("resolved", socket.getaddrinfo("gateway", 8080))
except OSError as e:
    print("no dns", e)
socket.create_connection(("gateway", 8080), timeout=2)
print("connected")
"""
    job = run({"runtime": "python3", "kind": "program", "code": b64(probe), "stdin": b64("")})
    out = unb64(job.get("stdout"))
    contained.append(out)
    assert job["verdict"] == "SYS", job  # the socket() call is killed by the box's seccomp filter
    assert b"READ /run/jobgate-executor" not in out and b"READ /proc/1/environ" not in out, out
    assert b"connected" not in out and b"resolved" not in out, out


def test_cluster_still_serves_after_the_hostile_jobs(contained):
    job = run({"runtime": "python3", "kind": "function", "code": b64("def f():\n    return 'alive'\n"),
               "entrypoint": "f"}, timeout=60)
    assert job["verdict"] == "OK" and job["value"] == "alive", job
