"""An in-process executor for the tests that need thousands of jobs to end quickly, or outcomes a real
sandbox does not produce on demand (status failed, a payload error, a damaged result).

It speaks the real executor protocol to the real gateway (POST /executor/lease, PUT /jobs/<id>/result)
for the catalog runtime "python3-fast", which no real executor serves, and runs each call in this
process - no sandbox, so only the tests' own payloads go there. ``handler(job, call)`` decides the
outcome; the default runs the call and reports it like the real harness does.
"""
from __future__ import annotations

import base64
import http.client
import io
import json
import pickle
import threading
import traceback
import urllib.parse
import uuid
from typing import Any, Callable, Optional

import cloudpickle

RUNTIME = "python3-fast"


def load_call(data: bytes) -> Any:
    """The call of a payload, after its optional version header (as the real harness reads it)."""
    f = io.BytesIO(data)
    first = pickle.load(f)
    return pickle.load(f) if isinstance(first, dict) and "python" in first else first


def run_call(job: dict, call: Any) -> dict:
    """What the real harness reports for this call."""
    fn, args, kwargs = call
    try:
        value = fn(*args, **kwargs)
    except Exception as e:
        return {"status": "completed", "verdict": "EXC",
                "error": {"type": type(e).__qualname__, "message": str(e),
                          "traceback": "".join(traceback.format_exception(e))},
                "result": base64.b64encode(cloudpickle.dumps(e)).decode()}
    return {"status": "completed", "verdict": "OK", "result": base64.b64encode(cloudpickle.dumps(value)).decode()}


class FastExecutor:
    def __init__(self, url: str, token: str, handler: Optional[Callable[[dict, Any], dict]] = None,
                 threads: int = 2, batch: int = 100):
        self.url, self.token = url, token
        self.handler = handler or run_call
        self.batch = batch
        self.executor_id = str(uuid.uuid4())
        self.stopping = threading.Event()
        self.done = 0
        self._lock = threading.Lock()
        self.threads = [threading.Thread(target=self._loop, daemon=True, name="fake-executor")
                        for _ in range(threads)]
        for t in self.threads:
            t.start()

    def _conn(self) -> http.client.HTTPConnection:
        u = urllib.parse.urlsplit(self.url)
        return http.client.HTTPConnection(u.hostname, u.port, timeout=30)

    def _call(self, conn: http.client.HTTPConnection, method: str, path: str, body: dict) -> tuple[int, Any]:
        conn.request(method, path, json.dumps(body), {"Authorization": "Bearer " + self.token,
                                                      "Content-Type": "application/json"})
        r = conn.getresponse()
        raw = r.read()
        return r.status, json.loads(raw) if raw else None

    def _loop(self) -> None:
        conn = self._conn()
        while not self.stopping.is_set():
            try:
                status, doc = self._call(conn, "POST", "/executor/lease", {
                    "executor_id": self.executor_id, "name": "fake", "runtimes": [RUNTIME],
                    "max_jobs": self.batch, "slots": self.batch, "wait": 1})
            except (OSError, http.client.HTTPException):
                conn.close()
                conn = self._conn()
                continue
            if status != 200:
                continue
            for job in doc["jobs"]:
                call = load_call(base64.b64decode(job["spec"]["code"]))
                outcome = self.handler(job, call)
                outcome["lease"] = job["lease"]
                outcome.setdefault("usage", {"cpu_ms": 0, "wall_ms": 0, "memory_kb": 0})
                try:
                    self._call(conn, "PUT", "/jobs/%s/result" % job["id"], outcome)
                except (OSError, http.client.HTTPException):
                    conn.close()
                    conn = self._conn()
                with self._lock:
                    self.done += 1
        conn.close()

    def stop(self) -> None:
        self.stopping.set()
        for t in self.threads:
            t.join(10)
