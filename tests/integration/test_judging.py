"""Judging on the gateway side: stored problems and content-addressed blobs, jobs pinned to a
problem's manifest, progress of a running job (fenced by the lease), per-group results, the
`expected` of a single run, and what executors report for each runtime."""
import hashlib
import json
import uuid

import pytest

from conftest import Client, Executor, assert_problem, b64, program_job, wait_until

SUM_C = b64('#include <stdio.h>\nint main(void){long a,b;scanf("%ld %ld",&a,&b);'
            'printf("%ld\\n",a+b);return 0;}\n')


def sha(data):
    return hashlib.sha256(data.encode() if isinstance(data, str) else data).hexdigest()


def name():
    return "p-" + uuid.uuid4().hex[:12]


def aplusb(n=3, **extra):
    tests = [{"input": b64("%d %d\n" % (i, i + 1)), "expected": b64("%d\n" % (2 * i + 1))}
             for i in range(n)]
    doc = {"tests": tests}
    doc.update(extra)
    return doc


def submit(client, job):
    r = client.post("/jobs", job)
    assert r.status == 201, r
    return r.json()


# ---------------------------------------------------------------- problems and blobs


def test_problem_create_get_replace(admin):
    n = name()
    r = admin.put("/problems/" + n, aplusb(3, limits={"cpu_ms": 1000}, checker="tokens"))
    assert r.status == 201, r
    doc = r.json()
    assert doc["name"] == n and doc["version"] == 1 and doc["test_count"] == 3
    assert doc["max_score"] == 3 and doc["limits"] == {"cpu_ms": 1000}
    assert doc["checker"] == "tokens" and doc["stop_on_failure"] is True
    assert doc["tests"][0]["input"] == {"sha256": sha("0 1\n"), "size": 4}
    assert doc["tests"][0]["expected"] == {"sha256": sha("1\n"), "size": 2}
    assert admin.get("/problems/" + n).json() == doc

    # The same upload again changes nothing; another one is the next version.
    again = admin.put("/problems/" + n, aplusb(3, limits={"cpu_ms": 1000}, checker="tokens"))
    assert again.status == 200 and again.json()["version"] == 1
    assert again.json()["manifest"] == doc["manifest"]
    other = admin.put("/problems/" + n, aplusb(4))
    assert other.status == 200, other
    assert other.json()["version"] == 2 and other.json()["manifest"] != doc["manifest"]
    assert other.json()["limits"] == {} and "checker" not in other.json()


def test_problem_tests_by_hash_of_uploaded_blobs(admin, tokens):
    r = admin.post("/blobs", {"data": b64("40 2\n")})
    assert r.status == 201, r
    assert r.json() == {"sha256": sha("40 2\n"), "size": 5}
    out = admin.post("/blobs", {"data": b64("42\n")}).json()["sha256"]
    n = name()
    r = admin.put("/problems/" + n, {"tests": [
        {"input_sha256": sha("40 2\n"), "expected_sha256": out, "points": 5, "group": "g"}]})
    assert r.status == 201, r
    assert r.json()["tests"] == [{"input": {"sha256": sha("40 2\n"), "size": 5},
                                  "expected": {"sha256": out, "size": 3},
                                  "points": 5, "group": "g"}]
    # Executors read blobs back by hash: the exact bytes.
    ex = tokens.client("executor")
    got = ex.get("/blobs/" + out)
    assert got.status == 200 and got.body == b"42\n"
    assert got.content_type == "application/octet-stream"
    manifest = json.loads(ex.get("/blobs/" + r.json()["manifest"]).body)
    assert manifest == {"tests": [{"input": sha("40 2\n"), "expected": out, "points": 5.0,
                                   "group": "g"}]}
    assert_problem(ex.get("/blobs/" + "0" * 64), 404, "not-found")
    assert_problem(tokens.client("client").get("/blobs/" + out), 403, "forbidden")


