"""future.cancel() cancels on the server: queued jobs never run, running jobs are killed; a job
cancelled by someone else cancels its future; finished jobs cannot be cancelled."""
from __future__ import annotations

import concurrent.futures
import time

import pytest

from conftest import IDLE
from stack import http


def sleep_for(seconds):
    time.sleep(seconds)
    return seconds


def test_cancel_a_queued_job(client):
    f = client.submit(sleep_for, 0, options=IDLE)
    assert f.cancel() is True
    assert f.cancelled() and f.done() and not f.running()
    with pytest.raises(concurrent.futures.CancelledError):
        f.result(0)
    assert client.status(f.job_id)["status"] == "cancelled"
    assert f.cancel() is True  # again: still cancelled


def test_cancel_a_running_job_kills_it(client):
    f = client.submit(sleep_for, 60)
    deadline = time.monotonic() + 30
    while client.status(f.job_id)["status"] != "running":
        assert time.monotonic() < deadline, "the job never started"
        time.sleep(0.05)
    t = time.monotonic()
    assert f.cancel() is True
    assert f.cancelled()
    doc = client.status(f.job_id)
    assert doc["status"] == "cancelled"
    assert time.monotonic() - t < 5
    # The executor's slot is free again soon (the run was killed, not waited for).
    assert client.submit(sleep_for, 0).result(30) == 0


def test_cancel_a_finished_job_returns_false(client):
    f = client.submit(sleep_for, 0)
    assert f.result(60) == 0
    assert f.cancel() is False
    assert not f.cancelled()


def test_cancel_races_with_completion(client, fast):
    # The job may end before the DELETE arrives: either way the future ends consistently.
    f = client.submit(sleep_for, 0, options={"runtime": "python3-fast"})
    cancelled = f.cancel()
    assert f.done() or cancelled is False
    if cancelled:
        assert f.cancelled()
    else:
        assert f.result(30) == 0


def test_cancelled_elsewhere_cancels_the_future(client, stack):
    f = client.submit(sleep_for, 0, options=IDLE)
    status, _ = http(stack.url, stack.client_token, "DELETE", "/jobs/" + f.job_id)
    assert status == 200
    with pytest.raises(concurrent.futures.CancelledError):
        f.result(30)
    assert f.cancelled()


def test_waiters_see_cancellation(client):
    fs = [client.submit(sleep_for, 0, options=IDLE) for _ in range(3)]
    got = []

    def consume():
        got.extend(concurrent.futures.as_completed(fs, timeout=30))

    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        waiter = pool.submit(consume)
        time.sleep(0.2)
        for f in fs:
            assert f.cancel()
        waiter.result(30)
    assert set(got) == set(fs)
    done, not_done = concurrent.futures.wait(fs, timeout=0)
    assert done == set(fs) and not not_done


def test_callbacks_run_on_cancel(client):
    seen = []
    f = client.submit(sleep_for, 0, options=IDLE)
    f.add_done_callback(lambda fut: seen.append(fut.cancelled()))
    f.cancel()
    assert seen == [True]
