"""Self-test of contract.py: it must pass conforming answers and fail non-conforming ones.
No gateway or database needed. Runs under pytest, or alone: python3 test_contract_selftest.py
"""
import copy
import json
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import contract  # noqa: E402
from contract import ContractError, check_request_body, check_response  # noqa: E402

JOB_ID = "2c043531-1d02-4e03-ab25-2bee829c2632"
LEASE = "e4d4b8e7-ac21-441d-9e48-932f834b8492"
COMMON = {"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"}

JOB = {
    "id": JOB_ID, "status": "queued", "runtime": "python3", "kind": "function", "priority": 0,
    "max_attempts": 3, "attempts": 0, "labels": {"a": "b"},
    "limits": {"cpu_ms": 5000, "wall_ms": 10000, "memory_mb": 256, "output_kb": 1024,
               "processes": 32},
    "verdict": None, "created_at": "2026-11-21T17:42:52.182253Z", "started_at": None,
    "finished_at": None,
}


def hdrs(content_type="application/json", **extra):
    h = dict(COMMON)
    if content_type:
        h["Content-Type"] = content_type
    h.update({k.replace("_", "-"): v for k, v in extra.items()})
    return h


def body(doc):
    return json.dumps(doc).encode()


def problem(status, slug, title, instance, field=None, detail="x"):
    doc = {"type": "urn:jobgate:problem:" + slug, "title": title, "status": status,
           "detail": detail, "instance": instance}
    if field:
        doc["field"] = field
    return body(doc)


