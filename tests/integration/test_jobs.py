"""Client side of the native API: submit, batch, read, wait, list, cancel, idempotency, tenants,
and request validation."""
import re
import threading
import uuid

import pytest

from conftest import (FUNCTION_CODE, assert_problem, b64, call_job, function_job, program_job)

UUID_RE = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
TS_RE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$")


def submit(client, job, **kw):
    r = client.post("/jobs", job, **kw)
    assert r.status == 201, r
    return r.json()


def check_created(r, job):
    assert r.status == 201, r
    assert r.content_type == "application/json"
    doc = r.json()
    assert UUID_RE.match(doc["id"]), doc
    assert r.header("Location") == "/jobs/" + doc["id"]
    assert doc["status"] == "queued"
    assert doc["runtime"] == job["runtime"]
    assert doc["kind"] == job["kind"]
    assert doc["attempts"] == 0
    assert doc["verdict"] is None
    assert TS_RE.match(doc["created_at"]), doc
    assert doc["started_at"] is None and doc["finished_at"] is None
    assert set(doc["limits"]) == {"cpu_ms", "wall_ms", "memory_mb", "output_kb", "processes"}
    return doc


# ---------------------------------------------------------------- submit


def test_submit_function_job(client):
    job = function_job(labels={"team": "a", "run": "1"}, priority=5, max_attempts=2,
                       limits={"cpu_ms": 1000, "memory_mb": 64}, requirements=["numpy>=1.0"])
    r = client.post("/jobs", job)
    doc = check_created(r, job)
    assert doc["labels"] == {"team": "a", "run": "1"}
    assert doc["priority"] == 5
    assert doc["max_attempts"] == 2
    assert doc["limits"]["cpu_ms"] == 1000 and doc["limits"]["memory_mb"] == 64
    # Unspecified limits take the server defaults.
    assert doc["limits"]["wall_ms"] > 0 and doc["limits"]["processes"] > 0

    got = client.get(r.header("Location"))
    assert got.status == 200, got
    g = got.json()
    for key in ("id", "status", "runtime", "kind", "priority", "max_attempts", "attempts",
                "labels", "limits", "verdict", "created_at"):
        assert g[key] == doc[key], key


def test_submit_call_job(client):
    job = call_job()
    doc = check_created(client.post("/jobs", job), job)
    assert doc["kind"] == "call"


def test_submit_program_job_with_tests_and_checker(client):
    job = program_job(runtime="cpp17")
    del job["stdin"]
    job["tests"] = [{"input": b64("1 2\n"), "expected": b64("3\n"), "points": 1},
                    {"input": b64(""), "expected": b64(""), "group": "g1"}]
    job["checker"] = {"type": "float", "abs_tol": 1e-6}
    job["stop_on_failure"] = True
    doc = check_created(client.post("/jobs", job), job)
    assert doc["runtime"] == "cpp17"


def test_submit_function_job_with_tests(client):
    job = {"runtime": "python3", "kind": "function", "code": FUNCTION_CODE, "entrypoint": "f",
           "tests": [{"args": [1], "expected": 2}, {"args": [2], "kwargs": {}, "expected": 4}],
           "checker": "exact"}
    check_created(client.post("/jobs", job), job)


def test_program_with_custom_checker(client):
    job = program_job()
    del job["stdin"]
    job["tests"] = [{"input": b64("x"), "expected": b64("y")}]
    job["checker"] = {"type": "custom", "runtime": "c11", "code": b64("int main(){return 0;}")}
    check_created(client.post("/jobs", job), job)


def test_ids_are_unguessable_uuids(client):
    ids = [submit(client, call_job())["id"] for _ in range(5)]
    assert len(set(ids)) == 5
    assert all(UUID_RE.match(i) and i[14] == "4" for i in ids), ids  # random (v4) UUIDs


# ---------------------------------------------------------------- batch


def test_batch_in_order(client):
    jobs = [function_job(labels={"i": str(i)}) for i in range(5)] + [call_job(), program_job()]
    r = client.post("/jobs/batch", {"jobs": jobs})
    assert r.status == 201, r
    created = r.json()["jobs"]
    assert len(created) == len(jobs)
    assert [c["kind"] for c in created] == [j["kind"] for j in jobs]
    assert [c["labels"].get("i") for c in created[:5]] == ["0", "1", "2", "3", "4"]
    assert len({c["id"] for c in created}) == len(jobs)
    for c in created:
        assert c["status"] == "queued"
        g = client.get("/jobs/" + c["id"])
        assert g.status == 200 and g.json()["id"] == c["id"]


