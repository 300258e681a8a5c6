"""The real gateway against openapi/openapi.yaml, driven by the document itself: for every
operation, the generic answers (401, 403, 415, 413, 405, 404, 414) and a full client/executor
round trip, each response checked with contract.check_response. (Every other integration test's
responses can be checked too: run pytest with -p contract_plugin, see openapi/README.md.)"""
import os
import uuid

import pytest

import contract
from conftest import (Client, Executor, PgCluster, b64, call_job, create_token, function_job,
                      program_job)

SPEC = contract.load_spec()
SOME_ID = "00000000-0000-4000-8000-000000000000"

OPERATIONS = [(m.upper(), t, op) for t, item in SPEC["paths"].items()
              for m, op in item.items() if m in contract.METHODS]


def concrete(template):
    # A token id that does not exist: never revoke another test's token.
    path = template.replace("{id}", "999999999" if template.startswith("/admin/") else SOME_ID)
    return path.replace("{name}", "p1").replace("{sha256}", "0" * 64).replace("{token}", SOME_ID)


def call(client, method, path, **kw):
    r = client.request(method, path, **kw)
    contract.check_response(method, path, r.status, r.headers, r.body)
    return r


def ids(ops):
    return ["%s %s" % (m, t) for m, t, _ in ops]


SECURED = [o for o in OPERATIONS if o[2].get("security", SPEC["security"])]
WITH_BODY = [o for o in OPERATIONS if "requestBody" in o[2]]


@pytest.mark.parametrize("method,template,op", SECURED, ids=ids(SECURED))
def test_no_token_is_401(gateway, method, template, op):
    r = call(Client(gateway.port), method, concrete(template), body={} if "requestBody" in op
             else None)
    assert r.status == 401
    assert r.header("WWW-Authenticate") == 'Bearer realm="jobgate"'
    r = call(Client(gateway.port), method, concrete(template), headers={"X-Auth-Token": "jgc_x"})
    assert r.status == 401
    assert "invalid_token" in r.header("WWW-Authenticate")


@pytest.mark.parametrize("method,template,op", SECURED, ids=ids(SECURED))
def test_roles_are_as_documented(gateway, tokens, method, template, op):
    roles = op["x-roles"]
    for role in ("client", "executor", "admin"):
        c = tokens.client(role)
        r = call(c, method, concrete(template), body={} if "requestBody" in op else None)
        if role in roles:
            assert r.status != 403, (role, r)
        else:
            assert r.status == 403, (role, r)


@pytest.mark.parametrize("method,template,op", WITH_BODY, ids=ids(WITH_BODY))
def test_body_must_be_json(gateway, tokens, method, template, op):
    c = tokens.client(op["x-roles"][0])
    r = call(c, method, concrete(template), raw=b"{}", content_type="text/plain")
    assert r.status == 415
    r = call(c, method, concrete(template), raw=b"{", content_type="application/json")
    assert r.status in (400, 404), r  # a result for a job that is not there may be a 404 first


@pytest.mark.parametrize("method,template,op", WITH_BODY, ids=ids(WITH_BODY))
def test_body_too_large(gateway_factory, method, template, op):
    gw = gateway_factory(extra_args=["--max-body-kb", "1"])
    c = Client(gw.port, gw.tokens(op["x-roles"][0]))
    r = call(c, method, concrete(template), raw=b"[" + b"1," * 1000 + b"1]")
    assert r.status == 413
    r = call(c, method, concrete(template), raw=iter([b"[" + b"1," * 1000 + b"1]"]))
    assert r.status == 413


def test_method_not_allowed_unknown_path_and_long_uri(gateway, client):
    for method, path in [("PUT", "/jobs/" + SOME_ID), ("GET", "/jobs/batch/x"),
                         ("DELETE", "/jobs"), ("GET", "/executor/lease"), ("POST", "/healthz"),
                         ("PATCH", "/admin/tokens"), ("OPTIONS", "/healthz")]:
        r = call(client, method, path)
        if path != "/jobs/batch/x":
            assert r.status == 405, (method, path, r)
    assert call(client, "GET", "/nope").status == 404
    head = call(client, "HEAD", "/healthz")  # a GET without the body
    assert head.status == 200 and head.body == b"", head
    assert call(client, "GET", "/jobs/" + "x" * 2000).status == 414
    assert call(client, "GET", "/" + "x" * 1100).status == 414


