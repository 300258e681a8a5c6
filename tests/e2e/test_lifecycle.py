"""Executor lifecycle: kill -9 mid-job (the job runs again elsewhere, its result recorded once),
SIGTERM drain (finish within the grace period, hand back the rest), cancellation of a running job."""
from __future__ import annotations

import signal
import time

import pytest

from conftest import b64, unb64

SLOW = "import time\ntime.sleep(%s)\nprint('done')\n"


def slow_job(seconds: float) -> dict:
    return {"runtime": "python3", "kind": "program", "code": b64(SLOW % seconds), "stdin": "",
            "limits": {"cpu_ms": 2000, "wall_ms": 60000}}


@pytest.fixture
def solo(cluster):
    """No other executor competes for the jobs of these tests."""
    for ex in cluster.executors:
        if ex.proc.poll() is None:
            ex.proc.send_signal(signal.SIGTERM)
            ex.proc.wait(60)
    return cluster


def test_kill_9_mid_job_runs_again_on_another_executor(solo):
    c = solo.client
    a = solo.start_executor("--slots", "1", name="victim")
    job_id = c.submit(slow_job(2))
    a.wait_running(job_id)
    a.proc.send_signal(signal.SIGKILL)
    a.proc.wait()
    b = solo.start_executor("--slots", "1", name="rescuer")
    job = c.wait_done(job_id, timeout=60)
    assert job["status"] == "completed" and job["verdict"] == "OK", job
    assert unb64(job["stdout"]) == b"done\n"
    assert job["attempts"] == 2, job
    assert job_id in b.text()
    b.proc.send_signal(signal.SIGTERM)
    assert b.proc.wait(30) == 0


def test_sigterm_lets_running_jobs_finish_within_grace(solo):
    c = solo.client
    a = solo.start_executor("--slots", "1", "--grace-seconds", "20", name="drainer")
    job_id = c.submit(slow_job(1))
    a.wait_running(job_id)  # leased is not started: a job not started yet would be handed back
    a.proc.send_signal(signal.SIGTERM)
    assert a.proc.wait(30) == 0, a.text()
    job = c.get(job_id)
    assert job["status"] == "completed" and job["verdict"] == "OK" and job["attempts"] == 1, job


def test_sigterm_past_grace_hands_the_job_back(solo):
    c = solo.client
    a = solo.start_executor("--slots", "1", "--grace-seconds", "1", name="quitter")
    job_id = c.submit(slow_job(4))
    a.wait_running(job_id)
    a.proc.send_signal(signal.SIGTERM)
    assert a.proc.wait(30) == 0, a.text()
    assert "grace period over: stopping 1 running job" in a.text()  # not waiting for the job's end
    assert "handed back 1 job" in a.text()
    job = c.get(job_id)
    assert job["status"] == "queued", job  # requeued at once, not after a lease expiry
    b = solo.start_executor("--slots", "1", name="next")
    job = c.wait_done(job_id, timeout=60)
    assert job["verdict"] == "OK" and job["attempts"] == 1, job  # a hand-back does not count
    b.proc.send_signal(signal.SIGTERM)
    assert b.proc.wait(30) == 0


def test_cancel_kills_the_running_job(solo):
    c = solo.client
    a = solo.start_executor("--slots", "1", name="cancelled")
    job_id = c.submit(slow_job(30))
    a.wait_running(job_id)
    status, body = c.request("DELETE", f"/jobs/{job_id}")
    assert status in (200, 202), body
    deadline = time.monotonic() + 25  # the heartbeat brings the cancel; the job itself would take 30 s
    while "run stopped" not in a.text() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert "run stopped" in a.text()
    assert c.get(job_id)["status"] == "cancelled"
    a.proc.send_signal(signal.SIGTERM)
    assert a.proc.wait(30) == 0
