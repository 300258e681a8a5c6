"""The slot's Python zygote against a fresh interpreter per run: the same call and function jobs through an
executor with --zygote-runs 0 and through one with its zygote end the same way (usage aside)."""
from __future__ import annotations

import signal
import sys

import cloudpickle

from conftest import b64, unb64

cloudpickle.register_pickle_by_value(sys.modules[__name__])


def call(fn, *args, limits=None, **kwargs) -> dict:
    job = {"runtime": "python3", "kind": "call", "code": b64(cloudpickle.dumps((fn, args, kwargs)))}
    if limits:
        job["limits"] = limits
    return job


def function(source: str, entrypoint: str = "f", **extra) -> dict:
    return {"runtime": "python3", "kind": "function", "code": b64(source), "entrypoint": entrypoint, **extra}


def fails(x):
    raise ValueError(f"bad input {x}")


def spin():
    while True:
        pass


def segfault():
    import ctypes
    return ctypes.string_at(0)


def exits():
    import os
    os._exit(3)


def unpicklable():
    import threading
    return threading.Lock()


def noisy():
    import sys
    print("to stdout")
    print("to stderr", file=sys.stderr)
    return 42


def forbidden():
    import socket
    return socket.socket(socket.AF_INET).fileno()


def ids():
    import os
    return os.getpid(), os.getppid(), os.getuid() >= 1000, sorted(p for p in os.listdir("/proc") if p.isdigit())


JOBS = [
    call(sum, [1, 2, 3]),
    call(lambda n: {"sum": sum(range(n))}, 1000),
    call(noisy),
    call(fails, 7),
    call(spin, limits={"cpu_ms": 400, "wall_ms": 5000}),
    call(lambda: len(bytearray(512 << 20)), limits={"memory_mb": 64}),
    call(segfault),
    call(exits),
    call(unpicklable),
    call(forbidden),
    call(ids),
    {"runtime": "python3", "kind": "call", "code": b64(b"not a pickle")},
    {"runtime": "python3", "kind": "call", "code": b64(cloudpickle.dumps({"python": "3.99.0"}))},
    function("def f(a, b):\n    return {'sum': a + b}\n", args=[2, 3]),
    function("def f():\n    raise KeyError('k')\n"),
    function("def f(:\n"),
    function("def f(x):\n    return x * 2\n", tests=[{"args": [1], "expected": 2}, {"args": [2], "expected": 5},
                                                   {"args": [3], "expected": 6}]),
]

COMPARED = ("status", "verdict", "exit_code", "signal", "error", "value", "stdout", "stderr", "score")


def outcomes(cluster, *extra: str) -> tuple[list[dict], str]:
    for ex in cluster.executors:  # only this executor may lease
        if ex.proc.poll() is None:
            ex.proc.send_signal(signal.SIGTERM)
            ex.proc.wait(60)
    ex = cluster.start_executor("--slots", "2", *extra)
    try:
        ids_ = [cluster.client.submit(job) for job in JOBS]
        return [cluster.client.wait_done(i, timeout=120) for i in ids_], ex.text()
    finally:
        ex.proc.send_signal(signal.SIGTERM)
        ex.proc.wait(60)


def comparable(job: dict) -> dict:
    out = {k: job.get(k) for k in COMPARED}
    if job.get("result") is not None:
        out["result"] = cloudpickle.loads(unb64(job["result"])) if job["verdict"] == "OK" else repr(
            cloudpickle.loads(unb64(job["result"])))
    out["tests"] = [{k: v for k, v in t.items() if k != "usage"} for t in job.get("tests") or []]
    return out


def test_zygote_runs_end_like_fresh_interpreters(cluster):
    fresh, fresh_log = outcomes(cluster, "--zygote-runs", "0")
    warm, warm_log = outcomes(cluster)
    assert "Python zygote started" not in fresh_log
    assert "Python zygote started" in warm_log, warm_log
    for job, a, b in zip(JOBS, fresh, warm):
        assert a["status"] == "completed", a
        assert comparable(a) == comparable(b), (job["kind"], a, b)
    verdicts = [a["verdict"] for a in fresh]
    assert verdicts == ["OK", "OK", "OK", "EXC", "TLE", "MLE", "RE", "RE", "EXC", "SYS", "OK", "EXC", "EXC",
                        "OK", "EXC", "EXC", "WA"], verdicts
    assert comparable(fresh[10])["result"] == (2, 1, True, ["2"])  # pid 2 under the run's init, alone
    assert unb64(warm[2]["stdout"]) == b"to stdout\n" and unb64(warm[2]["stderr"]) == b"to stderr\n"
