"""``@jobgate.parallel``: functions whose calls run as jobs.

    @jobgate.parallel                       # the default client (environment / config file)
    def score(x): ...

    @client.parallel(limits={"cpu_ms": 20000}, labels={"team": "search"})
    def train(cfg): ...

    f = score(3)                # a JobFuture
    list(score.map(range(100))) # results in order (batched submission)
    score.local(3)              # runs here, in this process
    score.options(priority=5)(3)
"""
from __future__ import annotations

import functools
from typing import Any, Callable, Iterable, Iterator, Mapping, Optional

from . import _remote, options as _options
from .futures import JobFuture


class ParallelFunction:
    """A function whose calls are submitted as jobs (see the module documentation)."""

    def __init__(self, fn: Callable, client: Any = None, opts: Optional[Mapping[str, Any]] = None):
        if not callable(fn):
            raise TypeError("@parallel needs a callable, got %r" % (fn,))
        self.fn = fn
        self._client = client
        self._opts = dict(opts or {})
        functools.update_wrapper(self, fn)

    def __repr__(self) -> str:
        return "<jobgate.parallel %s%s>" % (getattr(self.fn, "__qualname__", self.fn),
                                             " %s" % self._opts if self._opts else "")

    def client(self) -> Any:
        if self._client is not None:
            return self._client
        from .client import default_client
        return default_client()

    def __call__(self, *args: Any, **kwargs: Any) -> JobFuture:
        """Submit one call; returns its future."""
        return self.client().submit(self.fn, *args, options=self._opts, **kwargs)

    submit = __call__

    def map(self, *iterables: Iterable, timeout: Optional[float] = None, chunksize: int = 1) -> Iterator:
        """Results of fn over the iterables, in order (see Client.map)."""
        return self.client().map(self.fn, *iterables, timeout=timeout, chunksize=chunksize, options=self._opts)

    def local(self, *args: Any, **kwargs: Any) -> Any:
        """Call the function here, in this process."""
        return self.fn(*args, **kwargs)

    def options(self, **opts: Any) -> "ParallelFunction":
        """The same function with these job options merged over the current ones."""
        return ParallelFunction(self.fn, self._client, _options.merge(self._opts, opts))

    def __reduce__(self) -> Any:
        # Inside a job there is no gateway to submit to: the function runs in place there.
        return (_remote.LocalParallel, (self.fn,))


def parallel(fn: Optional[Callable] = None, /, *, client: Any = None, **opts: Any) -> Any:
    """Decorator: ``@jobgate.parallel`` or ``@jobgate.parallel(client=..., limits=..., ...)``."""
    merged = _options.merge(opts)
    if fn is not None:
        return ParallelFunction(fn, client, merged)
    return lambda f: ParallelFunction(f, client, merged)
