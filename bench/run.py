"""bench/run: jobgate beside its peers, every row of the speed table, medians of REPS runs."""
import json
import os
import platform
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
BUILD = os.path.join(ROOT, os.environ.get("BUILD", "build"))
REPS = int(os.environ.get("REPS", "3"))
CALLS = int(os.environ.get("CALLS", "2000"))
PY = "/usr/bin/python3"


def sh(*args, env=None, cwd=ROOT, check=True):
    out = subprocess.run(args, cwd=cwd, env=env, check=check, capture_output=True, text=True)
    return out.stdout.strip()


def median(xs):
    return statistics.median(xs) if xs else float("nan")


class Stack:
    """PostgreSQL, a gateway and one executor with 2 slots (as Celery's prefork x2)."""

    def __init__(self):
        self.tmp = tempfile.mkdtemp(prefix="jobgate-bench-")
        os.chmod(self.tmp, 0o755)
        self.db = sh("scripts/pg.sh", "start", os.path.join(self.tmp, "pg"))
        gw = os.path.join(BUILD, "gateway", "jobgate-gateway")
        sh(gw, "migrate", "--database", self.db)
        self.client = sh(gw, "token", "create", "--role", "client", "--name", "bench",
                         "--database", self.db).splitlines()[-1]
        executor_token = sh(gw, "token", "create", "--role", "executor", "--name", "bench-ex",
                            "--database", self.db).splitlines()[-1]
        self.port = int(sh(PY, "-c", "import socket; s=socket.socket(); s.bind(('127.0.0.1',0)); "
                                     "print(s.getsockname()[1])"))
        self.url = "http://127.0.0.1:%d" % self.port
        log = open(os.path.join(self.tmp, "gateway.log"), "wb")
        self.procs = [subprocess.Popen([gw, "--database", self.db, "--listen",
                                        "127.0.0.1:%d" % self.port, "--log-level", "warn",
                                        "--max-queued", "100000000"], stdout=log, stderr=log)]
        self._wait_ready()
        log = open(os.path.join(self.tmp, "executor.log"), "wb")
        self.procs.append(subprocess.Popen(
            [os.path.join(BUILD, "executor", "jobgate-executor"), "--gateway", self.url, "--token",
             executor_token, "--slots", "2", "--log-level", "warn",
             "--work-dir", os.path.join(self.tmp, "work")], stdout=log, stderr=log))

    def _wait_ready(self):
        for _ in range(100):
            try:
                if urllib.request.urlopen(self.url + "/readyz", timeout=1).status == 200:
                    return
            except OSError:
                time.sleep(0.1)
        raise SystemExit("the gateway did not become ready")

    def env(self):
        e = dict(os.environ)
        e.update(JOBGATE_URL=self.url, JOBGATE_TOKEN=self.client)
        return e

    def close(self):
        for p in reversed(self.procs):
            p.send_signal(signal.SIGTERM)
            try:
                p.wait(30)
            except subprocess.TimeoutExpired:
                p.kill()
        sh("scripts/pg.sh", "stop", os.path.join(self.tmp, "pg"), check=False)
        shutil.rmtree(self.tmp, ignore_errors=True)


def calls_rows(rows):
    stack = Stack()
    try:
        jg_tp, ce_tp, jg_rt, ce_rt = [], [], [], []
        for _ in range(REPS):
            jg_tp.append(float(sh(PY, "bench/jobgate/driver.py", "throughput", str(CALLS),
                                  env=stack.env())))
            ce_tp.append(float(sh("bench/celery/run.sh", "throughput", str(CALLS))))
            jg_rt.append(float(sh(PY, "bench/jobgate/driver.py", "roundtrip", "200",
                                  env=stack.env())))
            ce_rt.append(float(sh("bench/celery/run.sh", "roundtrip", "200")))
            print("  calls: jobgate %.0f/s %.2f ms, celery %.0f/s %.2f ms"
                  % (jg_tp[-1], jg_rt[-1], ce_tp[-1], ce_rt[-1]), file=sys.stderr)
    finally:
        stack.close()
    rows.append(("trivial Python calls, %d via the SDK, tasks/s" % CALLS, median(jg_tp),
                 "Celery+Redis prefork x2", median(ce_tp), median(jg_tp) / median(ce_tp), ">= 2"))
    rows.append(("one call's round trip p50, ms", median(jg_rt), "Celery+Redis", median(ce_rt),
                 median(jg_rt) / median(ce_rt), "<= 1"))


