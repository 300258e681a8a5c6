"""Turning a call into a job's payload, and a finished job back into a value or an exception.

Payload: base64 of ``cloudpickle.dumps((fn, args, kwargs))``, which the executor's harness unpickles
inside the sandbox. Three things happen while pickling (``CallPickler.reducer_override``):

- Code the executor cannot import is shipped by value. cloudpickle pickles a function or class by
  reference whenever its module is imported here, which fails in the box for the user's own modules
  (a script's helpers, a project package, a test module). So a module that is not part of the
  standard library or of an installed distribution (site-/dist-packages) has its top-level package
  registered with ``cloudpickle.register_pickle_by_value`` the first time one of its objects is
  pickled. Classes pickled by value keep their identity on the way back (cloudpickle's class
  tracker), so ``except MyError`` catches a ``MyError`` raised in a job.
- A ``concurrent.futures.Future`` anywhere in the arguments is replaced by its result. When one is
  not done yet the pickler records it instead; the caller waits for those and pickles again.
- The SDK's own objects reduce to something that makes sense in a job (``ParallelFunction``).
"""
from __future__ import annotations

import base64
import io
import operator
import os
import pickle
import platform
import site
import sys
import sysconfig
import threading
import types
from concurrent.futures import CancelledError, Future
from typing import Any, Callable, Optional

import cloudpickle

from . import _remote
from .errors import (ForbiddenSyscall, JobError, JobFailed, MemoryLimitExceeded, OutputLimitExceeded,
                     PayloadError, PythonVersionMismatch, RemoteCrash, RemoteError, RemoteTraceback,
                     ResultError, TimeLimitExceeded)
from .tracebacks import with_source

# The SDK's helpers that run inside jobs (chunked map, initializers) travel by value: the executor's
# Python does not have the SDK installed.
cloudpickle.register_pickle_by_value(_remote)


def _install_dirs() -> tuple[str, ...]:
    """Directories of the standard library and of installed distributions (venv or system)."""
    paths = sysconfig.get_paths()
    dirs = [paths.get(k) for k in ("stdlib", "platstdlib", "purelib", "platlib")]
    dirs += site.getsitepackages() + [site.getusersitepackages()]
    dirs += [os.path.join(p, "lib") for p in {sys.prefix, sys.base_prefix}]  # /usr/lib/python3/dist-packages
    return tuple(sorted({os.path.realpath(d) + os.sep for d in dirs if d}))


_INSTALLED = _install_dirs()
_by_value_decided: dict[str, bool] = {}
_decide_lock = threading.Lock()


def _ships_by_value(module_name: str) -> bool:
    """Whether the top-level package of module_name is the user's code (not installed): then it is
    registered to be pickled by value. Decided once per top-level name."""
    top = module_name.partition(".")[0]
    decided = _by_value_decided.get(top)
    if decided is not None:
        return decided
    with _decide_lock:
        if top in _by_value_decided:
            return _by_value_decided[top]
        mod = sys.modules.get(top)
        by_value = False
        if mod is not None and top not in sys.builtin_module_names and top != "__main__":
            paths = [getattr(mod, "__file__", None), *(getattr(mod, "__path__", None) or [])]
            files = [os.path.realpath(f) for f in paths if isinstance(f, str)]
            by_value = bool(files) and not any(f.startswith(_INSTALLED) for f in files)
            if top == "jobgate":  # the SDK itself, wherever it lives: by value (the box lacks it)
                by_value = True
            if by_value:
                cloudpickle.register_pickle_by_value(mod)
        _by_value_decided[top] = by_value
        return by_value


class DependencyError(Exception):
    """Internal: a future among the arguments failed or was cancelled."""

    def __init__(self, future: Future):
        super().__init__(future)
        self.future = future


class CallPickler(cloudpickle.CloudPickler):
    """cloudpickle with the three substitutions described in the module documentation."""

    def __init__(self, file: io.BytesIO, pending: Optional[list] = None):
        super().__init__(file, protocol=pickle.HIGHEST_PROTOCOL)
        self.pending = pending

    def reducer_override(self, obj: Any) -> Any:
        if isinstance(obj, Future):
            return self._future(obj)
        if isinstance(obj, (types.FunctionType, type, types.ModuleType)):
            name = obj.__name__ if isinstance(obj, types.ModuleType) else getattr(obj, "__module__", None)
            if isinstance(name, str):
                _ships_by_value(name)
        return super().reducer_override(obj)

    def _future(self, fut: Future) -> Any:
        if not fut.done():
            if self.pending is None:
                raise ValueError("a future that is not done cannot be pickled")
            self.pending.append(fut)
            return (operator.getitem, ((None,), 0))
        if fut.cancelled() or fut.exception() is not None:
            raise DependencyError(fut)
        return (operator.getitem, ((fut.result(),), 0))


def dumps(obj: Any, pending: Optional[list] = None) -> bytes:
    """Pickle obj as a job payload. Futures not yet done go to pending (when given)."""
    buf = io.BytesIO()
    CallPickler(buf, pending).dump(obj)
    return buf.getvalue()


# The harness reads an optional first pickle naming the Python that made the payload, and refuses a
# payload from another major.minor before any of it runs (PythonVersionMismatch) instead of failing
# obscurely. Protocol 2, so that any Python can read at least this much.
VERSION_HEADER = pickle.dumps({"python": platform.python_version(), "cloudpickle": cloudpickle.__version__},
                              protocol=2)


