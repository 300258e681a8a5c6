"""The queue's promises under concurrency and crashes (issue 7): no lost wake-up, no lost claim."""
import signal
import threading

from conftest import Client, Executor, function_job


def submit_many(client, runtime, n):
    r = client.post("/jobs/batch", {"jobs": [function_job(runtime) for _ in range(n)]})
    assert r.status == 201, r
    return [j["id"] for j in r.json()["jobs"]]


def test_no_lost_wake_up_under_concurrency(client, executor, runtime):
    """Many long-polls (single and multi-job) parked while results arrive from many threads: every
    poll must come back with a finished job, never by its timeout."""
    ids = submit_many(client, runtime, 120)
    answers, errors = {}, []

    def poll_one(job_id):
        try:
            answers[job_id] = client.get("/jobs/%s?wait=50" % job_id, timeout=120)
        except Exception as e:  # noqa: BLE001 - reported below
            errors.append(e)

    def poll_group(group):
        try:
            answers[tuple(group)] = client.post("/jobs/wait", {"ids": group, "timeout": 50},
                                                timeout=120)
        except Exception as e:  # noqa: BLE001
            errors.append(e)

    pollers = [threading.Thread(target=poll_one, args=(i,)) for i in ids]
    pollers += [threading.Thread(target=poll_group, args=(ids[k:k + 10],))
                for k in range(0, len(ids), 10)]
    for t in pollers:
        t.start()
    leased = []
    while len(leased) < len(ids):
        leased += executor.lease(max_jobs=50, wait=5)

    def finish(chunk):
        for job in chunk:
            r = executor.complete(job, value=1)
            assert r.status == 200, r

    finishers = [threading.Thread(target=finish, args=(leased[k::8],)) for k in range(8)]
    for t in finishers:
        t.start()
    for t in finishers + pollers:
        t.join(150)
    assert not errors, errors
    for job_id in ids:
        r = answers[job_id]
        assert r.status == 200 and r.json()["status"] == "completed", (job_id, r)
    for key, r in answers.items():
        if isinstance(key, tuple):
            assert r.status == 200, r
            assert r.json()["jobs"], ("a group poll came back without a finished job", r)


def test_claimed_batch_survives_a_gateway_crash(gateway_factory, tokens, runtime, client):
    """Jobs leased through a gateway that is then killed -9 keep their leases: the executor's
    heartbeats and results go through another gateway and are recorded exactly once."""
    ids = submit_many(client, runtime, 6)
    doomed = gateway_factory()
    secret = tokens.secret("executor")
    ex = Executor(Client(doomed.port, secret), [runtime])
    leased = []
    while len(leased) < len(ids):
        leased += ex.lease(max_jobs=6, wait=5)
    doomed.proc.send_signal(signal.SIGKILL)
    doomed.proc.wait()
    doomed.returncode = 0  # killed on purpose: not a failed shutdown

    survivor = gateway_factory()
    ex.c = Client(survivor.port, secret)
    r = ex.heartbeat(leased)
    assert r.status == 200, r
    assert len(r.json()["leases"]) == len(ids) and r.json()["cancel"] == []
    for job in leased:
        assert ex.complete(job, value=job["attempt"]).status == 200
        assert ex.complete(job, value=99).status == 200  # same lease again: idempotent
    for job_id in ids:
        job = Client(survivor.port, client.token).get("/jobs/" + job_id).json()
        assert job["status"] == "completed" and job["attempts"] == 1 and job["value"] == 1, job
