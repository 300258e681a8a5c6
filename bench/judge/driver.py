"""bench/judge/run.sh's client: judge a 100-test A+B problem in C end to end, through a real stack.

    driver.py URL CLIENT_TOKEN ADMIN_TOKEN TESTS_DIR SOURCE N
prints one JSON line: the wall time from POST /jobs to the recorded result (?wait=), for a job
naming the stored problem (uploaded once: the executor caches its tests) with N tests and for the
same job with 1 test, the sum of the per-test sandboxed wall times, and the verdict (must be OK).
"""
import base64
import json
import sys
import time
import urllib.request


def call(url, token, method, path, body=None):
    req = urllib.request.Request(url + path, method=method,
                                 data=json.dumps(body).encode() if body is not None else None,
                                 headers={"Authorization": "Bearer " + token,
                                          "Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=120) as r:
        return json.loads(r.read())


def b64file(path):
    with open(path, "rb") as f:
        return base64.b64encode(f.read()).decode()


def judge(url, token, source, problem):
    t0 = time.perf_counter()
    job = call(url, token, "POST", "/jobs", {"runtime": "c11", "kind": "program",
                                             "code": source, "problem": problem})
    while job["status"] in ("queued", "running"):
        job = call(url, token, "GET", "/jobs/%s?wait=30" % job["id"])
    ms = (time.perf_counter() - t0) * 1000
    assert job["verdict"] == "OK", job
    return ms, job


def main():
    url, client, admin, tests_dir, source_path, n = sys.argv[1:7]
    n = int(n)
    source = b64file(source_path)
    for name, count in (("aplusb-%d" % n, n), ("aplusb-1", 1)):
        call(url, admin, "PUT", "/problems/" + name, {"tests": [
            {"input": b64file("%s/%d.in" % (tests_dir, i)),
             "expected": b64file("%s/%d.out" % (tests_dir, i))} for i in range(1, count + 1)]})
    judge(url, client, source, "aplusb-%d" % n)  # warm: the executor caches the test data
    judge(url, client, source, "aplusb-1")
    full_ms, job = judge(url, client, source, "aplusb-%d" % n)
    one_ms, _ = judge(url, client, source, "aplusb-1")
    assert len(job["tests"]) == n
    print(json.dumps({"judged_ms": full_ms, "one_test_ms": one_ms,
                      "per_test_marginal_ms": (full_ms - one_ms) / (n - 1),
                      "sandbox_wall_sum_ms": sum(t["usage"]["wall_ms"] for t in job["tests"]),
                      "tests": n}))


if __name__ == "__main__":
    main()
