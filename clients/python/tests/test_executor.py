"""jobgate.Executor as a drop-in for ProcessPoolExecutor: the same code, one line changed."""
from __future__ import annotations

import concurrent.futures
import math
import os
import time

import pytest

import jobgate
from conftest import IDLE


# --- code written for ProcessPoolExecutor (module-level functions, the usual idiom) ---------------

def is_prime(n):
    if n < 2:
        return False
    return all(n % k for k in range(2, int(math.isqrt(n)) + 1))


def pipeline(executor_factory):
    """A typical ProcessPoolExecutor program: submit + as_completed, map with chunks, a with block."""
    numbers = [112272535095293, 112582705942171, 115280095190773, 1099726899285419, 17, 18]
    with executor_factory() as ex:
        futures = {ex.submit(is_prime, n): n for n in numbers}
        verdicts = {futures[f]: f.result() for f in concurrent.futures.as_completed(futures)}
        mapped = list(ex.map(is_prime, range(40), chunksize=8))
        squares = list(ex.map(pow, range(5), [2] * 5))
    return verdicts, mapped, squares


def test_same_results_as_process_pool(client):
    expected = pipeline(lambda: concurrent.futures.ProcessPoolExecutor(max_workers=2))
    got = pipeline(lambda: jobgate.Executor(client, max_workers=2))
    assert got == expected


def test_own_client_from_the_environment_closed_at_shutdown(client, monkeypatch, stack):
    monkeypatch.setenv("JOBGATE_URL", stack.url)
    monkeypatch.setenv("JOBGATE_TOKEN", stack.client_token)
    with jobgate.Executor(2) as ex:  # ProcessPoolExecutor(2): max_workers positional
        assert isinstance(ex, concurrent.futures.Executor)
        assert ex.submit(os.getpid).result(60) != os.getpid()  # ran elsewhere
        own = ex.client
    assert own is not client and own._closed
    with jobgate.Executor(url=stack.url, token=stack.client_token) as ex:
        assert ex.submit(abs, -1).result(60) == 1


def test_max_workers_must_be_positive(client):
    with pytest.raises(ValueError):
        jobgate.Executor(client, max_workers=0)


def test_submit_after_shutdown(client):
    ex = jobgate.Executor(client)
    ex.shutdown()
    with pytest.raises(RuntimeError, match="after shutdown"):
        ex.submit(pow, 2, 2)
    with pytest.raises(RuntimeError):
        ex.map(pow, [2], [2])


def test_shutdown_waits_for_jobs(client):
    ex = jobgate.Executor(client)
    f = ex.submit(time.sleep, 1.0)
    t = time.monotonic()
    ex.shutdown(wait=True)
    assert f.done() and time.monotonic() - t > 0.5


def test_shutdown_cancel_futures(client):
    ex = jobgate.Executor(client, options=IDLE)
    fs = [ex.submit(pow, 2, k) for k in range(5)]
    ex.shutdown(wait=True, cancel_futures=True)
    assert all(f.cancelled() for f in fs)
    assert {client.status(f.job_id)["status"] for f in fs} == {"cancelled"}


def test_shutdown_cancel_futures_lets_running_jobs_finish(client):
    ex = jobgate.Executor(client)
    first = ex.submit(time.sleep, 1.5)
    deadline = time.monotonic() + 30
    while client.status(first.job_id)["status"] != "running":
        assert time.monotonic() < deadline
        time.sleep(0.05)
    later = [ex.submit(time.sleep, 1.5) for _ in range(6)]  # 2 slots: most are still queued
    ex.shutdown(wait=True, cancel_futures=True)
    assert first.done() and not first.cancelled() and first.exception() is None
    assert sum(f.cancelled() for f in later) >= 3
    assert all(f.done() for f in later)


def test_shutdown_without_wait_returns_at_once(client):
    ex = jobgate.Executor(client, options=IDLE)
    f = ex.submit(pow, 2, 2)
    t = time.monotonic()
    ex.shutdown(wait=False)
    assert time.monotonic() - t < 1 and not f.done()
    f.cancel()


_initialized = []


def init_worker(tag):
    _initialized.append(tag)


def read_init():
    return list(_initialized)


def test_initializer_runs_in_each_job(client):
    with jobgate.Executor(client, initializer=init_worker, initargs=("ready",)) as ex:
        assert ex.submit(read_init).result(60) == ["ready"]
        assert list(ex.map(lambda _: read_init(), range(2))) == [["ready"], ["ready"]]
    assert _initialized == []  # not here


def test_map_timeout(client):
    with jobgate.Executor(client, options=IDLE) as ex:
        with pytest.raises(concurrent.futures.TimeoutError):
            list(ex.map(pow, [2, 3], [2, 2], timeout=0.3))
