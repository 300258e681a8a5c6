"""Fixtures for the gateway integration tests.

A throwaway PostgreSQL cluster (scripts/pg.sh) serves the whole session; one gateway serves most
tests, and tests that need their own options or database start more through `gateway_factory`.
Every gateway is stopped with SIGTERM at the end and must exit 0. Tests never share tenants or
tokens: each asks `tokens` for fresh ones. Tests that lease jobs take a runtime of their own
(`runtime` fixture) so that no other test's queued jobs are handed to them.
"""
import base64
import http.client
import itertools
import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import uuid

import pytest

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
GATEWAY_BIN = os.environ.get("JOBGATE_GATEWAY_BIN",
                             os.path.join(REPO, "build", "gateway", "jobgate-gateway"))
PG_SH = os.path.join(REPO, "scripts", "pg.sh")

# Extra catalog entries: one runtime per leasing test (see the `runtime` fixture).
TEST_RUNTIMES = ["t%02d" % i for i in range(96)]  # --runtimes takes at most 4095 bytes
RUNTIMES_OPTION = ",".join(rt + "=call+function+program" for rt in TEST_RUNTIMES)

# Short timings so that retries happen within a test; never asserted on. Leases are long by
# default, so that a slow machine (or a sanitizer build) never loses one by accident; tests of
# expiry lease through a gateway started with SHORT_LEASE (`short_executor`).
FAST_OPTIONS = ["--lease-ttl-ms", "30000", "--retry-backoff-ms", "100",
                "--sweep-interval-ms", "100", "--threads", "4", "--runtimes", RUNTIMES_OPTION]
SHORT_LEASE = ["--lease-ttl-ms", "1500"]

STOP_TIMEOUT = 20  # the gateway's own grace is 10 s


