"""Jobs of every kind and runtime through gateway + executor, with the verdict each must get."""
from __future__ import annotations

import pickle
import sys

import cloudpickle
import pytest

from conftest import b64, unb64

# Functions of this module travel by value: the box cannot import the test module.
cloudpickle.register_pickle_by_value(sys.modules[__name__])


def call_job(fn, *args, **kwargs) -> dict:
    return {"runtime": "python3", "kind": "call", "code": b64(cloudpickle.dumps((fn, args, kwargs)))}


def program(runtime: str, source: str, stdin: str = "", **extra) -> dict:
    job = {"runtime": runtime, "kind": "program", "code": b64(source), **extra}
    if "tests" not in extra:
        job["stdin"] = b64(stdin)
    return job


C_SUM = '#include <stdio.h>\nint main(void){long a,b;if(scanf("%ld %ld",&a,&b)!=2)return 1;printf("%ld\\n",a+b);return 0;}\n'
CPP_SUM = '#include <iostream>\nint main(){long a,b;std::cin>>a>>b;std::cout<<a+b<<"\\n";}\n'
PY_SUM = 'a, b = map(int, input().split())\nprint(a + b)\n'


# --- call ---------------------------------------------------------------------------------------------

def test_call_returns_the_pickled_value(client):
    job = client.wait_done(client.submit(call_job(lambda n: {"sum": sum(range(n))}, 1000)))
    assert job["status"] == "completed" and job["verdict"] == "OK", job
    assert pickle.loads(unb64(job["result"])) == {"sum": 499500}


def test_call_captures_stdout(client):
    job = client.wait_done(client.submit(call_job(print, "hello from the box")))
    assert job["verdict"] == "OK", job
    assert unb64(job["stdout"]) == b"hello from the box\n"
    assert pickle.loads(unb64(job["result"])) is None


def fails(x):
    raise ValueError(f"bad input {x}")


def test_call_exception_is_exc_with_traceback_and_pickled_exception(client):
    job = client.wait_done(client.submit(call_job(fails, 7)))
    assert job["verdict"] == "EXC", job
    assert job["error"]["type"] == "ValueError"
    assert job["error"]["message"] == "bad input 7"
    assert "in fails" in job["error"]["traceback"] and "harness" not in job["error"]["traceback"]
    exc = pickle.loads(unb64(job["result"]))
    assert isinstance(exc, ValueError) and exc.args == ("bad input 7",)


def test_call_garbage_payload_is_a_clear_error(client):
    job = client.wait_done(client.submit({"runtime": "python3", "kind": "call", "code": b64(b"not a pickle")}))
    assert job["verdict"] == "EXC", job
    assert job["error"]["type"] == "PayloadError"
    assert "Python 3." in job["error"]["message"]


def test_call_memory_bomb_is_mle(client):
    job = call_job(lambda: len(bytearray(512 << 20)))
    job["limits"] = {"memory_mb": 64}
    job = client.wait_done(client.submit(job))
    assert job["verdict"] == "MLE", job


def test_call_infinite_loop_is_tle(client):
    def spin():
        while True:
            pass
    job = call_job(spin)
    job["limits"] = {"cpu_ms": 500, "wall_ms": 3000}
    job = client.wait_done(client.submit(job))
    assert job["verdict"] == "TLE", job
    assert job["usage"]["cpu_ms"] >= 400


# --- function -----------------------------------------------------------------------------------------

ADD = "def add(a, b=0):\n    return a + b\n\ndef boom():\n    return {}['missing']\n\ndef weird():\n    return {1, 2}\n"


def function(entry: str, **extra) -> dict:
    return {"runtime": "python3", "kind": "function", "code": b64(ADD), "entrypoint": entry, **extra}


def test_function_returns_json(client):
    job = client.wait_done(client.submit(function("add", args=[2], kwargs={"b": 40})))
    assert job["verdict"] == "OK" and job["value"] == 42, job


def test_function_exception_is_exc(client):
    job = client.wait_done(client.submit(function("boom")))
    assert job["verdict"] == "EXC", job
    assert job["error"]["type"] == "KeyError" and "boom" in job["error"]["traceback"]


def test_function_non_json_value_is_exc(client):
    job = client.wait_done(client.submit(function("weird")))
    assert job["verdict"] == "EXC" and "not JSON" in job["error"]["message"], job


def test_function_tests_first_failure_decides(client):
    tests = [{"args": [1, 2], "expected": 3}, {"args": [2, 2], "expected": 5}, {"args": [0, 0], "expected": 0}]
    job = client.wait_done(client.submit(function("add", tests=tests, stop_on_failure=False)))
    assert job["verdict"] == "WA", job
    assert [t["verdict"] for t in job["tests"]] == ["OK", "WA", "OK"]
    assert job["score"] == 2 and job["max_score"] == 3
    assert job["tests"][1]["value"] == 4


