"""CPython's own concurrent.futures tests (Debian's libpython3.11-testsuite), run against
jobgate.Executor on the real stack.

The test module's executor-independent test classes are reused as they are, with jobgate.Executor as
the executor type: WaitTests, AsCompletedTests, ExecutorTest, ExecutorShutdownTest, InitializerMixin,
and the part of ProcessPoolExecutorTest that is about behaviour rather than process-pool internals.
The tests of those classes that do not apply to a remote executor are skipped, each with its reason
(NOT_APPLICABLE). Not used at all:
- FailingInitializerMixin: a failing initializer breaks a pool (BrokenExecutor); here the initializer runs
  in each job, and its exception is that job's outcome.
- ExecutorDeadlockTest: a pool's worker dying while it unpickles a task or pickles a result
  (BrokenProcessPool); here such a failure is the job's own outcome (RemoteCrash, PayloadError,
  ResultError: tests/test_exceptions.py), and a task that does not pickle raises from submit().
- FutureTests: the Future class itself, which JobFuture inherits unchanged.
- ThreadPool*/ProcessPool* tests outside ProcessPoolExecutorTest: the internals of those pools (threads,
  processes, contexts, interpreter shutdown).
"""
from __future__ import annotations

import functools
import sys
import unittest

import cloudpickle
import pytest

import jobgate

cf = pytest.importorskip("test.test_concurrent_futures",
                         reason="CPython's test suite is not installed (Debian: libpython3.11-testsuite)")

# The test module's helpers (mul, sleep_and_raise, init, ...) travel by value: the executor's host need
# not have the test suite installed.
cloudpickle.register_pickle_by_value(cf)

NOT_APPLICABLE = {
    # ExecutorShutdownTest
    "test_interpreter_shutdown": "runs a script that imports the executor class from concurrent.futures",
    "test_submit_after_interpreter_shutdown": "same: a script importing the class from concurrent.futures",
    "test_hang_gh83386": "same: a script importing the class from concurrent.futures",
    # ProcessPoolExecutorTest: process-pool internals
    "test_killed_child": "kills one of the pool's worker processes (executor._processes); jobgate has no "
                         "worker processes on the client, and a killed job raises RemoteCrash",
    "test_ressources_gced_in_workers": "passes a multiprocessing.Manager proxy, which needs a connection "
                                       "back to this process (jobs have no network)",
    "test_saturation": "counts the pool's processes (executor._processes)",
    "test_idle_process_reuse_one": "counts the pool's processes (executor._processes)",
    "test_idle_process_reuse_multiple": "counts the pool's processes (executor._processes)",
    "test_max_tasks_per_child": "worker processes are recycled per task: every job is a fresh process already",
    "test_max_tasks_per_child_defaults_to_spawn_context": "checks the pool's multiprocessing context",
    "test_max_tasks_early_shutdown": "checks the pool's worker-recycling bookkeeping",
    "test_max_workers_too_large": "a Windows process limit",
    "test_traceback": "asserts the cause is concurrent.futures.process._RemoteTraceback; the same test with "
                      "jobgate.RemoteTraceback is test_traceback_jobgate below",
}


def _raise_123():
    raise RuntimeError(123)  # some comment


class JobgateMixin(cf.ExecutorMixin):
    executor_type: object = None  # set by the fixture: jobgate.Executor bound to the test stack
    worker_count = 2


@pytest.fixture(scope="module", autouse=True)
def _bind_stack(stack):
    JobgateMixin.executor_type = functools.partial(jobgate.Executor, url=stack.url, token=stack.client_token)
    yield


def _skip_not_applicable(cls):
    for name, reason in NOT_APPLICABLE.items():
        if hasattr(cls, name):
            setattr(cls, name, unittest.skip("not applicable: " + reason)(getattr(cls, name)))
    return cls


@_skip_not_applicable
class JobgateWaitTest(JobgateMixin, cf.WaitTests, cf.BaseTestCase):
    pass


@_skip_not_applicable
class JobgateAsCompletedTest(JobgateMixin, cf.AsCompletedTests, cf.BaseTestCase):
    pass


@_skip_not_applicable
class JobgateShutdownTest(JobgateMixin, cf.ExecutorShutdownTest, cf.BaseTestCase):
    pass


@_skip_not_applicable
class JobgateInitializerTest(cf.InitializerMixin, JobgateMixin, cf.BaseTestCase):
    pass


@_skip_not_applicable
class JobgateExecutorTest(JobgateMixin, cf.ProcessPoolExecutorTest, cf.BaseTestCase):
    """ExecutorTest (submit, map, timeouts, references) plus ProcessPoolExecutorTest's chunksize test."""

    def test_traceback_jobgate(self):
        # CPython's test_traceback with jobgate's cause class: the remote traceback (with the source
        # line, filled in from this file) is the exception's cause and shows in the printed traceback.
        future = self.executor.submit(_raise_123)
        with self.assertRaises(Exception) as cm:
            future.result()
        exc = cm.exception
        self.assertIs(type(exc), RuntimeError)
        self.assertEqual(exc.args, (123,))
        self.assertIs(type(exc.__cause__), jobgate.RemoteTraceback)
        self.assertIn("raise RuntimeError(123)  # some comment", exc.__cause__.tb)
        with cf.support.captured_stderr() as f1:
            try:
                raise exc
            except RuntimeError:
                sys.excepthook(*sys.exc_info())
        self.assertIn("raise RuntimeError(123)  # some comment", f1.getvalue())
