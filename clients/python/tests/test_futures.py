"""Futures semantics against the real stack: results, callbacks, timeouts, the standard library's
as_completed/wait and jobgate's, futures as arguments, gather."""
from __future__ import annotations

import concurrent.futures
import operator
import threading
import time

import pytest

import jobgate
from conftest import IDLE


def add(a, b):
    return a + b


def slow_value(x, seconds):
    time.sleep(seconds)
    return x


def fail(message):
    raise KeyError(message)


def test_submit_returns_a_real_future_with_a_job_id(client):
    f = client.submit(add, 20, b=22)
    assert isinstance(f, concurrent.futures.Future)
    assert isinstance(f, jobgate.JobFuture)
    assert len(f.job_id) == 36
    assert f.result(60) == 42
    assert f.done() and not f.cancelled() and f.exception() is None
    assert client.status(f.job_id)["status"] == "completed"


def test_builtin_and_lambda_and_closure(client):
    k = 7
    assert client.submit(operator.mul, 6, 7).result(60) == 42
    assert client.submit(lambda x: x * k, 6).result(60) == 42
    assert client.submit(sorted, [3, 1, 2], reverse=True).result(60) == [3, 2, 1]


def test_result_timeout_then_value(client):
    f = client.submit(slow_value, "late", 1.0)
    with pytest.raises(concurrent.futures.TimeoutError):
        f.result(timeout=0.05)
    assert not f.done()
    assert f.result(60) == "late"


def test_done_callbacks_run_once_with_the_future(client):
    seen, event = [], threading.Event()

    def cb(fut):
        seen.append((fut, fut.result()))
        event.set()

    f = client.submit(add, 1, 2)
    f.add_done_callback(cb)
    assert event.wait(60)
    assert seen == [(f, 3)]
    late = []
    f.add_done_callback(late.append)  # already done: called at once, in this thread
    assert late == [f]


def test_exception_method(client):
    f = client.submit(fail, "nope")
    e = f.exception(60)
    assert isinstance(e, KeyError) and e.args == ("nope",)
    with pytest.raises(KeyError):
        f.result()


def test_stdlib_as_completed_yields_in_completion_order(client):
    slow = client.submit(slow_value, "slow", 2.0)
    quick = client.submit(slow_value, "quick", 0.0)
    order = [f.result() for f in concurrent.futures.as_completed([slow, quick], timeout=60)]
    assert order == ["quick", "slow"]


def test_jobgate_as_completed_mixes_local_futures(client):
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        local = pool.submit(lambda: "local")
        remote = client.submit(add, "re", "mote")
        assert {f.result() for f in jobgate.as_completed([local, remote], timeout=60)} == {"local", "remote"}


def test_as_completed_timeout(client):
    f = client.submit(add, 1, 1, options=IDLE)  # never runs
    with pytest.raises(concurrent.futures.TimeoutError):
        list(concurrent.futures.as_completed([f], timeout=0.3))
    assert f.cancel()


@pytest.mark.parametrize("wait", [concurrent.futures.wait, jobgate.wait])
def test_wait_first_completed_and_all(client, wait):
    slow = client.submit(slow_value, 1, 3.0)
    quick = client.submit(slow_value, 2, 0.0)
    done, not_done = wait([slow, quick], timeout=60, return_when=concurrent.futures.FIRST_COMPLETED)
    assert done == {quick} and not_done == {slow}
    done, not_done = wait([slow, quick], timeout=60)
    assert done == {slow, quick} and not not_done


def test_wait_first_exception(client):
    bad = client.submit(fail, "x")
    idle = client.submit(add, 1, 1, options=IDLE)
    done, not_done = concurrent.futures.wait([bad, idle], timeout=60,
                                             return_when=concurrent.futures.FIRST_EXCEPTION)
    assert done == {bad} and not_done == {idle}
    idle.cancel()


def test_futures_as_arguments_are_awaited_before_dispatch(client):
    a = client.submit(slow_value, 2, 1.0)
    b = client.submit(add, a, 3)            # a is not done: b waits on the client side
    assert b.job_id is None or not a.done()
    c = client.submit(add, [a, b], [[b]])   # nested in containers
    assert b.result(60) == 5
    assert c.result(60) == [2, 5, [5]]
    assert b.job_id is not None


def test_done_future_argument_is_substituted_at_once(client):
    a = client.submit(add, 1, 1)
    a.result(60)
    b = client.submit(add, a, a)
    assert b.job_id is not None
    assert b.result(60) == 4


def test_failed_dependency_fails_the_dependent(client):
    a = client.submit(fail, "first")
    b = client.submit(add, a, 1)
    with pytest.raises(KeyError, match="first"):
        b.result(60)


def test_cancelled_dependency_cancels_the_dependent(client):
    a = client.submit(add, 1, 1, options=IDLE)
    b = client.submit(add, a, 1)
    assert a.cancel()
    with pytest.raises(concurrent.futures.CancelledError):
        b.result(10)
    assert b.job_id is None  # never submitted


def test_dependent_cancelled_before_dispatch_is_never_submitted(client):
    a = client.submit(slow_value, 1, 0.5)
    b = client.submit(add, a, 1)
    assert b.cancel() and b.cancelled()
    a.result(60)
    time.sleep(0.3)
    assert b.job_id is None


def test_local_future_as_argument(client):
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        local = pool.submit(slow_value, 10, 0.2)
        assert client.submit(add, local, 1).result(60) == 11


def test_gather(client):
    fs = [client.submit(add, i, i) for i in range(5)]
    assert client.gather(fs, timeout=60) == [0, 2, 4, 6, 8]
    mixed = [client.submit(add, 1, 1), client.submit(fail, "g")]
    with pytest.raises(KeyError):
        jobgate.gather(mixed, timeout=60)
    out = client.gather(mixed, timeout=60, return_exceptions=True)
    assert out[0] == 2 and isinstance(out[1], KeyError)


def test_reattach_to_a_job_by_id(client, stack):
    f = client.submit(add, 40, 2)
    other = jobgate.Client(stack.url, stack.client_token)
    try:
        assert other.job(f.job_id).result(60) == 42
    finally:
        other.close()


def test_unknown_job_id_raises_job_not_found(client):
    with pytest.raises(jobgate.JobNotFound):
        client.job("00000000-0000-4000-8000-000000000000").result(30)


def test_one_collector_thread_per_client(client):
    before = threading.active_count()
    fs = [client.submit(add, i, 1, options=IDLE) for i in range(50)]
    time.sleep(0.2)
    assert threading.active_count() <= before + 1
    assert client.cancel(fs) == 50
    assert all(f.cancelled() for f in fs)
