"""Executor protocol: lease, heartbeat, result, release; expiry and requeue; stale leases;
cancellation of running jobs; long-polls woken across gateways."""
import threading
import uuid

import pytest

from conftest import (Client, Executor, assert_problem, b64, call_job, function_job,
                      program_job, wait_until)


def submit(client, job):
    r = client.post("/jobs", job)
    assert r.status == 201, r
    return r.json()


def status_of(client, job_id):
    r = client.get("/jobs/" + job_id)
    assert r.status == 200, r
    return r.json()


def test_lease_result_roundtrip_function(client, executor, runtime):
    job = submit(client, function_job(runtime, labels={"k": "v"}, priority=3, max_attempts=2,
                                      limits={"cpu_ms": 700}))
    leased = executor.lease_one()
    assert leased["id"] == job["id"]
    assert leased["attempt"] == 1
    assert leased["runtime"] == runtime and leased["kind"] == "function"
    assert leased["max_attempts"] == 2
    uuid.UUID(leased["lease"])
    spec = leased["spec"]
    # The executor's copy: the request minus scheduling fields, with effective limits.
    assert spec["code"] == function_job(runtime)["code"]
    assert spec["entrypoint"] == "f" and spec["args"] == [21] and spec["kwargs"] == {}
    assert spec["limits"]["cpu_ms"] == 700 and spec["limits"]["wall_ms"] > 0
    assert "labels" not in spec and "priority" not in spec and "max_attempts" not in spec

    running = status_of(client, job["id"])
    assert running["status"] == "running" and running["attempts"] == 1
    assert running["started_at"] is not None
    assert [j["id"] for j in client.get("/jobs?status=running").json()["jobs"]] == [job["id"]]

    r = executor.complete(leased, value={"answer": 42}, usage={"cpu_ms": 3, "wall_ms": 5,
                                                               "memory_kb": 1024},
                          stdout=b64("out"), stdout_truncated=False, stderr=b64(""),
                          exit_code=0)
    assert r.status == 200, r
    assert r.json() == {"id": job["id"], "status": "completed", "recorded": True}

    done = client.get("/jobs/%s?wait=5" % job["id"]).json()
    assert done["status"] == "completed" and done["verdict"] == "OK"
    assert done["value"] == {"answer": 42}
    assert done["usage"] == {"cpu_ms": 3, "wall_ms": 5, "memory_kb": 1024}
    assert done["stdout"] == b64("out") and done["exit_code"] == 0
    assert done["attempts"] == 1 and done["finished_at"] is not None
    # The job's own fields are not overwritten by the outcome document.
    assert done["id"] == job["id"] and done["labels"] == {"k": "v"}
    assert [j["id"] for j in client.get("/jobs?status=completed").json()["jobs"]] == [job["id"]]


def test_result_call_and_program_outcomes(client, tokens, runtime):
    ex = Executor(tokens.client("executor"), [runtime])
    call = submit(client, call_job(runtime))
    prog = submit(client, program_job(runtime))
    failed = submit(client, function_job(runtime))
    got = {}
    while len(got) < 3:
        for j in ex.lease(3, wait=2):
            got[j["id"]] = j
    r = ex.complete(got[call["id"]], verdict="EXC", result=b64(b"pickled"),
                    error={"type": "ValueError", "message": "boom", "traceback": "tb"})
    assert r.status == 200, r
    r = ex.complete(got[prog["id"]], verdict="WA", stdout=b64("1\n"), exit_code=0, signal=None,
                    tests=[{"verdict": "WA"}], score=0, max_score=1,
                    compile_output=b64(""))
    assert r.status == 200, r
    r = ex.result(failed["id"], got[failed["id"]]["lease"], status="failed",
                  error={"type": "SandboxError", "message": "no cgroup"})
    assert r.status == 200 and r.json()["status"] == "failed", r

    c = status_of(client, call["id"])
    assert c["verdict"] == "EXC" and c["result"] == b64(b"pickled")
    assert c["error"] == {"type": "ValueError", "message": "boom", "traceback": "tb"}
    p = status_of(client, prog["id"])
    assert p["verdict"] == "WA" and p["tests"] == [{"verdict": "WA"}] and p["score"] == 0
    f = status_of(client, failed["id"])
    assert f["status"] == "failed" and f["verdict"] is None
    assert f["error"]["type"] == "SandboxError"