def b64(data):
    if isinstance(data, str):
        data = data.encode()
    return base64.b64encode(data).decode()


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def wait_until(predicate, timeout=15.0, interval=0.05, what="condition"):
    """Poll until predicate() is truthy; returns its value. A deadline, not a timing assertion."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting for " + what)
        time.sleep(interval)


def pg_bin(name):
    base = os.environ.get("PGBIN")
    if not base:
        root = "/usr/lib/postgresql"
        versions = sorted(os.listdir(root), key=lambda v: [int(x) for x in v.split(".") if x.isdigit()])
        base = os.path.join(root, versions[-1], "bin")
    return os.path.join(base, name)


def psql(url, sql):
    """Run SQL with psql; returns stdout (unaligned, tuples only)."""
    out = subprocess.run([pg_bin("psql"), url, "-v", "ON_ERROR_STOP=1", "-qAtc", sql],
                         capture_output=True, text=True, timeout=60)
    if out.returncode != 0:
        raise AssertionError("psql failed: %s" % out.stderr)
    return out.stdout.strip()


# ---------------------------------------------------------------- HTTP


class Response:
    def __init__(self, status, headers, body):
        self.status = status
        self.headers = headers  # lower-case names
        self.body = body

    def header(self, name):
        return self.headers.get(name.lower())

    @property
    def content_type(self):
        return (self.header("Content-Type") or "").split(";")[0].strip()

    def json(self):
        return json.loads(self.body)

    def __repr__(self):
        return "<%d %s %r>" % (self.status, self.content_type, self.body[:300])


class Client:
    """A tiny HTTP client bound to one gateway and (optionally) one token."""

    def __init__(self, port, token=None, timeout=60):
        self.port = port
        self.token = token
        self.timeout = timeout

    def with_token(self, token):
        return Client(self.port, token, self.timeout)

    def request(self, method, path, body=None, headers=None, token=None, raw=None,
                content_type="application/json", timeout=None):
        """body: a JSON-able value; raw: bytes sent as is (or an iterable, sent chunked)."""
        hdrs = {}
        tok = token if token is not None else self.token
        if tok:
            hdrs["Authorization"] = "Bearer " + tok
        data = None
        chunked = False
        if body is not None:
            data = json.dumps(body).encode()
        elif raw is not None:
            data = raw
            chunked = not isinstance(raw, (bytes, bytearray, str))
        if data is not None and content_type:
            hdrs["Content-Type"] = content_type
        hdrs.update(headers or {})
        conn = http.client.HTTPConnection("127.0.0.1", self.port,
                                          timeout=timeout or self.timeout)
        try:
            conn.request(method, path, body=data, headers=hdrs, encode_chunked=chunked)
            resp = conn.getresponse()
            payload = resp.read()
            return Response(resp.status, {k.lower(): v for k, v in resp.getheaders()}, payload)
        finally:
            conn.close()

    def get(self, path, **kw):
        return self.request("GET", path, **kw)

    def post(self, path, body=None, **kw):
        return self.request("POST", path, body=body, **kw)

    def put(self, path, body=None, **kw):
        return self.request("PUT", path, body=body, **kw)

    def delete(self, path, **kw):
        return self.request("DELETE", path, **kw)


def assert_problem(resp, status, slug, field=None):
    """An RFC 9457 problem document with our type URN, naming the field when given."""
    assert resp.status == status, resp
    assert resp.content_type == "application/problem+json", resp
    doc = resp.json()
    assert doc["type"] == "urn:jobgate:problem:" + slug, doc
    assert doc["status"] == status, doc
    assert isinstance(doc.get("title"), str) and doc["title"], doc
    assert isinstance(doc.get("detail"), str), doc
    if field == "":  # the body as a whole: no field member, or an empty one
        assert doc.get("field", "") == "", doc
    elif field is not None:
        assert doc.get("field") == field, doc
    return doc


# ---------------------------------------------------------------- jobs

FUNCTION_CODE = b64("def f(x):\n    return x * 2\n")


def function_job(runtime="python3", **extra):
    job = {"runtime": runtime, "kind": "function", "code": FUNCTION_CODE, "entrypoint": "f",
           "args": [21]}
    job.update(extra)
    return job


def call_job(runtime="python3", **extra):
    job = {"runtime": runtime, "kind": "call", "code": b64(b"\x80\x04not really a pickle.")}
    job.update(extra)
    return job


def program_job(runtime="c11", **extra):
    job = {"runtime": runtime, "kind": "program",
           "code": b64('#include <stdio.h>\nint main(void){puts("hi");return 0;}\n'),
           "stdin": b64("")}
    job.update(extra)
    return job


class Executor:
    """Speaks the executor protocol with one executor token and id."""

    def __init__(self, client, runtimes, name="test-executor"):
        self.c = client
        self.id = str(uuid.uuid4())
        self.name = name
        self.runtimes = list(runtimes)

    def lease_raw(self, max_jobs=1, wait=0, **extra):
        body = {"executor_id": self.id, "name": self.name, "runtimes": self.runtimes,
                "max_jobs": max_jobs, "wait": wait}
        body.update(extra)
        return self.c.post("/executor/lease", body)

    def lease(self, max_jobs=1, wait=0, **extra):
        r = self.lease_raw(max_jobs, wait, **extra)
        assert r.status == 200, r
        return r.json()["jobs"]

    def lease_one(self, wait=10):
        """Lease until one job comes (a deadline, not a timing assertion)."""
        deadline = time.monotonic() + wait
        while True:
            jobs = self.lease(1, wait=max(0.1, min(2.0, deadline - time.monotonic())))
            if jobs:
                assert len(jobs) == 1
                return jobs[0]
            if time.monotonic() > deadline:
                raise AssertionError("no job leased")

    def heartbeat(self, leases):
        return self.c.post("/executor/heartbeat", {
            "executor_id": self.id,
            "leases": [{"job_id": j["id"], "lease": j["lease"]} for j in leases]})

    def release(self, leases):
        return self.c.post("/executor/release", {
            "executor_id": self.id,
            "leases": [{"job_id": j["id"], "lease": j["lease"]} for j in leases]})

    def result(self, job_id, lease, **outcome):
        body = {"lease": lease}
        body.update(outcome)
        return self.c.put("/jobs/%s/result" % job_id, body)

    def complete(self, leased, **outcome):
        outcome.setdefault("status", "completed")
        outcome.setdefault("verdict", "OK")
        return self.result(leased["id"], leased["lease"], **outcome)


# ---------------------------------------------------------------- processes


class PgCluster:
    def __init__(self, directory):
        self.dir = directory
        out = subprocess.run([PG_SH, "start", directory], capture_output=True, text=True,
                             timeout=120)
        if out.returncode != 0:
            raise RuntimeError("pg.sh start failed: " + out.stderr)
        self.url = out.stdout.strip().splitlines()[-1]
        self.base = self.url.rsplit("/", 1)[0]
        self._dbs = itertools.count()

    def stop(self):
        subprocess.run([PG_SH, "stop", self.dir], capture_output=True, timeout=120)

    def start(self):
        out = subprocess.run([PG_SH, "start", self.dir], capture_output=True, text=True,
                             timeout=120)
        assert out.returncode == 0, out.stderr

    def restart(self):
        out = subprocess.run([PG_SH, "restart", self.dir], capture_output=True, text=True,
                             timeout=120)
        assert out.returncode == 0, out.stderr

    def fresh_database(self):
        """A new empty database in this cluster; returns its URL."""
        name = "jg_%d_%s" % (next(self._dbs), uuid.uuid4().hex[:8])
        psql(self.base + "/postgres", "CREATE DATABASE " + name)
        return self.base + "/" + name


def run_gateway_cmd(args, url, timeout=60):
    return subprocess.run([GATEWAY_BIN] + args + ["--database", url], capture_output=True,
                          text=True, timeout=timeout)


def create_token(url, role, name=None, tenant=None):
    """jobgate-gateway token create: returns (id, secret); the secret is the last line."""
    name = name or "%s-%s" % (role, uuid.uuid4().hex[:10])
    args = ["token", "create", "--role", role, "--name", name]
    if tenant:
        args += ["--tenant", tenant]
    out = run_gateway_cmd(args, url)
    assert out.returncode == 0, out.stderr
    lines = out.stdout.strip().splitlines()
    secret = lines[-1].strip()
    token_id = int(lines[0].split(" token ")[1].split()[0])
    return token_id, secret


class Gateway:
    def __init__(self, url, workdir, extra_args=(), env=None):
        self.url = url
        self.port = free_port()
        self.log_path = os.path.join(workdir, "gateway-%d.log" % self.port)
        self.log = open(self.log_path, "wb")
        args = [GATEWAY_BIN, "--database", url, "--listen", "127.0.0.1:%d" % self.port]
        args += FAST_OPTIONS + list(extra_args)
        full_env = dict(os.environ)
        full_env.update(env or {})
        self.proc = subprocess.Popen(args, stdout=self.log, stderr=subprocess.STDOUT,
                                     env=full_env)
        self.client = Client(self.port)
        self.returncode = None

    def wait_ready(self, timeout=30):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError("gateway exited with %s:\n%s" % (self.proc.returncode,
                                                                      self.log_tail()))
            try:
                if self.client.get("/readyz", timeout=2).status == 200:
                    return self
            except OSError:
                pass
            time.sleep(0.05)
        raise AssertionError("gateway not ready:\n" + self.log_tail())

    def alive(self):
        return self.proc.poll() is None

    def log_text(self):
        if not self.log.closed:
            self.log.flush()
        with open(self.log_path, "rb") as f:
            return f.read().decode(errors="replace")

    def log_tail(self, n=40):
        return "\n".join(self.log_text().splitlines()[-n:])

    def terminate(self, timeout=STOP_TIMEOUT):
        """SIGTERM and wait; returns the exit code (kills it if it does not stop)."""
        if self.returncode is not None:
            return self.returncode
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                self.returncode = "did not stop within %ss" % timeout
                self.log.close()
                return self.returncode
        self.returncode = self.proc.returncode
        self.log.close()
        return self.returncode

    def tokens(self, role="client", tenant=None, name=None):
        return create_token(self.url, role, name=name, tenant=tenant)[1]


@pytest.fixture(scope="session")
def workdir():
    d = tempfile.mkdtemp(prefix="jobgate-itest-")
    os.chmod(d, 0o755)  # pg.sh runs PostgreSQL as the postgres user when we are root
    yield d
    if os.environ.get("JOBGATE_KEEP_TEST_DIR") != "1":
        shutil.rmtree(d, ignore_errors=True)


@pytest.fixture(scope="session")
def pg(workdir):
    assert os.access(GATEWAY_BIN, os.X_OK), "build the gateway first: %s" % GATEWAY_BIN
    cluster = PgCluster(os.path.join(workdir, "pg"))
    yield cluster
    cluster.stop()


@pytest.fixture(scope="session")
def pg_url(pg):
    return pg.url


def _stop_checked(gw):
    rc = gw.terminate()
    assert rc == 0, "gateway exit status %r; log:\n%s" % (rc, gw.log_tail())


@pytest.fixture(scope="session")
def session_gateway(pg_url, workdir):
    gw = Gateway(pg_url, workdir).wait_ready()
    yield gw
    _stop_checked(gw)


BAD_LOG_MARKERS = ("internal error", "error db:", "error http:", "AddressSanitizer",
                   "runtime error:")


@pytest.fixture
def gateway(session_gateway):
    """The shared gateway; after each test its log must show no internal or SQL errors."""
    before = len(session_gateway.log_text())
    yield session_gateway
    assert session_gateway.alive(), "the gateway died:\n" + session_gateway.log_tail()
    new = session_gateway.log_text()[before:]
    bad = [l for l in new.splitlines() if any(m in l for m in BAD_LOG_MARKERS)]
    assert not bad, "gateway logged errors:\n" + "\n".join(bad[:20])


@pytest.fixture
def gateway_factory(pg_url, workdir):
    """Start more gateways: factory(url=None, extra_args=()) -> ready Gateway; all must exit 0."""
    started = []

    def start(url=None, extra_args=(), ready=True):
        gw = Gateway(url or pg_url, workdir, extra_args)
        started.append(gw)
        return gw.wait_ready() if ready else gw

    yield start
    failures = []
    for gw in started:
        rc = gw.terminate()
        if rc != 0:
            failures.append("gateway on port %d exit status %r:\n%s" % (gw.port, rc,
                                                                        gw.log_tail()))
    assert not failures, "\n".join(failures)


class Tokens:
    """Fresh tokens (and so fresh tenants) for one test."""

    def __init__(self, url, port):
        self.url = url
        self.port = port

    def secret(self, role="client", tenant=None):
        return create_token(self.url, role, tenant=tenant)[1]

    def create(self, role="client", tenant=None):
        return create_token(self.url, role, tenant=tenant)

    def client(self, role="client", tenant=None, port=None):
        return Client(port or self.port, self.secret(role, tenant))


@pytest.fixture
def tokens(pg_url, gateway):
    return Tokens(pg_url, gateway.port)


@pytest.fixture
def client(tokens):
    """A client-role HTTP client of a brand-new tenant."""
    return tokens.client("client")


@pytest.fixture
def admin(tokens):
    return tokens.client("admin")


_runtime_pool = iter(TEST_RUNTIMES[:-8])  # the last few are named by tests that need their own


@pytest.fixture
def runtime():
    """A catalog runtime no other test uses: leases of it see only this test's jobs."""
    try:
        return next(_runtime_pool)
    except StopIteration:
        pytest.fail("out of test runtimes: add more to TEST_RUNTIMES")


@pytest.fixture
def executor(tokens, runtime):
    return Executor(tokens.client("executor"), [runtime])


@pytest.fixture
def short_executor(tokens, runtime, gateway_factory):
    """An executor whose leases (1.5 s) expire within a test: it talks to a gateway of its own."""
    gw = gateway_factory(extra_args=SHORT_LEASE)
    return Executor(Client(gw.port, tokens.secret("executor")), [runtime])