def payload(fn: Callable, args: tuple, kwargs: dict, pending: Optional[list] = None) -> str:
    """The ``code`` of a call job: base64 of the version header and the pickled (fn, args, kwargs)."""
    return base64.b64encode(VERSION_HEADER + dumps((fn, args, kwargs), pending)).decode("ascii")


# ---------------------------------------------------------------------------------------------------
# A finished job -> a value or an exception

CANCELLED = object()

_LIMITS = {"TLE": TimeLimitExceeded, "MLE": MemoryLimitExceeded, "OLE": OutputLimitExceeded,
           "SYS": ForbiddenSyscall, "RE": RemoteCrash}
_LIMIT_WORDS = {"TLE": "exceeded its time limit", "MLE": "exceeded its memory limit",
                "OLE": "exceeded its output limit", "SYS": "was killed for a forbidden system call",
                "RE": "crashed"}


def _describe_limit(job: dict) -> str:
    verdict = str(job.get("verdict"))
    usage, limits = job.get("usage") or {}, job.get("limits") or {}
    parts = []
    if verdict == "TLE":
        parts.append("cpu %s ms of %s, wall %s ms of %s" % (usage.get("cpu_ms", "?"), limits.get("cpu_ms", "?"),
                                                           usage.get("wall_ms", "?"), limits.get("wall_ms", "?")))
    elif verdict == "MLE":
        parts.append("memory limit %s MiB" % limits.get("memory_mb", "?"))
    elif verdict == "OLE":
        parts.append("output limit %s KiB" % limits.get("output_kb", "?"))
    elif verdict == "RE":
        if job.get("signal"):
            parts.append("signal %s" % job["signal"])
        elif job.get("exit_code") is not None:
            parts.append("exit code %s" % job["exit_code"])
    err = job.get("error") or {}
    if err.get("type"):
        parts.append("%s: %s" % (err["type"], err.get("message", "")))
    return "job %s %s (%s)" % (job.get("id"), _LIMIT_WORDS[verdict], "; ".join(parts))


def _unb64_loads(text: str) -> Any:
    return pickle.loads(base64.b64decode(text))


def _remote_exception(job: dict) -> BaseException:
    err = job.get("error") or {}
    tb = with_source(err.get("traceback") or "")
    if err.get("type") in ("PayloadError", "PythonVersionMismatch"):
        cls = PythonVersionMismatch if err["type"] == "PythonVersionMismatch" else PayloadError
        return cls("job %s: %s" % (job.get("id"), err.get("message", "")), job)
    exc: Any = None
    if job.get("result"):
        try:
            exc = _unb64_loads(job["result"])
        except Exception:
            exc = None
    if not isinstance(exc, Exception):
        # Not rebuildable here (its class is not importable), or a BaseException such as SystemExit
        # that must not escape into the caller as such.
        wrapped = RemoteError("job %s raised %s: %s" % (job.get("id"), err.get("type", "an exception"),
                                                          err.get("message", "")), job)
        wrapped.__cause__ = RemoteTraceback(tb)
        return wrapped
    exc.__cause__ = RemoteTraceback(tb)
    try:
        setattr(exc, "remote_traceback", tb)
        setattr(exc, "job_id", job.get("id"))
    except AttributeError:  # exceptions with __slots__
        pass
    return exc


def outcome(job: dict) -> tuple[bool, Any]:
    """(True, value) for a job that returned, (False, exception) otherwise, or (False, CANCELLED)."""
    status = job.get("status")
    if status == "cancelled":
        return False, CANCELLED
    if status == "failed":
        err = job.get("error") or {}
        return False, JobFailed("job %s failed: %s: %s" % (job.get("id"), err.get("type", "Error"),
                                                            err.get("message", "")), job)
    verdict = job.get("verdict")
    if verdict == "OK":
        try:
            return True, _unb64_loads(job.get("result") or "")
        except Exception as e:
            err = ResultError("job %s returned a value that cannot be unpickled here: %s: %s"
                              % (job.get("id"), type(e).__name__, e), job)
            err.__cause__ = e
            return False, err
    if verdict == "EXC":
        return False, _remote_exception(job)
    if verdict in _LIMITS:
        exc = _LIMITS[verdict](_describe_limit(job), job)
        tb = (job.get("error") or {}).get("traceback")
        if tb:
            exc.__cause__ = RemoteTraceback(tb)
        return False, exc
    return False, JobError("job %s ended with status %s, verdict %s" % (job.get("id"), status, verdict), job)


def apply(future: Future, job: dict) -> None:
    """Complete a pending future from a finished job document (no-op if it is done already)."""
    ok, value = outcome(job)
    try:
        if ok:
            future.set_result(value)
        elif value is CANCELLED:
            cancel_local = getattr(future, "_cancel_local", None)
            if cancel_local is not None:
                cancel_local()
            else:
                future.cancel()
        else:
            future.set_exception(value)
    except Exception:  # InvalidStateError: cancelled or completed meanwhile
        pass


__all__ = ["payload", "dumps", "outcome", "apply", "DependencyError", "CANCELLED", "CancelledError"]