def test_problem_validation(admin, tokens):
    n = name()
    assert_problem(admin.put("/problems/" + n, {"tests": []}), 422, "invalid-field", "tests")
    assert_problem(admin.put("/problems/" + n, {"tests": [{"input": b64("1")}]}), 422,
                   "invalid-field", "tests[0]")
    assert_problem(admin.put("/problems/" + n, {"tests": [
        {"input": b64("1"), "input_sha256": sha("1"), "expected": ""}]}), 422, "invalid-field",
        "tests[0]")
    assert_problem(admin.put("/problems/" + n, {"tests": [
        {"input": "!!", "expected": ""}]}), 422, "invalid-field", "tests[0].input")
    assert_problem(admin.put("/problems/" + n, {"tests": [
        {"input_sha256": "1" * 64, "expected": ""}]}), 422, "invalid-field",
        "tests[0].input_sha256")
    assert_problem(admin.put("/problems/" + n, aplusb(1, limits={"cpu_ms": 10 ** 9})), 422,
                   "invalid-field", "limits.cpu_ms")
    assert_problem(admin.put("/problems/" + n, aplusb(1, checker="nope")), 422, "invalid-field",
                   "checker")
    assert_problem(admin.put("/problems/" + n, aplusb(1, extra=1)), 422, "invalid-field", "extra")
    assert_problem(admin.put("/problems/bad%21name", aplusb(1)), 422, "invalid-field", "name")
    assert_problem(admin.get("/problems/" + n), 404, "not-found")
    assert_problem(tokens.client("client").put("/problems/" + n, aplusb(1)), 403, "forbidden")
    assert_problem(tokens.client("client").get("/problems/" + n), 403, "forbidden")


def test_job_names_a_problem_and_is_pinned_to_its_manifest(admin, client, executor, runtime):
    n = name()
    first = admin.put("/problems/" + n, aplusb(2, limits={"cpu_ms": 1234, "memory_mb": 64},
                                                 stop_on_failure=False)).json()
    job = submit(client, {"runtime": runtime, "kind": "program", "code": SUM_C, "problem": n,
                          "limits": {"memory_mb": 32}})
    # The problem's limits are the defaults; the job's own win.
    assert job["limits"]["cpu_ms"] == 1234 and job["limits"]["memory_mb"] == 32
    admin.put("/problems/" + n, aplusb(5))  # a new version: the queued job keeps its tests
    leased = executor.lease_one()
    assert leased["id"] == job["id"]
    assert leased["spec"]["problem"] == {"name": n, "version": 1, "manifest": first["manifest"]}
    assert "tests" not in leased["spec"]


def test_problem_job_validation(admin, client, runtime):
    n = name()
    admin.put("/problems/" + n, aplusb(1))
    base = {"runtime": runtime, "kind": "program", "code": SUM_C}
    assert_problem(client.post("/jobs", dict(base, problem="no-such-" + n)), 422,
                   "invalid-field", "problem")
    assert_problem(client.post("/jobs", dict(base, problem=n, stdin=b64(""))), 422,
                   "invalid-field", "problem")
    assert_problem(client.post("/jobs", dict(base, problem=n, tests=[
        {"input": "", "expected": ""}])), 422, "invalid-field", "problem")
    assert_problem(client.post("/jobs", dict(base, problem=7)), 422, "invalid-field", "problem")
    assert_problem(client.post("/jobs", {"runtime": "python3", "kind": "function",
                                         "code": SUM_C, "entrypoint": "f", "problem": n}),
                   422, "invalid-field", "problem")
    # A batch resolves every name in one go.
    r = client.post("/jobs/batch", {"jobs": [dict(base, problem=n), dict(base, problem=n)]})
    assert r.status == 201, r


def test_expected_and_checker_of_a_single_run(client):
    base = program_job("c11")
    assert submit(client, dict(base, expected=b64("hi\n"), checker="exact"))
    assert_problem(client.post("/jobs", dict(base, checker="exact")), 422, "invalid-field",
                   "checker")
    assert_problem(client.post("/jobs", dict(base, expected="!")), 422, "invalid-field",
                   "expected")
    with_tests = {"runtime": "c11", "kind": "program", "code": base["code"], "expected": b64(""),
                  "tests": [{"input": "", "expected": ""}]}
    assert_problem(client.post("/jobs", with_tests), 422, "invalid-field", "expected")


# ---------------------------------------------------------------- progress


