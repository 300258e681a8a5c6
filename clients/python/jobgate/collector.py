"""The collector: one thread per client that completes its futures.

It long-polls ``POST /jobs/wait`` (which answers as soon as one of the listed jobs has ended) over the
outstanding job ids, with up to ``max_polls`` polls in flight at once, multiplexed on one ``selectors``
loop, each on its own keep-alive connection: ten thousand outstanding futures cost a few dozen parked
requests and no thread each. A socketpair wakes the loop when new ids arrive.

Scheduling:
- Ids waiting for a poll ("unpolled", oldest first) go into a new poll while fewer than ``max_polls``
  are in flight. A poll takes ``batch_min`` ids, or more when there are more outstanding ids than
  ``max_polls * batch_min`` (at most ``batch_max``, the gateway's ``--max-batch``, learned from a 422).
  The gateway's cost per listed id grows past a few hundred ids, and jobs mostly end oldest first, so
  small polls of the oldest ids keep the busy poll cheap.
- When a poll answers, its still-pending ids go back to the front of the queue. If it answered within
  ``linger`` of being sent (jobs of that poll are ending fast), they rest until ``linger`` after the
  send, so that the next answer carries several jobs instead of one: a batching window, not a sleep.
- If every poll is in flight and ids keep waiting (all the polls cover long jobs), the smallest poll
  is given up (its connection closed) and its ids merged with the waiting ones, at most once per
  ``supersede_interval``: a new job is never left unwatched for long.

The collector also dispatches deferred submissions: a job whose arguments include futures that were
not done is pickled and submitted here once they are (``Client._dispatch_deferred``).
"""
from __future__ import annotations

import math
import selectors
import socket
import threading
import time
from collections import deque
from typing import TYPE_CHECKING, Any, Callable, Optional

from . import serialize
from .errors import APIError, JobgateError, JobNotFound

if TYPE_CHECKING:
    import http.client

    from .futures import JobFuture
    from .transport import Transport


class _Poll:
    __slots__ = ("conn", "ids", "sent", "deadline", "reused")

    def __init__(self, conn: "http.client.HTTPConnection", ids: list, sent: float, deadline: float, reused: bool):
        self.conn, self.ids, self.sent, self.deadline, self.reused = conn, ids, sent, deadline, reused


