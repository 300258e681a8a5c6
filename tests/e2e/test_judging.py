"""Judging end to end: the problem set of tests/problems uploaded as stored problems and every
solution judged by a real gateway and executor (every verdict, in C, C++ and Python), custom and
float checkers, groups and scores, progress while a job runs, the executor's test data cache
(hits, and least-recently-used eviction under a small bound), and Judge0's API on real runs."""
from __future__ import annotations

import base64
import hashlib
import json
import os
import re
import signal
import sys
import tempfile
import time
from pathlib import Path

import pytest

from conftest import Client, Cluster, b64, unb64

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "problems"))
import problemset  # noqa: E402

PROBLEMS = problemset.problems()
CASES = [(p, s) for p in PROBLEMS for s in problemset.solutions(p)]


@pytest.fixture(scope="module")
def judge():
    """A cluster of its own: its executor's cache and log belong to this module."""
    tmp = Path(tempfile.mkdtemp(prefix="jobgate-judge-"))
    os.chmod(tmp, 0o755)
    c = Cluster(tmp)
    c.admin = Client(c.url, c.token("admin"))
    c.cache_dir = tmp / "cache"
    # Box uids of their own: other modules' executors may run beside these.
    c.judge_executor = c.start_executor("--slots", "2", "--cache-dir", str(c.cache_dir),
                                        name="judge")
    for p in PROBLEMS:
        for variant in sorted(f[:-5] for f in os.listdir(Path(problemset.HERE) / p)
                              if f.startswith("problem") and f.endswith(".json")):
            name = p + variant[len("problem"):].replace("_", "-")
            status, doc = c.admin.request("PUT", "/problems/" + name, problemset.body(p, variant))
            assert status == 201, doc
    try:
        yield c
    finally:
        c.stop()


def submit_solution(client, problem, runtime, source, **extra):
    return client.submit({"runtime": runtime, "kind": "program", "code": b64(source),
                          "problem": problem, **extra})


def check_expected(job, want, checker_message=True):
    assert job["status"] == "completed", job
    assert job["verdict"] == want["verdict"], job
    if "score" in want:
        assert job["score"] == pytest.approx(want["score"]), job
    if "tests" in want:
        assert [t["verdict"] for t in job["tests"]][:len(want["tests"])] == want["tests"], job
    for key in ("signal", "exit_code"):
        if key in want:
            failing = next(t for t in job["tests"] if t["verdict"] != "OK")
            assert failing[key] == want[key], job
    if "groups" in want:
        got = {g["name"]: [g["score"], g["verdict"]] for g in job["groups"]}
        assert got == {k: [pytest.approx(v[0]), v[1]] for k, v in want["groups"].items()}, job
    if "message" in want and checker_message:
        assert job["tests"][0]["message"] == want["message"], job


@pytest.mark.parametrize("problem,solution", CASES,
                         ids=["%s/%s" % (p, s[0]) for p, s in CASES])
def test_problem_set(judge, problem, solution):
    name, runtime, source, want = solution
    job = judge.client.wait_done(submit_solution(judge.client, problem, runtime, source))
    check_expected(job, want)
    if want["verdict"] == "CE":
        assert job["compile_output"] and "tests" not in job
    elif "tests" in job:
        rec = job["tests"][0]
        assert set(rec["usage"]) == {"cpu_ms", "wall_ms", "memory_kb"}
        assert rec["index"] == 0 and "stdout" in rec
    if want["verdict"] == "OK":
        assert job["max_score"] == job["score"] and len(job["tests"]) >= 3


@pytest.mark.parametrize("solution", problemset.solutions("any_pair"),
                         ids=[s[0] for s in problemset.solutions("any_pair")])
def test_python_checker(judge, solution):
    name, runtime, source, want = solution
    job = judge.client.wait_done(submit_solution(judge.client, "any_pair-py", runtime, source))
    check_expected(job, want, checker_message=False)
    if want["verdict"] == "WA":
        assert "is not" in job["tests"][0]["message"], job


def test_checker_failure_fails_the_job(judge):
    # The first test's input is one the checker cannot read: it exits 3, and the job fails.
    job = judge.client.wait_done(submit_solution(judge.client, "any_pair-fail", "python3",
                                                 'print("0 0")\n'))
    assert job["status"] == "failed" and job["verdict"] is None, job
    assert job["error"]["type"] == "CheckerFailed"
    assert "bad input file" in job["error"]["message"]


def test_checker_that_does_not_compile_fails_the_job(judge):
    job = judge.client.wait_done(judge.client.submit({
        "runtime": "python3", "kind": "program", "code": b64("print(1)"),
        "tests": [{"input": "", "expected": b64("1\n")}],
        "checker": {"type": "custom", "runtime": "c11", "code": b64("int main( {")}}))
    assert job["status"] == "failed" and job["error"]["type"] == "CheckerError", job
    assert "does not compile" in job["error"]["message"]