def test_progress_is_visible_while_running_and_fenced(client, executor, runtime):
    tests = [{"input": "", "expected": "", "group": "a"} for _ in range(3)]
    job = submit(client, {"runtime": runtime, "kind": "program", "code": SUM_C, "tests": tests})
    leased = executor.lease_one()
    path = "/jobs/%s/progress" % job["id"]
    assert "progress" not in client.get("/jobs/" + job["id"]).json()
    one = [{"index": 0, "verdict": "OK", "usage": {"cpu_ms": 1, "wall_ms": 2, "memory_kb": 900},
            "points": 1, "group": "a"}]
    r = executor.c.put(path, {"lease": leased["lease"], "done": 1, "total": 3, "tests": one})
    assert r.status == 200 and r.json() == {"id": job["id"], "recorded": True}, r
    running = client.get("/jobs/" + job["id"]).json()
    assert running["status"] == "running"
    assert running["progress"] == {"done": 1, "total": 3} and running["tests"] == one
    two = one + [dict(one[0], index=1)]
    assert executor.c.put(path, {"lease": leased["lease"], "done": 2, "total": 3,
                                 "tests": two}).status == 200
    assert client.get("/jobs/" + job["id"]).json()["progress"]["done"] == 2

    assert_problem(executor.c.put(path, {"lease": str(uuid.uuid4()), "done": 3, "total": 3,
                                         "tests": two}), 409, "stale-lease", "lease")
    assert_problem(executor.c.put(path, {"lease": leased["lease"], "done": 4, "total": 3,
                                         "tests": two}), 422, "invalid-field")
    assert_problem(executor.c.put(path, {"lease": leased["lease"], "done": 1, "total": 3,
                                         "tests": [{"index": 0}]}), 422, "invalid-field",
                   "tests")
    assert_problem(executor.c.put("/jobs/%s/progress" % uuid.uuid4(), {
        "lease": leased["lease"], "done": 0, "total": 0, "tests": []}), 404, "not-found")
    assert_problem(client.put(path, {"lease": leased["lease"], "done": 0, "total": 3,
                                     "tests": []}), 403, "forbidden")

    groups = [{"name": "a", "score": 0, "max_score": 3, "verdict": "WA", "tests": 3}]
    r = executor.complete(leased, verdict="WA", tests=two + [dict(one[0], index=2, verdict="WA")],
                          score=0, max_score=3, groups=groups)
    assert r.status == 200, r
    done = client.get("/jobs/" + job["id"]).json()
    assert "progress" not in done and len(done["tests"]) == 3 and done["groups"] == groups
    # The row went with the queue row; a late report is refused.
    assert_problem(executor.c.put(path, {"lease": leased["lease"], "done": 3, "total": 3,
                                         "tests": []}), 409, "stale-lease")


def test_progress_of_a_rescued_run_is_not_shown(client, short_executor, runtime):
    job = submit(client, {"runtime": runtime, "kind": "program", "code": SUM_C, "max_attempts": 2,
                          "tests": [{"input": "", "expected": ""}] * 2})
    first = short_executor.lease_one()
    path = "/jobs/%s/progress" % job["id"]
    one = [{"index": 0, "verdict": "OK"}]
    gw = short_executor.c
    assert gw.put(path, {"lease": first["lease"], "done": 1, "total": 2,
                         "tests": one}).status == 200
    # Let the lease expire; the second attempt has shown nothing yet.
    second = wait_until(lambda: short_executor.lease(1, wait=1), timeout=30,
                        what="the job to be leased again")[0]
    assert second["attempt"] == 2
    seen = gw.with_token(client.token).get("/jobs/" + job["id"]).json()
    assert seen["status"] == "running" and "progress" not in seen, seen
    assert_problem(gw.put(path, {"lease": first["lease"], "done": 2, "total": 2, "tests": one}),
                   409, "stale-lease")


# ---------------------------------------------------------------- runtimes


def test_runtime_info_reported_by_executors(tokens, runtime):
    ex = Executor(tokens.client("executor"), [runtime])
    info = {runtime: {"version": "gcc (Debian 12.2.0-14) 12.2.0",
                      "compile": "gcc -std=c11 -O2 -o main main.c -lm", "run": "./main"}}
    assert ex.lease_raw(runtime_info=info).status == 200
    listed = {rt["name"]: rt for rt in tokens.client("client").get("/runtimes").json()["runtimes"]}
    assert listed[runtime]["versions"] == [info[runtime]]
    assert listed[runtime]["available"] is True
    r = ex.lease_raw(runtime_info={runtime: {"version": 7}})
    assert_problem(r, 422, "invalid-field", "runtime_info")
    r = ex.lease_raw(runtime_info={runtime: {"flags": "-O3"}})
    assert_problem(r, 422, "invalid-field")
