"""The command line: ``/usr/bin/python3 -m jobgate COMMAND ...`` (see ``--help``).

Exit status: 0 success; 1 the job raised, hit a limit, failed or was cancelled (the reason on stderr);
2 usage, configuration or gateway error; 3 the job had not ended within ``--timeout``.
"""
from __future__ import annotations

import argparse
import ast
import importlib.util
import json
import re
import sys
from pathlib import Path
from typing import Any, Callable, Optional, Sequence

from . import options as _options, serialize
from .client import Client
from .errors import JobError, JobgateError
from .tracebacks import with_source

_KWARG = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*)=(.*)$", re.S)
_SUMMARY = ("id", "status", "verdict", "runtime", "kind", "priority", "attempts", "max_attempts", "labels",
            "limits", "usage", "created_at", "started_at", "finished_at")


def parse_value(text: str) -> Any:
    """A Python literal when the text is one (42, 1.5, 'x', [1, 2], {'a': 1}, None), else the text."""
    try:
        return ast.literal_eval(text)
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        return text


def parse_call_args(raw: Sequence[str]) -> tuple[list, dict]:
    args, kwargs = [], {}
    for item in raw:
        m = _KWARG.match(item)
        if m:
            kwargs[m.group(1)] = parse_value(m.group(2))
        else:
            args.append(parse_value(item))
    return args, kwargs


