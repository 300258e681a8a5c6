"""Operations: health, readiness, metrics, runtimes, configured caps (body size, queue size),
migrations, schema versions, PostgreSQL restarts, and shutdown."""
import os
import re
import signal
import subprocess
import threading
import time

import pytest

from conftest import (GATEWAY_BIN, Client, Executor, Gateway, PgCluster, assert_problem, b64,
                      call_job, create_token, function_job, psql, run_gateway_cmd, wait_until)

MIGRATIONS = sorted(f for f in os.listdir(os.path.join(os.path.dirname(__file__), "..", "..",
                                                       "db", "migrations"))
                    if re.match(r"^\d+_.*\.sql$", f))


# ---------------------------------------------------------------- health, metrics, runtimes


def test_healthz_and_readyz(gateway):
    c = Client(gateway.port)
    r = c.get("/healthz")
    assert r.status == 200 and r.json() == {"status": "ok"}
    r = c.get("/readyz")
    assert r.status == 200, r
    assert r.json() == {"status": "ready", "schema_version": len(MIGRATIONS)}


PROM_LINE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{([a-zA-Z_][a-zA-Z0-9_]*="[^"]*",?)*\})? '
                       r'(-?[0-9.e+-]+|\+Inf|NaN)$')


def parse_prometheus(text):
    samples = {}
    types = {}
    for line in text.splitlines():
        if not line:
            continue
        if line.startswith("# TYPE "):
            _, _, name, kind = line.split(" ", 3)
            types[name] = kind
            continue
        if line.startswith("#"):
            assert line.startswith("# HELP "), line
            continue
        m = PROM_LINE.match(line)
        assert m, "not Prometheus text: %r" % line
        samples.setdefault(m.group(1), []).append((line.split(" ")[0], float(m.group(4))))
    return samples, types


def test_metrics(client, tokens, gateway, runtime):
    # Some traffic of each kind first.
    job = client.post("/jobs", call_job(runtime)).json()
    ex = Executor(tokens.client("executor"), [runtime])
    ex.complete(ex.lease_one())
    client.delete("/jobs/" + client.post("/jobs", call_job(runtime)).json()["id"])
    client.post("/jobs", call_job(runtime))  # stays queued
    client.get("/jobs/" + job["id"])

    r = Client(gateway.port).get("/metrics")
    assert r.status == 200
    assert r.content_type == "text/plain"
    samples, types = parse_prometheus(r.body.decode())
    for name, kind in [("jobgate_jobs_submitted_total", "counter"),
                       ("jobgate_jobs_completed_total", "counter"),
                       ("jobgate_jobs_failed_total", "counter"),
                       ("jobgate_jobs_cancelled_total", "counter"),
                       ("jobgate_leases_granted_total", "counter"),
                       ("jobgate_lease_expiries_total", "counter"),
                       ("jobgate_leases_released_total", "counter"),
                       ("jobgate_results_refused_total", "counter"),
                       ("jobgate_http_requests_total", "counter"),
                       ("jobgate_http_request_duration_seconds", "histogram"),
                       ("jobgate_queue_depth", "gauge"),
                       ("jobgate_database_up", "gauge"),
                       ("jobgate_long_polls", "gauge")]:
        assert types.get(name) == kind, name
    for name in ["jobgate_jobs_submitted_total", "jobgate_jobs_completed_total",
                 "jobgate_jobs_cancelled_total", "jobgate_leases_granted_total"]:
        assert samples[name][0][1] >= 1, name
    assert samples["jobgate_database_up"] == [("jobgate_database_up", 1.0)]
    depth = dict(samples["jobgate_queue_depth"])
    assert depth.get('jobgate_queue_depth{runtime="%s",state="queued"}' % runtime) == 1.0
    reqs = dict(samples["jobgate_http_requests_total"])
    assert reqs.get('jobgate_http_requests_total{route="jobs_create",code="201"}', 0) >= 3
    assert 'jobgate_http_request_duration_seconds_bucket{route="jobs_get",le="+Inf"}' in \
        dict(samples["jobgate_http_request_duration_seconds_bucket"])
    assert "jobgate_http_request_duration_seconds_sum" in samples
    assert "jobgate_http_request_duration_seconds_count" in samples