# --- programs -----------------------------------------------------------------------------------------

@pytest.mark.parametrize("runtime,source", [("c11", C_SUM), ("cpp17", CPP_SUM), ("python3", PY_SUM)])
def test_program_ok(client, runtime, source):
    job = client.wait_done(client.submit(program(runtime, source, "20 22\n")))
    assert job["status"] == "completed" and job["verdict"] == "OK", job
    assert unb64(job["stdout"]) == b"42\n"
    assert job["exit_code"] == 0 and job["signal"] is None
    assert job["usage"]["wall_ms"] >= 0 and job["usage"]["memory_kb"] >= 0
    if runtime == "python3":  # MBs; a tiny C program's v1 peak above the box's baseline can read 0
        assert job["usage"]["memory_kb"] > 0


@pytest.mark.parametrize("runtime,source", [("c11", C_SUM), ("cpp17", CPP_SUM), ("python3", PY_SUM)])
def test_program_tests_wa_stops_at_first_failure(client, runtime, source):
    tests = [{"input": b64("1 2\n"), "expected": b64("3\n")},
             {"input": b64("2 2\n"), "expected": b64("5\n")},
             {"input": b64("5 5\n"), "expected": b64("10\n")}]
    job = client.wait_done(client.submit(program(runtime, source, tests=tests)))
    assert job["verdict"] == "WA", job
    assert [t["verdict"] for t in job["tests"]] == ["OK", "WA"]
    assert unb64(job["tests"][1]["stdout"]) == b"4\n"
    assert job["score"] == 1 and job["max_score"] == 3


def test_program_presentation_error_and_checkers(client):
    tests = [{"input": b64("1 2"), "expected": b64("3")}]
    spaced = 'print(" 3 ")\n'
    assert client.wait_done(client.submit(program("python3", spaced, tests=tests, checker="exact")))["verdict"] == "PE"
    assert client.wait_done(client.submit(program("python3", spaced, tests=tests, checker="tokens")))["verdict"] == "OK"
    near = [{"input": b64(""), "expected": b64("3.14159")}]
    src = 'print(3.1416)\n'
    job = client.submit(program("python3", src, tests=near, checker={"type": "float", "abs_tol": 1e-3}))
    assert client.wait_done(job)["verdict"] == "OK"
    job = client.submit(program("python3", src, tests=near, checker={"type": "float", "abs_tol": 1e-6}))
    assert client.wait_done(job)["verdict"] == "WA"


def test_c_compile_error_is_ce_with_the_compiler_message(client):
    job = client.wait_done(client.submit(program("c11", "int main(void) { return undefined_name; }\n")))
    assert job["verdict"] == "CE", job
    assert b"undefined_name" in unb64(job["compile_output"])


def test_c_infinite_loop_is_tle(client):
    job = client.wait_done(client.submit(program("c11", "int main(void){volatile unsigned long i=0;for(;;)i++;}\n",
                                                 limits={"cpu_ms": 500, "wall_ms": 3000})))
    assert job["verdict"] == "TLE", job


def test_c_memory_bomb_is_mle(client):
    src = ('#include <stdlib.h>\n#include <string.h>\nint main(void){for(int i=0;i<64;i++){char*p=malloc(16<<20);'
           'if(!p)return 3;memset(p,1,16<<20);}return 0;}\n')
    job = client.wait_done(client.submit(program("c11", src, limits={"memory_mb": 64})))
    assert job["verdict"] == "MLE", job


def test_runtime_errors_are_re_with_exit_code_or_signal(client):
    job = client.wait_done(client.submit(program("c11", "int main(void){return 3;}\n")))
    assert job["verdict"] == "RE" and job["exit_code"] == 3, job
    job = client.wait_done(client.submit(program("c11", "int main(void){volatile int*p=0;return *p;}\n")))
    assert job["verdict"] == "RE" and job["signal"] == 11 and job["exit_code"] is None, job
    job = client.wait_done(client.submit(program("python3", "raise SystemExit(4)\n")))
    assert job["verdict"] == "RE" and job["exit_code"] == 4, job


def test_output_limit_is_ole_and_truncated(client):
    job = client.wait_done(client.submit(program("python3", "import sys\nwhile True: sys.stdout.write('x' * 65536)\n",
                                                 limits={"output_kb": 64})))
    assert job["verdict"] == "OLE", job
    assert job["stdout_truncated"] is True and len(unb64(job["stdout"])) <= 64 * 1024
