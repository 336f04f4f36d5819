"""Calls between the app server and one trainer process, over a `multiprocessing` pipe.

Each message is a pickled tuple. Only the server and the worker it started hold the two ends
of the pipe (no socket anyone else can reach), so unpickling what comes through it is as safe
as the worker itself; nothing from a user's file ever travels this way unparsed. Plain
`pickle` is used, not multiprocessing's pickler: torch registers shared-memory reductions
there, and a tensor must arrive as a copy.

A call waits for its reply with a timeout; every incoming call runs on a thread of its own,
so a slow one (a snapshot waiting for a view) never holds up the next. When the other end
goes away (it exited, was killed, or the pipe broke) every waiting call fails at once with
`WorkerLostError` and `on_close` is called.
"""

from __future__ import annotations

import itertools
import logging
import pickle
import socket
import threading
from typing import Any, Callable

from ganlab.training.runner_state import TrainerUnavailable

log = logging.getLogger(__name__)


class WorkerLostError(TrainerUnavailable):
    """The trainer on the other end is gone (its process died, or the link to it broke)."""


class NoAnswerError(TimeoutError, TrainerUnavailable):
    """The other end did not answer in time (it may be stopped or stuck), as opposed to a
    TimeoutError raised by the handler itself and sent back."""


class RemoteError(RuntimeError):
    """An exception raised by the other end that could not be sent back as itself."""


class Channel:
    def __init__(self, conn: Any, handlers: dict[str, Callable[..., Any]] | None = None,
                 on_close: Callable[[], None] | None = None, name: str = "channel") -> None:
        self._conn = conn
        self._handlers = handlers if handlers is not None else {}
        self._on_close = on_close
        self._send_lock = threading.Lock()
        self._lock = threading.Lock()
        self._waiting: dict[int, tuple[threading.Event, dict]] = {}
        self._ids = itertools.count(1)
        self._closed = False
        self._reader = threading.Thread(target=self._read, name=f"{name}-reader", daemon=True)
        self._reader.start()

    @property
    def closed(self) -> bool:
        return self._closed

    def call(self, name: str, *args: Any, timeout: float = 30.0, **kwargs: Any) -> Any:
        """Run handler `name` on the other end and return its result (or raise its exception).
        NoAnswerError (a TimeoutError) when no reply came in `timeout` s; WorkerLostError when the other end is gone."""
        call_id = next(self._ids)
        done = threading.Event()
        box: dict[str, Any] = {}
        with self._lock:
            if self._closed:
                raise WorkerLostError("the trainer process is gone")
            self._waiting[call_id] = (done, box)
        try:
            self._send(("call", call_id, name, args, kwargs))
            if not done.wait(timeout):
                raise NoAnswerError(f"the trainer did not answer {name!r} within {timeout:g} s")
        finally:
            with self._lock:
                self._waiting.pop(call_id, None)
        if "lost" in box:
            raise WorkerLostError("the trainer process is gone")
        if "error" in box:
            raise box["error"]
        return box["result"]

    def close(self) -> None:
        """Break the link: the other end sees EOF, and calls waiting here fail. (Only closing the
        pipe would not do: a reader blocked on it keeps the socket open.)"""
        try:
            with socket.fromfd(self._conn.fileno(), socket.AF_UNIX, socket.SOCK_STREAM) as sock:
                sock.shutdown(socket.SHUT_RDWR)
        except OSError:  # closed already, or not a socket
            pass
        try:
            self._conn.close()
        except OSError:
            pass
        self._lost()

    def join(self, timeout: float | None = None) -> None:
        self._reader.join(timeout)

    # ------------------------------------------------------------------ inside
    def _send(self, message: tuple) -> None:
        self._send_bytes(pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL))

    def _send_bytes(self, data: bytes) -> None:
        try:
            with self._send_lock:
                self._conn.send_bytes(data)
        except (OSError, ValueError, EOFError) as exc:  # a closed or broken pipe
            self._lost()
            raise WorkerLostError("the trainer process is gone") from exc

    def _read(self) -> None:
        while True:
            try:
                data = self._conn.recv_bytes()
            except (EOFError, OSError, ValueError, TypeError):  # TypeError: close() took the handle mid-read
                break
            try:
                message = pickle.loads(data)
            except Exception:  # a reply that cannot be unpickled here: fail that call, keep the link
                log.exception("unreadable message on %s", self._reader.name)
                continue
            kind = message[0]
            if kind == "call":
                threading.Thread(target=self._serve, args=message[1:], daemon=True,
                                 name=f"{self._reader.name}-call").start()
            elif kind == "reply":
                _, call_id, ok, value = message
                with self._lock:
                    waiter = self._waiting.get(call_id)
                if waiter is not None:
                    waiter[1]["result" if ok else "error"] = value
                    waiter[0].set()
        self._lost()

    def _serve(self, call_id: int, name: str, args: tuple, kwargs: dict) -> None:
        try:
            ok, value = True, self._handlers[name](*args, **kwargs)
        except Exception as exc:
            ok, value = False, exc
        try:
            data = pickle.dumps(("reply", call_id, ok, value), protocol=pickle.HIGHEST_PROTOCOL)
        except Exception as exc:  # an unpicklable result or exception: say so instead
            log.error("cannot send the reply to %r back: %s", name, exc)
            text = str(value) if not ok else f"the result of {name!r} could not be sent back"
            data = pickle.dumps(("reply", call_id, False, RemoteError(text)))
        try:
            self._send_bytes(data)
        except WorkerLostError:
            pass

    def _lost(self) -> None:
        with self._lock:
            if self._closed:
                return
            self._closed = True
            waiting = list(self._waiting.values())
        for done, box in waiting:
            box["lost"] = True
            done.set()
        if self._on_close is not None:
            try:
                self._on_close()
            except Exception:
                log.exception("on_close failed")
