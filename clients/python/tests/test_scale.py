"""Ten thousand outstanding futures against the real gateway: one collector thread, a handful of
parked polls, every future completed - by cancellations made behind the client's back, and by an
in-process executor that ends the jobs quickly."""
from __future__ import annotations

import concurrent.futures
import http.client
import threading
import time
import urllib.parse

from conftest import FAST, IDLE

N = 10_000


def square(x):
    return x * x


def delete_all(url: str, token: str, ids: list, threads: int = 4) -> None:
    """Cancel jobs with plain DELETEs on keep-alive connections (not through the SDK)."""
    u = urllib.parse.urlsplit(url)

    def worker(part):
        conn = http.client.HTTPConnection(u.hostname, u.port, timeout=30)
        for i in part:
            conn.request("DELETE", "/jobs/" + i, headers={"Authorization": "Bearer " + token})
            r = conn.getresponse()
            r.read()
            assert r.status == 200, r.status
        conn.close()

    ts = [threading.Thread(target=worker, args=(ids[k::threads],)) for k in range(threads)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()


def test_ten_thousand_futures_cancelled_behind_the_clients_back(client, stack):
    threads_before = threading.active_count()
    t0 = time.monotonic()
    futures = client.map_futures(square, range(N), options=IDLE)
    submitted = time.monotonic() - t0
    assert len({f.job_id for f in futures}) == N
    time.sleep(0.5)  # let the collector park its polls
    stats = dict(client._collector.stats)
    assert threading.active_count() <= threads_before + 1  # one collector thread, no thread per future
    assert stats["polls"] <= client._collector.max_polls, stats  # a few dozen parked polls, not one per future
    assert stats["answers"] == 0 and stats["superseded"] == 0, stats  # parked, not polling
    assert client._collector.outstanding() == N
    assert not any(f.done() for f in futures)

    t1 = time.monotonic()
    delete_all(stack.url, stack.client_token, [f.job_id for f in futures])
    deleted = time.monotonic() - t1
    done, not_done = concurrent.futures.wait(futures, timeout=60)
    settled = time.monotonic() - t1
    assert not not_done and all(f.cancelled() for f in futures)
    assert client._collector.outstanding() == 0
    print("\n%d futures: submitted in %.2f s, cancelled server-side in %.2f s, all futures settled %.2f s "
          "after the first DELETE; collector %s" % (N, submitted, deleted, settled, client._collector.stats))


def test_ten_thousand_futures_completed(client, fast):
    t0 = time.monotonic()
    results = list(client.map(square, range(N), options=FAST, timeout=300))
    elapsed = time.monotonic() - t0
    assert results == [x * x for x in range(N)]
    assert client._collector.outstanding() == 0
    print("\n%d calls through the in-process executor in %.2f s (%.0f/s); collector %s"
          % (N, elapsed, N / elapsed, client._collector.stats))


def test_ten_thousand_single_submits_and_as_completed(client, fast):
    # submit() one by one (a POST /jobs each), then consume with the standard library's as_completed.
    futures = [client.submit(square, i, options=FAST) for i in range(N // 5)]
    got = sorted(f.result() for f in concurrent.futures.as_completed(futures, timeout=300))
    assert got == sorted(x * x for x in range(N // 5))
