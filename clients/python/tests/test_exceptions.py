"""Remote exceptions come back with their original types and the remote traceback; limit verdicts and
system failures raise the SDK's typed exceptions."""
from __future__ import annotations

import base64
import os
import signal
import threading

import pytest

import jobgate
from conftest import FAST
from fake_executor import FastExecutor


class DomainError(Exception):
    """Defined in this test module: shipped by value, and must come back as this very class."""

    def __init__(self, code, detail):
        super().__init__(code, detail)
        self.code, self.detail = code, detail


def raise_domain(code):
    def inner():
        raise DomainError(code, "deep inside")
    inner()


def raise_builtin():
    return {}["missing-key"]


def raise_unpicklable():
    class Local(Exception):
        def __reduce__(self):
            raise TypeError("not today")
    raise Local("a local exception class")


def raise_system_exit():
    raise SystemExit(3)


def burn_cpu():
    while True:
        pass


def eat_memory():
    blocks = []
    while True:
        blocks.append(bytearray(8 << 20))


def shout():
    print("x" * 200_000)


def die_by_signal():
    os.kill(os.getpid(), signal.SIGKILL)


def exit_early():
    os._exit(0)


def open_socket():
    import socket
    return socket.socket(socket.AF_INET, socket.SOCK_STREAM)


def test_custom_exception_keeps_type_fields_and_traceback(client):
    f = client.submit(raise_domain, 418)
    with pytest.raises(DomainError) as info:
        f.result(60)
    e = info.value
    assert type(e) is DomainError and e.code == 418 and e.detail == "deep inside"
    assert isinstance(e.__cause__, jobgate.RemoteTraceback)
    assert "in inner" in e.__cause__.tb and "in raise_domain" in e.__cause__.tb
    assert 'raise DomainError(code, "deep inside")' in e.__cause__.tb
    assert e.remote_traceback == e.__cause__.tb
    assert e.job_id == f.job_id


def test_builtin_exception_type(client):
    with pytest.raises(KeyError, match="missing-key"):
        client.submit(raise_builtin).result(60)


def test_exception_that_cannot_travel_becomes_remote_error(client):
    with pytest.raises(jobgate.RemoteError) as info:
        client.submit(raise_unpicklable).result(60)
    e = info.value
    assert e.type_name.endswith("Local") and e.message == "a local exception class"
    assert "in raise_unpicklable" in e.remote_traceback
    assert 'raise Local("a local exception class")' in e.remote_traceback  # source lines added here


def test_system_exit_does_not_escape_as_such(client):
    with pytest.raises(jobgate.RemoteError) as info:
        client.submit(raise_system_exit).result(60)
    assert info.value.type_name == "SystemExit"


def test_time_limit(client):
    with pytest.raises(jobgate.TimeLimitExceeded) as info:
        client.submit(burn_cpu, options={"limits": {"cpu_ms": 300}}).result(60)
    e = info.value
    assert isinstance(e, jobgate.LimitExceeded) and isinstance(e, jobgate.JobError)
    assert e.verdict == "TLE" and e.job_id and e.usage["cpu_ms"] >= 300


def test_memory_limit(client):
    with pytest.raises(jobgate.MemoryLimitExceeded) as info:
        client.submit(eat_memory, options={"limits": {"memory_mb": 64}}).result(60)
    assert info.value.verdict == "MLE"


def test_output_limit(client):
    with pytest.raises(jobgate.OutputLimitExceeded) as info:
        client.submit(shout, options={"limits": {"output_kb": 16}}).result(60)
    assert info.value.verdict == "OLE"


def test_killed_by_a_signal(client):
    with pytest.raises(jobgate.RemoteCrash) as info:
        client.submit(die_by_signal).result(60)
    assert info.value.signal == signal.SIGKILL


def test_exit_without_result(client):
    with pytest.raises(jobgate.RemoteCrash) as info:
        client.submit(exit_early).result(60)
    assert "NoResult" in str(info.value)


def test_network_is_off_by_default(client):
    with pytest.raises(jobgate.ForbiddenSyscall) as info:
        client.submit(open_socket).result(60)
    assert info.value.verdict == "SYS"


def test_job_failed_carries_the_reason(client, stack):
    def failing(job, call):
        return {"status": "failed", "error": {"type": "SandboxError", "message": "the box broke"}}

    ex = FastExecutor(stack.url, stack.exec_token, handler=failing, threads=1)
    try:
        with pytest.raises(jobgate.JobFailed) as info:
            client.submit(pow, 2, 2, options=FAST).result(60)
    finally:
        ex.stop()
    assert info.value.reason == "SandboxError" and "the box broke" in str(info.value)


def test_payload_error_and_damaged_result(client, stack):
    outcomes = iter([
        {"status": "completed", "verdict": "EXC",
         "error": {"type": "PayloadError", "message": "cannot load the payload with Python 3.99"}},
        {"status": "completed", "verdict": "OK", "result": base64.b64encode(b"not a pickle").decode()},
    ])
    lock = threading.Lock()

    def handler(job, call):
        with lock:
            return next(outcomes)

    ex = FastExecutor(stack.url, stack.exec_token, handler=handler, threads=1)
    try:
        with pytest.raises(jobgate.PayloadError, match="3.99"):
            client.submit(pow, 2, 2, options=FAST).result(60)
        with pytest.raises(jobgate.ResultError):
            client.submit(pow, 2, 2, options=FAST).result(60)
    finally:
        ex.stop()


def test_gateway_refusal_is_an_api_error_naming_the_field(client):
    with pytest.raises(jobgate.APIError) as info:
        client.submit(pow, 2, 2, options={"limits": {"cpu_ms": 10 ** 9}})
    assert info.value.status == 422 and info.value.field == "limits.cpu_ms"
    with pytest.raises(TypeError, match="unknown job option"):
        client.submit(pow, 2, 2, options={"cpu": 1})


def test_bad_token(stack):
    c = jobgate.Client(stack.url, "jgc_" + "0" * 64)
    try:
        with pytest.raises(jobgate.APIError) as info:
            c.submit(pow, 2, 2)
        assert info.value.status == 401
    finally:
        c.close()


def test_payloads_name_their_python_and_another_version_is_refused(client, monkeypatch):
    import pickle

    from jobgate import serialize
    assert pickle.loads(serialize.VERSION_HEADER)["python"] == __import__("platform").python_version()
    monkeypatch.setattr(serialize, "VERSION_HEADER", pickle.dumps({"python": "3.9.18", "cloudpickle": "2.2.0"}, 2))
    with pytest.raises(jobgate.PythonVersionMismatch, match="3.9.18") as info:
        client.submit(pow, 2, 2).result(60)
    assert isinstance(info.value, jobgate.PayloadError)
