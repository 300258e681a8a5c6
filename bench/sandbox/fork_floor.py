"""The floor under a process per call: fork + exit of a warm Python, with nothing sandboxed.

    /usr/bin/python3 bench/sandbox/fork_floor.py [N]

Forks N children of this interpreter (once bare, once after importing what the call harness imports:
cloudpickle, pickle, json, base64), each exiting at once, and prints the wall p50 and the CPU per
fork + exit (parent and child). With cloudpickle the heap to copy and tear down is bigger; that figure
is what any design that runs each call in a fresh process pays before it does anything (bench/RESULTS.md).
"""
import gc
import os
import sys
import time


def measure(n):
    gc.collect()
    gc.freeze()
    walls = []
    c0 = os.times()
    for _ in range(n):
        t0 = time.perf_counter()
        pid = os.fork()
        if pid == 0:
            os._exit(0)
        os.waitpid(pid, 0)
        walls.append((time.perf_counter() - t0) * 1e6)
    c1 = os.times()
    cpu = sum(c1[:4]) - sum(c0[:4])
    walls.sort()
    return walls[len(walls) // 2], cpu / n * 1e6


if __name__ == "__main__":
    if len(sys.argv) > 2 and sys.argv[2] == "--child":
        if sys.argv[3] == "cloudpickle":
            import base64, json, pickle  # noqa: E401,F401
            import cloudpickle  # noqa: F401
        wall, cpu = measure(int(sys.argv[1]))
        print("%-40s wall p50 %6.0f us   CPU %6.0f us" % ("fork + exit, warm python3 (%s)" % sys.argv[3], wall, cpu))
        sys.exit(0)
    import subprocess  # here only: the measured children import nothing more than they must
    n = sys.argv[1] if len(sys.argv) > 1 else "400"
    for kind in ("bare", "cloudpickle", "bare", "cloudpickle"):
        subprocess.run([sys.executable, __file__, n, "--child", kind], check=True)