def load_function(target: str) -> Callable:
    """FILE.py:FUNC -> the function, with FILE loaded as a module (its directory on sys.path, so its
    own imports work; it is shipped by value, not imported by the executor)."""
    path, sep, name = target.rpartition(":")
    if not sep or not path or not name:
        raise JobgateError("expected FILE.py:FUNCTION, got %r" % target)
    file = Path(path).resolve()
    if not file.is_file():
        raise JobgateError("no such file: %s" % path)
    sys.path.insert(0, str(file.parent))
    modname = "jobgate_cli_" + re.sub(r"\W", "_", file.stem)
    spec = importlib.util.spec_from_file_location(modname, file)
    if spec is None or spec.loader is None:
        raise JobgateError("cannot load %s as Python" % path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[modname] = module
    spec.loader.exec_module(module)
    fn: Any = module
    for part in name.split("."):
        fn = getattr(fn, part, None)
        if fn is None:
            raise JobgateError("%s has no %s" % (path, name))
    fn = getattr(fn, "fn", fn) if type(fn).__name__ == "ParallelFunction" else fn
    if not callable(fn):
        raise JobgateError("%s:%s is not callable" % (path, name))
    return fn


def _pairs(items: Sequence[str], what: str, convert: Callable[[str], Any] = str) -> dict:
    out = {}
    for item in items or ():
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise JobgateError("%s expects NAME=VALUE, got %r" % (what, item))
        try:
            out[key] = convert(value)
        except ValueError:
            raise JobgateError("%s %s: %r is not a number" % (what, key, value)) from None
    return out


def _print_value(value: Any, as_json: bool) -> None:
    print(json.dumps(value, default=repr) if as_json else repr(value))


def _report(doc: dict, as_json: bool) -> int:
    """Print a finished job's value (stdout) or why it has none (stderr); returns the exit status."""
    ok, value = serialize.outcome(doc)
    if ok:
        _print_value(value, as_json)
        return 0
    if value is serialize.CANCELLED:
        print("jobgate: job %s was cancelled" % doc.get("id"), file=sys.stderr)
        return 1
    tb = (doc.get("error") or {}).get("traceback")
    if tb:
        tb = with_source(tb)
        sys.stderr.write(tb if tb.endswith("\n") else tb + "\n")
    if isinstance(value, JobError) or tb is None:
        print("jobgate: %s" % value, file=sys.stderr)
    return 1


def cmd_submit(client: Client, a: argparse.Namespace) -> int:
    fn = load_function(a.target)
    args, kwargs = parse_call_args(a.args)
    opts = _options.merge({
        "limits": _pairs(a.limit, "--limit", int) or None,
        "labels": _pairs(a.label, "--label") or None,
        "priority": a.priority, "max_attempts": a.max_attempts,
        "requirements": a.requirement or None, "runtime": a.runtime,
    })
    fut = client.submit(fn, *args, options={k: v for k, v in opts.items() if v is not None}, **kwargs)
    if not a.wait:
        print(fut.job_id)
        return 0
    print(fut.job_id, file=sys.stderr)
    return _finish(client, str(fut.job_id), a.timeout, a.json)


def _finish(client: Client, job_id: str, timeout: Optional[float], as_json: bool) -> int:
    doc = client.wait_job(job_id, timeout)
    if doc["status"] in ("queued", "running"):
        print("jobgate: job %s is still %s" % (job_id, doc["status"]), file=sys.stderr)
        return 3
    return _report(doc, as_json)


def cmd_status(client: Client, a: argparse.Namespace) -> int:
    doc = client.status(a.id)
    if not a.full:
        summary = {k: doc.get(k) for k in _SUMMARY if k in doc}
        if doc.get("error"):
            summary["error"] = {k: v for k, v in doc["error"].items() if k != "traceback"}
        doc = summary
    print(json.dumps(doc, indent=2))
    return 0


def cmd_result(client: Client, a: argparse.Namespace) -> int:
    return _finish(client, a.id, a.timeout, a.json)


def cmd_cancel(client: Client, a: argparse.Namespace) -> int:
    if client._cancel_job(a.id):
        print("cancelled %s" % a.id)
        return 0
    doc = client.status(a.id)
    print("jobgate: job %s already ended (%s)" % (a.id, doc.get("status")), file=sys.stderr)
    return 1


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python3 -m jobgate", description="Submit Python calls to jobgate and "
                                "follow them. Connection: --url/--token, else JOBGATE_URL/JOBGATE_TOKEN, else "
                                "a profile of ~/.config/jobgate/config.toml (--profile or JOBGATE_PROFILE).")
    p.add_argument("--url", help="gateway URL (default: JOBGATE_URL, the profile, http://127.0.0.1:8080)")
    p.add_argument("--token", help="client token (default: JOBGATE_TOKEN or the profile)")
    p.add_argument("--profile", help="a profile of the config file")
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")

    s = sub.add_parser("submit", help="submit FILE.py:FUNC(ARG...) as a job and print its id",
                       description="Submit FUNC(ARG...) from FILE.py as a job; prints the job id (with --wait, "
                       "waits and prints the result). Each ARG is a Python literal (42, 'x', [1, 2]) or else a "
                       "string; NAME=VALUE passes a keyword argument.")
    s.add_argument("target", metavar="FILE.py:FUNC")
    s.add_argument("args", nargs="*", metavar="ARG")
    s.add_argument("--wait", action="store_true", help="wait for the job and print its result")
    s.add_argument("--timeout", type=float, default=None, help="with --wait: give up after this many seconds")
    s.add_argument("--json", action="store_true", help="print the result as JSON instead of repr()")
    s.add_argument("--limit", action="append", metavar="NAME=N",
                   help="a limit: cpu_ms, wall_ms, memory_mb, output_kb or processes (repeatable)")
    s.add_argument("--label", action="append", metavar="KEY=VALUE", help="a label (repeatable)")
    s.add_argument("--priority", type=int)
    s.add_argument("--max-attempts", type=int)
    s.add_argument("--requirement", action="append", metavar="SPEC", help="a Python requirement (repeatable)")
    s.add_argument("--runtime", help="runtime of the job (default: python3 or the profile's)")
    s.set_defaults(func=cmd_submit)

    s = sub.add_parser("status", help="show a job's status")
    s.add_argument("id")
    s.add_argument("--full", action="store_true", help="the whole job document")
    s.set_defaults(func=cmd_status)

    s = sub.add_parser("result", help="wait for a job and print its result (or its remote traceback)")
    s.add_argument("id")
    s.add_argument("--timeout", type=float, default=None, help="give up after this many seconds (exit 3)")
    s.add_argument("--json", action="store_true", help="print the result as JSON instead of repr()")
    s.set_defaults(func=cmd_result)

    s = sub.add_parser("cancel", help="cancel a job (queued: never runs; running: killed)")
    s.add_argument("id")
    s.set_defaults(func=cmd_cancel)
    return p


def main(argv: Optional[Sequence[str]] = None) -> int:
    a = build_parser().parse_args(argv)
    try:
        client = Client(url=a.url, token=a.token, profile=a.profile)
        try:
            return a.func(client, a)
        finally:
            client.close()
    except JobgateError as e:
        print("jobgate: %s" % e, file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