class Collector:
    def __init__(self, transport: "Transport", dispatch: Callable[[list], None], poll_timeout: float = 30.0,
                 max_polls: int = 64, batch_min: int = 200, batch_max: int = 1000, linger: float = 0.01,
                 supersede_interval: float = 0.1):
        self._transport = transport
        self._dispatch = dispatch
        self.poll_timeout = poll_timeout
        self.max_polls = max_polls
        self.batch_min, self.batch_max = batch_min, batch_max
        self.linger = linger
        self.supersede_interval = supersede_interval
        self._lock = threading.Lock()
        self._futures: dict[str, "JobFuture"] = {}
        self._unpolled: deque[str] = deque()
        self._resting: deque[tuple[float, list]] = deque()  # (not before, ids) of polls that answered fast
        self._deferred: list = []
        self._wake_r, self._wake_w = socket.socketpair()
        self._wake_r.setblocking(False)
        self._wake_w.setblocking(False)
        self._woken = False
        self._closed = False
        self._thread: Optional[threading.Thread] = None
        self.stats = {"polls": 0, "answers": 0, "superseded": 0, "errors": 0}

    # --- called from any thread -------------------------------------------------------------------

    def track(self, futures: list) -> None:
        """Watch these futures (their job_id is set) until their jobs end."""
        with self._lock:
            if self._closed:
                raise JobgateError("the client is closed")
            for f in futures:
                self._futures[f.job_id] = f
                self._unpolled.append(f.job_id)
            self._wake_locked()

    def forget(self, job_id: str) -> None:
        with self._lock:
            self._futures.pop(job_id, None)

    def defer(self, item: Any) -> None:
        """Hand a deferred submission to the collector thread (its dependencies are done)."""
        with self._lock:
            if self._closed:
                return
            self._deferred.append(item)
            self._wake_locked()

    def outstanding(self) -> int:
        with self._lock:
            return len(self._futures)

    def close(self) -> list:
        """Stop the thread (it closes its sockets on the way out); returns the futures still
        outstanding, for the caller to fail. May be called from a done callback, on the thread."""
        with self._lock:
            if self._closed:
                return []
            self._closed = True
            started = self._thread is not None
            if started:
                self._signal_locked()
        if not started:
            self._wake_r.close()
            self._wake_w.close()
        self.join()
        with self._lock:
            left = list(self._futures.values())
            self._futures.clear()
            deferred, self._deferred = self._deferred, []
        return left + [d.future for d in deferred]

    def join(self, timeout: float = 10.0) -> None:
        """Wait for the stopped thread to end (not from the thread itself)."""
        thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout)
            if not thread.is_alive():
                self._thread = None

    def _wake_locked(self) -> None:
        if self._thread is None and not self._closed:
            self._thread = threading.Thread(target=self._run, name="jobgate-collector", daemon=True)
            self._thread.start()
        self._signal_locked()

    def _signal_locked(self) -> None:
        if not self._woken:
            self._woken = True
            try:
                self._wake_w.send(b"x")
            except BlockingIOError:
                pass

    # --- the collector thread ---------------------------------------------------------------------

    def _run(self) -> None:
        sel = selectors.DefaultSelector()
        sel.register(self._wake_r, selectors.EVENT_READ, None)
        polls: dict[int, _Poll] = {}
        idle: list = []
        retry_at = 0.0       # after an error: no new polls before this
        backoff = 0.05
        next_supersede = 0.0
        try:
            while True:
                # Drain the wake-ups first, then read the state: a wake-up after this point sends a
                # byte that the select below sees, so none is lost.
                try:
                    while self._wake_r.recv(4096):
                        pass
                except BlockingIOError:
                    pass
                with self._lock:
                    self._woken = False
                    if self._closed:
                        return
                    deferred, self._deferred = self._deferred, []
                if deferred:
                    self._dispatch(deferred)

                now = time.monotonic()
                rest_until = self._wake_rested(now)
                wake_at: Optional[float] = None
                if now < retry_at:
                    wake_at = retry_at if self._waiting() else None
                elif not self._fill(sel, polls, idle):
                    retry_at, backoff = now + backoff, min(backoff * 2, 5.0)
                    wake_at = retry_at
                elif self._waiting():
                    # Every poll is in flight and ids wait: give up the smallest poll and merge.
                    victim = min(polls.values(), key=lambda p: len(p.ids))
                    if len(victim.ids) < self._poll_size():
                        if now >= next_supersede:
                            self._drop(sel, polls, victim)
                            self._requeue(victim.ids)
                            self.stats["superseded"] += 1
                            next_supersede = now + self.supersede_interval
                            if not self._fill(sel, polls, idle):
                                retry_at, backoff = now + backoff, min(backoff * 2, 5.0)
                        wake_at = next_supersede

                for t in [p.deadline for p in polls.values()] + ([rest_until] if rest_until else []):
                    wake_at = t if wake_at is None else min(wake_at, t)
                timeout = None if wake_at is None else max(0.0, wake_at - now)
                for key, _ in sel.select(timeout):
                    if key.data is None:
                        continue
                    if self._finish(sel, polls, idle, key.data):
                        backoff = 0.05
                    else:
                        retry_at, backoff = time.monotonic() + backoff, min(backoff * 2, 5.0)
                now = time.monotonic()
                for p in [p for p in polls.values() if now > p.deadline]:  # a gateway that never answered
                    self._drop(sel, polls, p)
                    self._requeue(p.ids)
        finally:
            for p in list(polls.values()):
                p.conn.close()
            for c in idle:
                c.close()
            sel.close()
            self._wake_r.close()
            self._wake_w.close()

    def _waiting(self) -> bool:
        with self._lock:
            while self._unpolled and self._unpolled[0] not in self._futures:
                self._unpolled.popleft()
            return bool(self._unpolled)

    def _poll_size(self) -> int:
        with self._lock:
            n = len(self._futures)
        return min(self.batch_max, max(self.batch_min, math.ceil(n / self.max_polls)))

    def _wake_rested(self, now: float) -> Optional[float]:
        """Move rested ids whose window is over to the front of the queue; when the next window ends."""
        with self._lock:
            due = []
            while self._resting and self._resting[0][0] <= now:
                due.extend(self._resting.popleft()[1])
            self._unpolled.extendleft(reversed([i for i in due if i in self._futures]))
            return self._resting[0][0] if self._resting else None

    def _fill(self, sel: selectors.BaseSelector, polls: dict, idle: list) -> bool:
        """Start polls for the unpolled ids while fewer than max_polls are in flight."""
        size = self._poll_size()
        while len(polls) < self.max_polls:
            ids = self._take(size)
            if not ids:
                return True
            if not self._start(sel, polls, idle, ids):
                return False
        return True

    def _take(self, n: int) -> list:
        """Up to n unpolled ids whose futures are still wanted."""
        out: list = []
        with self._lock:
            while self._unpolled and len(out) < n:
                i = self._unpolled.popleft()
                if i in self._futures:
                    out.append(i)
        return out

    def _requeue(self, ids: list) -> None:
        with self._lock:
            self._unpolled.extendleft(reversed([i for i in ids if i in self._futures]))

    def _start(self, sel: selectors.BaseSelector, polls: dict, idle: list, ids: list) -> bool:
        """Send one POST /jobs/wait for ids on an idle connection (or a new one) and register it."""
        path, body, headers = self._transport.encode("POST", "/jobs/wait", {"ids": ids, "timeout": self.poll_timeout})
        while True:
            reused = bool(idle)
            conn = None
            try:
                conn = idle.pop() if reused else self._transport.connect(timeout=self.poll_timeout + 30)
                conn.request("POST", path, body=body, headers=headers)
                break
            except OSError:
                if conn is not None:
                    conn.close()
                if not reused:
                    self.stats["errors"] += 1
                    self._requeue(ids)
                    return False
        now = time.monotonic()
        poll = _Poll(conn, ids, now, now + self.poll_timeout + 30, reused)
        polls[conn.sock.fileno()] = poll
        sel.register(conn.sock, selectors.EVENT_READ, poll)
        self.stats["polls"] += 1
        return True

    def _drop(self, sel: selectors.BaseSelector, polls: dict, poll: _Poll) -> None:
        fd = poll.conn.sock.fileno()
        sel.unregister(fd)
        del polls[fd]
        poll.conn.close()

    def _finish(self, sel: selectors.BaseSelector, polls: dict, idle: list, poll: _Poll) -> bool:
        """Read a poll's answer and deliver it. False on a transport or server error (ids requeued)."""
        fd = poll.conn.sock.fileno()
        sel.unregister(fd)
        del polls[fd]
        try:
            resp = poll.conn.getresponse()
            raw = resp.read()
        except Exception:  # OSError, http.client errors: a reset, a keep-alive the gateway closed
            poll.conn.close()
            self._requeue(poll.ids)
            if poll.reused:  # most likely an idle connection the gateway had closed: retry at once
                return True
            self.stats["errors"] += 1
            return False
        if resp.will_close:
            poll.conn.close()
        else:
            idle.append(poll.conn)
        self.stats["answers"] += 1
        try:
            doc = self._transport.decode(resp.status, raw, "POST", "/jobs/wait", (200,))
        except APIError as e:
            if e.status == 422 and e.field == "ids" and len(poll.ids) > 1:
                self.batch_max = max(1, len(poll.ids) // 2)  # more ids than the gateway's --max-batch
                self.batch_min = min(self.batch_min, self.batch_max)
                self._requeue(poll.ids)
                return True
            if 400 <= e.status < 500 and e.status not in (408, 429):
                self._fail(poll.ids, e)  # refused for good (a revoked token...): fail the futures
                return True
            self.stats["errors"] += 1
            self._requeue(poll.ids)
            return False
        if not isinstance(doc, dict):
            self.stats["errors"] += 1
            self._requeue(poll.ids)
            return False
        self._deliver(doc, poll)
        return True

    def _deliver(self, doc: dict, poll: _Poll) -> None:
        ended = doc.get("jobs") or []
        missing = doc.get("missing") or []
        rest_until = poll.sent + self.linger
        with self._lock:
            done = [(self._futures.pop(j.get("id"), None), j) for j in ended]
            gone = [self._futures.pop(i, None) for i in missing]
            answered = {j.get("id") for j in ended} | set(missing)
            left = [i for i in poll.ids if i not in answered and i in self._futures]
            if left and time.monotonic() < rest_until:
                self._resting.append((rest_until, left))
            else:
                self._unpolled.extendleft(reversed(left))
        for fut, job in done:
            if fut is not None:
                serialize.apply(fut, job)
        for fut, i in zip(gone, missing):
            if fut is not None:
                try:
                    fut.set_exception(JobNotFound("job %s does not exist (or is not yours)" % i, {"id": i}))
                except Exception:
                    pass

    def _fail(self, ids: list, err: BaseException) -> None:
        with self._lock:
            futs = [self._futures.pop(i, None) for i in ids]
        for f in futs:
            if f is not None:
                try:
                    f.set_exception(err)
                except Exception:
                    pass