def test_runtimes_catalog(client):
    r = client.get("/runtimes")
    assert r.status == 200, r
    rts = {x["name"]: x for x in r.json()["runtimes"]}
    assert set(rts["python3"]["kinds"]) == {"call", "function", "program"}
    assert rts["c11"]["kinds"] == ["program"] and rts["cpp17"]["kinds"] == ["program"]
    for x in rts.values():
        assert set(x) >= {"name", "kinds", "description", "available", "executors", "slots"}
        assert isinstance(x["available"], bool)
    # Runtimes added by configuration (--runtimes) are in the catalog too.
    assert set(rts["t00"]["kinds"]) == {"call", "function", "program"}


def test_configured_runtime_only_accepts_its_kinds(pg_url, gateway_factory):
    gw = gateway_factory(extra_args=["--runtimes", "pypy3=call+function"])
    c = Client(gw.port, create_token(pg_url, "client")[1])
    assert c.post("/jobs", call_job("pypy3")).status == 201
    assert_problem(c.post("/jobs", {"runtime": "pypy3", "kind": "program", "code": b64("x")}),
                   422, "invalid-field", "kind")


# ---------------------------------------------------------------- caps


def test_body_over_cap_is_413(pg_url, gateway_factory):
    gw = gateway_factory(extra_args=["--max-body-kb", "1"])
    c = Client(gw.port, create_token(pg_url, "client")[1])
    small = call_job()
    assert c.post("/jobs", small).status == 201
    big = call_job(code=b64(b"x" * 4096))
    assert_problem(c.post("/jobs", big), 413, "payload-too-large")
    # Without a Content-Length (chunked): refused once the cap is crossed.
    raw = __import__("json").dumps(big).encode()
    chunks = (raw[i:i + 256] for i in range(0, len(raw), 256))
    assert_problem(c.post("/jobs", raw=chunks), 413, "payload-too-large")
    # A body far over the cap: refused from its Content-Length, before it is read.
    status, _ = raw_post(gw.port, c.token, b"{" + b" " * (4 << 20) + b"}")
    assert status == 413
    assert_problem(c.post("/jobs/batch", {"jobs": [big]}), 413, "payload-too-large")
    assert c.post("/jobs", small).status == 201  # and it keeps serving


def raw_post(port, token, body, path="/jobs"):
    """POST over a bare socket; the server may answer (and close) before the body is sent."""
    import socket
    s = socket.create_connection(("127.0.0.1", port), timeout=30)
    try:
        s.sendall(("POST %s HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\n"
                   "Content-Type: application/json\r\nContent-Length: %d\r\n\r\n"
                   % (path, token, len(body))).encode())
        try:
            s.sendall(body)
        except OSError:
            pass
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
        status = int(data.split(b" ", 2)[1])
        return status, data
    finally:
        s.close()


def test_full_queue_is_503(pg, gateway_factory):
    url = pg.fresh_database()
    gw = gateway_factory(url=url, extra_args=["--max-queued", "2"])
    c = Client(gw.port, create_token(url, "client")[1])
    assert c.post("/jobs", call_job()).status == 201
    second = c.post("/jobs", call_job())
    assert second.status == 201
    r = c.post("/jobs", call_job())
    assert_problem(r, 503, "queue-full")
    assert r.header("Retry-After") is not None and int(r.header("Retry-After")) > 0
    r = c.post("/jobs/batch", {"jobs": [call_job()]})
    assert_problem(r, 503, "queue-full")
    assert r.header("Retry-After")
    # Room again once a job ends.
    assert c.delete("/jobs/" + second.json()["id"]).status == 200
    assert c.post("/jobs", call_job()).status == 201


# ---------------------------------------------------------------- migrations


def applied(url):
    return psql(url, "SELECT version FROM jobgate_schema ORDER BY version").split()


def test_migrate_twice(pg):
    url = pg.fresh_database()
    for _ in range(2):
        out = run_gateway_cmd(["migrate"], url)
        assert out.returncode == 0, out.stderr
    assert applied(url) == [str(int(m.split("_")[0])) for m in MIGRATIONS]
    assert psql(url, "SELECT count(*) FROM pg_tables WHERE tablename IN "
                     "('jobs','job_queue','tokens','executors')") == "4"


def test_migrate_concurrently(pg):
    url = pg.fresh_database()
    procs = [subprocess.Popen([GATEWAY_BIN, "migrate", "--database", url],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE) for _ in range(6)]
    results = [(p.wait(120), p.stderr.read().decode()) for p in procs]
    assert all(rc == 0 for rc, _ in results), results
    assert applied(url) == [str(int(m.split("_")[0])) for m in MIGRATIONS]
    assert sum(err.count("migrate: applied ") for _, err in results) == len(MIGRATIONS), results


