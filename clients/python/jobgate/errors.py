"""The exceptions the SDK raises.

A job's own exception is re-raised with its original type (see ``RemoteTraceback``); everything else
is a ``JobgateError``:

    JobgateError
     |- ConfigError                no URL/token, unknown profile, unreadable config file
     |- APIError                   the gateway refused a request (problem document attached)
     |- JobError                   a job did not produce a value (``job_id``, ``job`` document)
         |- LimitExceeded
         |   |- TimeLimitExceeded      TLE: CPU or wall-clock limit
         |   |- MemoryLimitExceeded    MLE: memory limit (a MemoryError in the job counts too)
         |   `- OutputLimitExceeded    OLE: stdout/stderr or result size limit
         |- ForbiddenSyscall       SYS: the sandbox killed a forbidden system call (e.g. a socket
         |                          without the network allowed)
         |- RemoteCrash            RE: the interpreter died (signal, os._exit, no result)
         |- RemoteError            the job raised an exception that cannot be rebuilt here
         |- PayloadError           the box could not load the call
         |   `- PythonVersionMismatch  the executor's Python is another major.minor
         |- ResultError            the returned value cannot be unpickled here
         |- JobFailed              status "failed": the system could not run it (attempts exhausted,
         |                          executor error); ``reason`` is the error type
         `- JobNotFound            the gateway does not know the id (or it is another tenant's)
"""
from __future__ import annotations

import base64
from typing import Any, Mapping, Optional

from .tracebacks import with_source


class JobgateError(Exception):
    """Base of every error raised by the SDK itself."""


class ConfigError(JobgateError):
    """The client cannot be configured (no token, unknown profile, bad config file)."""


class APIError(JobgateError):
    """The gateway answered with an error (an RFC 9457 problem document)."""

    def __init__(self, status: int, problem: Mapping[str, Any] | None, method: str = "", path: str = ""):
        self.status = status
        self.problem = dict(problem or {})
        self.method, self.path = method, path
        self.type = self.problem.get("type", "")
        self.field = self.problem.get("field")
        detail = self.problem.get("detail") or self.problem.get("title") or "HTTP %d" % status
        where = f"{method} {path}: " if method else ""
        super().__init__(f"{where}{status} {detail}" + (f" (field {self.field})" if self.field else ""))


class RemoteTraceback(Exception):
    """Set as ``__cause__`` of an exception re-raised from a job: its text is the traceback the job
    printed in the sandbox (the same convention as ProcessPoolExecutor)."""

    def __init__(self, tb: str):
        self.tb = tb
        super().__init__(tb)

    def __str__(self) -> str:
        return '\n"""\n%s"""' % self.tb


class JobError(JobgateError):
    """A job ended without a value. ``job`` is the gateway's job document."""

    def __init__(self, message: str, job: Optional[Mapping[str, Any]] = None):
        super().__init__(message)
        self.job: dict = dict(job or {})
        self.job_id: Optional[str] = self.job.get("id")

    @property
    def verdict(self) -> Optional[str]:
        return self.job.get("verdict")

    @property
    def usage(self) -> dict:
        return dict(self.job.get("usage") or {})

    @property
    def stdout(self) -> bytes:
        return base64.b64decode(self.job.get("stdout") or "")

    @property
    def stderr(self) -> bytes:
        return base64.b64decode(self.job.get("stderr") or "")

    @property
    def remote_traceback(self) -> str:
        """The traceback printed in the job, with source lines from this machine's files."""
        return with_source((self.job.get("error") or {}).get("traceback") or "")


class LimitExceeded(JobError):
    """The job hit one of its limits."""


class TimeLimitExceeded(LimitExceeded):
    """TLE: the job used more CPU time or wall-clock time than its limits allow."""


class MemoryLimitExceeded(LimitExceeded):
    """MLE: the job used more memory than its limit (or raised MemoryError)."""


class OutputLimitExceeded(LimitExceeded):
    """OLE: too much stdout/stderr, or a result larger than the executor accepts."""


class ForbiddenSyscall(JobError):
    """SYS: the sandbox killed the job for a forbidden system call."""


class RemoteCrash(JobError):
    """RE: the job's interpreter died (a signal, a non-zero exit, or no result at all)."""

    @property
    def exit_code(self) -> Optional[int]:
        return self.job.get("exit_code")

    @property
    def signal(self) -> Optional[int]:
        return self.job.get("signal")


class RemoteError(JobError):
    """The job raised an exception whose type cannot be rebuilt here; ``type_name``, ``message`` and
    ``remote_traceback`` say what it was."""

    def __init__(self, message: str, job: Optional[Mapping[str, Any]] = None):
        super().__init__(message, job)
        err = self.job.get("error") or {}
        self.type_name: str = err.get("type", "Exception")
        self.message: str = err.get("message", "")


class PayloadError(JobError):
    """The sandbox could not load the pickled call (usually a Python or cloudpickle version mismatch
    between this client and the executor's runtime)."""


class PythonVersionMismatch(PayloadError):
    """The executor runs another Python major.minor than this client: a pickled call cannot travel
    between them (the message names both versions)."""


class ResultError(JobError):
    """The job's return value arrived but cannot be unpickled here."""


class JobFailed(JobError):
    """The system could not run the job (attempts exhausted, an executor error...). ``reason`` is the
    gateway's error type (``LeaseExpired``, ``SandboxError``, ...)."""

    @property
    def reason(self) -> str:
        return (self.job.get("error") or {}).get("type", "")


class JobNotFound(JobError):
    """The gateway does not know this job id (or it belongs to another tenant)."""