def test_lease_many_in_priority_order(client, executor, runtime):
    low = submit(client, call_job(runtime, priority=-5))["id"]
    mid = [submit(client, call_job(runtime))["id"] for _ in range(2)]
    high = submit(client, call_job(runtime, priority=10))["id"]
    jobs = executor.lease(max_jobs=10, wait=2)
    while len(jobs) < 4:
        jobs += executor.lease(max_jobs=10, wait=2)
    assert [j["id"] for j in jobs] == [high] + mid + [low]
    assert executor.lease(max_jobs=10, wait=0) == []


def test_lease_long_poll_woken_by_submit(client, executor, runtime):
    out = {}

    def lease():
        out["jobs"] = executor.lease(1, wait=20)

    t = threading.Thread(target=lease)
    t.start()
    import time
    time.sleep(0.3)
    job = submit(client, call_job(runtime))
    t.join(30)
    assert [j["id"] for j in out["jobs"]] == [job["id"]]


def test_lease_validation(tokens, runtime):
    ex = Executor(tokens.client("executor"), [runtime])
    c = ex.c
    base = {"executor_id": ex.id, "name": "x", "runtimes": [runtime], "max_jobs": 1, "wait": 0}
    cases = [
        (dict(base, executor_id="nope"), "executor_id"),
        (dict(base, executor_id=5), "executor_id"),
        ({k: v for k, v in base.items() if k != "name"}, "name"),
        (dict(base, name=""), "name"),
        (dict(base, runtimes=[]), "runtimes"),
        (dict(base, runtimes="python3"), "runtimes"),
        (dict(base, runtimes=["cobol"]), "runtimes[0]"),
        (dict(base, runtimes=[runtime, 7]), "runtimes[1]"),
        (dict(base, max_jobs=0), "max_jobs"),
        (dict(base, max_jobs=100000), "max_jobs"),
        (dict(base, wait="long"), "wait"),
        (dict(base, wait=-1), "wait"),
        (dict(base, extra=1), "extra"),
    ]
    for body, field in cases:
        assert_problem(c.post("/executor/lease", body), 422, "invalid-field", field)
    assert_problem(c.post("/executor/lease", raw=b"{"), 400, "malformed-json")
    assert_problem(c.post("/executor/lease", [1]), 422, "invalid-field", "")


def test_executor_id_belongs_to_its_token(tokens, runtime):
    a = Executor(tokens.client("executor"), [runtime])
    assert a.lease(1) == []
    b = Executor(tokens.client("executor"), [runtime])
    b.id = a.id
    assert_problem(b.lease_raw(1), 409, "executor-conflict", "executor_id")
    # Heartbeats from the other token do not know this executor either.
    assert_problem(b.heartbeat([]), 404, "unknown-executor", "executor_id")


def test_heartbeat_extends_and_reports(client, executor, runtime):
    job = submit(client, call_job(runtime))
    leased = executor.lease_one()
    r = executor.heartbeat([leased])
    assert r.status == 200, r
    doc = r.json()
    assert doc["cancel"] == []
    assert [l["job_id"] for l in doc["leases"]] == [job["id"]]
    assert doc["leases"][0]["lease_expires_at"] >= leased["lease_expires_at"]
    assert doc["lease_ttl_ms"] > 0
    # Unknown job or wrong lease token: the executor must stop that run.
    bogus = {"id": str(uuid.uuid4()), "lease": str(uuid.uuid4())}
    wrong = {"id": job["id"], "lease": str(uuid.uuid4())}
    doc = executor.heartbeat([bogus, wrong]).json()
    assert doc["leases"] == []
    assert sorted(c["job_id"] for c in doc["cancel"]) == sorted([bogus["id"], job["id"]])
    assert {c["reason"] for c in doc["cancel"]} == {"lease_lost"}
    assert executor.heartbeat([]).json() == {"leases": [], "cancel": [],
                                             "lease_ttl_ms": doc["lease_ttl_ms"]}