def test_public_endpoints(gateway):
    c = Client(gateway.port)
    for path in ("/healthz", "/readyz", "/metrics"):
        assert call(c, "GET", path).status == 200


def test_round_trip(gateway, tokens, runtime):
    """Submit (each kind), list, wait, lease, heartbeat, report, read, cancel, release, admin."""
    c = tokens.client("client")
    ex = Executor(tokens.client("executor"), [runtime])
    key = uuid.uuid4().hex
    job = function_job(runtime, labels={"suite": "contract"}, priority=3,
                       limits={"cpu_ms": 1000}, requirements=["numpy>=1"])
    r = call(c, "POST", "/jobs", body=job, headers={"Idempotency-Key": key})
    assert r.status == 201
    first = r.json()
    r = call(c, "POST", "/jobs", body=job, headers={"Idempotency-Key": key})
    assert r.status == 201 and r.header("Idempotent-Replayed") == "true"
    r = call(c, "POST", "/jobs", body=dict(job, priority=4), headers={"Idempotency-Key": key})
    assert r.status == 409
    assert call(c, "POST", "/jobs", body=job, headers={"Idempotency-Key": "a b"}).status == 400
    tests_job = program_job(runtime, tests=[{"input": b64("1\n"), "expected": b64("1\n"),
                                             "points": 2, "group": "g"}],
                            checker={"type": "float", "abs_tol": 0.1}, stop_on_failure=True)
    del tests_job["stdin"]
    fn_tests = {k: v for k, v in function_job(runtime).items() if k != "args"}
    fn_tests.update(tests=[{"args": [1], "kwargs": {}, "expected": 2}],
                    checker={"type": "custom", "runtime": "c11", "code": b64("int main(){}")})
    r = call(c, "POST", "/jobs/batch", body={"jobs": [
        tests_job, {"runtime": runtime, "kind": "call", "code": b64(b"\x80\x04K\x05.")},
        fn_tests]}, headers={"Idempotency-Key": key + "b"})
    assert r.status == 201, r
    batch = r.json()["jobs"]
    r = call(c, "POST", "/jobs/batch", body={"jobs": [tests_job]},
             headers={"Idempotency-Key": key + "b"})
    assert r.status == 409
    r = call(c, "POST", "/jobs/batch", body={"jobs": [tests_job]})
    assert r.status == 201
    for bad in ({"jobs": [dict(tests_job, stdin="")]}, {"jobs": []}, {"jobs": [job], "x": 1}, [1]):
        assert call(c, "POST", "/jobs/batch", body=bad).status == 422
    for bad in (dict(job, kind="nope"), dict(job, limits={"cpu_ms": 10 ** 9}), dict(job, code="*"),
                5, dict(job, runtime="nope")):
        assert call(c, "POST", "/jobs", body=bad).status == 422

    r = call(c, "GET", "/jobs?limit=2&label=suite=contract")
    page = r.json()
    assert [j["id"] for j in page["jobs"]] == [first["id"]] and page["next_cursor"] is None
    r = call(c, "GET", "/jobs?limit=2&status=queued")
    assert r.json()["next_cursor"]
    call(c, "GET", "/jobs?limit=2&cursor=" + r.json()["next_cursor"])
    for q in ("status=x", "limit=0", "cursor=x", "label=nolabel"):
        assert call(c, "GET", "/jobs?" + q).status == 400
    assert call(c, "GET", "/jobs/%s?wait=0.2" % first["id"]).status == 200
    assert call(c, "GET", "/jobs/%s?wait=-1" % first["id"]).status == 400
    assert call(c, "GET", "/jobs/" + SOME_ID).status == 404
    assert call(tokens.client("client"), "GET", "/jobs/" + first["id"]).status == 404

    r = call(ex.c, "POST", "/executor/lease", body={
        "executor_id": ex.id, "name": "contract", "runtimes": [runtime], "slots": 2,
        "max_jobs": 8, "wait": 1})
    leased = r.json()["jobs"]
    assert len(leased) == 5, leased
    assert call(tokens.client("executor"), "POST", "/executor/lease", body={
        "executor_id": ex.id, "name": "thief", "runtimes": [runtime]}).status == 409
    assert call(ex.c, "POST", "/executor/lease", body={
        "executor_id": ex.id, "name": "x", "runtimes": ["nope"]}).status == 422
    r = call(ex.c, "POST", "/executor/lease", body={
        "executor_id": ex.id, "name": "contract", "runtimes": [runtime], "wait": 0.2})
    assert r.json()["jobs"] == []
    call(tokens.client("client"), "GET", "/runtimes")

    by_id = {j["id"]: j for j in leased}
    assert call(c, "DELETE", "/jobs/" + batch[1]["id"]).status == 200
    r = call(ex.c, "POST", "/executor/heartbeat", body={
        "executor_id": ex.id,
        "leases": [{"job_id": j["id"], "lease": j["lease"]} for j in leased]})
    hb = r.json()
    assert {x["job_id"] for x in hb["cancel"]} == {batch[1]["id"]}
    assert hb["cancel"][0]["reason"] == "cancelled"
    assert call(ex.c, "POST", "/executor/heartbeat", body={
        "executor_id": str(uuid.uuid4()), "leases": []}).status == 404
    assert call(ex.c, "POST", "/executor/heartbeat", body={
        "executor_id": ex.id, "leases": [{"job_id": "x"}]}).status == 422

    fj = by_id[first["id"]]
    path = "/jobs/%s/result" % fj["id"]
    outcome = {"lease": fj["lease"], "status": "completed", "verdict": "OK", "value": {"x": [1]},
               "usage": {"cpu_ms": 1, "wall_ms": 2, "memory_kb": 3}, "stdout": b64("hi"),
               "stdout_truncated": False, "stderr": "", "stderr_truncated": False,
               "exit_code": 0, "signal": None}
    assert call(ex.c, "PUT", path, body=dict(outcome, verdict=None)).status == 422
    assert call(ex.c, "PUT", path, body=dict(outcome, lease=SOME_ID)).status == 409
    assert call(ex.c, "PUT", path, body=outcome).status == 200
    assert call(ex.c, "PUT", path, body=outcome).status == 200
    assert call(ex.c, "PUT", "/jobs/%s/result" % SOME_ID, body=outcome).status == 404
    tj = by_id[batch[0]["id"]]
    assert call(ex.c, "PUT", "/jobs/%s/result" % tj["id"], body={
        "lease": tj["lease"], "status": "completed", "verdict": "WA", "compile_output": "",
        "tests": [{"verdict": "WA"}], "score": 0, "max_score": 2}).status == 200
    cj = by_id[batch[2]["id"]]
    assert call(ex.c, "PUT", "/jobs/%s/result" % cj["id"], body={
        "lease": cj["lease"], "status": "failed",
        "error": {"type": "SandboxError", "message": "m", "traceback": "t"}}).status == 200
    for j in (first, batch[0], batch[1], batch[2]):
        assert call(c, "GET", "/jobs/%s?wait=1" % j["id"]).status == 200
    assert call(c, "DELETE", "/jobs/" + first["id"]).status == 409
    rest = [j for j in leased if j["id"] not in (first["id"], batch[0]["id"], batch[1]["id"],
                                                  batch[2]["id"])]
    r = call(ex.c, "POST", "/executor/release", body={
        "executor_id": ex.id, "leases": [{"job_id": j["id"], "lease": j["lease"]}
                                         for j in rest + [fj]]})
    assert r.json()["released"] == [j["id"] for j in rest]
    assert call(ex.c, "POST", "/executor/release", body={"executor_id": ex.id}).status == 422


