"""The lease dispatcher serves many parked executors at once: one claim per runtime set hands the
jobs out in arrival order, best priority first, each executor up to its max_jobs; executors that
got nothing stay parked, and jobs beyond the parked capacity stay queued."""
import threading
import time

import pytest

from conftest import Executor, _runtime_pool, call_job, psql, wait_until


@pytest.fixture
def runtime2():
    """A second runtime of this test's own."""
    return next(_runtime_pool)


class Parked:
    """Executors long-polling in threads, parked one after the other in a known order."""

    def __init__(self, pg_url):
        self.pg_url = pg_url
        self.threads = []
        self.got = {}  # executor index -> the jobs its lease answered with

    def park(self, ex, max_jobs=1, wait=60):
        i = len(self.threads)

        def lease():
            self.got[i] = ex.lease(max_jobs, wait=wait)

        t = threading.Thread(target=lease, daemon=True)
        t.start()
        self.threads.append(t)
        # The handler records the executor just before it parks it: then the next one may come.
        wait_until(lambda: psql(self.pg_url, "SELECT count(*) FROM executors WHERE id = '%s'"
                                % ex.id) == "1", what="executor %d to park" % i)
        time.sleep(0.05)
        return i

    def answered(self):
        return sorted(i for i, t in enumerate(self.threads) if not t.is_alive())

    def join(self, which, timeout=60):
        for i in which:
            self.threads[i].join(timeout)
            assert not self.threads[i].is_alive(), "executor %d was never answered" % i


def submit_batch(client, jobs):
    r = client.post("/jobs/batch", {"jobs": jobs})
    assert r.status == 201, r
    return [j["id"] for j in r.json()["jobs"]]


def test_parked_executors_each_get_one_job_in_arrival_order(client, tokens, pg_url, runtime,
                                                            runtime2):
    c = tokens.client("executor")
    rts = [runtime if i % 2 == 0 else runtime2 for i in range(20)]
    parked = Parked(pg_url)
    for rt in rts:
        parked.park(Executor(c, [rt]))
    # One batch: priorities 19..0 alternate between the runtimes, so the best of each goes first.
    jobs = [call_job(runtime if i % 2 == 0 else runtime2, priority=19 - i) for i in range(20)]
    ids = submit_batch(client, jobs)
    parked.join(range(20))
    got = [parked.got[i] for i in range(20)]
    assert all(len(g) == 1 for g in got), got  # max_jobs 1 each, and nobody left out
    leased = [g[0]["id"] for g in got]
    assert sorted(leased) == sorted(ids)  # every job once, none twice
    for i, g in enumerate(got):
        assert g[0]["runtime"] == rts[i]
    # Arrival order per runtime: the k-th executor of a runtime gets its k-th best job.
    for rt in (runtime, runtime2):
        want = [ids[i] for i in range(20) if jobs[i]["runtime"] == rt]
        assert [leased[i] for i in range(20) if rts[i] == rt] == want


def test_max_jobs_each_and_the_rest_stays_queued(client, tokens, pg_url, runtime):
    c = tokens.client("executor")
    parked = Parked(pg_url)
    sizes = [2, 3, 1, 4]  # a capacity of 10
    for n in sizes:
        parked.park(Executor(c, [runtime]), max_jobs=n)
    ids = submit_batch(client, [call_job(runtime, priority=15 - i) for i in range(16)])
    parked.join(range(len(sizes)))
    leased = [[j["id"] for j in parked.got[i]] for i in range(len(sizes))]
    want, k = [], 0
    for n in sizes:
        want.append(ids[k:k + n])
        k += n
    assert leased == want  # in arrival order, each its max_jobs, best priority first
    for jid in ids[10:]:
        assert client.get("/jobs/" + jid).json()["status"] == "queued"
    late = Executor(c, [runtime])
    assert [j["id"] for j in late.lease(max_jobs=10, wait=0)] == ids[10:]


def test_executors_left_without_a_job_stay_parked(client, tokens, pg_url, runtime):
    c = tokens.client("executor")
    parked = Parked(pg_url)
    for _ in range(6):
        parked.park(Executor(c, [runtime]), max_jobs=2)
    batches = [submit_batch(client, [call_job(runtime) for _ in range(n)]) for n in (3,)]
    parked.join([0, 1])
    time.sleep(0.3)
    assert parked.answered() == [0, 1]  # the others still wait
    batches.append(submit_batch(client, [call_job(runtime) for _ in range(4)]))
    parked.join([2, 3])
    time.sleep(0.3)
    assert parked.answered() == [0, 1, 2, 3]
    batches.append(submit_batch(client, [call_job(runtime) for _ in range(3)]))
    parked.join([4, 5])
    # Each batch went to the next executors in arrival order, the oldest jobs first.
    got = [[j["id"] for j in parked.got[i]] for i in range(6)]
    assert got == [batches[0][:2], batches[0][2:], batches[1][:2], batches[1][2:],
                   batches[2][:2], batches[2][2:]]


def test_mixed_runtime_sets_never_share_a_job(client, tokens, pg_url, runtime, runtime2):
    """Executors of {A}, {B} and {A, B} parked together: no job twice, none of another runtime."""
    c = tokens.client("executor")
    sets = [[runtime], [runtime2], [runtime, runtime2]] * 4
    parked = Parked(pg_url)
    for rts in sets:
        parked.park(Executor(c, rts), wait=15)
    ids = submit_batch(client, [call_job(runtime) for _ in range(4)] +
                       [call_job(runtime2) for _ in range(4)])
    wait_until(lambda: len(parked.answered()) == len(ids), what="eight executors to be served")
    seen = set()
    for i in parked.answered():
        assert len(parked.got[i]) == 1
        job = parked.got[i][0]
        assert job["runtime"] in sets[i] and job["id"] not in seen
        seen.add(job["id"])
    assert seen == set(ids)
    time.sleep(0.3)
    assert len(parked.answered()) == len(ids)  # the other four still wait
