"""The API walk of `scripts/openapi-prism-check.sh smoke`: every request goes through
`prism proxy --errors` (PRISM_PORT); an answer prism finds non-conforming is a failure.
Tokens are read from $WORK/{client,executor,admin}."""
import base64
import http.client
import json
import os
import sys
import uuid

PORT = int(os.environ["PRISM_PORT"])
WORK = os.environ["WORK"]
TOK = {r: open(os.path.join(WORK, r)).read().strip() for r in ("client", "executor", "admin")}
failures = []
count = 0


def b64(s):
    return base64.b64encode(s.encode() if isinstance(s, str) else s).decode()


def req(method, path, body=None, role="client", expect=None, headers=None, raw=None,
        ctype="application/json"):
    global count
    count += 1
    h = dict(headers or {})
    if role:
        h["Authorization"] = "Bearer " + TOK[role]
    data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
    if data is not None and ctype:
        h["Content-Type"] = ctype
    c = http.client.HTTPConnection("127.0.0.1", PORT, timeout=60)
    c.request(method, path, body=data, headers=h)
    r = c.getresponse()
    payload = r.read()
    c.close()
    violations = r.getheader("sl-violations")
    what = "%s %s -> %d" % (method, path, r.status)
    if violations or b"prism/errors#" in payload:
        failures.append("%s: %s %s" % (what, violations or "", payload[:600].decode(errors="replace")))
    elif expect is not None and r.status != expect:
        failures.append("%s, expected %d: %s" % (what, expect, payload[:300]))
    try:
        return json.loads(payload)
    except ValueError:
        return None


FN = {"runtime": "python3", "kind": "function", "code": b64("def f(x):\n    return x\n"),
      "entrypoint": "f", "args": [1], "labels": {"smoke": "1"}}
PROG = {"runtime": "c11", "kind": "program", "code": b64("int main(void){return 0;}\n"),
        "tests": [{"input": b64("1\n"), "expected": b64("1\n")}], "checker": "tokens"}

def walk():
    for path in ("/healthz", "/readyz", "/metrics"):
        req("GET", path, role=None, expect=200)
    req("GET", "/runtimes", expect=200)

    key = uuid.uuid4().hex
    job = req("POST", "/jobs", FN, expect=201, headers={"Idempotency-Key": key})
    req("POST", "/jobs", FN, expect=201, headers={"Idempotency-Key": key})
    req("POST", "/jobs", dict(FN, args=[2]), expect=409, headers={"Idempotency-Key": key})
    req("POST", "/jobs", dict(FN, code="*"), expect=422)
    req("POST", "/jobs", raw=b"{", expect=400)
    req("POST", "/jobs", raw=b"{}", ctype="text/plain", expect=415)
    # (No token: prism answers a 401 itself, whatever --validate-request says; not forwarded.)
    req("POST", "/jobs", FN, role="executor", expect=403)
    batch = req("POST", "/jobs/batch", {"jobs": [PROG, {"runtime": "python3", "kind": "call",
                                                        "code": b64(b"\x80\x04K\x05.")}]}, expect=201)
    page = req("GET", "/jobs?status=queued&limit=1", expect=200)
    if page and page.get("next_cursor"):
        req("GET", "/jobs?limit=1&cursor=" + page["next_cursor"], expect=200)
    req("GET", "/jobs?label=smoke=1", expect=200)
    req("GET", "/jobs?limit=0", expect=400)
    req("GET", "/jobs/%s?wait=0.1" % job["id"], expect=200)
    req("GET", "/jobs/" + str(uuid.uuid4()), expect=404)

    ex = str(uuid.uuid4())
    leased = req("POST", "/executor/lease", {"executor_id": ex, "name": "smoke", "max_jobs": 10,
                                             "runtimes": ["python3", "c11"], "wait": 1},
                 role="executor", expect=200)["jobs"]
    refs = [{"job_id": j["id"], "lease": j["lease"]} for j in leased]
    req("POST", "/executor/lease", {"executor_id": ex, "name": "smoke", "runtimes": ["nope"]},
        role="executor", expect=422)
    req("DELETE", "/jobs/" + batch["jobs"][1]["id"], expect=200)
    req("POST", "/executor/heartbeat", {"executor_id": ex, "leases": refs}, role="executor",
        expect=200)
    req("POST", "/executor/heartbeat", {"executor_id": str(uuid.uuid4()), "leases": []},
        role="executor", expect=404)
    mine = next(j for j in leased if j["id"] == job["id"])
    res = {"lease": mine["lease"], "status": "completed", "verdict": "OK", "value": 1,
           "usage": {"cpu_ms": 1, "wall_ms": 1, "memory_kb": 1}}
    req("PUT", "/jobs/%s/result" % job["id"], dict(res, lease=str(uuid.uuid4())), role="executor",
        expect=409)
    req("PUT", "/jobs/%s/result" % job["id"], dict(res, verdict="nope"), role="executor", expect=422)
    req("PUT", "/jobs/%s/result" % job["id"], res, role="executor", expect=200)
    req("GET", "/jobs/%s?wait=1" % job["id"], expect=200)
    req("DELETE", "/jobs/" + job["id"], expect=409)
    req("POST", "/executor/release", {"executor_id": ex, "leases": refs}, role="executor", expect=200)

    tok = req("POST", "/admin/tokens", {"role": "client", "name": "smoke-" + uuid.uuid4().hex[:6]},
              role="admin", expect=201)
    req("GET", "/admin/tokens", role="admin", expect=200)
    req("DELETE", "/admin/tokens/%d" % tok["id"], role="admin", expect=200)
    req("DELETE", "/admin/tokens/%d" % tok["id"], role="admin", expect=404)


try:
    walk()
except (KeyError, TypeError, StopIteration) as e:  # an earlier answer was not what it should be
    failures.append("the walk stopped: %r" % e)
if failures:
    print("openapi-prism-check: %d of %d answers failed:" % (len(failures), count))
    for f in failures:
        print("  " + f)
    sys.exit(1)
print("openapi-prism-check: %d answers, all conform to openapi/openapi.yaml (checked by prism)"
      % count)
