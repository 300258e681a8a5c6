"""A gateway killed while executors are busy and started again on the same port: every result still
arrives (the executors retry them with back-off) and each is recorded once."""
from __future__ import annotations

import re
import signal
import time

from conftest import b64, unb64

SLOW = "import time\ntime.sleep(1)\nprint(%d)\n"


def slow_job(i: int) -> dict:
    return {"runtime": "python3", "kind": "program", "code": b64(SLOW % i), "stdin": "",
            "limits": {"cpu_ms": 2000, "wall_ms": 60000}}


def wait_for(predicate, what: str, timeout: float = 120):
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, what
        time.sleep(0.05)


def test_gateway_restarted_while_executors_are_busy(cluster):
    for ex in cluster.executors:
        if ex.proc.poll() is None:
            ex.proc.send_signal(signal.SIGTERM)
            ex.proc.wait(60)
    # Leases that outlive the outage: this test is about results, not about expiry and requeueing.
    cluster.stop_gateway()
    cluster.start_gateway(lease_ttl_ms=120000)
    executors = []
    try:
        executors = [cluster.start_executor("--slots", "2", name="busy-a"),
                     cluster.start_executor("--slots", "1", name="busy-b")]
        logs = lambda: "".join(ex.text() for ex in executors)  # noqa: E731
        c = cluster.client
        ids = [c.submit(slow_job(i)) for i in range(6)]
        wait_for(lambda: sum(f": job {i} (" in logs() for i in ids) >= 3, "three runs started")
        cluster.stop_gateway(signal.SIGKILL)
        # The runs end while the gateway is gone: their results cannot be posted yet.
        wait_for(lambda: "posting the result failed" in logs(), "a result post failed")
        cluster.start_gateway(lease_ttl_ms=120000)
        for i, job_id in enumerate(ids):
            job = c.wait_done(job_id, timeout=180)
            assert job["status"] == "completed" and job["verdict"] == "OK", job
            assert unb64(job["stdout"]) == f"{i}\n".encode()
            assert job["attempts"] == 1, job  # ran once, its result accepted once
        text = logs()
        for job_id in ids:
            assert len(re.findall(f"job {job_id}: completed OK", text)) == 1, text
        assert "result refused" not in text and "result rejected" not in text, text
        for ex in executors:
            ex.proc.send_signal(signal.SIGTERM)
            assert ex.proc.wait(60) == 0, ex.text()
        assert sum(int(n) for n in re.findall(r"stopped: \d+ run, (\d+) results posted", logs())) == 6
    finally:
        for ex in executors:
            if ex.proc.poll() is None:
                ex.proc.send_signal(signal.SIGKILL)
                ex.proc.wait()
        if cluster.gateway.poll() is None:
            cluster.stop_gateway()
        cluster.start_gateway()
