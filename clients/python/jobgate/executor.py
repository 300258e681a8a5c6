"""``jobgate.Executor``: a ``concurrent.futures.Executor`` whose workers are jobgate jobs.

Code written for ``ProcessPoolExecutor`` runs on jobgate by changing the constructor:

    with ProcessPoolExecutor(max_workers=4) as ex:      ->   with jobgate.Executor(max_workers=4) as ex:
        results = list(ex.map(work, items, chunksize=8))

What maps how:
- Without ``client``, the executor makes its own ``Client(url, token, profile=profile)`` (from the
  environment or the config file by default) and closes it at shutdown, as a pool ends its processes.
- ``max_workers`` is accepted (and must be > 0) but limits nothing: the executors' slots decide how many
  jobs run at once.
- ``initializer(*initargs)`` runs at the start of every job (each job is a fresh process, which is
  what a worker is to ProcessPoolExecutor).
- ``shutdown(wait=True, cancel_futures=False)``: no new submissions; with ``cancel_futures`` the jobs
  not yet started are cancelled on the server (those running go on, as in a pool); with ``wait`` it
  returns when every job has ended.
- ``mp_context`` and ``max_tasks_per_child`` are accepted and ignored (every job is its own process).
- ``future.running()`` stays False (the client does not learn when a job starts), and a future's
  ``cancel()`` also stops a running job.
"""
from __future__ import annotations

import concurrent.futures
import threading
import time
from typing import Any, Callable, Iterable, Iterator, Mapping, Optional

from . import _remote, options as _options
from .client import Client
from .futures import JobFuture


class Executor(concurrent.futures.Executor):
    def __init__(self, client: Optional[Client] = None, max_workers: Optional[int] = None,
                 mp_context: Any = None, initializer: Optional[Callable] = None, initargs: tuple = (),
                 *, max_tasks_per_child: Optional[int] = None, options: Optional[Mapping[str, Any]] = None,
                 url: Optional[str] = None, token: Optional[str] = None, profile: Optional[str] = None):
        if isinstance(client, int) and not isinstance(client, bool):  # Executor(4): ProcessPool's positional max_workers
            client, max_workers = None, client
        if max_workers is not None and max_workers <= 0:
            raise ValueError("max_workers must be greater than 0")
        if initializer is not None and not callable(initializer):
            raise TypeError("initializer must be a callable")
        self._owns_client = client is None
        self._client = client if client is not None else Client(url, token, profile=profile)
        self._options = _options.merge(options)
        self._initializer, self._initargs = initializer, tuple(initargs)
        self._lock = threading.Lock()
        self._shutdown = False
        self._futures: set[JobFuture] = set()

    @property
    def client(self) -> Client:
        return self._client

    def _wrap(self, fn: Callable) -> Callable:
        if self._initializer is None:
            return fn
        return _remote.WithInitializer(self._initializer, self._initargs, fn)

    def _check_open(self) -> None:
        if self._shutdown:
            raise RuntimeError("cannot schedule new futures after shutdown")

    def _register(self, futures: list) -> None:
        with self._lock:
            self._futures.update(futures)
        for f in futures:
            f.add_done_callback(self._discard)

    def _discard(self, f: Any) -> None:
        with self._lock:
            self._futures.discard(f)
            close = self._shutdown and self._owns_client and not self._futures
        if close:  # shutdown(wait=False) left jobs running; the last one to end closes the client
            self._client.close()

    def submit(self, fn: Callable, /, *args: Any, **kwargs: Any) -> JobFuture:
        with self._lock:
            self._check_open()
        fut = self._client.submit(self._wrap(fn), *args, options=self._options, **kwargs)
        self._register([fut])
        return fut

    def map(self, fn: Callable, *iterables: Iterable, timeout: Optional[float] = None,
            chunksize: int = 1) -> Iterator:
        end = None if timeout is None else time.monotonic() + timeout
        with self._lock:
            self._check_open()
        client = self._client
        futures = client._map_futures(self._wrap(fn), iterables, chunksize, _options.merge(client.options, self._options))
        self._register(futures)
        return client._results(futures, end, chunksize > 1)

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        with self._lock:
            self._shutdown = True
            futures = list(self._futures)
        if cancel_futures and futures:
            running = self._client.running_ids()
            self._client.cancel(f for f in futures if not f.done() and f.job_id not in running)
        if wait:
            concurrent.futures.wait(futures)
            if self._owns_client:
                self._client.close()
        elif self._owns_client:
            with self._lock:
                idle = not self._futures
            if idle:  # else the last job to end closes it (_discard)
                self._client.close()
