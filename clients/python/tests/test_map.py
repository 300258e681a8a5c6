"""client.map: order, chunks, batching through /jobs/batch, timeouts, errors in place."""
from __future__ import annotations

import concurrent.futures
import time

import pytest

from conftest import FAST, IDLE


def delayed_square(x, delay):
    time.sleep(delay)
    return x * x


def square(x):
    return x * x


def fragile(x):
    if x == 3:
        raise ValueError("three")
    return x


class Counting:
    """Wraps the client's transport to count requests by (method, path)."""

    def __init__(self, client):
        self.calls = []
        real = client._transport.request

        def request(method, path, *a, **k):
            self.calls.append((method, path.split("?")[0]))
            return real(method, path, *a, **k)

        client._transport.request = request


def test_results_in_submission_order_not_completion_order(client):
    delays = [0.8, 0.0, 0.4, 0.0]
    assert list(client.map(delayed_square, range(4), delays, timeout=60)) == [0, 1, 4, 9]


def test_zip_semantics_and_empty(client):
    assert list(client.map(pow, [2, 3, 4], [2, 2])) == [4, 9]
    assert list(client.map(pow, [], [])) == []


def test_submitted_in_batches(client, fast):
    counter = Counting(client)
    client.batch_size = 100
    assert list(client.map(square, range(250), options=FAST, timeout=60)) == [x * x for x in range(250)]
    posts = [c for c in counter.calls if c[0] == "POST"]
    assert posts == [("POST", "/jobs/batch")] * 3


def test_chunksize_puts_several_calls_in_one_job(client):
    counter = Counting(client)
    assert list(client.map(square, range(10), chunksize=4, timeout=60)) == [x * x for x in range(10)]
    assert counter.calls == [("POST", "/jobs/batch")]  # 3 jobs (4 + 4 + 2 calls) in one request


def test_exception_raised_in_place(client):
    it = client.map(fragile, range(6), timeout=60)
    assert [next(it), next(it), next(it)] == [0, 1, 2]
    with pytest.raises(ValueError, match="three"):
        next(it)


def spy_results(client):
    """Capture the futures behind the iterators client.map returns."""
    captured = []
    real = client._results

    def spy(futures, end, chunked):
        captured.extend(futures)
        return real(futures, end, chunked)

    client._results = spy
    return captured


def test_timeout_cancels_what_is_left(client):
    captured = spy_results(client)
    before = time.monotonic()
    with pytest.raises(concurrent.futures.TimeoutError):
        list(client.map(square, range(3), timeout=0.5, options=IDLE))
    assert time.monotonic() - before < 5
    assert len(captured) == 3 and all(f.cancelled() for f in captured)
    assert {client.status(f.job_id)["status"] for f in captured} == {"cancelled"}
    assert client._collector.outstanding() == 0


def test_closing_the_iterator_cancels_the_rest(client):
    captured = spy_results(client)
    it = client.map(delayed_square, range(4), [0, 30, 30, 30], timeout=60)
    assert next(it) == 0
    it.close()
    assert all(f.cancelled() for f in captured[1:])
    assert {client.status(f.job_id)["status"] for f in captured[1:]} == {"cancelled"}


def test_map_futures_with_as_completed(client):
    fs = client.map_futures(delayed_square, [1, 2, 3], [0.6, 0.0, 0.3])
    done = [f.result() for f in concurrent.futures.as_completed(fs, timeout=60)]
    assert sorted(done) == [1, 4, 9] and done[0] == 4


def test_map_option_layers(client):
    fs = client.map_futures(square, [1], options={"labels": {"who": "map"}, "priority": 7,
                                                 "limits": {"cpu_ms": 1234}, "max_attempts": 2})
    assert fs[0].result(60) == 1
    doc = client.status(fs[0].job_id)
    assert doc["labels"] == {"who": "map"} and doc["priority"] == 7 and doc["max_attempts"] == 2
    assert doc["limits"]["cpu_ms"] == 1234