def test_admin(gateway, tokens):
    a = tokens.client("admin")
    r = call(a, "POST", "/admin/tokens", body={"role": "client", "name": "contract-" +
                                               uuid.uuid4().hex[:8]})
    assert r.status == 201
    new = r.json()
    assert call(a, "GET", "/jobs?tenant=" + new["tenant"]).status == 200
    assert call(a, "GET", "/admin/tokens").status == 200
    assert call(a, "DELETE", "/admin/tokens/%d" % new["id"]).status == 200
    assert call(a, "DELETE", "/admin/tokens/%d" % new["id"]).status == 404
    assert call(a, "DELETE", "/admin/tokens/x").status == 404
    for bad in ({"role": "root", "name": "x"}, {"role": "client"}, {"role": "client",
                                                                   "name": "a b"}, []):
        assert call(a, "POST", "/admin/tokens", body=bad).status == 422


def test_queue_full(gateway_factory):
    gw = gateway_factory(extra_args=["--max-queued", "1"])
    c = Client(gw.port, gw.tokens("client"))
    r = call(c, "POST", "/jobs/batch", body={"jobs": [call_job(), call_job()]})
    assert r.status == 503 and r.header("Retry-After") == "5"


@pytest.fixture
def own_pg(workdir):
    cluster = PgCluster(os.path.join(workdir, "pg-contract"))
    yield cluster
    cluster.stop()