def test_batch_all_or_nothing(client):
    tag = uuid.uuid4().hex
    jobs = [function_job(labels={"tag": tag}) for _ in range(3)]
    jobs[2]["code"] = "not base64!"
    r = client.post("/jobs/batch", {"jobs": jobs})
    assert_problem(r, 422, "invalid-field", "jobs[2].code")
    listed = client.get("/jobs?label=tag=" + tag)
    assert listed.status == 200 and listed.json()["jobs"] == []


@pytest.mark.parametrize("body,field", [
    ({"jobs": []}, "jobs"),
    ({"jobs": {}}, "jobs"),
    ({}, "jobs"),
    ({"jobs": [{}], "extra": 1}, "extra"),
    ([], ""),
    ({"jobs": [5]}, "jobs[0]"),
    ({"jobs": [{"kind": "call", "code": "AA=="}]}, "jobs[0].runtime"),
])
def test_batch_shape_errors(client, body, field):
    assert_problem(client.post("/jobs/batch", body), 422, "invalid-field", field)


def test_batch_over_maximum(gateway_factory, pg_url):
    from conftest import Client, create_token
    gw = gateway_factory(extra_args=["--max-batch", "3"])
    c = Client(gw.port, create_token(pg_url, "client")[1])
    assert c.post("/jobs/batch", {"jobs": [call_job()] * 3}).status == 201
    assert_problem(c.post("/jobs/batch", {"jobs": [call_job()] * 4}), 422, "invalid-field", "jobs")


# ---------------------------------------------------------------- read, wait


def test_get_unknown_and_malformed_ids(client):
    assert_problem(client.get("/jobs/" + str(uuid.uuid4())), 404, "not-found")
    assert_problem(client.get("/jobs/not-a-uuid"), 404, "not-found")
    assert_problem(client.delete("/jobs/" + str(uuid.uuid4())), 404, "not-found")


def test_get_wait_returns_when_time_passes(client):
    job = submit(client, call_job())
    r = client.get("/jobs/%s?wait=0.3" % job["id"])
    assert r.status == 200, r
    assert r.json()["status"] == "queued"
    r = client.get("/jobs/%s?wait=0" % job["id"])
    assert r.status == 200 and r.json()["status"] == "queued"


def test_get_wait_on_finished_job_answers_at_once(client):
    job = submit(client, call_job())
    assert client.delete("/jobs/" + job["id"]).status == 200
    r = client.get("/jobs/%s?wait=30" % job["id"], timeout=10)
    assert r.status == 200 and r.json()["status"] == "cancelled"


def test_get_wait_woken_by_cancel(client):
    job = submit(client, call_job())
    out = {}

    def poll():
        out["r"] = client.get("/jobs/%s?wait=20" % job["id"], timeout=40)

    t = threading.Thread(target=poll)
    t.start()
    # Cancel while the poll is (most likely) parked; either way it must end cancelled.
    import time
    time.sleep(0.3)
    assert client.delete("/jobs/" + job["id"]).status == 200
    t.join(40)
    assert out["r"].status == 200, out["r"]
    assert out["r"].json()["status"] == "cancelled"


@pytest.mark.parametrize("value", ["abc", "-1", "1e99", "nan", ""])
def test_get_wait_invalid(client, value):
    job = submit(client, call_job())
    assert_problem(client.get("/jobs/%s?wait=%s" % (job["id"], value)), 400,
                   "invalid-parameter", "wait")


# ---------------------------------------------------------------- list


def list_all(client, query, limit):
    ids, cursor, pages = [], None, 0
    while True:
        q = "/jobs?limit=%d%s%s" % (limit, "&" + query if query else "",
                                   "&cursor=%s" % cursor if cursor else "")
        r = client.get(q)
        assert r.status == 200, r
        doc = r.json()
        assert len(doc["jobs"]) <= limit
        ids += [j["id"] for j in doc["jobs"]]
        pages += 1
        cursor = doc["next_cursor"]
        if cursor is None:
            return ids, pages
        assert isinstance(cursor, str) and cursor


