"""Client: the connection to one gateway, and the calls that turn Python calls into jobs."""
from __future__ import annotations

import concurrent.futures
import itertools
import threading
import time
import uuid
from typing import Any, Callable, Iterable, Iterator, Mapping, Optional

from . import _remote, config, options as _options, serialize
from .collector import Collector
from .errors import APIError, JobgateError
from .futures import JobFuture
from .transport import Transport

# Leave room under the gateway's default --max-body-kb (8 MiB) for JSON and base64 overhead.
_BATCH_BYTES = 4 << 20


class _Deferred:
    """A submission waiting for the futures among its arguments."""

    __slots__ = ("client", "future", "fn", "args", "kwargs", "opts", "remaining", "lock")

    def __init__(self, client: "Client", future: JobFuture, fn: Callable, args: tuple, kwargs: dict,
                 opts: dict, deps: list):
        self.client, self.future, self.fn, self.args, self.kwargs, self.opts = client, future, fn, args, kwargs, opts
        unique = list({id(d): d for d in deps}.values())
        self.remaining = len(unique)
        self.lock = threading.Lock()
        for d in unique:
            d.add_done_callback(self._dep_done)

    def _dep_done(self, _: concurrent.futures.Future) -> None:
        with self.lock:
            self.remaining -= 1
            ready = self.remaining == 0
        if ready:
            self.client._collector.defer(self)


def _propagate(future: JobFuture, dep: concurrent.futures.Future) -> None:
    """A dependency failed or was cancelled: the dependent future ends the same way."""
    if dep.cancelled():
        future._cancel_local()
        return
    try:
        future.set_exception(dep.exception())
    except concurrent.futures.InvalidStateError:
        pass