def test_database_down(own_pg, gateway_factory):
    """With PostgreSQL stopped, every operation that needs it is a documented 503."""
    url = own_pg.url
    gw = gateway_factory(url=url, extra_args=["--token-cache", "3600"])
    role_clients = {role: Client(gw.port, create_token(url, role)[1])
                    for role in ("client", "executor", "admin")}
    ex_id = str(uuid.uuid4())
    lease_body = {"executor_id": ex_id, "name": "x", "runtimes": ["python3"]}
    lease_ref = {"executor_id": ex_id, "leases": [{"job_id": SOME_ID, "lease": SOME_ID}]}
    bodies = {
        "jobs_create": call_job(), "jobs_batch": {"jobs": [call_job()]},
        "job_result": {"lease": SOME_ID, "status": "failed"},
        "executor_lease": lease_body, "executor_heartbeat": lease_ref,
        "executor_release": lease_ref, "tokens_create": {"role": "client", "name": "x"},
        "executor_results": {"executor_id": ex_id, "results": [
            {"job_id": SOME_ID, "lease": SOME_ID, "status": "failed", "error": {"type": "X"}}]},
        "jobs_wait": {"ids": [SOME_ID]},
        "job_progress": {"lease": SOME_ID, "done": 0, "total": 1, "tests": []},
        "problems_put": {"tests": [{"input": "", "expected": ""}]},
        "blobs_create": {"data": ""},
        "j0_create": {"source_code": "print(1)", "language_id": 71},
        "j0_batch_create": {"submissions": [{"source_code": "print(1)", "language_id": 71}]},
    }
    # Judge0's static answers need no database: 503 only when the token is not cached on the
    # thread that serves them (the cache is per thread).
    no_database = {"j0_languages", "j0_languages_all", "j0_language", "j0_statuses", "j0_about",
                   "j0_version", "j0_config_info", "j0_system_info", "j0_authenticate",
                   "j0_authorize"}
    for c in role_clients.values():  # verified once, the tokens stay cached
        assert c.get("/runtimes").status == 200
    assert call(role_clients["executor"], "POST", "/executor/lease", body=lease_body).status == 200
    own_pg.stop()
    try:
        for method, template, op in OPERATIONS:
            roles = op["x-roles"]
            c = role_clients[roles[0]] if roles else Client(gw.port)
            path = concrete(template)
            if op["operationId"] == "j0_batch_get":  # valid without the database: a token list
                path += "?tokens=" + SOME_ID
            r = call(c, method, path, body=bodies.get(op["operationId"]))
            if op["operationId"] in ("healthz", "metrics"):
                assert r.status == 200, r
            elif op["operationId"] in no_database:
                assert r.status in (200, 404, 503), r
            else:
                assert r.status == 503, (op["operationId"], r)
    finally:
        own_pg.start()
