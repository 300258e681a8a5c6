"""POST /jobs/wait: one long-poll for many jobs."""
import threading
import time
import uuid

import pytest

from conftest import assert_problem, call_job


def submit(client, job):
    r = client.post("/jobs", job)
    assert r.status == 201, r
    return r.json()["id"]


def test_answers_at_once_without_timeout(client, tokens):
    a, b = submit(client, call_job()), submit(client, call_job())
    other = tokens.client("client")
    foreign = submit(other, call_job())
    unknown = str(uuid.uuid4())
    r = client.post("/jobs/wait", {"ids": [a, b, a.upper(), foreign, unknown]})
    assert r.status == 200, r
    body = r.json()
    assert body["jobs"] == []
    assert sorted(body["pending"]) == sorted([a, b])  # duplicates count once
    assert sorted(body["missing"]) == sorted([foreign, unknown])  # another tenant's is invisible


def test_ended_jobs_come_back_with_their_state(client):
    a, b = submit(client, call_job()), submit(client, call_job())
    assert client.delete("/jobs/" + b).status == 200
    r = client.post("/jobs/wait", {"ids": [a, b], "timeout": 30}, timeout=10)
    assert r.status == 200, r
    body = r.json()
    assert [j["id"] for j in body["jobs"]] == [b]
    assert body["jobs"][0]["status"] == "cancelled"
    assert body["pending"] == [a] and body["missing"] == []


def test_woken_by_any_job_ending(client):
    ids = [submit(client, call_job()) for _ in range(5)]
    out = {}

    def poll():
        out["r"] = client.post("/jobs/wait", {"ids": ids, "timeout": 30}, timeout=60)

    t = threading.Thread(target=poll)
    t.start()
    time.sleep(0.3)  # most likely parked by now; either way the answer must hold the cancelled job
    assert client.delete("/jobs/" + ids[3]).status == 200
    t.join(60)
    body = out["r"].json()
    assert out["r"].status == 200
    assert [j["id"] for j in body["jobs"]] == [ids[3]]
    assert sorted(body["pending"]) == sorted(ids[:3] + ids[4:])


def test_times_out_with_everything_pending(client):
    a = submit(client, call_job())
    r = client.post("/jobs/wait", {"ids": [a], "timeout": 0.3})
    assert r.status == 200 and r.json() == {"jobs": [], "pending": [a], "missing": []}


@pytest.mark.parametrize("body,field", [
    ({}, "ids"),
    ({"ids": []}, "ids"),
    ({"ids": "x"}, "ids"),
    ({"ids": ["not-a-uuid"]}, "ids[0]"),
    ({"ids": [str(uuid.uuid4())], "timeout": -1}, "timeout"),
    ({"ids": [str(uuid.uuid4())], "timeout": "5"}, "timeout"),
    ({"ids": [str(uuid.uuid4())], "extra": 1}, "extra"),
])
def test_invalid_requests(client, body, field):
    assert_problem(client.post("/jobs/wait", body), 422, "invalid-field", field)