def test_inline_tests_with_custom_checker_and_points(judge):
    checker = (Path(problemset.HERE) / "any_pair" / "checkers" / "pair.c").read_bytes()
    job = judge.client.wait_done(judge.client.submit({
        "runtime": "python3", "kind": "program", "code": b64("n = int(input())\nprint(n, 0)\n"),
        "tests": [{"input": b64("4\n"), "expected": b64("2 2\n"), "points": 3},
                  {"input": b64("9\n"), "expected": b64("4 5\n"), "points": 7}],
        "checker": {"type": "custom", "runtime": "c11", "code": b64(checker)}}))
    assert job["verdict"] == "OK" and job["score"] == 10 and job["max_score"] == 10, job
    assert [t["message"] for t in job["tests"]] == ["ok 4 + 0 = 4", "ok 9 + 0 = 9"]


def test_expected_of_a_single_run(judge):
    src = b64('print("hello, world")\n')
    ok = judge.client.wait_done(judge.client.submit({
        "runtime": "python3", "kind": "program", "code": src, "stdin": b64(""),
        "expected": b64("hello, world\n\n")}))
    assert ok["verdict"] == "OK" and unb64(ok["stdout"]) == b"hello, world\n", ok
    wa = judge.client.wait_done(judge.client.submit({
        "runtime": "python3", "kind": "program", "code": src, "expected": b64("hello, Judge0")}))
    assert wa["verdict"] == "WA" and unb64(wa["stdout"]) == b"hello, world\n", wa


def test_custom_checker_on_a_single_run(judge):
    checker = (Path(problemset.HERE) / "any_pair" / "checkers" / "pair.c").read_bytes()
    job = judge.client.wait_done(judge.client.submit({
        "runtime": "python3", "kind": "program", "code": b64("print(3, 3)\n"), "stdin": b64("7\n"),
        "expected": b64("3 4\n"), "checker": {"type": "custom", "runtime": "c11", "code": b64(checker)}}))
    assert job["verdict"] == "WA" and job["message"] == "3 + 3 = 6, expected 7", job
    assert unb64(job["stdout"]) == b"3 3\n"


def test_function_tests_in_groups(judge):
    code = b64("def f(x):\n    return x * 2 if x < 100 else 0\n")
    job = judge.client.wait_done(judge.client.submit({
        "runtime": "python3", "kind": "function", "code": code, "entrypoint": "f",
        "stop_on_failure": False,
        "tests": [{"args": [1], "expected": 2, "group": "a", "points": 5},
                  {"args": [2], "expected": 4, "group": "a", "points": 5},
                  {"args": [100], "expected": 200, "group": "b", "points": 10},
                  {"args": [3], "expected": 6, "group": "b", "points": 10}]}))
    assert job["verdict"] == "WA" and job["score"] == 10 and job["max_score"] == 30, job
    assert job["groups"] == [{"name": "a", "score": 10, "max_score": 10, "verdict": "OK", "tests": 2},
                             {"name": "b", "score": 0, "max_score": 20, "verdict": "WA", "tests": 2}]


def test_progress_is_visible_while_the_job_runs(judge):
    tests = [{"input": b64("%d\n" % i), "expected": b64("%d\n" % i)} for i in range(10)]
    job_id = judge.client.submit({"runtime": "python3", "kind": "program",
                                  "code": b64("import time\ntime.sleep(0.25)\nprint(input())\n"),
                                  "tests": tests})
    seen = []
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        job = judge.client.get(job_id)
        if job["status"] != "running" and seen:
            break
        if "progress" in job:
            seen.append(job["progress"]["done"])
            assert job["progress"]["total"] == 10
            assert len(job["tests"]) == job["progress"]["done"]
            assert all(t["verdict"] == "OK" and "stdout" not in t for t in job["tests"])
        time.sleep(0.05)
    assert any(0 < d < 10 for d in seen), seen
    assert seen == sorted(seen)
    done = judge.client.wait_done(job_id)
    assert done["verdict"] == "OK" and len(done["tests"]) == 10 and "progress" not in done


def test_runtimes_show_the_compilers_executors_run(judge):
    status, doc = judge.client.request("GET", "/runtimes")
    rts = {rt["name"]: rt for rt in doc["runtimes"]}
    c11 = rts["c11"]["versions"][0]
    assert c11["compile"] == "/usr/bin/gcc -std=c11 -O2 -o main main.c -lm" and c11["run"] == "./main"
    assert c11["version"].startswith("gcc ")
    assert rts["cpp17"]["versions"][0]["compile"].endswith("-std=c++17 -O2 -o main main.cpp")
    assert rts["python3"]["versions"][0]["version"].startswith("Python 3.")


# ---------------------------------------------------------------- Judge0 on real runs

HELLO_C = ('#include <stdio.h>\n\nint main(void) {\n  char name[10];\n  scanf("%s", name);\n'
           '  printf("hello, %s\\n", name);\n  return 0;\n}')


def j0(judge, body, query="?wait=true"):
    status, doc = judge.client.request("POST", "/submissions" + query, body)
    assert status == 201, doc
    return doc