def test_heartbeat_keeps_a_job_past_its_ttl(client, short_executor, runtime):
    executor = short_executor
    job = submit(client, call_job(runtime, max_attempts=1))
    leased = executor.lease_one()
    # Renew for longer than the lease TTL (1.5 s): the job must stay ours.
    import time
    end = time.monotonic() + 3.5
    while time.monotonic() < end:
        doc = executor.heartbeat([leased]).json()
        assert doc["cancel"] == [], doc
        time.sleep(0.3)
    assert status_of(client, job["id"])["status"] == "running"
    assert executor.complete(leased).status == 200


def test_heartbeat_validation(tokens, runtime):
    ex = Executor(tokens.client("executor"), [runtime])
    ex.lease(1)
    c = ex.c
    for body, field in [
        ({"leases": []}, "executor_id"),
        ({"executor_id": "x", "leases": []}, "executor_id"),
        ({"executor_id": ex.id}, "leases"),
        ({"executor_id": ex.id, "leases": {}}, "leases"),
        ({"executor_id": ex.id, "leases": [{"job_id": "a", "lease": "b"}]}, "leases[0]"),
        ({"executor_id": ex.id, "leases": [5]}, "leases[0]"),
        ({"executor_id": ex.id, "leases": [], "x": 1}, "x"),
    ]:
        assert_problem(c.post("/executor/heartbeat", body), 422, "invalid-field", field)
        assert_problem(c.post("/executor/release", body), 422, "invalid-field", field)


def test_cancel_running_job_told_by_heartbeat(client, executor, runtime):
    job = submit(client, call_job(runtime))
    leased = executor.lease_one()
    r = client.delete("/jobs/" + job["id"])
    assert r.status == 200 and r.json()["status"] == "cancelled", r
    assert r.json()["attempts"] == 1
    doc = executor.heartbeat([leased]).json()
    assert doc["leases"] == []
    assert doc["cancel"] == [{"job_id": job["id"], "reason": "cancelled"}]
    # Its result is no longer wanted.
    assert_problem(executor.complete(leased), 409, "stale-lease", "lease")
    assert status_of(client, job["id"])["status"] == "cancelled"
    assert_problem(client.delete("/jobs/" + job["id"]), 409, "job-finished")


def test_cancelled_queued_job_is_never_leased(client, executor, runtime):
    job = submit(client, call_job(runtime))
    assert client.delete("/jobs/" + job["id"]).status == 200
    assert executor.lease(5, wait=0.5) == []
    keep = submit(client, call_job(runtime))
    assert [j["id"] for j in executor.lease(5, wait=5)] == [keep["id"]]


def test_cancel_finished_job_conflicts(client, executor, runtime):
    job = submit(client, call_job(runtime))
    assert executor.complete(executor.lease_one()).status == 200
    assert_problem(client.delete("/jobs/" + job["id"]), 409, "job-finished", "id")
    assert status_of(client, job["id"])["status"] == "completed"


def test_lease_expiry_requeues_then_fails(client, short_executor, runtime):
    executor = short_executor
    job = submit(client, call_job(runtime, max_attempts=2))
    first = executor.lease_one()
    assert first["attempt"] == 1
    # No heartbeat: the lease expires, the job goes back to the queue after a back-off.
    second = executor.lease_one(wait=20)
    assert second["id"] == job["id"]
    assert second["attempt"] == 2
    assert second["lease"] != first["lease"]
    # The first run's heartbeat learns it lost the job.
    doc = executor.heartbeat([first]).json()
    assert doc["cancel"] == [{"job_id": job["id"], "reason": "lease_lost"}]
    # Out of attempts after the second expiry: failed with the reason.
    done = wait_until(lambda: (lambda d: d if d["status"] != "running" else None)(
        client.get("/jobs/%s?wait=5" % job["id"]).json()), timeout=30, what="job to fail")
    assert done["status"] == "failed", done
    assert done["attempts"] == 2
    assert done["verdict"] is None
    assert done["error"]["type"] == "LeaseExpired"
    assert "attempt 2 of 2" in done["error"]["message"]
    assert executor.lease(1, wait=0.3) == []
    # A late result from either run is refused.
    assert_problem(executor.complete(second), 409, "stale-lease")
    assert_problem(executor.complete(first), 409, "stale-lease")


