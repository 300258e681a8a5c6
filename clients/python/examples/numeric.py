"""A CPU-heavy numeric job fanned out with map: the Mandelbrot set, a share of its rows per call.

    export JOBGATE_URL=http://127.0.0.1:8080 JOBGATE_TOKEN=<client token from scripts/quickstart.sh>
    /usr/bin/python3 clients/python/examples/numeric.py [--size 1000] [--jobs 16]

It computes the same image twice - here, one call after another, then with client.map over the
executors' slots - checks that both agree, and prints the speed-up. The quick start's executor has one
slot per CPU; start a second executor (another machine, or --slots) and the same map spreads over both:
the speed-up follows the slots that `GET /runtimes` reports, minus each job's start-up and transfer.
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the SDK, when not installed
import jobgate  # noqa: E402


def rows(first: int, step: int, size: int, depth: int) -> list[list[int]]:
    """Escape counts of rows first, first + step, ... of a size x size view of the Mandelbrot set (pure
    Python). Interleaved rows give every call the same share of the costly middle of the image."""
    out = []
    for y in range(first, size, step):
        row = []
        ci = (y / size) * 3.0 - 1.5
        for x in range(size):
            cr = (x / size) * 3.0 - 2.25
            zr = zi = 0.0
            n = 0
            while n < depth and zr * zr + zi * zi <= 4.0:
                zr, zi = zr * zr - zi * zi + cr, 2.0 * zr * zi + ci
                n += 1
            row.append(n)
        out.append(row)
    return out


def image(shares: list, size: int) -> list[list[int]]:
    """Rows back in order from the interleaved shares."""
    out: list = [None] * size
    for first, share in enumerate(shares):
        out[first::len(shares)] = share
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--size", type=int, default=1000, help="image width and height")
    ap.add_argument("--depth", type=int, default=300, help="iterations per point")
    ap.add_argument("--jobs", type=int, default=16, help="calls (each takes every JOBS-th row)")
    a = ap.parse_args()
    args = (range(a.jobs), [a.jobs] * a.jobs, [a.size] * a.jobs, [a.depth] * a.jobs)

    client = jobgate.Client()
    slots = sum(r.get("slots", 0) for r in client.runtimes() if r["name"] == client.runtime)
    list(client.map(rows, [0], [1], [8], [8]))  # warm up: connection, executors awake

    t0 = time.perf_counter()
    local = image(list(map(rows, *args)), a.size)
    t_local = time.perf_counter() - t0

    t0 = time.perf_counter()
    remote = image(list(client.map(rows, *args, options={"limits": {"cpu_ms": 60000, "wall_ms": 120000}})),
                   a.size)
    t_remote = time.perf_counter() - t0
    client.close()

    assert remote == local, "the jobs computed another image"
    inside = sum(row.count(a.depth) for row in local)
    print("%dx%d Mandelbrot, depth %d, %d calls (%d points inside)" % (a.size, a.size, a.depth, a.jobs, inside))
    print("  here, one call after another: %6.2f s" % t_local)
    print("  jobgate map over %d slot(s):   %6.2f s   speed-up x%.2f" % (slots, t_remote, t_local / t_remote))
    return 0


if __name__ == "__main__":
    sys.exit(main())
