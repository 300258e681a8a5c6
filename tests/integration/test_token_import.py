"""`token create --secret-env VAR`: a token whose secret a deployment keeps (the Helm chart's Secret)."""
import os
import secrets
import subprocess

from conftest import GATEWAY_BIN, Client, assert_problem


def create(url, role, secret, name="deploy", env_name="JG_SECRET"):
    env = dict(os.environ, **({env_name: secret} if secret is not None else {}))
    env.pop("JOBGATE_DATABASE_URL", None)
    return subprocess.run([GATEWAY_BIN, "token", "create", "--role", role, "--name", name, "--secret-env", env_name,
                           "--database", url], capture_output=True, text=True, timeout=60, env=env)


def test_imported_secret_authenticates_and_import_is_idempotent(pg_url, gateway):
    secret = "jge_" + secrets.token_hex(32)
    first = create(pg_url, "executor", secret)
    assert first.returncode == 0 and first.stdout.startswith("created executor token"), first
    assert secret not in first.stdout  # the deployment has it already: never echoed
    again = create(pg_url, "executor", secret)
    assert again.returncode == 0 and again.stdout.startswith("kept executor token"), again
    assert first.stdout.split()[3] == again.stdout.split()[3]  # the same token id
    r = Client(gateway.port).get("/jobs", headers={"Authorization": "Bearer " + secret})
    assert_problem(r, 403, "forbidden")  # authenticated, as an executor


def test_import_refuses_bad_secrets(pg_url):
    good = secrets.token_hex(32)
    for role, secret in [("executor", "jgc_" + good),          # another role's prefix
                         ("client", "jgc_" + good[:-1]),        # too short
                         ("client", "jgc_" + good.upper()),     # not lowercase hex
                         ("client", "jgc_" + good[:-1] + "g"),  # not hex
                         ("client", "")]:                       # empty: not set
        out = create(pg_url, role, secret)
        assert out.returncode == 2, (role, secret, out)
    out = create(pg_url, "client", None)
    assert out.returncode == 2 and "JG_SECRET is not set" in out.stderr, out

