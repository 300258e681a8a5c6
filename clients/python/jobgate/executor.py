"""``jobgate.Executor``: a ``concurrent.futures.Executor`` whose workers are jobgate jobs.

Code written for ``ProcessPoolExecutor`` runs on jobgate by changing the constructor:

    with ProcessPoolExecutor(max_workers=4) as ex:      ->   with jobgate.Executor(max_workers=4) as ex:
        results = list(ex.map(work, items, chunksize=8))

What maps how:
- ``max_workers`` is accepted (and must be > 0) but does not limit anything: the executors decide how
  many jobs run at once.
- ``initializer(*initargs)`` runs at the start of every job (each job is a fresh process, which is
  what a worker is to ProcessPoolExecutor).
- ``shutdown(wait=True, cancel_futures=False)``: no new submissions; with ``cancel_futures`` every job
  not yet ended is cancelled on the server - queued ones never run and, unlike a process pool,
  running ones are killed too; with ``wait`` it returns when every job has ended.
- ``mp_context`` and ``max_tasks_per_child`` are accepted and ignored (every job is its own process).
"""
from __future__ import annotations

import concurrent.futures
import threading
import time
from typing import Any, Callable, Iterable, Iterator, Mapping, Optional

from . import _remote, options as _options
from .client import Client, default_client
from .futures import JobFuture


class Executor(concurrent.futures.Executor):
    def __init__(self, client: Optional[Client] = None, max_workers: Optional[int] = None,
                 mp_context: Any = None, initializer: Optional[Callable] = None, initargs: tuple = (),
                 *, max_tasks_per_child: Optional[int] = None, options: Optional[Mapping[str, Any]] = None):
        if isinstance(client, int) and not isinstance(client, bool):  # Executor(4): ProcessPool's positional max_workers
            client, max_workers = None, client
        if max_workers is not None and max_workers <= 0:
            raise ValueError("max_workers must be greater than 0")
        if initializer is not None and not callable(initializer):
            raise TypeError("initializer must be a callable")
        self._client = client
        self._options = _options.merge(options)
        self._initializer, self._initargs = initializer, tuple(initargs)
        self._lock = threading.Lock()
        self._shutdown = False
        self._futures: set[JobFuture] = set()

    @property
    def client(self) -> Client:
        return self._client if self._client is not None else default_client()

    def _wrap(self, fn: Callable) -> Callable:
        if self._initializer is None:
            return fn
        return _remote.WithInitializer(self._initializer, self._initargs, fn)

    def _register(self, futures: list) -> None:
        with self._lock:
            self._futures.update(futures)
        for f in futures:
            f.add_done_callback(self._discard)

    def _discard(self, f: concurrent.futures.Future) -> None:
        with self._lock:
            self._futures.discard(f)

    def submit(self, fn: Callable, /, *args: Any, **kwargs: Any) -> JobFuture:
        with self._lock:
            if self._shutdown:
                raise RuntimeError("cannot schedule new futures after shutdown")
        fut = self.client.submit(self._wrap(fn), *args, options=self._options, **kwargs)
        self._register([fut])
        return fut

    def map(self, fn: Callable, *iterables: Iterable, timeout: Optional[float] = None,
            chunksize: int = 1) -> Iterator:
        with self._lock:
            if self._shutdown:
                raise RuntimeError("cannot schedule new futures after shutdown")
        client = self.client
        end = None if timeout is None else time.monotonic() + timeout
        futures = client._map_futures(self._wrap(fn), iterables, chunksize, _options.merge(client.options, self._options))
        self._register(futures)
        return client._results(futures, end, chunksize > 1)

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        with self._lock:
            self._shutdown = True
            futures = list(self._futures)
        if cancel_futures:
            self.client.cancel(f for f in futures if not f.done())
        if wait:
            concurrent.futures.wait(futures)