def test_gateways_starting_together_on_a_fresh_database(pg, gateway_factory):
    url = pg.fresh_database()
    gws = [gateway_factory(url=url, ready=False) for _ in range(3)]
    for gw in gws:
        gw.wait_ready()
    assert applied(url) == [str(int(m.split("_")[0])) for m in MIGRATIONS]


def test_refuses_newer_schema(pg, workdir):
    url = pg.fresh_database()
    assert run_gateway_cmd(["migrate"], url).returncode == 0
    psql(url, "INSERT INTO jobgate_schema (version, name, checksum) "
              "VALUES (999, '0999_future.sql', 'x')")
    out = run_gateway_cmd(["migrate"], url)
    assert out.returncode != 0
    assert "newer" in out.stderr
    gw = Gateway(url, workdir)
    try:
        rc = gw.proc.wait(60)
    finally:
        if gw.proc.poll() is None:
            gw.proc.kill()
            gw.proc.wait()
    assert rc != 0
    assert "newer" in gw.log_text()


def test_migrate_fails_cleanly_without_database(workdir):
    out = run_gateway_cmd(["migrate"], "postgresql://postgres@127.0.0.1:1/none", timeout=60)
    assert out.returncode != 0


# ---------------------------------------------------------------- PostgreSQL restarts


@pytest.fixture
def own_pg(workdir):
    """A cluster of its own, so that stopping it disturbs no other test."""
    cluster = PgCluster(os.path.join(workdir, "pg-restart"))
    yield cluster
    cluster.stop()


def test_postgres_restart_under_the_gateway(own_pg, gateway_factory):
    url = own_pg.url
    gw = gateway_factory(url=url)
    c = Client(gw.port, create_token(url, "client")[1])
    fresh_secret = create_token(url, "client")[1]  # never used before the outage
    job = c.post("/jobs", call_job()).json()

    own_pg.stop()
    statuses = []
    for _ in range(3):
        for r in [c.get("/jobs/" + job["id"]), c.post("/jobs", call_job()), c.get("/jobs"),
                  Client(gw.port, fresh_secret).get("/jobs"), Client(gw.port).get("/readyz")]:
            statuses.append(r.status)
            assert r.status == 503, r
            assert r.content_type == "application/problem+json"
            assert r.header("Retry-After")
    r = Client(gw.port).get("/healthz")
    assert r.status == 200  # the process itself is fine
    assert gw.alive()

    own_pg.start()
    wait_until(lambda: Client(gw.port).get("/readyz").status == 200, timeout=30,
               what="readiness after the restart")
    wait_until(lambda: c.get("/jobs/" + job["id"]).status == 200, timeout=30,
               what="reads after the restart")
    # A write is not retried on a fresh connection (it may have been applied): the first one
    # on a connection that predates the restart may still get a 503, never anything else.
    wait_until(lambda: _status_in(c.post("/jobs", call_job()), {201, 503}) == 201, timeout=30,
               what="submits after the restart")
    assert Client(gw.port, fresh_secret).get("/jobs").status == 200

    # pg.sh restart: requests around it get 200/201 or 503, never 500, and it recovers.
    stop = threading.Event()
    seen = []

    def hammer():
        while not stop.is_set():
            for r in [c.get("/jobs/" + job["id"]), c.post("/jobs", call_job())]:
                seen.append(r.status)

    t = threading.Thread(target=hammer)
    t.start()
    try:
        own_pg.restart()
        wait_until(lambda: c.get("/jobs/" + job["id"]).status == 200, timeout=30,
                   what="reads after pg.sh restart")
    finally:
        stop.set()
        t.join(60)
    assert seen and set(seen) <= {200, 201, 503}, sorted(set(seen))
    wait_until(lambda: _status_in(c.post("/jobs", call_job()), {201, 503}) == 201, timeout=30,
               what="submits after pg.sh restart")
    assert gw.alive()


def _status_in(resp, allowed):
    assert resp.status in allowed, resp
    return resp.status