class ResponseChecks(unittest.TestCase):
    def assertFails(self, *args, match=None):
        with self.assertRaises(ContractError) as ctx:
            check_response(*args)
        if match:
            self.assertIn(match, str(ctx.exception))
        return str(ctx.exception)

    # ---- conforming answers pass

    def test_created_job_passes(self):
        doc = check_response("POST", "/jobs", 201, hdrs(Location="/jobs/" + JOB_ID), body(JOB))
        self.assertEqual(doc["id"], JOB_ID)

    def test_template_and_concrete_paths(self):
        finished = dict(JOB, status="completed", verdict="OK", attempts=1,
                        started_at="2026-11-21T17:42:56.073471Z",
                        finished_at="2026-11-21T17:42:56.211943Z", value={"any": [1, "json"]},
                        usage={"cpu_ms": 1, "wall_ms": 2, "memory_kb": 3}, stdout="",
                        stdout_truncated=False, exit_code=None)
        check_response("GET", "/jobs/{id}", 200, hdrs(), body(finished))
        check_response("GET", "/jobs/%s?wait=5" % JOB_ID, 200, hdrs(), body(finished))

    def test_header_list_and_case(self):
        pairs = [("content-type", "application/json; charset=utf-8"),
                 ("cache-control", "no-store"), ("x-content-type-options", "nosniff")]
        check_response("GET", "/healthz", 200, pairs, b'{"status":"ok"}')

    def test_problem_passes(self):
        check_response("POST", "/jobs", 422, hdrs("application/problem+json"),
                       problem(422, "invalid-field", "Invalid field", "/jobs", "limits.cpu_ms"))

    def test_list_page_passes(self):
        check_response("GET", "/jobs", 200, hdrs(), body({"jobs": [JOB], "next_cursor": "17"}))
        check_response("GET", "/jobs", 200, hdrs(), body({"jobs": [], "next_cursor": None}))

    def test_jobs_batch_literal_wins_and_get_batch_is_a_job_lookup(self):
        check_response("POST", "/jobs/batch", 201, hdrs(), body({"jobs": [JOB]}))
        check_response("GET", "/jobs/batch", 404, hdrs("application/problem+json"),
                       problem(404, "not-found", "Not found", "/jobs/batch", "id"))

    def test_lease_and_heartbeat_pass(self):
        lease = {"jobs": [{"id": JOB_ID, "attempt": 1, "lease": LEASE,
                           "lease_expires_at": "2026-11-21T17:42:59.074847Z",
                           "runtime": "python3", "kind": "function", "max_attempts": 3,
                           "labels": {},
                           "spec": {"runtime": "python3", "kind": "function", "code": "ZGVm",
                                    "entrypoint": "f", "args": [], "kwargs": {},
                                    "limits": JOB["limits"]}}],
                 "lease_ttl_ms": 30000}
        check_response("POST", "/executor/lease", 200, hdrs(), body(lease))
        hb = {"leases": [], "cancel": [{"job_id": JOB_ID, "reason": "lease_lost"}],
              "lease_ttl_ms": 3000}
        check_response("POST", "/executor/heartbeat", 200, hdrs(), body(hb))

    def test_metrics_text(self):
        check_response("GET", "/metrics", 200, hdrs("text/plain; version=0.0.4"),
                       b"# HELP x y\nx 1\n")

    def test_405_and_unknown_path(self):
        check_response("PUT", "/jobs/" + JOB_ID, 405,
                       hdrs("application/problem+json", Allow="GET, DELETE"),
                       problem(405, "method-not-allowed", "Method not allowed", "/jobs/" + JOB_ID))
        check_response("GET", "/nope", 404, hdrs("application/problem+json"),
                       problem(404, "not-found", "Not found", "/nope"))

    def test_503_needs_retry_after(self):
        doc = problem(503, "queue-full", "Queue full", "/jobs")
        check_response("POST", "/jobs", 503, hdrs("application/problem+json", Retry_After="5"),
                       doc)
        self.assertFails("POST", "/jobs", 503, hdrs("application/problem+json"), doc,
                         match="Retry-After is required")

    # ---- non-conforming answers fail

    def test_missing_required_field_fails(self):
        bad = dict(JOB)
        del bad["status"]
        self.assertFails("GET", "/jobs/" + JOB_ID, 200, hdrs(), body(bad), match="'status'")

    def test_unknown_field_fails(self):
        self.assertFails("GET", "/jobs/" + JOB_ID, 200, hdrs(), body(dict(JOB, tenant="x")),
                         match="tenant")

    def test_listed_job_has_no_outcome(self):
        self.assertFails("GET", "/jobs", 200, hdrs(),
                         body({"jobs": [dict(JOB, value=1)], "next_cursor": None}),
                         match="value")

    def test_bad_enum_type_and_format_fail(self):
        for change in ({"status": "done"}, {"verdict": "MAYBE"}, {"attempts": "1"},
                       {"created_at": "yesterday"}, {"id": "not-a-uuid"},
                       {"limits": {"cpu_ms": 1}}, {"stdout": "not base64!"}):
            with self.subTest(change=change):
                self.assertFails("GET", "/jobs/" + JOB_ID, 200, hdrs(), body(dict(JOB, **change)))

    def test_undocumented_status_fails(self):
        self.assertFails("GET", "/healthz", 201, hdrs(), b'{"status":"ok"}',
                         match="not documented")

    def test_wrong_content_type_fails(self):
        self.assertFails("POST", "/jobs", 422, hdrs("application/json"),
                         problem(422, "invalid-field", "Invalid field", "/jobs"),
                         match="Content-Type")

    def test_missing_location_fails(self):
        self.assertFails("POST", "/jobs", 201, hdrs(), body(JOB), match="Location")

    def test_wrong_problem_slug_fails(self):
        self.assertFails("POST", "/jobs", 422, hdrs("application/problem+json"),
                         problem(422, "bad-field", "Invalid field", "/jobs"))

    def test_problem_status_mismatch_fails(self):
        self.assertFails("DELETE", "/jobs/" + JOB_ID, 409, hdrs("application/problem+json"),
                         problem(409, "job-finished", "Job already finished", "/jobs/x", "id"),
                         match="instance")

    def test_not_json_fails(self):
        self.assertFails("GET", "/healthz", 200, hdrs(), b"ok", match="not JSON")

    def test_common_headers_required(self):
        self.assertFails("GET", "/healthz", 200, {"Content-Type": "application/json"},
                         b'{"status":"ok"}', match="cache-control")

    def test_wrong_allow_fails(self):
        self.assertFails("PUT", "/jobs/" + JOB_ID, 405,
                         hdrs("application/problem+json", Allow="GET"),
                         problem(405, "method-not-allowed", "Method not allowed",
                                 "/jobs/" + JOB_ID), match="Allow")

    def test_documented_method_answered_405_fails(self):
        self.assertFails("GET", "/jobs", 405, hdrs("application/problem+json", Allow="POST"),
                         problem(405, "method-not-allowed", "Method not allowed", "/jobs"))


