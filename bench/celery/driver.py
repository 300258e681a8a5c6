"""Measure Celery: tasks/s for N submitted then gathered, and one task's round-trip p50 (ms).

    CELERY_BROKER=redis://127.0.0.1:PORT/0 /usr/bin/python3 driver.py throughput 2000
    CELERY_BROKER=...                       /usr/bin/python3 driver.py roundtrip 200
Prints one number.
"""
import statistics
import sys
import time

from tasks import inc


def throughput(n):
    t0 = time.perf_counter()
    results = [inc.delay(i) for i in range(n)]
    values = [r.get(timeout=120) for r in results]
    elapsed = time.perf_counter() - t0
    assert values == [i + 1 for i in range(n)]
    return n / elapsed


def roundtrip(n):
    inc.delay(0).get(timeout=30)  # warm the connections
    samples = []
    for i in range(n):
        t0 = time.perf_counter()
        assert inc.delay(i).get(timeout=30) == i + 1
        samples.append((time.perf_counter() - t0) * 1000)
    return statistics.median(samples)


if __name__ == "__main__":
    mode, n = sys.argv[1], int(sys.argv[2])
    print("%.3f" % (throughput(n) if mode == "throughput" else roundtrip(n)))