def test_long_poll_across_gateways_after_postgres_restart(own_pg, gateway_factory):
    """The LISTEN connection comes back after a restart: wake-ups still cross gateways."""
    url = own_pg.url
    a = gateway_factory(url=url)
    b = gateway_factory(url=url)
    c = Client(a.port, create_token(url, "client")[1])
    own_pg.restart()
    wait_until(lambda: Client(a.port).get("/readyz").status == 200, timeout=30, what="A ready")
    wait_until(lambda: Client(b.port).get("/readyz").status == 200, timeout=30, what="B ready")
    job = wait_until(lambda: (lambda r: r.json() if r.status == 201 else None)(
        c.post("/jobs", function_job("t94"))), timeout=30, what="a submit")
    out = {}

    def poll():
        out["r"] = c.get("/jobs/%s?wait=25" % job["id"], timeout=60)

    t = threading.Thread(target=poll)
    t.start()
    ex = Executor(Client(b.port, create_token(url, "executor")[1]), ["t94"])
    leased = ex.lease_one(wait=20)
    assert ex.complete(leased, value=1).status == 200
    t.join(60)
    assert out["r"].status == 200 and out["r"].json()["status"] == "completed", out["r"]


# ---------------------------------------------------------------- shutdown


def test_sigterm_answers_long_polls_and_exits_0(pg_url, workdir):
    gw = Gateway(pg_url, workdir).wait_ready()
    try:
        c = Client(gw.port, create_token(pg_url, "client")[1])
        job = c.post("/jobs", call_job()).json()
        ex_client = Client(gw.port, create_token(pg_url, "executor")[1])
        out = {}

        def poll():
            out["poll"] = c.get("/jobs/%s?wait=50" % job["id"], timeout=90)

        def lease():
            out["lease"] = Executor(ex_client, ["t95"]).lease_raw(1, wait=50)

        threads = [threading.Thread(target=poll), threading.Thread(target=lease)]
        for t in threads:
            t.start()
        wait_until(lambda: _gauge(gw, "jobgate_long_polls") >= 1, what="the poll to park")
        time.sleep(0.3)  # let the lease park too (it is answered either way)
        gw.proc.send_signal(signal.SIGTERM)
        for t in threads:
            t.join(60)
        assert out["poll"].status == 200, out["poll"]
        assert out["poll"].json()["status"] == "queued"
        assert out["lease"].status in (200, 503), out["lease"]
        if out["lease"].status == 200:
            assert out["lease"].json()["jobs"] == []
        rc = gw.proc.wait(30)
        assert rc == 0, gw.log_tail()
    finally:
        gw.terminate()


def _gauge(gw, name):
    for line in Client(gw.port).get("/metrics").body.decode().splitlines():
        if line.startswith(name + " "):
            return float(line.split()[1])
    return 0


def test_sigint_also_exits_0(pg_url, workdir):
    gw = Gateway(pg_url, workdir).wait_ready()
    gw.proc.send_signal(signal.SIGINT)
    assert gw.proc.wait(30) == 0
    gw.terminate()


def test_cli_usage(pg_url):
    out = subprocess.run([GATEWAY_BIN, "--help"], capture_output=True, text=True, timeout=30)
    assert out.returncode == 0
    for opt in ["--listen", "--database", "--threads", "--max-body-kb", "--max-queued",
                "--lease-ttl-ms", "JOBGATE_LISTEN", "JOBGATE_DATABASE_URL"]:
        assert opt in out.stdout, opt
    bad = subprocess.run([GATEWAY_BIN, "--threads", "many"], capture_output=True, text=True,
                         timeout=30)
    assert bad.returncode == 2
    bad = subprocess.run([GATEWAY_BIN, "frobnicate"], capture_output=True, text=True, timeout=30)
    assert bad.returncode != 0


def test_sigterm_while_postgres_is_down(own_pg, workdir):
    """Shutdown does not depend on the database: a parked poll is answered, exit 0."""
    url = own_pg.url
    gw = Gateway(url, workdir).wait_ready()
    try:
        c = Client(gw.port, create_token(url, "client")[1])
        job = c.post("/jobs", call_job()).json()
        out = {}

        def poll():
            out["r"] = c.get("/jobs/%s?wait=40" % job["id"], timeout=90)

        t = threading.Thread(target=poll)
        t.start()
        wait_until(lambda: _gauge(gw, "jobgate_long_polls") >= 1, what="the poll to park")
        own_pg.stop()
        assert_problem(c.get("/jobs"), 503, "unavailable")
        gw.proc.send_signal(signal.SIGTERM)
        assert gw.proc.wait(30) == 0, gw.log_tail()
        t.join(60)
        assert out["r"].status in (200, 503), out["r"]
        assert out["r"].status < 500 or out["r"].header("Retry-After")
    finally:
        gw.terminate()