def sandbox_rows(rows):
    cli = os.path.join(BUILD, "executor", "sandbox", "jobgate-sandbox-run")
    sbx, bare = [], []
    for _ in range(REPS):
        d = json.loads(sh(cli, "--bench", "500", "--", "/bin/true"))
        sbx.append(d["sandboxed"]["median_us"] / 1000)
        bare.append(d["bare_fork_exec"]["median_us"] / 1000)
    rows.append(("sandboxed /bin/true, wall ms", median(sbx), "bare fork+exec", median(bare),
                 median(sbx) / median(bare), "<= 2 (and <= 1 ms)"))


def gateway_figures(fill):
    """POST req/s and pgbench tps at 64 connections, and GET p99 ms with 256 pollers every 50 ms."""
    env = dict(os.environ, BUILD=os.path.relpath(BUILD, ROOT), REPS=str(REPS), SECS="8",
               FILL=str(fill))
    out = sh("bench/gateway/run.sh", env=dict(env, C="64"))
    post = re.search(r"POST /jobs req/s vs pgbench insert tps\s+(\S+)\s+(\S+)\s+(\S+)", out)
    # Pollers, not a flood: each of 256 connections asks every 50 ms (about 5k requests/s).
    out = sh("bench/gateway/run.sh", env=dict(env, C="256", POST="0", POLL_MS="50"))
    p99 = re.search(r"GET /jobs/<id> p99 ms\s+(\S+)", out)
    print("  gateway (fill %d): POST %s/s, pgbench %s/s, GET p99 %s ms"
          % (fill, post.group(1), post.group(2), p99.group(1)), file=sys.stderr)
    return float(post.group(1)), float(post.group(2)), float(p99.group(1))


def gateway_rows(rows):
    post, pgbench, p99 = gateway_figures(0)
    rows.append(("POST /jobs req/s at 64 connections", post, "pgbench insert tps", pgbench, post / pgbench,
                 ">= 0.8"))
    rows.append(("GET /jobs/<id> p99 ms, 256 pollers every 50 ms", p99, "-", float("nan"), float("nan"),
                 "< 5 ms"))
    return post, p99


def filled_rows(rows, empty_post, empty_p99):
    """The gateway rows again with 10^6 finished jobs in the table, against the empty table's figures."""
    post, _, p99 = gateway_figures(1000000)
    rows.append(("POST /jobs req/s, 10^6 finished jobs in the table", post, "same, empty table", empty_post,
                 post / empty_post, ">= 0.9"))
    rows.append(("GET /jobs/<id> p99 ms, 10^6 finished jobs in the table", p99, "same, empty table",
                 empty_p99, p99 / empty_p99, "<= 1.1"))


def judge_rows(rows):
    script = os.path.join(ROOT, "bench", "judge", "run.sh")
    if not os.path.exists(script):
        rows.append(("100-test C problem judged end to end", float("nan"), "bare x100",
                     float("nan"), float("nan"), "<= 3 (bench/judge missing)"))
        return
    out = sh(script, env=dict(os.environ, BUILD=os.path.relpath(BUILD, ROOT)))
    m = re.search(r"RATIO\s+(\S+)\s+(\S+)\s+(\S+)", out)
    rows.append(("100-test C problem judged end to end, ms", float(m.group(1)), "same binary bare x100",
                 float(m.group(2)), float(m.group(3)), "<= 3"))


def main():
    rows = []
    print("jobgate bench, %s, %s, %d CPUs, load %s" % (
        time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), platform.platform(), os.cpu_count(),
        open("/proc/loadavg").read().split()[0]), flush=True)
    calls_rows(rows)
    sandbox_rows(rows)
    post, p99 = gateway_rows(rows)
    judge_rows(rows)
    filled_rows(rows, post, p99)
    print("\n| what | jobgate | peer | peer's figure | ratio | target |\n|---|---|---|---|---|---|")
    for what, ours, peer, theirs, ratio, target in rows:
        fmt = lambda v: "-" if v != v else ("%.2f" % v if v < 100 else "%.0f" % v)  # noqa: E731
        print("| %s | %s | %s | %s | %s | %s |" % (what, fmt(ours), peer, fmt(theirs), fmt(ratio),
                                                  target))


if __name__ == "__main__":
    main()
