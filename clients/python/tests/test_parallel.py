"""@jobgate.parallel and @client.parallel: calls return futures, .map, .local, .options."""
from __future__ import annotations

import os

import pytest

import jobgate


@jobgate.parallel
def where(x):
    return x, os.getpid()


@jobgate.parallel(limits={"cpu_ms": 1500}, labels={"team": "a"})
def labelled(x):
    return x + 1


@jobgate.parallel
def fib(n):
    # Calls to a @parallel function inside a job run in place (a job cannot submit jobs); the same
    # interface holds there: a call returns a completed future.
    return n if n < 2 else fib(n - 1).result() + fib(n - 2).result()


@pytest.fixture
def default(client):
    jobgate.set_default_client(client)
    yield client
    jobgate.set_default_client(None)


def test_call_returns_a_future(default):
    f = where(3)
    assert isinstance(f, jobgate.JobFuture)
    x, pid = f.result(60)
    assert x == 3 and pid != os.getpid()


def test_local_runs_here(default):
    assert where.local(3) == (3, os.getpid())
    assert where.__name__ == "where" and where.__wrapped__(1) == (1, os.getpid())


def test_map(default):
    assert [x for x, _ in where.map(range(4))] == [0, 1, 2, 3]


def test_decorator_options_and_overrides(default):
    f = labelled(1)
    assert f.result(60) == 2
    doc = default.status(f.job_id)
    assert doc["labels"] == {"team": "a"} and doc["limits"]["cpu_ms"] == 1500
    g = labelled.options(labels={"run": "b"}, priority=3, limits={"wall_ms": 4000})(1)
    assert g.result(60) == 2
    doc = default.status(g.job_id)
    assert doc["labels"] == {"team": "a", "run": "b"} and doc["priority"] == 3
    assert doc["limits"]["cpu_ms"] == 1500 and doc["limits"]["wall_ms"] == 4000
    assert labelled.options(priority=3) is not labelled


def test_client_parallel_binds_a_client(client):
    @client.parallel(max_attempts=1)
    def twice(x):
        return 2 * x

    f = twice(21)
    assert f.result(60) == 42
    assert client.status(f.job_id)["max_attempts"] == 1

    @client.parallel
    def plain(x):
        return -x

    assert plain(5).result(60) == -5


def test_nested_parallel_calls_run_in_the_job(default):
    assert fib(10).result(60) == 55


def test_futures_into_decorated_functions(default):
    a = labelled(1)
    b = labelled(a)
    assert b.result(60) == 3


def test_unknown_option_is_a_type_error():
    with pytest.raises(TypeError, match="unknown job option"):
        jobgate.parallel(cpu_ms=5)
    with pytest.raises(TypeError, match="unknown limit"):
        where.options(limits={"cpus": 2})
