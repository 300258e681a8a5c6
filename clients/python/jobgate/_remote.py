"""Helpers that run inside jobs. This module is pickled by value (the executor's Python does not have
the SDK installed), so it must import nothing from the rest of the package."""
from __future__ import annotations

import concurrent.futures
from typing import Any, Callable, Sequence


def run_chunk(fn: Callable, chunk: Sequence[tuple]) -> list:
    """One job of a chunked map: fn applied to each argument tuple, in order."""
    return [fn(*args) for args in chunk]


class WithInitializer:
    """fn preceded by an Executor's initializer, run in the same job (each job is a fresh process,
    so this is what ProcessPoolExecutor's once-per-worker initializer becomes)."""

    def __init__(self, initializer: Callable, initargs: tuple, fn: Callable):
        self.initializer, self.initargs, self.fn = initializer, initargs, fn

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        self.initializer(*self.initargs)
        return self.fn(*args, **kwargs)


class LocalParallel:
    """What a @jobgate.parallel function becomes inside a job: the same interface, run in place (a
    job cannot submit jobs), calls returning completed futures."""

    def __init__(self, fn: Callable):
        self.fn = fn
        self.__wrapped__ = fn

    def __call__(self, *args: Any, **kwargs: Any) -> concurrent.futures.Future:
        f: concurrent.futures.Future = concurrent.futures.Future()
        try:
            f.set_result(self.fn(*args, **kwargs))
        except Exception as e:
            f.set_exception(e)
        return f

    def local(self, *args: Any, **kwargs: Any) -> Any:
        return self.fn(*args, **kwargs)

    def map(self, *iterables: Any, timeout: Any = None, chunksize: int = 1) -> Any:
        return map(self.fn, *iterables)

    def options(self, **_: Any) -> "LocalParallel":
        return self
