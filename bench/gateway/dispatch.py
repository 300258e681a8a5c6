"""Lease dispatch: N executors long-poll POST /executor/lease from threads of this process; jobs
are submitted in batches of B (POST /jobs/batch) and each round is timed from the submit until
every job of the batch reached an executor. Prints jobs dispatched per second (median round and
overall) and the claim statements PostgreSQL ran (pg_stat_statements) per round: from the submit
until the batch was dispatched ("dispatch"), and in all, counting the first claim each executor
gets when it parks again ("total").
  dispatch.py URL CLIENT_TOKEN EXECUTOR_TOKEN DATABASE_URL [N=64] [B=64] [ROUNDS=30]
"""
import base64
import glob
import http.client
import os
import json
import statistics
import subprocess
import sys
import threading
import time
import urllib.parse
import uuid

RUNTIME = "python3"
CLAIM_SQL = ("SELECT coalesce(sum(calls), 0) FROM pg_stat_statements "
             "WHERE query LIKE '%lease_token = gen_random_uuid()%'")


PSQL = os.environ.get("PSQL") or sorted(glob.glob("/usr/lib/postgresql/*/bin/psql"))[-1]


def psql(url, sql):
    return subprocess.run([PSQL, url, "-qAtc", sql], check=True, capture_output=True,
                          text=True).stdout.strip()


class Executors:
    def __init__(self, port, token, n):
        self.port, self.token = port, token
        self.cond = threading.Condition()
        self.received = 0
        self.asking = 0  # lease requests sent and not yet answered
        self.stop = False
        self.threads = [threading.Thread(target=self.run, daemon=True) for _ in range(n)]
        for t in self.threads:
            t.start()

    def run(self):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=120)
        body = json.dumps({"executor_id": str(uuid.uuid4()), "name": "bench", "runtimes": [RUNTIME],
                           "max_jobs": 1, "wait": 60})
        hdrs = {"Authorization": "Bearer " + self.token, "Content-Type": "application/json"}
        while not self.stop:
            with self.cond:
                self.asking += 1
                self.cond.notify_all()
            try:
                conn.request("POST", "/executor/lease", body, hdrs)
                resp = conn.getresponse()
                data = resp.read()
            except OSError:
                return
            got = len(json.loads(data)["jobs"]) if resp.status == 200 else 0
            with self.cond:
                self.asking -= 1
                self.received += got
                self.cond.notify_all()

    def wait(self, pred, timeout=60):
        with self.cond:
            if not self.cond.wait_for(pred, timeout):
                raise SystemExit("dispatch.py: timed out (received %d)" % self.received)


def main():
    url, ctoken, etoken, db = sys.argv[1:5]
    n, b, rounds = (int(x) for x in (sys.argv[5:8] + ["64", "64", "30"][len(sys.argv[5:8]):]))
    port = urllib.parse.urlparse(url).port
    ex = Executors(port, etoken, n)
    code = base64.b64encode(b"x").decode()
    batch = json.dumps({"jobs": [{"runtime": RUNTIME, "kind": "call", "code": code}] * b})
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    hdrs = {"Authorization": "Bearer " + ctoken, "Content-Type": "application/json"}
    rates, window = [], 0
    claims0 = int(psql(db, CLAIM_SQL))
    t_all = 0.0
    for r in range(rounds):
        ex.wait(lambda: ex.asking == n)  # every executor asked again ...
        time.sleep(0.05)                 # ... and had its first claim (empty) before the batch
        before = int(psql(db, CLAIM_SQL))
        want = ex.received + b
        t0 = time.perf_counter()
        conn.request("POST", "/jobs/batch", batch, hdrs)
        resp = conn.getresponse()
        resp.read()
        if resp.status != 201:
            raise SystemExit("dispatch.py: POST /jobs/batch: %d" % resp.status)
        ex.wait(lambda: ex.received >= want)
        dt = time.perf_counter() - t0
        window += int(psql(db, CLAIM_SQL)) - before
        t_all += dt
        rates.append(b / dt)
    claims = int(psql(db, CLAIM_SQL)) - claims0
    ex.stop = True
    print("executors=%d batch=%d rounds=%d jobs/s median=%.0f overall=%.0f claims/round "
          "dispatch=%.1f total=%.1f" % (n, b, rounds, statistics.median(rates), rounds * b / t_all,
                                        window / rounds, claims / rounds))


if __name__ == "__main__":
    main()
