"""One writer at a time for a saved run: a lease file in the run folder naming who writes it.

Whoever trains into a saved run (a page's session that continued or resumed it, a session
that keeps saving its training, `ganlab train`) takes the run's lease first; a second one is
refused with the holder named in words a participant understands (and may continue a copy).

A lease counts only while its holder lives, judged by the same machinery as config.json's
writer (ganlab.storage.liveness: PID and process start time): a killed `ganlab train` or a
stopped server leaves a lease that the next taker replaces. A server holds the leases of
many sessions in one process, so a lease of this very process counts only while it is still
held here (released ones are forgotten even if their file could not be removed). Taking and
dropping a lease happens under an flock of the run folder: two sessions that press Continue
at the same moment cannot both get it.
"""

from __future__ import annotations

import datetime as _dt
import fcntl
import json
import logging
import os
import secrets
import threading
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator

from ganlab.storage import safefs
from ganlab.storage.liveness import is_live_writer, writer_identity
from ganlab.storage.paths import RunFormatError, atomic_write_text

log = logging.getLogger(__name__)
LEASE_FILE = "lease.json"
MAX_LEASE_BYTES = 64 * 1024

_held: dict[str, str] = {}  # resolved run folder -> token of the lease this process holds on it
_held_lock = threading.Lock()


class RunBusy(RunFormatError):
    """Another holder writes the run; the message names it and says what to do."""

    def __init__(self, message: str, holder: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.holder = holder or {}


def _key(run_dir: Path) -> str:
    return str(Path(run_dir).resolve())


def _read(run_dir: Path) -> dict[str, Any] | None:
    try:
        value = safefs.parse_json(safefs.read_capped(Path(run_dir) / LEASE_FILE, MAX_LEASE_BYTES), LEASE_FILE)
    except RunFormatError:
        return None
    return value if isinstance(value, dict) else None


def _live(lease: dict[str, Any] | None, run_dir: Path) -> bool:
    if lease is None or not isinstance(lease.get("token"), str):
        return False
    writer = lease.get("writer")
    if isinstance(writer, dict) and writer.get("pid") == os.getpid() and writer.get("started") == writer_identity()["started"]:
        with _held_lock:
            return _held.get(_key(run_dir)) == lease["token"]
    return is_live_writer(writer)


def holder(run_dir: Path) -> dict[str, Any] | None:
    """The live lease on `run_dir` ({"who", "since", "token", "writer"}), or None when nobody holds it."""
    lease = _read(run_dir)
    return lease if _live(lease, run_dir) else None


@contextmanager
def _locked(run_dir: Path) -> Iterator[None]:
    """An exclusive flock of the run folder for one take or drop (none where flock is missing)."""
    try:
        fd = os.open(run_dir, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0) | getattr(os, "O_CLOEXEC", 0))
    except OSError as exc:
        raise RunFormatError(f"run {Path(run_dir).name} cannot be opened: {exc.strerror}") from None
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
        except OSError:
            pass
        yield
    finally:
        os.close(fd)


def busy_text(name: str, lease: dict[str, Any], doing: str = "continue", offer_copy: bool = True) -> str:
    """Why run `name` cannot be written (or renamed, deleted) now, in the user's words."""
    since = lease.get("since")
    when = f" since {since[11:16]} UTC" if isinstance(since, str) and len(since) >= 16 else ""
    text = (f"Run {name} is being written by {lease.get('who') or 'another training'}{when}. A run has one "
            f"writer at a time, so you cannot {doing} it now")
    if offer_copy:
        return text + ": continue it as a copy (a new run with its history so far), or try again once that training has ended."
    return text + "; try again once that training has ended."


class RunLease:
    """This process's lease on one run folder (see `take`)."""

    def __init__(self, run_dir: Path, token: str, who: str) -> None:
        self.run_dir, self.token, self.who = Path(run_dir), token, who

    @property
    def held(self) -> bool:
        with _held_lock:
            return _held.get(_key(self.run_dir)) == self.token

    def check(self) -> None:
        """RunBusy unless this lease is still the run's (before a save)."""
        lease = _read(self.run_dir)
        if not self.held or lease is None or lease.get("token") != self.token:
            current = holder(self.run_dir)
            who = busy_text(self.run_dir.name, current, "save into") if current else (
                f"This training no longer holds run {self.run_dir.name}, so it is not saved into it.")
            raise RunBusy(who, current)

    def release(self) -> None:
        """Give the run back (its lease file removed when it is still ours)."""
        key = _key(self.run_dir)
        with _held_lock:
            if _held.get(key) != self.token:
                return
            del _held[key]
        try:
            with _locked(self.run_dir):
                lease = _read(self.run_dir)
                if lease is not None and lease.get("token") == self.token:
                    safefs.remove_inside(self.run_dir, self.run_dir / LEASE_FILE)
        except RunFormatError:
            pass  # the folder is gone (deleted or renamed): nothing to give back

    def retake(self) -> bool:
        """Take the run again after `release` (e.g. a restarted trainer); False when another holds it."""
        try:
            fresh = take(self.run_dir, self.who)
        except RunFormatError:
            return False
        self.token = fresh.token
        return True


def take(run_dir: Path, who: str) -> RunLease:
    """The lease on `run_dir` for `who` ("a session on the 2D playground", "ganlab train
    (process 412)"); RunBusy naming the holder when someone else lives and holds it."""
    run_dir = Path(run_dir)
    with _locked(run_dir):
        current = holder(run_dir)
        if current is not None:
            raise RunBusy(busy_text(run_dir.name, current), current)
        token = secrets.token_hex(8)
        lease = {"token": token, "who": who, "writer": writer_identity(),
                 "since": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds")}
        safefs.check_folder(run_dir, f"run folder {run_dir.name}")
        atomic_write_text(run_dir / LEASE_FILE, json.dumps(lease, indent=2) + "\n")
        with _held_lock:
            _held[_key(run_dir)] = token
    return RunLease(run_dir, token, who)
