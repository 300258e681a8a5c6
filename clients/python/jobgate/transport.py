"""HTTP to the gateway with the standard library: keep-alive connections, JSON bodies, problem
documents turned into APIError, and retries where they are safe.

Every request the SDK makes may be retried: reads, cancels and waits are idempotent, and submits carry
an ``Idempotency-Key``, so a submit retried after a lost answer returns the jobs the first attempt
created instead of creating them twice.
"""
from __future__ import annotations

import http.client
import json
import random
import socket
import ssl
import threading
import time
import urllib.parse
from typing import Any, Iterable, Optional

from . import __version__
from .errors import APIError, JobgateError

# Errors after which a request may simply be sent again (on a fresh connection).
RETRYABLE = (ConnectionError, http.client.HTTPException, socket.timeout, TimeoutError, OSError)


class Transport:
    """Keep-alive connections to one gateway, shared by the threads of a client (a small pool)."""

    def __init__(self, url: str, token: str, timeout: float = 30.0, retry_for: float = 60.0):
        u = urllib.parse.urlsplit(url)
        if u.scheme not in ("http", "https") or not u.hostname:
            raise JobgateError(f"the gateway URL must be http:// or https://, got {url!r}")
        self.url = url
        self.https = u.scheme == "https"
        self.host = u.hostname
        self.port = u.port or (443 if self.https else 80)
        self.prefix = u.path.rstrip("/")
        self.timeout = timeout
        self.retry_for = retry_for
        self.headers = {"Authorization": "Bearer " + token, "Content-Type": "application/json",
                        "Accept": "application/json", "User-Agent": "jobgate-python/" + __version__}
        self._idle: list[http.client.HTTPConnection] = []
        self._lock = threading.Lock()
        self._ssl = ssl.create_default_context() if self.https else None

    def connect(self, timeout: Optional[float] = None) -> http.client.HTTPConnection:
        """A new connection (not from the pool); the caller owns it."""
        t = self.timeout if timeout is None else timeout
        if self.https:
            conn: http.client.HTTPConnection = http.client.HTTPSConnection(
                self.host, self.port, timeout=t, context=self._ssl)
        else:
            conn = http.client.HTTPConnection(self.host, self.port, timeout=t)
        conn.connect()
        conn.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return conn

    def _take(self) -> tuple[http.client.HTTPConnection, bool]:
        with self._lock:
            if self._idle:
                return self._idle.pop(), True
        return self.connect(), False

    def _give(self, conn: http.client.HTTPConnection) -> None:
        with self._lock:
            if len(self._idle) < 16:
                self._idle.append(conn)
                return
        conn.close()

    def close(self) -> None:
        with self._lock:
            idle, self._idle = self._idle, []
        for c in idle:
            c.close()

    def encode(self, method: str, path: str, body: Any = None,
               headers: Optional[dict] = None) -> tuple[str, bytes | None, dict]:
        data = None if body is None else json.dumps(body, separators=(",", ":")).encode()
        h = self.headers if not headers else {**self.headers, **headers}
        return self.prefix + path, data, h

    @staticmethod
    def decode(status: int, raw: bytes, method: str, path: str, expect: Iterable[int]) -> Any:
        try:
            doc = json.loads(raw) if raw else None
        except ValueError:
            doc = None
        if status not in expect:
            if status >= 400 and isinstance(doc, dict):
                raise APIError(status, doc, method, path)
            raise APIError(status, {"detail": raw[:200].decode("utf-8", "replace")}, method, path)
        return doc

    def request(self, method: str, path: str, body: Any = None, *, expect: Iterable[int] = (200, 201),
                headers: Optional[dict] = None, timeout: Optional[float] = None) -> tuple[int, Any]:
        """Send one request, retrying connection errors and 503s for up to ``retry_for`` seconds.
        Returns (status, JSON document) when the status is in ``expect``; raises APIError otherwise."""
        full, data, h = self.encode(method, path, body, headers)
        deadline = time.monotonic() + self.retry_for
        delay = 0.05
        while True:
            conn, reused = self._take()
            try:
                conn.timeout = self.timeout if timeout is None else timeout
                if conn.sock is not None:
                    conn.sock.settimeout(conn.timeout)
                conn.request(method, full, body=data, headers=h)
                resp = conn.getresponse()
                raw = resp.read()
                status = resp.status
                retry_after = resp.getheader("Retry-After")
                if resp.will_close:
                    conn.close()
                else:
                    self._give(conn)
            except RETRYABLE as e:
                conn.close()
                if reused:  # a keep-alive connection the server had closed: try a fresh one at once
                    continue
                if time.monotonic() + delay > deadline:
                    raise JobgateError(f"{method} {path}: cannot reach the gateway at {self.url}: {e}") from e
                time.sleep(delay * (0.5 + random.random()))
                delay = min(delay * 2, 2.0)
                continue
            if status == 503 and time.monotonic() < deadline:
                try:
                    wait = min(float(retry_after or 1), 5.0)
                except ValueError:
                    wait = 1.0
                time.sleep(min(wait, max(0.0, deadline - time.monotonic())))
                continue
            return status, self.decode(status, raw, method, path, expect)
