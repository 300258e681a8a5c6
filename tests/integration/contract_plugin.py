"""pytest plugin: check every response the integration tests receive against openapi.yaml.

    PYTHONPATH=tests/integration python3 -m pytest -p contract_plugin tests/integration

It wraps conftest.Client.request, so every answer any test gets goes through
contract.check_response. Violations do not interrupt the tests; they are collected, printed at
the end with the request that caused them, and make the session fail. The summary also lists the
documented (operation, status) pairs that no test produced. JOBGATE_CONTRACT_STRICT=1 raises at
the first violation instead (inside the test that caused it).
"""
import os
import sys

import pytest

import contract

_violations = []
_patched = False


def _wrap(client_cls):
    original = client_cls.request

    def request(self, method, path, *args, **kwargs):
        resp = original(self, method, path, *args, **kwargs)
        try:
            contract.check_response(method, path, resp.status, resp.headers, resp.body)
        except contract.ContractError as e:
            if os.environ.get("JOBGATE_CONTRACT_STRICT") == "1":
                raise
            _violations.append(str(e))
        return resp

    request.__wrapped__ = original
    client_cls.request = request


def _patch():
    global _patched
    if _patched:
        return
    mod = sys.modules.get("conftest")
    if mod is None or not hasattr(mod, "Client"):
        return
    _wrap(mod.Client)
    _patched = True


@pytest.hookimpl(trylast=True)
def pytest_collection_finish(session):
    _patch()
    if not _patched:
        raise pytest.UsageError("contract_plugin: conftest.Client not found (run it on "
                                "tests/integration)")


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    if not _patched:
        return
    tr = terminalreporter
    tr.section("OpenAPI contract")
    seen = contract.seen_responses()
    unseen = sorted(contract.documented_responses() - seen)
    tr.write_line("documented responses produced: %d of %d"
                  % (len(contract.documented_responses() & seen),
                     len(contract.documented_responses())))
    if unseen:
        tr.write_line("never produced: " + ", ".join("%s %d" % u for u in unseen))
    if _violations:
        tr.write_line("%d responses did not match openapi/openapi.yaml:" % len(_violations))
        for v in _violations[:50]:
            tr.write_line(v)
            tr.write_line("")
    else:
        tr.write_line("every response matched openapi/openapi.yaml")


def pytest_sessionfinish(session, exitstatus):
    if _violations and session.exitstatus == 0:
        session.exitstatus = 1