def test_long_poll_sees_lease_expiry_failure(client, short_executor, runtime):
    executor = short_executor
    job = submit(client, call_job(runtime, max_attempts=1))
    executor.lease_one()
    r = client.get("/jobs/%s?wait=30" % job["id"], timeout=60)
    assert r.status == 200 and r.json()["status"] == "failed", r
    assert r.json()["error"]["type"] == "LeaseExpired"


def test_stale_lease_refused_current_accepted_and_retry_ok(client, short_executor, runtime):
    executor = short_executor
    job = submit(client, function_job(runtime, max_attempts=3))
    first = executor.lease_one()
    second = executor.lease_one(wait=20)  # after the first lease expired
    assert second["attempt"] == 2
    r = executor.complete(second, value=2)  # first, while the second lease is surely current
    assert r.status == 200 and r.json()["recorded"] is True, r
    assert_problem(executor.complete(first, value=1), 409, "stale-lease", "lease")
    # The same lease retried (its answer was lost): accepted again, recorded once.
    r = executor.complete(second, value=2)
    assert r.status == 200 and r.json() == {"id": job["id"], "status": "completed",
                                            "recorded": True}
    r = executor.complete(second, value=999)
    assert r.status == 200
    assert_problem(executor.complete(first, value=1), 409, "stale-lease")
    done = status_of(client, job["id"])
    assert done["value"] == 2 and done["attempts"] == 2


def test_release_requeues_at_once(client, executor, runtime):
    job = submit(client, call_job(runtime, max_attempts=1))
    leased = executor.lease_one()
    r = executor.release([leased, {"id": str(uuid.uuid4()), "lease": str(uuid.uuid4())}])
    assert r.status == 200, r
    assert r.json() == {"released": [job["id"]]}
    doc = status_of(client, job["id"])
    assert doc["status"] == "queued" and doc["attempts"] == 0
    again = executor.lease_one(wait=5)
    assert again["id"] == job["id"]
    assert again["attempt"] == 1  # a released attempt does not count
    assert_problem(executor.complete(leased), 409, "stale-lease")
    assert executor.complete(again).status == 200
    assert executor.release([again]).json() == {"released": []}


def test_result_validation(client, executor, runtime):
    submit(client, call_job(runtime))
    leased = executor.lease_one()
    jid, lease = leased["id"], leased["lease"]
    cases = [
        ({"status": "completed", "verdict": "OK"}, "lease"),
        ({"lease": "nope", "status": "completed", "verdict": "OK"}, "lease"),
        ({"lease": lease, "verdict": "OK"}, "status"),
        ({"lease": lease, "status": "done", "verdict": "OK"}, "status"),
        ({"lease": lease, "status": "completed"}, "verdict"),
        ({"lease": lease, "status": "completed", "verdict": "MAYBE"}, "verdict"),
        ({"lease": lease, "status": "failed", "verdict": "OK"}, "verdict"),
        ({"lease": lease, "status": "completed", "verdict": "OK", "stdout": "!!"}, "stdout"),
        ({"lease": lease, "status": "completed", "verdict": "OK", "result": 5}, "result"),
        ({"lease": lease, "status": "completed", "verdict": "OK", "exit_code": "0"},
         "exit_code"),
        ({"lease": lease, "status": "completed", "verdict": "OK", "tests": {}}, "tests"),
        ({"lease": lease, "status": "completed", "verdict": "OK", "usage": {"cpu_ms": -1}},
         "cpu_ms"),
        ({"lease": lease, "status": "completed", "verdict": "OK", "usage": {"gpu": 1}},
         "usage.gpu"),
        ({"lease": lease, "status": "completed", "verdict": "OK", "error": {"message": "x"}},
         "type"),
        ({"lease": lease, "status": "completed", "verdict": "OK", "bogus": 1}, "bogus"),
    ]
    for body, field in cases:
        r = executor.c.put("/jobs/%s/result" % jid, body)
        assert_problem(r, 422, "invalid-field", field)
    assert_problem(executor.c.put("/jobs/%s/result" % jid, raw=b"[1,"), 400, "malformed-json")
    assert_problem(executor.result(str(uuid.uuid4()), lease, status="completed", verdict="OK"),
                   404, "not-found")
    assert_problem(executor.result("not-a-uuid", lease, status="completed", verdict="OK"),
                   404, "not-found")
    # Nothing above was recorded; the real result still is.
    assert status_of(client, jid)["status"] == "running"
    assert executor.complete(leased).status == 200


