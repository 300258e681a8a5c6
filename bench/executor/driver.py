"""Trivial `call` jobs end to end over the native API (http.client, one keep-alive connection):

    driver.py URL TOKEN roundtrip N     N sequential: POST /jobs, then GET /jobs/<id>?wait=30
    driver.py URL TOKEN throughput N    N submitted at once (POST /jobs/batch), gathered with POST /jobs/wait
Every job is cloudpickled (inc, (i,), {}), run in the sandbox and committed to PostgreSQL; each result is
unpickled and checked. Prints one JSON line of figures.
"""
import base64
import http.client
import json
import pickle
import statistics
import sys
import time
import urllib.parse

import cloudpickle


def inc(x):
    return x + 1


cloudpickle.register_pickle_by_value(sys.modules[__name__])


class Api:
    def __init__(self, url, token):
        u = urllib.parse.urlsplit(url)
        self.conn = http.client.HTTPConnection(u.hostname, u.port, timeout=120)
        self.headers = {"Authorization": "Bearer " + token, "Content-Type": "application/json"}

    def call(self, method, path, body=None):
        self.conn.request(method, path, json.dumps(body) if body is not None else None, self.headers)
        r = self.conn.getresponse()
        data = json.loads(r.read() or b"null")
        if r.status >= 300:
            raise RuntimeError("%s %s: %d %s" % (method, path, r.status, data))
        return data


def job(i):
    return {"runtime": "python3", "kind": "call", "code": base64.b64encode(cloudpickle.dumps((inc, (i,), {}))).decode()}


def value(done):
    if done.get("verdict") != "OK":
        raise RuntimeError("job failed: %s" % done)
    return pickle.loads(base64.b64decode(done["result"]))


def roundtrip(api, n):
    jobs = [job(i) for i in range(n + 1)]
    samples, runs = [], []
    for i, j in enumerate(jobs):
        t0 = time.perf_counter()
        jid = api.call("POST", "/jobs", j)["id"]
        done = api.call("GET", "/jobs/%s?wait=30" % jid)
        elapsed = (time.perf_counter() - t0) * 1000
        assert value(done) == i + 1, done
        if i:  # the first one warms the connection and the executor
            samples.append(elapsed)
            runs.append(done["usage"]["wall_ms"])
    q = statistics.quantiles(samples, n=10)
    return {"n": n, "p50_ms": statistics.median(samples), "p10_ms": q[0], "p90_ms": q[-1],
            "run_wall_p50_ms": statistics.median(runs)}


def throughput(api, n):
    jobs = [job(i) for i in range(n)]
    t0 = time.perf_counter()
    ids = []
    for k in range(0, n, 1000):
        ids += [j["id"] for j in api.call("POST", "/jobs/batch", {"jobs": jobs[k:k + 1000]})["jobs"]]
    submitted = time.perf_counter() - t0
    want = {jid: i + 1 for i, jid in enumerate(ids)}
    pending = list(ids)
    while pending:
        answer = api.call("POST", "/jobs/wait", {"ids": pending[:1000], "timeout": 30})
        for done in answer["jobs"]:
            assert value(done) == want[done["id"]], done
        finished = {d["id"] for d in answer["jobs"]}
        pending = [jid for jid in pending if jid not in finished]
    elapsed = time.perf_counter() - t0
    return {"n": n, "jobs_per_s": n / elapsed, "seconds": elapsed, "submit_s": submitted}


if __name__ == "__main__":
    url, token, mode, n = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
    api = Api(url, token)
    print(json.dumps(roundtrip(api, n) if mode == "roundtrip" else throughput(api, n)))
