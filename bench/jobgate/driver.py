"""Measure jobgate through the Python SDK, like bench/celery/driver.py measures Celery:

    JOBGATE_URL=... JOBGATE_TOKEN=... /usr/bin/python3 driver.py throughput 2000   -> calls/s
    JOBGATE_URL=... JOBGATE_TOKEN=... /usr/bin/python3 driver.py roundtrip 200     -> p50 ms
Every call is a sandboxed `call` job committed to PostgreSQL. Prints one number.
"""
import os
import statistics
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "clients", "python"))
import jobgate  # noqa: E402


def inc(x):
    return x + 1


def throughput(client, n):
    t0 = time.perf_counter()
    futures = client.map_futures(inc, range(n))  # submitted in batches (POST /jobs/batch)
    values = client.gather(futures, timeout=600)
    elapsed = time.perf_counter() - t0
    assert values == [i + 1 for i in range(n)]
    return n / elapsed


def roundtrip(client, n):
    client.submit(inc, 0).result(timeout=60)  # warm the connection and the executor
    samples = []
    for i in range(n):
        t0 = time.perf_counter()
        assert client.submit(inc, i).result(timeout=60) == i + 1
        samples.append((time.perf_counter() - t0) * 1000)
    return statistics.median(samples)


if __name__ == "__main__":
    mode, n = sys.argv[1], int(sys.argv[2])
    with jobgate.Client() as client:
        print("%.3f" % (throughput(client, n) if mode == "throughput" else roundtrip(client, n)))