def test_runtimes_shows_live_executors(tokens, runtime):
    c = tokens.client("client")
    before = {r["name"]: r for r in c.get("/runtimes").json()["runtimes"]}
    assert before[runtime]["available"] is False and before[runtime]["executors"] == 0
    ex = Executor(tokens.client("executor"), [runtime])
    ex.lease(1, wait=0, slots=3)
    after = {r["name"]: r for r in c.get("/runtimes").json()["runtimes"]}
    assert after[runtime]["available"] is True
    assert after[runtime]["executors"] == 1 and after[runtime]["slots"] == 3


def test_long_poll_woken_through_second_gateway(client, gateway, gateway_factory, tokens,
                                                runtime):
    """A GET ?wait on gateway A ends when the result is posted through gateway B."""
    other = gateway_factory()
    job = submit(client, function_job(runtime))
    out = {}

    def poll():
        out["r"] = client.get("/jobs/%s?wait=25" % job["id"], timeout=60)

    t = threading.Thread(target=poll)
    t.start()
    wait_until(lambda: _long_polls(gateway.client) >= 1, what="the poll to park")
    ex = Executor(Client(other.port, tokens.secret("executor")), [runtime])
    leased = ex.lease_one()
    assert ex.complete(leased, value="via B").status == 200
    t.join(60)
    r = out["r"]
    assert r.status == 200, r
    assert r.json()["status"] == "completed" and r.json()["value"] == "via B"


def test_cancel_on_one_gateway_wakes_poll_on_another(client, gateway, gateway_factory):
    other = gateway_factory()
    job = submit(client, call_job())
    out = {}

    def poll():
        out["r"] = Client(other.port, client.token).get("/jobs/%s?wait=25" % job["id"],
                                                        timeout=60)

    t = threading.Thread(target=poll)
    t.start()
    wait_until(lambda: _long_polls(other.client) >= 1, what="the poll to park")
    assert client.delete("/jobs/" + job["id"]).status == 200
    t.join(60)
    assert out["r"].status == 200 and out["r"].json()["status"] == "cancelled"


def test_lease_on_one_gateway_woken_by_submit_on_another(client, gateway_factory, tokens,
                                                        runtime):
    other = gateway_factory()
    ex = Executor(Client(other.port, tokens.secret("executor")), [runtime])
    out = {}

    def lease():
        out["jobs"] = ex.lease(1, wait=20)

    t = threading.Thread(target=lease)
    t.start()
    import time
    time.sleep(0.3)
    job = submit(client, call_job(runtime))
    t.join(30)
    assert [j["id"] for j in out["jobs"]] == [job["id"]]


def _long_polls(c):
    for line in c.get("/metrics").body.decode().splitlines():
        if line.startswith("jobgate_long_polls "):
            return float(line.split()[1])
    return 0


@pytest.mark.parametrize("role", ["client"])
def test_executor_endpoints_need_executor_role(tokens, role, runtime):
    c = tokens.client(role)
    ex = Executor(c, [runtime])
    assert_problem(ex.lease_raw(1), 403, "forbidden")
    assert_problem(ex.heartbeat([]), 403, "forbidden")
    assert_problem(ex.release([]), 403, "forbidden")
    assert_problem(ex.result(str(uuid.uuid4()), str(uuid.uuid4()), status="completed",
                             verdict="OK"), 403, "forbidden")


