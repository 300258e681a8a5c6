"""Network access is off by default and granted by the administrator per label or runtime
(jobgate-executor --allow-network-labels / --allow-network-runtimes): a job that says so by label gets
the executor's network; every other job still has none."""
from __future__ import annotations

import http.server
import threading

import pytest

import jobgate
from stack import Stack

NET = {"labels": {"network": "host"}}


def fetch(url):
    import urllib.request
    with urllib.request.urlopen(url, timeout=10) as r:
        return r.status, r.read().decode()


@pytest.fixture(scope="module")
def site():
    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            body = ("page %s" % self.path).encode()
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield "http://127.0.0.1:%d" % server.server_address[1]
    server.shutdown()


@pytest.fixture(scope="module")
def netstack():
    s = Stack()
    try:
        s.start_executor("--allow-network-labels", "network=host,net=other", slots=2)
        yield s
    finally:
        s.stop()


@pytest.fixture
def netclient(netstack):
    c = jobgate.Client(netstack.url, netstack.client_token)
    yield c
    c.close()


def test_labelled_job_reaches_the_network(netclient, site):
    assert netclient.submit(fetch, site + "/a", options=NET).result(60) == (200, "page /a")
    assert netclient.submit(fetch, site + "/b", options={"labels": {"net": "other"}}).result(60) == (200, "page /b")


def test_other_jobs_stay_offline(netclient, site):
    with pytest.raises(jobgate.ForbiddenSyscall):
        netclient.submit(fetch, site + "/a").result(60)
    with pytest.raises(jobgate.ForbiddenSyscall):  # a label value that is not granted
        netclient.submit(fetch, site + "/a", options={"labels": {"network": "yes"}}).result(60)


def test_grant_is_per_job_not_per_box(netclient, site):
    # The same slots run labelled and unlabelled jobs alternately; the network never carries over.
    outcomes = []
    for k in range(4):
        f = netclient.submit(fetch, site + "/%d" % k, options=NET if k % 2 == 0 else None)
        try:
            outcomes.append(f.result(60)[0])
        except jobgate.ForbiddenSyscall:
            outcomes.append("SYS")
    assert outcomes == [200, "SYS", 200, "SYS"]


def test_runtime_grant(site):
    s = Stack()
    try:
        s.start_executor("--allow-network-runtimes", "python3", slots=1)
        with jobgate.Client(s.url, s.client_token) as c:
            assert c.submit(fetch, site + "/rt").result(60) == (200, "page /rt")
    finally:
        s.stop()