class Client:
    """A connection to a jobgate gateway.

    ``url``/``token`` come from the arguments, a profile or the environment (see ``jobgate.config``).
    ``options`` are default job options for everything this client submits. One background thread
    (started at the first submit) collects every result; ``close()`` stops it.
    """

    def __init__(self, url: Optional[str] = None, token: Optional[str] = None, *, profile: Optional[str] = None,
                 runtime: Optional[str] = None, options: Optional[Mapping[str, Any]] = None,
                 timeout: float = 30.0, poll_timeout: float = 30.0, max_polls: int = 64, batch_size: int = 1000):
        s = config.resolve(url, token, profile, runtime)
        self.url, self.runtime, self.profile = s.url, s.runtime, s.profile
        self.options = _options.merge(s.options, options)
        self.batch_size = batch_size
        self._transport = Transport(s.url, s.token, timeout=timeout)
        self._collector = Collector(self._transport, self._dispatch_deferred, poll_timeout=poll_timeout,
                                    max_polls=max_polls)
        self._closed = False
        self._close_lock = threading.Lock()

    def __repr__(self) -> str:
        return "<jobgate.Client %s%s>" % (self.url, " profile=%s" % self.profile if self.profile else "")

    def __reduce__(self) -> Any:
        raise TypeError("a jobgate.Client cannot be sent to a job (jobs run without access to the gateway)")

    def __enter__(self) -> "Client":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def close(self) -> None:
        """Stop collecting results; futures still outstanding fail with JobgateError (their jobs go
        on running: reattach later with ``client.job(job_id)``)."""
        with self._close_lock:
            first, self._closed = not self._closed, True
        if not first:  # closed already (perhaps by a done callback, on the collector thread)
            self._collector.join()
            return
        for f in self._collector.close():
            try:
                f.set_exception(JobgateError("the client was closed before job %s ended" % f.job_id))
            except concurrent.futures.InvalidStateError:
                pass
        self._transport.close()

    # --- submitting ---------------------------------------------------------------------------------

    def submit(self, fn: Callable, /, *args: Any, options: Optional[Mapping[str, Any]] = None,
               **kwargs: Any) -> JobFuture:
        """Run ``fn(*args, **kwargs)`` as a job; returns its future at once. Futures among the
        arguments (at any depth) are replaced by their results; until they are done the job waits
        on the client side (``job_id`` is None meanwhile). A value or option the gateway refuses
        raises APIError here."""
        return self._submit_calls([(fn, args, kwargs)], _options.merge(self.options, options))[0]

    def map(self, fn: Callable, *iterables: Iterable, timeout: Optional[float] = None, chunksize: int = 1,
            options: Optional[Mapping[str, Any]] = None) -> Iterator:
        """Like ``Executor.map``: every call is submitted now (``POST /jobs/batch``, up to
        ``batch_size`` jobs per request), and the returned iterator yields the results in order,
        raising a call's exception at its place and TimeoutError when a result is not there
        ``timeout`` seconds after this call. With ``chunksize`` > 1 each job runs that many calls.
        Closing the iterator early cancels the jobs not yet consumed."""
        end = None if timeout is None else time.monotonic() + timeout
        futures = self._map_futures(fn, iterables, chunksize, _options.merge(self.options, options))
        return self._results(futures, end, chunksize > 1)

    def map_futures(self, fn: Callable, *iterables: Iterable, options: Optional[Mapping[str, Any]] = None
                    ) -> list[JobFuture]:
        """One job per item, submitted in batches; returns the futures (for as_completed/wait)."""
        return self._map_futures(fn, iterables, 1, _options.merge(self.options, options))

    def _map_futures(self, fn: Callable, iterables: tuple, chunksize: int, opts: dict) -> list[JobFuture]:
        if chunksize < 1:
            raise ValueError("chunksize must be >= 1")
        items = zip(*iterables)
        calls: list[tuple] = []
        if chunksize == 1:
            calls = [(fn, args, {}) for args in items]
        else:
            while True:
                chunk = tuple(itertools.islice(items, chunksize))
                if not chunk:
                    break
                calls.append((_remote.run_chunk, (fn, chunk), {}))
        return self._submit_calls(calls, opts)

    def _submit_calls(self, calls: list, opts: dict) -> list[JobFuture]:
        """Pickle each call and submit the ready ones together; calls waiting for futures are deferred."""
        if self._closed:
            raise JobgateError("the client is closed")
        futures, ready, ready_futs = [], [], []
        for fn, args, kwargs in calls:
            fut = JobFuture(self)
            futures.append(fut)
            pending: list = []
            try:
                code = serialize.payload(fn, args, kwargs, pending)
            except serialize.DependencyError as e:
                _propagate(fut, e.future)
                continue
            if pending:
                _Deferred(self, fut, fn, args, kwargs, opts, pending)
                continue
            ready.append(_options.job_request(code, self.runtime, opts))
            ready_futs.append(fut)
        if ready:
            try:
                self._post(ready, ready_futs)
            except BaseException:
                self.cancel([f for f in ready_futs if f.job_id is not None])
                raise
        return futures

    def _post(self, jobs: list, futures: list) -> None:
        """Submit jobs (POST /jobs for one, /jobs/batch for more), set the futures' ids, track them."""
        if len(jobs) == 1:
            _, doc = self._transport.request("POST", "/jobs", jobs[0], expect=(201,),
                                             headers={"Idempotency-Key": uuid.uuid4().hex})
            futures[0].job_id = doc["id"]
            self._collector.track(futures)
            return
        i, limit = 0, self.batch_size
        while i < len(jobs):
            n, size = 0, 0
            while i + n < len(jobs) and n < limit and (n == 0 or size + len(jobs[i + n]["code"]) < _BATCH_BYTES):
                size += len(jobs[i + n]["code"]) + 256
                n += 1
            try:
                _, doc = self._transport.request("POST", "/jobs/batch", {"jobs": jobs[i:i + n]}, expect=(201,),
                                                 headers={"Idempotency-Key": uuid.uuid4().hex})
            except APIError as e:
                if n > 1 and (e.status == 413 or (e.status == 422 and e.field == "jobs")):
                    limit = max(1, n // 2)  # the gateway's --max-batch or --max-body-kb is lower
                    continue
                raise
            for fut, job in zip(futures[i:i + n], doc["jobs"]):
                fut.job_id = job["id"]
            self._collector.track(futures[i:i + n])
            i += n

    def _dispatch_deferred(self, items: list) -> None:
        """On the collector thread: submit deferred calls whose dependencies are all done."""
        jobs, futures = [], []
        for d in items:
            if d.future.done():
                continue
            try:
                code = serialize.payload(d.fn, d.args, d.kwargs, None)
            except serialize.DependencyError as e:
                _propagate(d.future, e.future)
                continue
            except Exception as e:  # not picklable after all
                d.future.set_exception(e)
                continue
            jobs.append(_options.job_request(code, self.runtime, d.opts))
            futures.append(d.future)
        for job, fut in zip(jobs, futures):
            try:
                self._post([job], [fut])
            except Exception as e:
                try:
                    fut.set_exception(e)
                except concurrent.futures.InvalidStateError:
                    pass
                continue
            if fut.cancelled():  # cancelled while it was being submitted
                self._cancel_job(fut.job_id)

    # --- results ------------------------------------------------------------------------------------

    def _results(self, futures: list, end: Optional[float], chunked: bool) -> Iterator:
        """The iterator of map: results in order (no reference kept to one already yielded); a
        timeout cancels the future it hit, and closing the iterator cancels the rest."""
        def gen() -> Iterator:
            futures.reverse()
            try:
                while futures:
                    timeout = None if end is None else max(0.0, end - time.monotonic())
                    if chunked:
                        yield from _result_or_cancel(futures.pop(), timeout)
                    else:
                        yield _result_or_cancel(futures.pop(), timeout)
            finally:
                self.cancel([f for f in futures if not f.done()])
        return gen()

    def running_ids(self) -> set:
        """Ids of this tenant's jobs running now (``GET /jobs?status=running``; as many as there are
        busy executor slots at most, so one or a few pages)."""
        ids: set = set()
        cursor = ""
        while True:
            doc = self._transport.request("GET", "/jobs?status=running&limit=1000" + cursor, expect=(200,))[1]
            ids.update(j["id"] for j in doc["jobs"])
            if not doc.get("next_cursor"):
                return ids
            cursor = "&cursor=" + doc["next_cursor"]

    def gather(self, futures: Iterable[concurrent.futures.Future], timeout: Optional[float] = None,
               return_exceptions: bool = False) -> list:
        """The results of futures, in order. The first exception is raised, unless return_exceptions
        (then exceptions, or CancelledError, take the places of their results)."""
        return gather(futures, timeout, return_exceptions)

    def job(self, job_id: str) -> JobFuture:
        """A future for an existing job (submitted earlier, by any client of the same tenant)."""
        fut = JobFuture(self, job_id)
        self._collector.track([fut])
        return fut

    def status(self, job_id: str) -> dict:
        """The job document (``GET /jobs/<id>``)."""
        return self._transport.request("GET", "/jobs/%s" % job_id, expect=(200,))[1]

    def wait_job(self, job_id: str, timeout: Optional[float] = None) -> dict:
        """Long-poll one job until it ends or timeout passes; returns the job document as it is."""
        end = None if timeout is None else time.monotonic() + timeout
        while True:
            left = 30.0 if end is None else max(0.0, min(30.0, end - time.monotonic()))
            doc = self._transport.request("GET", "/jobs/%s?wait=%g" % (job_id, left), expect=(200,),
                                          timeout=left + 30)[1]
            if doc["status"] in ("completed", "failed", "cancelled") or (end is not None and time.monotonic() >= end):
                return doc

    def runtimes(self) -> list:
        """``GET /runtimes``: the catalog and which runtimes live executors serve."""
        return self._transport.request("GET", "/runtimes", expect=(200,))[1]["runtimes"]

    # --- cancelling ---------------------------------------------------------------------------------

    def cancel(self, futures: Iterable[concurrent.futures.Future]) -> int:
        """Cancel several futures; returns how many were cancelled."""
        return sum(1 for f in list(futures) if f.cancel())

    def _cancel_job(self, job_id: str) -> bool:
        """DELETE the job. True when it is cancelled now, False when it had ended otherwise."""
        status, doc = self._transport.request("DELETE", "/jobs/%s" % job_id, expect=(200, 404, 409))
        if status == 200:
            self._collector.forget(job_id)
            return True
        if status == 409:  # it ended: cancelled by someone else, or completed
            status, doc = self._transport.request("GET", "/jobs/%s" % job_id, expect=(200, 404))
            if status == 200 and doc.get("status") == "cancelled":
                self._collector.forget(job_id)
                return True
        return False

    # --- decorator ----------------------------------------------------------------------------------

    def parallel(self, fn: Optional[Callable] = None, /, **options: Any) -> Any:
        """``@client.parallel`` or ``@client.parallel(limits=..., labels=...)``: see jobgate.parallel."""
        from .parallel import ParallelFunction

        opts = _options.merge(options)
        if fn is not None:
            return ParallelFunction(fn, self, opts)
        return lambda f: ParallelFunction(f, self, opts)


def _result_or_cancel(future: concurrent.futures.Future, timeout: Optional[float] = None) -> Any:
    """future.result(timeout), cancelling the future when it does not come (as the standard library's
    Executor.map does)."""
    try:
        try:
            return future.result(timeout)
        finally:
            future.cancel()
    finally:
        del future


def gather(futures: Iterable[concurrent.futures.Future], timeout: Optional[float] = None,
           return_exceptions: bool = False) -> list:
    """The results of any futures, in order (see Client.gather)."""
    end = None if timeout is None else time.monotonic() + timeout
    out = []
    for f in futures:
        try:
            out.append(f.result(None if end is None else max(0.0, end - time.monotonic())))
        except (Exception, concurrent.futures.CancelledError) as e:
            if not return_exceptions or isinstance(e, concurrent.futures.TimeoutError) and not f.done():
                raise
            out.append(e)
    return out


_default_lock = threading.Lock()
_default: Optional[Client] = None


def default_client() -> Client:
    """The client used by @jobgate.parallel and jobgate.Executor() without a client: made on first
    use from the environment or the config file's default profile."""
    global _default
    with _default_lock:
        if _default is None:
            _default = Client()
        return _default


def set_default_client(client: Optional[Client]) -> None:
    global _default
    with _default_lock:
        _default = client
