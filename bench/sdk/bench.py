"""The Python SDK end to end, beside Celery + Redis in the same run.

    bench/sdk/run.sh [BUILD_DIR] [N] [ROUNDTRIPS]        (default build 2000 200)

Starts a throwaway stack (PostgreSQL, gateway, one sandboxed executor with 2 slots: the shape of the
quick start) and measures trivial calls x + 1:
  - map:        N calls through client.map (POST /jobs/batch), then every result   -> tasks/s
  - submit:     N client.submit() one by one, then gather                          -> tasks/s
  - round trip: ROUNDTRIPS sequential submit(...).result()                         -> p50, p99 ms
The same again with runtime "python3-fast", served by an in-process executor in another process
(clients/python/tests/fake_executor.py, no sandbox): what the SDK, the gateway and PostgreSQL cost
without the sandboxed run. Then bench/celery/run.sh for the same N and round trips
(prefork x2 over Redis), when Celery and redis-server are installed. Every sandboxed number includes
the executor's run of the call (a warm zygote child, or a fresh interpreter when that is off).
"""
from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "clients" / "python"))
sys.path.insert(0, str(ROOT / "clients" / "python" / "tests"))

import jobgate  # noqa: E402


def inc(x):
    return x + 1


# The in-process executor, in its own process so that it does not share the client's GIL.
FAKE = ("import sys, time; sys.path.insert(0, %r); from fake_executor import FastExecutor; "
        "FastExecutor(sys.argv[1], sys.argv[2], threads=2); time.sleep(3600)"
        % str(ROOT / "clients" / "python" / "tests"))


def pct(samples, q):
    s = sorted(samples)
    return s[min(len(s) - 1, int(q * len(s)))]


def measure(client: jobgate.Client, n: int, rounds: int) -> dict:
    assert list(client.map(inc, range(20))) == list(range(1, 21))  # warm: connections, executor awake
    cpu0 = time.process_time()
    t0 = time.perf_counter()
    assert list(client.map(inc, range(n))) == [i + 1 for i in range(n)]
    map_rate = n / (time.perf_counter() - t0)
    client_ms = (time.process_time() - cpu0) * 1000 / n

    t0 = time.perf_counter()
    fs = [client.submit(inc, i) for i in range(n)]
    submitted = time.perf_counter() - t0
    assert client.gather(fs) == [i + 1 for i in range(n)]
    submit_rate = n / (time.perf_counter() - t0)

    lat = []
    for i in range(rounds):
        t0 = time.perf_counter()
        assert client.submit(inc, i).result() == i + 1
        lat.append((time.perf_counter() - t0) * 1000)
    usage = client.status(fs[-1].job_id)["usage"]
    return {"map": map_rate, "submit": submit_rate, "submit_only": n / submitted, "client_ms": client_ms,
            "p50": statistics.median(lat), "p99": pct(lat, 0.99), "box_cpu_ms": usage["cpu_ms"]}


def celery(mode: str, n: int) -> str:
    script = ROOT / "bench" / "celery" / "run.sh"
    try:
        p = subprocess.run([str(script), mode, str(n)], capture_output=True, text=True, timeout=900)
    except (OSError, subprocess.TimeoutExpired) as e:
        return "n/a (%s)" % e
    return p.stdout.strip().splitlines()[-1] if p.returncode == 0 and p.stdout.strip() else "n/a (%s)" % (
        p.stderr.strip().splitlines()[-1:] or ["failed"])[0]


def main() -> int:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 2000
    rounds = int(sys.argv[2]) if len(sys.argv) > 2 else 200
    from stack import Stack
    stack = Stack()
    try:
        stack.start_executor(slots=2)
        with jobgate.Client(stack.url, stack.client_token) as client:
            r = measure(client, n, rounds)
        fake = subprocess.Popen([sys.executable, "-c", FAKE, stack.url, stack.exec_token])
        try:
            with jobgate.Client(stack.url, stack.client_token, options={"runtime": "python3-fast"}) as client:
                f = measure(client, n, rounds)
        finally:
            fake.kill()
            fake.wait()
    finally:
        stack.stop()
    c_rate, c_p50 = celery("throughput", n), celery("roundtrip", rounds)
    print("trivial calls, %d CPUs, load average %.1f at the end" % (os.cpu_count(), os.getloadavg()[0]))
    print("| system | tasks/s, %d calls | round trip p50 ms (%d) | p99 ms |" % (n, rounds))
    print("|---|---|---|---|")
    print("| jobgate SDK, client.map (batched) | %.0f | %.1f | %.1f |" % (r["map"], r["p50"], r["p99"]))
    print("| jobgate SDK, submit one by one | %.0f (submits alone: %.0f/s) | | |" % (r["submit"], r["submit_only"]))
    print("| Celery + Redis, prefork x2 | %s | %s | |" % (c_rate, c_p50))
    print("| jobgate SDK + gateway, no sandbox (python3-fast), map | %.0f | %.1f | %.1f |" % (f["map"], f["p50"], f["p99"]))
    print("| jobgate SDK + gateway, no sandbox, submit one by one | %.0f (submits alone: %.0f/s) | | |"
          % (f["submit"], f["submit_only"]))
    print("(a sandboxed call used %d ms of CPU in its box; the client spent %.2f ms of CPU per mapped call)"
          % (r["box_cpu_ms"], r["client_ms"]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