def test_lease_with_duplicate_runtimes_never_duplicates_jobs(client, tokens, runtime):
    ex = Executor(tokens.client("executor"), [runtime, runtime])
    ids = {submit(client, call_job(runtime))["id"] for _ in range(3)}
    got = []
    deadline = __import__("time").monotonic() + 20
    while len(got) < 3 and __import__("time").monotonic() < deadline:
        got += [j["id"] for j in ex.lease(3, wait=1)]
    assert sorted(got) == sorted(ids)


def test_many_executors_never_share_a_job(client, tokens, runtime):
    ids = {j["id"] for j in client.post("/jobs/batch", {
        "jobs": [call_job(runtime) for _ in range(20)]}).json()["jobs"]}
    exs = [Executor(tokens.client("executor"), [runtime]) for _ in range(4)]
    got = []
    lock = threading.Lock()

    def work(ex):
        while True:
            jobs = ex.lease(3, wait=0.5)
            if not jobs:
                return
            with lock:
                got.extend(j["id"] for j in jobs)
            for j in jobs:
                assert ex.complete(j).status == 200

    threads = [threading.Thread(target=work, args=(ex,)) for ex in exs]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert sorted(got) == sorted(ids)  # each job leased exactly once
    assert {j["status"] for j in client.get("/jobs?limit=100").json()["jobs"]} == {"completed"}


# ---------------------------------------------------------------- batched results


def test_results_batch_records_each_under_its_lease(client, executor, runtime):
    ids = [client.post("/jobs", function_job(runtime)).json()["id"] for _ in range(4)]
    leased = []
    while len(leased) < 4:
        leased += executor.lease(max_jobs=4, wait=5)
    stale = dict(leased[3], lease=str(uuid.uuid4()))
    body = {"executor_id": executor.id, "results": [
        {"job_id": j["id"], "lease": j["lease"], "status": "completed", "verdict": "OK",
         "value": n} for n, j in enumerate(leased[:3])] + [
        {"job_id": stale["id"], "lease": stale["lease"], "status": "completed", "verdict": "OK"}]}
    r = executor.c.post("/executor/results", body)
    assert r.status == 200, r
    answers = r.json()["results"]
    assert [a["recorded"] for a in answers] == [True, True, True, False]
    assert answers[3]["reason"] == "stale-lease" and answers[3]["status"] == "running"
    # Sent again (an answer lost on the way): the same leases are acknowledged, nothing changes.
    r = executor.c.post("/executor/results", dict(body, results=body["results"][:3]))
    assert [a["recorded"] for a in r.json()["results"]] == [True, True, True]
    for n, j in enumerate(leased[:3]):
        job = client.get("/jobs/" + j["id"]).json()
        assert job["status"] == "completed" and job["value"] == n, job
    assert client.get("/jobs/" + leased[3]["id"]).json()["status"] == "running"
    assert sorted(j["id"] for j in leased) == sorted(ids)


@pytest.mark.parametrize("results,field", [
    ([], "results"),
    ([{"lease": str(uuid.uuid4()), "status": "completed", "verdict": "OK"}], "results[0].job_id"),
    ([{"job_id": str(uuid.uuid4()), "lease": "x", "status": "completed", "verdict": "OK"}],
     "results[0].lease"),
    ([{"job_id": str(uuid.uuid4()), "lease": str(uuid.uuid4()), "status": "done"}],
     "results[0].status"),
    ([{"job_id": str(uuid.uuid4()), "lease": str(uuid.uuid4()), "status": "completed",
       "verdict": "OK", "bogus": 1}], "results[0].bogus"),
])
def test_results_batch_invalid(executor, results, field):
    executor.lease(max_jobs=1, wait=0)  # registers the executor id
    r = executor.c.post("/executor/results", {"executor_id": executor.id, "results": results})
    assert_problem(r, 422, "invalid-field", field)


def test_results_batch_unknown_executor(executor):
    r = executor.c.post("/executor/results", {"executor_id": str(uuid.uuid4()), "results": [
        {"job_id": str(uuid.uuid4()), "lease": str(uuid.uuid4()), "status": "failed",
         "error": {"type": "X"}}]})
    assert_problem(r, 404, "unknown-executor", "executor_id")
