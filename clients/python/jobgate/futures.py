"""JobFuture: a ``concurrent.futures.Future`` backed by a job, and the module-level helpers.

A JobFuture is an ordinary Future: ``result(timeout)``, ``exception()``, ``add_done_callback()``,
``done()``, and the standard library's ``as_completed``/``wait`` all work on it, because the client's
collector thread completes it with ``set_result``/``set_exception`` like any executor would. Done
callbacks therefore run on that thread: keep them short.

Differences from a local executor's future, on purpose:
- ``cancel()`` asks the gateway: a queued job never runs and a running one is killed, so it also
  succeeds while the job runs (``running()`` stays False: the client does not learn when a job starts).
- ``job_id`` is the gateway's id (``None`` while the future waits for futures among its arguments).
"""
from __future__ import annotations

import concurrent.futures
from concurrent.futures import ALL_COMPLETED, FIRST_COMPLETED, FIRST_EXCEPTION  # noqa: F401 (re-export)
from concurrent.futures._base import CANCELLED
from typing import TYPE_CHECKING, Any, Iterable, Iterator, Optional

if TYPE_CHECKING:
    from .client import Client


class JobFuture(concurrent.futures.Future):
    """The future of one job."""

    def __init__(self, client: "Client", job_id: Optional[str] = None):
        super().__init__()
        self.job_id = job_id
        self._client = client

    def __repr__(self) -> str:
        state = "cancelled" if self.cancelled() else "finished" if self.done() else "pending"
        return "<JobFuture %s %s>" % (self.job_id or "(waiting for its arguments)", state)

    def cancel(self) -> bool:
        """Cancel the job on the server (queued: it never runs; running: it is killed). True when the
        job is cancelled, False when it had already ended (its outcome is then delivered as usual)."""
        if self.done():
            return self.cancelled()
        if self.job_id is not None and not self._client._cancel_job(self.job_id):
            return False
        return self._cancel_local()

    def _cancel_local(self) -> bool:
        """Move to CANCELLED and notify waiters (as an executor does when it drops a queued item)."""
        if not super().cancel():
            return False
        # Future's own lock and state (private in typeshed, public enough for every executor).
        with self._condition:  # type: ignore[attr-defined]
            if self._state == CANCELLED:  # type: ignore[attr-defined]
                self.set_running_or_notify_cancel()
        return True

    def status(self) -> dict:
        """The job as the gateway sees it now (``GET /jobs/<id>``): status, verdict, usage, ..."""
        if self.job_id is None:
            return {"id": None, "status": "waiting-for-arguments"}
        return self._client.status(self.job_id)

    def __reduce__(self) -> Any:
        raise TypeError("a JobFuture can only be sent to a job as an argument of submit/map (it is "
                        "replaced by its result)")


def as_completed(fs: Iterable[concurrent.futures.Future], timeout: Optional[float] = None
                 ) -> Iterator[concurrent.futures.Future]:
    """The futures as they complete (``concurrent.futures.as_completed``; any futures may be mixed)."""
    return concurrent.futures.as_completed(fs, timeout)


def wait(fs: Iterable[concurrent.futures.Future], timeout: Optional[float] = None,
         return_when: str = ALL_COMPLETED) -> concurrent.futures._base.DoneAndNotDoneFutures:
    """``(done, not_done)`` like ``concurrent.futures.wait``."""
    return concurrent.futures.wait(fs, timeout, return_when)
