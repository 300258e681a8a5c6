"""Authentication, roles, and the admin token endpoints."""
import uuid

import pytest

from conftest import Client, assert_problem, call_job, create_token, wait_until


def test_no_token_is_401(gateway):
    c = Client(gateway.port)
    for method, path in [("GET", "/jobs"), ("POST", "/jobs"), ("GET", "/jobs/" + str(uuid.uuid4())),
                         ("POST", "/executor/lease"), ("GET", "/admin/tokens"),
                         ("GET", "/runtimes")]:
        r = c.request(method, path, body={} if method == "POST" else None)
        assert_problem(r, 401, "unauthorized")
        assert r.header("WWW-Authenticate").startswith("Bearer")


@pytest.mark.parametrize("header", [
    "Bearer jgc_0000000000000000000000000000000000000000000000000000000000000000",
    "Bearer ", "Bearer " + "x" * 300, "Basic dXNlcjpwYXNz", "jgc_abc", "Bearer\tx",
])
def test_bad_token_is_401(gateway, header):
    r = Client(gateway.port).get("/jobs", headers={"Authorization": header})
    assert_problem(r, 401, "unauthorized")


def test_x_auth_token_header_accepted(tokens, gateway):
    secret = tokens.secret("client")
    r = Client(gateway.port).get("/jobs", headers={"X-Auth-Token": secret})
    assert r.status == 200, r


def test_wrong_role_is_403(tokens):
    executor = tokens.client("executor")
    client = tokens.client("client")
    assert_problem(executor.post("/jobs", call_job()), 403, "forbidden")
    assert_problem(executor.get("/jobs"), 403, "forbidden")
    assert_problem(executor.post("/jobs/batch", {"jobs": [call_job()]}), 403, "forbidden")
    assert_problem(client.get("/admin/tokens"), 403, "forbidden")
    assert_problem(client.post("/admin/tokens", {"role": "admin", "name": "me"}), 403,
                   "forbidden")
    assert_problem(executor.get("/admin/tokens"), 403, "forbidden")
    assert_problem(client.delete("/admin/tokens/1"), 403, "forbidden")
    # Any role may read the runtimes.
    assert executor.get("/runtimes").status == 200
    assert client.get("/runtimes").status == 200


def test_health_endpoints_need_no_token(gateway):
    c = Client(gateway.port)
    assert c.get("/healthz").status == 200
    assert c.get("/readyz").status == 200
    assert c.get("/metrics").status == 200


def test_admin_token_lifecycle(admin, gateway):
    tenant = "t-" + uuid.uuid4().hex[:8]
    r = admin.post("/admin/tokens", {"role": "client", "name": "svc-" + tenant, "tenant": tenant})
    assert r.status == 201, r
    doc = r.json()
    assert doc["role"] == "client" and doc["tenant"] == tenant and doc["name"] == "svc-" + tenant
    assert isinstance(doc["id"], int) and doc["token"].startswith("jgc_")
    secret = doc["token"]

    user = Client(gateway.port, secret)
    job = user.post("/jobs", call_job())
    assert job.status == 201

    listing = admin.get("/admin/tokens")
    assert listing.status == 200, listing
    mine = [t for t in listing.json()["tokens"] if t["id"] == doc["id"]]
    assert len(mine) == 1
    t = mine[0]
    assert t["role"] == "client" and t["tenant"] == tenant and t["revoked_at"] is None
    assert secret not in listing.body.decode()  # secrets are never shown again
    assert secret.startswith(t["prefix"]) and len(t["prefix"]) < len(secret)
    assert "token" not in t and "secret_hash" not in t

    r = admin.delete("/admin/tokens/%d" % doc["id"])
    assert r.status == 200 and r.json() == {"id": doc["id"], "revoked": True}, r
    assert_problem(user.get("/jobs"), 401, "unauthorized")
    assert_problem(user.get("/jobs/" + job.json()["id"]), 401, "unauthorized")
    t = [t for t in admin.get("/admin/tokens").json()["tokens"] if t["id"] == doc["id"]][0]
    assert t["revoked_at"] is not None
    assert_problem(admin.delete("/admin/tokens/%d" % doc["id"]), 404, "not-found")


@pytest.mark.parametrize("path", ["/admin/tokens/0", "/admin/tokens/abc", "/admin/tokens/-1",
                                  "/admin/tokens/99999999999", "/admin/tokens/1x"])
def test_admin_revoke_unknown(admin, path):
    assert_problem(admin.delete(path), 404, "not-found")


@pytest.mark.parametrize("body,field", [
    ({"role": "root", "name": "x"}, "role"),
    ({"name": "x"}, "role"),
    ({"role": "client"}, "name"),
    ({"role": "client", "name": ""}, "name"),
    ({"role": "client", "name": "has space"}, "name"),
    ({"role": "client", "name": "ok", "tenant": "bad/tenant"}, "tenant"),
    ({"role": "client", "name": "ok", "tenant": 5}, "tenant"),
    ({"role": "client", "name": "ok", "extra": 1}, "extra"),
    ([], ""),
])
def test_admin_create_invalid(admin, body, field):
    assert_problem(admin.post("/admin/tokens", body), 422, "invalid-field", field)


def test_cli_token_create_and_roles(pg_url, gateway):
    for role, prefix in [("client", "jgc_"), ("executor", "jge_"), ("admin", "jga_")]:
        token_id, secret = create_token(pg_url, role)
        assert token_id > 0 and secret.startswith(prefix) and len(secret) >= 36
    from conftest import run_gateway_cmd
    bad = run_gateway_cmd(["token", "create", "--role", "superuser", "--name", "x"], pg_url)
    assert bad.returncode != 0
    missing = run_gateway_cmd(["token", "create", "--role", "client"], pg_url)
    assert missing.returncode != 0


def test_revoked_token_refused_on_a_second_gateway(tokens, admin, gateway, gateway_factory):
    """Gateway B has verified (and cached) the token; a revocation through A reaches it."""
    other = gateway_factory(extra_args=["--token-cache", "3600"])
    token_id, secret = tokens.create("client")
    on_b = Client(other.port, secret)
    for _ in range(8):  # reach every worker thread's cache
        assert on_b.get("/jobs").status == 200
    assert admin.delete("/admin/tokens/%d" % token_id).status == 200
    # Wake-ups cross gateways through NOTIFY, so allow it a moment, then every request is 401.
    wait_until(lambda: on_b.get("/jobs").status == 401, timeout=10, what="the revocation")
    for _ in range(8):
        assert_problem(on_b.get("/jobs"), 401, "unauthorized")


def test_cli_revoke_reaches_running_gateway(tokens, gateway, pg_url):
    from conftest import run_gateway_cmd
    token_id, secret = tokens.create("client")
    c = Client(gateway.port, secret)
    assert c.get("/jobs").status == 200
    out = run_gateway_cmd(["token", "revoke", str(token_id)], pg_url)
    assert out.returncode == 0, out.stderr
    wait_until(lambda: c.get("/jobs").status == 401, timeout=15, what="the revocation")