class RequestChecks(unittest.TestCase):
    def test_valid_requests(self):
        check_request_body("POST", "/jobs", {"runtime": "python3", "kind": "function",
                                             "code": "ZGVm", "entrypoint": "f", "args": [1]})
        check_request_body("POST", "/jobs", {
            "runtime": "c11", "kind": "program", "code": "ZGVm",
            "tests": [{"input": "", "expected": "Mwo=", "points": 1}],
            "checker": {"type": "float", "abs_tol": 1e-6}, "stop_on_failure": True})
        check_request_body("PUT", "/jobs/%s/result" % JOB_ID,
                           {"lease": LEASE, "status": "failed", "error": {"type": "X"}})

    def test_invalid_requests(self):
        bad = [
            ("POST", "/jobs", {"runtime": "python3", "kind": "call", "code": "ZGVm",
                               "entrypoint": "f"}),
            ("POST", "/jobs", {"runtime": "python3", "kind": "function", "code": "ZGVm",
                               "entrypoint": "f", "args": [], "tests": [{"args": [],
                                                                         "expected": 1}]}),
            ("POST", "/jobs", {"runtime": "c11", "kind": "program", "code": "ZGVm",
                               "checker": "exact"}),
            ("POST", "/jobs", {"runtime": "c11", "kind": "program", "code": ""}),
            ("POST", "/jobs", {"runtime": "c11", "kind": "program", "code": "ZGVm",
                               "limits": {"cpu_ms": 0}}),
            ("PUT", "/jobs/{id}/result", {"lease": LEASE, "status": "failed", "verdict": "OK"}),
            ("PUT", "/jobs/{id}/result", {"lease": LEASE, "status": "completed"}),
            ("POST", "/executor/heartbeat", {"executor_id": LEASE}),
        ]
        for method, path, doc in bad:
            with self.subTest(doc=doc):
                with self.assertRaises(ContractError):
                    check_request_body(method, path, doc)


class SpecExamples(unittest.TestCase):
    """Every example in the document validates against its schema (independently of redocly)."""

    def test_examples_validate(self):
        spec = contract.load_spec()
        count = 0
        for template, item in spec["paths"].items():
            for method, op in item.items():
                if method not in contract.METHODS:
                    continue
                media_sets = []
                rb = contract._deref(op.get("requestBody") or {}, spec)
                media_sets.append(("request", rb.get("content") or {}))
                for status, resp in op["responses"].items():
                    resp = contract._deref(resp, spec)
                    media_sets.append((status, resp.get("content") or {}))
                for where, content in media_sets:
                    for media, mt in content.items():
                        examples = [e["value"] for e in (mt.get("examples") or {}).values()]
                        if "example" in mt:
                            examples.append(mt["example"])
                        for ex in examples:
                            if not isinstance(ex, (dict, list)):
                                continue
                            count += 1
                            errs = contract.validate_schema(mt["schema"], ex, spec)
                            self.assertEqual(errs, [], "%s %s %s" % (method, template, where))
        self.assertGreater(count, 20)

    def test_broken_example_is_caught(self):
        spec = copy.deepcopy(contract.load_spec())
        mt = spec["paths"]["/jobs"]["post"]["requestBody"]["content"]["application/json"]
        ex = mt["examples"]["call"]["value"]
        ex["priority"] = 1000
        self.assertNotEqual(contract.validate_schema(mt["schema"], ex, spec), [])

    def test_every_operation_has_an_id_and_roles(self):
        spec = contract.load_spec()
        for template, item in spec["paths"].items():
            for method, op in item.items():
                if method in contract.METHODS:
                    self.assertIn("operationId", op)
                    self.assertIn("x-roles", op, "%s %s" % (method, template))


if __name__ == "__main__":
    unittest.main()
