"""jobgate: run Python functions as sandboxed jobs on a jobgate gateway, with concurrent.futures semantics.

    import jobgate

    client = jobgate.Client()                 # JOBGATE_URL / JOBGATE_TOKEN, or a profile
    f = client.submit(pow, 2, 10)             # a concurrent.futures.Future with .job_id
    f.result()                                # 1024
    list(client.map(pow, range(5), [2] * 5))  # [0, 1, 4, 9, 16], submitted in batches

    @jobgate.parallel(limits={"cpu_ms": 2000})
    def slow(x): ...

    with jobgate.Executor() as ex:            # a drop-in for ProcessPoolExecutor
        print(list(ex.map(abs, [-1, -2])))
"""
__version__ = "0.1.0"

from .client import Client, default_client, gather, set_default_client  # noqa: E402
from .errors import (APIError, ConfigError, ForbiddenSyscall, JobError, JobFailed, JobgateError,  # noqa: E402
                     JobNotFound, LimitExceeded, MemoryLimitExceeded, OutputLimitExceeded, PayloadError,
                     PythonVersionMismatch, RemoteCrash, RemoteError, RemoteTraceback, ResultError, TimeLimitExceeded)
from .executor import Executor  # noqa: E402
from .futures import (ALL_COMPLETED, FIRST_COMPLETED, FIRST_EXCEPTION, JobFuture, as_completed,  # noqa: E402
                      wait)
from .parallel import ParallelFunction, parallel  # noqa: E402

__all__ = [
    "Client", "Executor", "JobFuture", "ParallelFunction", "parallel", "gather", "as_completed", "wait",
    "default_client", "set_default_client", "ALL_COMPLETED", "FIRST_COMPLETED", "FIRST_EXCEPTION",
    "JobgateError", "ConfigError", "APIError", "JobError", "LimitExceeded", "TimeLimitExceeded",
    "MemoryLimitExceeded", "OutputLimitExceeded", "ForbiddenSyscall", "RemoteCrash", "RemoteError",
    "RemoteTraceback", "PayloadError", "PythonVersionMismatch", "ResultError", "JobFailed", "JobNotFound",
]