def test_list_own_jobs_paginated_and_stable(client):
    created = [submit(client, call_job())["id"] for _ in range(7)]
    ids, pages = list_all(client, "", 3)
    assert ids == list(reversed(created))  # newest first, no duplicates, no misses
    assert pages == 3

    # Jobs submitted while paging do not shift later pages.
    first = client.get("/jobs?limit=3").json()
    for _ in range(4):
        submit(client, call_job())
    seen = [j["id"] for j in first["jobs"]]
    cursor = first["next_cursor"]
    while cursor:
        page = client.get("/jobs?limit=3&cursor=" + cursor).json()
        seen += [j["id"] for j in page["jobs"]]
        cursor = page["next_cursor"]
    assert seen == list(reversed(created))


def test_list_items_have_no_result_payloads(client):
    submit(client, call_job())
    jobs = client.get("/jobs").json()["jobs"]
    assert len(jobs) == 1
    assert "id" in jobs[0] and "status" in jobs[0]


def test_list_filters_by_status_and_label(client):
    a = [submit(client, call_job(labels={"grp": "a", "n": str(i)}))["id"] for i in range(3)]
    b = [submit(client, call_job(labels={"grp": "b"}))["id"] for _ in range(2)]
    assert client.delete("/jobs/" + a[0]).status == 200
    assert client.delete("/jobs/" + b[1]).status == 200

    def ids(q):
        r = client.get("/jobs?" + q)
        assert r.status == 200, r
        return [j["id"] for j in r.json()["jobs"]]

    assert ids("label=grp=a") == list(reversed(a))
    assert ids("label=grp=b") == list(reversed(b))
    assert ids("label=grp=a&label=n=1") == [a[1]]
    assert ids("label=grp=c") == []
    assert ids("status=cancelled") == [b[1], a[0]]
    assert ids("status=queued") == [b[0], a[2], a[1]]
    assert ids("status=queued&label=grp=a") == [a[2], a[1]]
    assert ids("status=completed") == []
    assert ids("status=running") == []
    assert ids("status=cancelled&limit=1") == [b[1]]


@pytest.mark.parametrize("query,field", [
    ("status=bogus", "status"), ("limit=0", "limit"), ("limit=1001", "limit"),
    ("limit=x", "limit"), ("cursor=abc", "cursor"), ("cursor=-5", "cursor"),
    ("label=novalue", "label"), ("label==x", "label"),
    ("label=k=%ff", "label"), ("label=%ff=v", "label"),  # not UTF-8: refused, not ignored
])
def test_list_invalid_parameters(client, query, field):
    assert_problem(client.get("/jobs?" + query), 400, "invalid-parameter", field)


# ---------------------------------------------------------------- cancel


def test_cancel_queued_job(client):
    job = submit(client, call_job())
    r = client.delete("/jobs/" + job["id"])
    assert r.status == 200, r
    doc = r.json()
    assert doc["id"] == job["id"] and doc["status"] == "cancelled"
    assert doc["finished_at"] is not None
    assert client.get("/jobs/" + job["id"]).json()["status"] == "cancelled"
    assert_problem(client.delete("/jobs/" + job["id"]), 409, "job-finished", "id")


# ---------------------------------------------------------------- idempotency


def test_idempotency_single(client, tokens):
    key = "key-" + uuid.uuid4().hex
    job = function_job(labels={"x": "1"})
    r1 = client.post("/jobs", job, headers={"Idempotency-Key": key})
    assert r1.status == 201 and r1.header("Idempotent-Replayed") is None
    # The same body, even with keys in another order, is the same request.
    reordered = dict(reversed(list(job.items())))
    r2 = client.post("/jobs", reordered, headers={"Idempotency-Key": key})
    assert r2.status == 201, r2
    assert r2.header("Idempotent-Replayed") == "true"
    assert r2.json()["id"] == r1.json()["id"]
    assert r2.header("Location") == r1.header("Location")
    # Same key, another body: 409.
    other = function_job(labels={"x": "2"})
    assert_problem(client.post("/jobs", other, headers={"Idempotency-Key": key}), 409,
                   "idempotency-conflict")
    # Only one job was created.
    assert len(client.get("/jobs").json()["jobs"]) == 1
    # Keys are per tenant: another tenant's same key makes a new job.
    other_client = tokens.client("client")
    r3 = other_client.post("/jobs", job, headers={"Idempotency-Key": key})
    assert r3.status == 201 and r3.header("Idempotent-Replayed") is None
    assert r3.json()["id"] != r1.json()["id"]