def test_judge0_documentation_examples_on_real_runs(judge):
    doc = j0(judge, {"source_code": HELLO_C, "language_id": "50", "stdin": "Judge0",
                     "expected_output": "hello, Judge0"})
    assert doc["status"] == {"id": 3, "description": "Accepted"}, doc
    assert doc["stdout"] == "hello, Judge0\n" and doc["stderr"] is None
    assert re.match(r"^\d+\.\d{3}$", doc["time"]) and isinstance(doc["memory"], int)
    doc = j0(judge, {"source_code": HELLO_C, "language_id": 50, "stdin": "world",
                     "expected_output": "hello, Judge0"})
    assert doc["status"]["id"] == 4 and doc["stdout"] == "hello, world\n", doc
    doc = j0(judge, {"source_code": "int main( {", "language_id": 54})
    assert doc["status"]["id"] == 6 and "error" in doc["compile_output"], doc
    doc = j0(judge, {"source_code": "int main(){volatile int*p=0;return *p;}", "language_id": 50})
    assert doc["status"] == {"id": 7, "description": "Runtime Error (SIGSEGV)"}, doc
    doc = j0(judge, {"source_code": "import sys\nsys.exit(3)", "language_id": 71})
    assert doc["status"]["id"] == 11 and doc["message"] == "Exited with error status 3", doc
    doc = j0(judge, {"source_code": "while True: pass", "language_id": 71, "cpu_time_limit": 0.5,
                     "wall_time_limit": 2})
    assert doc["status"]["id"] == 5, doc
    b64src = base64.b64encode(b'print("\xc3\xa9t\xc3\xa9")').decode()
    doc = j0(judge, {"source_code": b64src, "language_id": 71}, "?wait=true&base64_encoded=true")
    assert base64.b64decode(doc["stdout"]) == "été\n".encode(), doc


def test_judge0_batch_on_real_runs(judge):
    status, made = judge.client.request("POST", "/submissions/batch", {"submissions": [
        {"source_code": "#include <stdio.h>\nint main(){puts(\"c\");}", "language_id": 50},
        {"source_code": "#include <iostream>\nint main(){std::cout<<\"cpp\\n\";}", "language_id": 54},
        {"source_code": "print('py')", "language_id": 71}]})
    assert status == 201, made
    tokens = ",".join(m["token"] for m in made)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        _, got = judge.client.request("GET", "/submissions/batch?tokens=%s&fields=status,stdout"
                                      % tokens)
        if all(s["status"]["id"] > 2 for s in got["submissions"]):
            break
        time.sleep(0.1)
    assert [s["stdout"] for s in got["submissions"]] == ["c\n", "cpp\n", "py\n"], got


# ---------------------------------------------------------------- the test data cache


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def test_the_executor_cached_the_test_data(judge):
    status, doc = judge.admin.request("GET", "/problems/aplusb")
    assert status == 200
    cached = set(os.listdir(judge.cache_dir))
    for blob in [doc["manifest"]] + [t[k]["sha256"] for t in doc["tests"]
                                     for k in ("input", "expected")]:
        assert blob in cached
        assert sha((judge.cache_dir / blob).read_bytes()) == blob  # each file is what it says


def test_cache_hits_and_eviction_under_a_small_bound(judge):
    """The last test of the module: it stops the judging executor (its exit log reports the cache)
    and judges a problem larger than a 1 MiB cache with an executor of its own."""
    ex = judge.judge_executor
    ex.proc.send_signal(signal.SIGTERM)
    ex.proc.wait(30)
    m = re.search(r"test data cache: (\d+) hit\(s\), (\d+) miss\(es\)", ex.text())
    assert m, ex.text()[-2000:]
    hits, misses = int(m.group(1)), int(m.group(2))
    assert hits > misses > 0, (hits, misses)  # each blob crossed the network once

    big = [os.urandom(300 * 1024).hex().encode() for _ in range(3)]  # 600 KiB each
    body = {"tests": [{"input": base64.b64encode(d).decode(),
                       "expected": base64.b64encode(d).decode()} for d in big],
            "limits": {"output_kb": 1024}}
    status, doc = judge.admin.request("PUT", "/problems/big-echo", body)
    assert status == 201, doc
    small = judge.tmp / "small-cache"
    judge.start_executor("--slots", "1", "--cache-dir", str(small), "--cache-mb", "1",
                         name="small-cache")
    cat = "import sys\nsys.stdout.write(sys.stdin.read())\n"
    for _ in range(2):
        job = judge.client.wait_done(judge.client.submit({
            "runtime": "python3", "kind": "program", "code": b64(cat), "problem": "big-echo"}))
        assert job["verdict"] == "OK" and job["score"] == 3, job
    size = sum(f.stat().st_size for f in small.iterdir())
    assert size <= 1024 * 1024, size  # bounded: older blobs were evicted
    assert sha(big[2]) in os.listdir(small)  # the one used last stays