def test_idempotency_batch(client):
    key = "batch-" + uuid.uuid4().hex
    body = {"jobs": [call_job(labels={"i": str(i)}) for i in range(3)]}
    r1 = client.post("/jobs/batch", body, headers={"Idempotency-Key": key})
    assert r1.status == 201, r1
    r2 = client.post("/jobs/batch", body, headers={"Idempotency-Key": key})
    assert r2.status == 201, r2
    assert r2.header("Idempotent-Replayed") == "true"
    assert [j["id"] for j in r2.json()["jobs"]] == [j["id"] for j in r1.json()["jobs"]]
    changed = {"jobs": body["jobs"][:2] + [call_job(labels={"i": "other"})]}
    assert_problem(client.post("/jobs/batch", changed, headers={"Idempotency-Key": key}), 409,
                   "idempotency-conflict")
    longer = {"jobs": body["jobs"] + [call_job()]}
    assert_problem(client.post("/jobs/batch", longer, headers={"Idempotency-Key": key}), 409,
                   "idempotency-conflict")
    assert len(client.get("/jobs").json()["jobs"]) == 3


def test_idempotency_concurrent_same_key(client):
    key = "race-" + uuid.uuid4().hex
    job = call_job()
    results = []

    def go():
        results.append(client.post("/jobs", job, headers={"Idempotency-Key": key}))

    threads = [threading.Thread(target=go) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert all(r.status == 201 for r in results), results
    assert len({r.json()["id"] for r in results}) == 1
    assert len(client.get("/jobs").json()["jobs"]) == 1


@pytest.mark.parametrize("key", ["", "x" * 201, "has space", "tab\tkey"])
def test_idempotency_key_invalid(client, key):
    assert_problem(client.post("/jobs", call_job(), headers={"Idempotency-Key": key}), 400,
                   "invalid-header", "Idempotency-Key")


# ---------------------------------------------------------------- tenants


def test_tenant_isolation(tokens):
    alice = tokens.client("client")
    bob = tokens.client("client")
    job = submit(alice, call_job())
    assert_problem(bob.get("/jobs/" + job["id"]), 404, "not-found")
    assert_problem(bob.get("/jobs/%s?wait=1" % job["id"]), 404, "not-found")
    assert_problem(bob.delete("/jobs/" + job["id"]), 404, "not-found")
    assert alice.get("/jobs/" + job["id"]).json()["status"] == "queued"  # not cancelled by bob
    submit(bob, call_job())
    assert [j["id"] for j in alice.get("/jobs").json()["jobs"]] == [job["id"]]
    assert job["id"] not in [j["id"] for j in bob.get("/jobs").json()["jobs"]]


def test_same_tenant_two_tokens_share_jobs(tokens):
    tenant = "team-" + uuid.uuid4().hex[:8]
    a = tokens.client("client", tenant=tenant)
    b = tokens.client("client", tenant=tenant)
    job = submit(a, call_job())
    assert b.get("/jobs/" + job["id"]).status == 200


def test_admin_sees_every_tenant(tokens, admin):
    alice = tokens.client("client")
    job = submit(alice, call_job())
    r = admin.get("/jobs/" + job["id"])
    assert r.status == 200 and r.json()["id"] == job["id"]


# ---------------------------------------------------------------- validation


def test_malformed_json(client):
    for raw in [b"{", b"{\"runtime\": }", b"nul", b"[1,2", b"\xff\xfe", b'{"a":1,"a":2}']:
        assert_problem(client.post("/jobs", raw=raw), 400, "malformed-json")
    assert_problem(client.post("/jobs", raw=b""), 400, "malformed-json")
    assert_problem(client.post("/jobs/batch", raw=b"{"), 400, "malformed-json")


def _without(job, key):
    job = dict(job)
    del job[key]
    return job


INVALID_JOBS = [
    (_without(function_job(), "runtime"), "runtime"),
    (function_job(runtime=5), "runtime"),
    (function_job(runtime="cobol85"), "runtime"),
    (_without(function_job(), "kind"), "kind"),
    (function_job(kind="lambda"), "kind"),
    (function_job(kind=["function"]), "kind"),
    (program_job(runtime="c11", kind="call"), "kind"),  # c11 runs programs only
    (_without(function_job(), "code"), "code"),
    (function_job(code="@@@not base64@@@"), "code"),
    (function_job(code="YWJj="), "code"),  # bad padding
    (function_job(code=""), "code"),
    (function_job(code=123), "code"),
    (function_job(surprise=True), "surprise"),
    (call_job(entrypoint="f"), "entrypoint"),  # a function-only field in a call job
    (call_job(stdin=b64("x")), "stdin"),
    (_without(function_job(), "entrypoint"), "entrypoint"),
    (function_job(entrypoint="not an identifier"), "entrypoint"),
    (function_job(args={"a": 1}), "args"),
    (function_job(kwargs=[1]), "kwargs"),
    (program_job(stdin="%%%"), "stdin"),
    (function_job(limits={"cpu_ms": 10 ** 9}), "limits.cpu_ms"),
    (function_job(limits={"memory_mb": 10 ** 7}), "limits.memory_mb"),
    (function_job(limits={"wall_ms": 0}), "limits.wall_ms"),
    (function_job(limits={"processes": "4"}), "limits.processes"),
    (function_job(limits={"gpu": 1}), "limits.gpu"),
    (function_job(limits=[1]), "limits"),
    (function_job(priority="high"), "priority"),
    (function_job(priority=10 ** 6), "priority"),
    (function_job(max_attempts=0), "max_attempts"),
    (function_job(max_attempts=1000), "max_attempts"),
    (function_job(labels=["a"]), "labels"),
    (function_job(labels={"k": 1}), "labels.k"),
    (function_job(labels={"bad key": "v"}), "labels.bad key"),
    (function_job(requirements="numpy"), "requirements"),
    (function_job(requirements=["--index-url=http://evil"]), "requirements[0]"),
    (function_job(requirements=["ok", 7]), "requirements[1]"),
    (function_job(checker="exact"), "checker"),  # needs tests
    (program_job(tests=[{"input": "AA=="}]), "stdin"),
    (_without(program_job(tests=[{"input": "AA=="}]), "stdin"), "tests[0]"),
    (_without(program_job(tests=[{"input": "!", "expected": "AA=="}]), "stdin"), "tests[0].input"),
    (_without(program_job(tests=[{"input": "", "expected": "", "x": 1}]), "stdin"),
     "tests[0].x"),
    (_without(program_job(tests="all"), "stdin"), "tests"),
    (_without(program_job(tests=[{"input": "", "expected": ""}], checker="fuzzy"), "stdin"),
     "checker"),
    (_without(program_job(tests=[{"input": "", "expected": ""}],
                          checker={"type": "custom", "runtime": "c11"}), "stdin"), "checker"),
    (_without(program_job(tests=[{"input": "", "expected": ""}],
                          checker={"type": "custom", "runtime": "nope", "code": "AA=="}),
              "stdin"), "checker.runtime"),
    (_without(function_job(tests=[{"args": [1], "expected": 2}]), "args"), None),  # valid
    (function_job(tests=[{"args": [1], "expected": 2}]), "args"),  # args and tests conflict
]


@pytest.mark.parametrize("job,field", INVALID_JOBS,
                         ids=["%d-%s" % (i, f) for i, (_, f) in enumerate(INVALID_JOBS)])
def test_submit_invalid(client, job, field):
    r = client.post("/jobs", job)
    if field is None:
        assert r.status == 201, r
        return
    doc = assert_problem(r, 422, "invalid-field", field)
    assert doc["instance"] == "/jobs"


@pytest.mark.parametrize("body", [[], "job", 5, None, True])
def test_submit_not_an_object(client, body):
    r = client.post("/jobs", raw=__import__("json").dumps(body).encode())
    assert_problem(r, 422, "invalid-field", "")


@pytest.mark.parametrize("ctype", ["text/plain", "application/x-www-form-urlencoded",
                                   "application/jsonx", None])
def test_wrong_content_type(client, ctype):
    headers = {"Content-Type": ctype} if ctype else {}
    r = client.request("POST", "/jobs", raw=b'{"runtime":"python3"}', content_type=None,
                       headers=headers)
    assert_problem(r, 415, "unsupported-media-type")


def test_content_type_with_charset_accepted(client):
    r = client.request("POST", "/jobs", raw=__import__("json").dumps(call_job()).encode(),
                       content_type="application/json; charset=utf-8")
    assert r.status == 201, r


def test_unknown_path_and_method(client):
    assert_problem(client.get("/nope"), 404, "not-found")
    assert_problem(client.get("/jobs/a/b/c"), 404, "not-found")
    r = client.request("PATCH", "/jobs")
    assert_problem(r, 405, "method-not-allowed")
    assert "POST" in r.header("Allow") and "GET" in r.header("Allow")
    r = client.request("PUT", "/jobs/batch", body={})
    assert_problem(r, 405, "method-not-allowed")


# ---------------------------------------------------------------- more edges


def test_uppercase_job_id_is_the_same_job(client):
    job = submit(client, call_job())
    r = client.get("/jobs/" + job["id"].upper())
    assert r.status == 200 and r.json()["id"] == job["id"]


def test_label_filter_value_with_equals_and_escapes(client):
    a = submit(client, call_job(labels={"expr": "a=b", "path": "x/y z"}))
    submit(client, call_job(labels={"expr": "a"}))
    r = client.get("/jobs?label=expr=a%3Db")
    assert [j["id"] for j in r.json()["jobs"]] == [a["id"]]
    r = client.get("/jobs?label=path=x%2Fy%20z")
    assert [j["id"] for j in r.json()["jobs"]] == [a["id"]]


def test_collection_caps(client):
    labels = {"l%d" % i: "v" for i in range(33)}
    assert_problem(client.post("/jobs", call_job(labels=labels)), 422, "invalid-field", "labels")
    reqs = ["pkg%d" % i for i in range(65)]
    assert_problem(client.post("/jobs", call_job(requirements=reqs)), 422, "invalid-field",
                   "requirements")
    job = program_job()
    del job["stdin"]
    job["tests"] = [{"input": "", "expected": ""}] * 1001
    assert_problem(client.post("/jobs", job), 422, "invalid-field", "tests")
    assert_problem(client.post("/jobs", call_job(labels={"k": "v" * 256})), 422,
                   "invalid-field", "labels.k")


def test_admin_lists_any_tenant(tokens, admin):
    alice = tokens.client("client")
    mine = submit(alice, call_job())
    # The admin token's own tenant has no jobs; ?tenant= selects another one.
    tenant = [t for t in admin.get("/admin/tokens").json()["tokens"]
              if alice.token.startswith(t["prefix"])][0]["tenant"]
    r = admin.get("/jobs?tenant=" + tenant)
    assert r.status == 200, r
    assert [j["id"] for j in r.json()["jobs"]] == [mine["id"]]
    assert admin.delete("/jobs/" + mine["id"]).status == 200


def test_idempotency_concurrent_batches(client):
    key = "brace-" + uuid.uuid4().hex
    body = {"jobs": [call_job(labels={"i": str(i)}) for i in range(4)]}
    results = []

    def go():
        results.append(client.post("/jobs/batch", body, headers={"Idempotency-Key": key}))

    threads = [threading.Thread(target=go) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert all(r.status == 201 for r in results), results
    assert len({tuple(j["id"] for j in r.json()["jobs"]) for r in results}) == 1
    assert len(client.get("/jobs").json()["jobs"]) == 4


def test_concurrent_submits_from_many_tenants_stay_separate(tokens):
    clients = [tokens.client("client") for _ in range(4)]
    made = {i: [] for i in range(4)}

    def go(i):
        for _ in range(10):
            r = clients[i].post("/jobs", call_job(labels={"owner": str(i)}))
            assert r.status == 201, r
            made[i].append(r.json()["id"])

    threads = [threading.Thread(target=go, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for i, c in enumerate(clients):
        listed = c.get("/jobs?limit=100").json()["jobs"]
        assert sorted(j["id"] for j in listed) == sorted(made[i])
        assert {j["labels"]["owner"] for j in listed} == {str(i)}


def test_every_accepted_submit_is_exactly_one_job(client):
    """A submit is answered after its group commit; a resume racing the handler must not run
    the submit twice (a duplicate job, a leaked submission)."""
    accepted = []

    def go():
        for _ in range(50):
            r = client.post("/jobs", call_job())
            assert r.status == 201, r
            accepted.append(r.json()["id"])

    threads = [threading.Thread(target=go) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    listed = client.get("/jobs?limit=1000").json()["jobs"]
    assert sorted(j["id"] for j in listed) == sorted(accepted)
