"""The server's side of a remote trainer's events (a RemoteRunner mixin): its training slot and
place in line, the run's saver and the autosaves it hands over, and noticing that it died."""

from __future__ import annotations

import logging
import threading
import time
from typing import Any, Callable

from ganlab.training.channel import NoAnswerError, WorkerLostError
from ganlab.training.remote_trainer_life import HUNG_AFTER_S, TrainerStartError
from ganlab.training.runner_saving import close_saver, end_saver
from ganlab.training.runner_state import RunnerClosedError, RunState

log = logging.getLogger(__name__)

EVENT_POLL_S = 1.0
FINAL_STATE_S = 5.0  # how long a run that ends here waits for its trainer's state before keeping its last autosave


class RemoteEvents:
    """Uses the RemoteRunner's lock, slots, transport, saver and play generation; its saving
    methods are here too (the saver, and the last save of a run that ends here)."""

    # ------------------------------------------------------------------ saving
    @property
    def saver(self) -> Callable[[Any], None] | None:
        return self._saver

    def set_saver(self, saver: Callable[[Any], None] | None, save_every: float | None = None) -> None:
        """Start (or stop, with None) autosaving into a run; a replaced saver's run is given back."""
        with self._lock:
            old, self._saver = self._saver, saver
            if old is not saver:
                close_saver(old)
            if save_every is not None:
                self.save_every = save_every
        self._command("set_save_every", self.save_every if saver is not None else None)

    def save_now(self) -> None:
        """Autosave after the queued commands: into the run's folder when it has a saver, and in
        any case as the point a restart goes on from."""
        self._check_open()
        self._command("save_now")

    @property
    def save_error(self) -> str | None:
        return self._save_error

    def _end_saver(self, saver: Any, why: str) -> None:
        """The last save of the run `saver` writes: the trainer's current state when it answers in a
        few seconds, else the last autosave (and the run says it was interrupted)."""
        state = None
        if self._transport is not None and not self._lost and not self.hung:
            try:
                state = self._call("export_state", FINAL_STATE_S, timeout=2 * FINAL_STATE_S)
            except (WorkerLostError, TimeoutError, RuntimeError):
                log.warning("%s: no final state from its trainer; the run keeps its last autosave", self.id)
        if state is not None:
            self.timeline_frames()
            end_saver(saver, state, why)
        else:
            end_saver(saver, self._restart_point, "lost" if self._lost else "hung" if self.hung else why)

    def _queued(self) -> bool:
        return (self._slots is not None and self._wants_play and not self._released
                and (self._starting or self._slots.position(self.id) is not None))

    def _granted(self, gen: int) -> None:
        """A slot freed up for this run while it waited in line."""
        with self._lock:
            still_wanted = self._wants_play and self._play_gen == gen and not self._lost and not self._released
        if not still_wanted:
            self._slots.release(self.id)
        elif self._transport is None:  # a fresh run waited without a trainer: start one, off the caller's thread
            threading.Thread(target=self._start_then_play, args=(gen,), daemon=True,
                             name=f"{self.id}-start").start()
        else:
            self._send_play(gen)

    def _start_then_play(self, gen: int) -> None:
        with self._lock:
            self._starting = True
        try:
            self._ensure_trainer()
        except (TrainerStartError, RunnerClosedError) as exc:
            with self._lock:
                self._start_error = str(exc) if isinstance(exc, TrainerStartError) else None
            self._stop_playing()
            return
        finally:
            with self._lock:
                self._starting = False
        self._send_play(gen)

    def _send_play(self, gen: int) -> None:
        try:
            state = self._call("play", gen, timeout=5.0)
        except (WorkerLostError, TimeoutError):
            state = None
        if state != RunState.RUNNING:  # the run is in error (or gone): it does not train
            self._stop_playing()
            return
        with self._lock:
            overtaken = not self._wants_play or self._play_gen != gen
        if overtaken:  # paused while the play was on its way (a slot freed as the user pressed Pause)
            self._command("pause")

    def _stop_playing(self) -> None:
        with self._lock:
            self._wants_play = False
        if self._slots is not None:
            self._slots.release(self.id)

    def _pump_events(self, transport: Any) -> None:
        """Collect the trainer's events until it is released or lost (a long poll, so an idle run
        costs one waiting call). It notices a trainer that died or hung with no page asking."""
        seen = 0  # the last event number handled: the trainer sends again what a lost answer held
        while not self._released and self._transport is transport:
            patience = (EVENT_POLL_S + HUNG_AFTER_S) * self._patience()  # a shared core answers slower
            try:
                events = transport.call("next_events", EVENT_POLL_S, seen, timeout=patience)
            except WorkerLostError:
                self._on_lost(transport)
                return
            except NoAnswerError:  # stopped or stuck: the page offers a restart; this poll goes on asking
                self._on_no_answer(transport, "next_events", patience)
                continue
            except Exception:
                log.exception("%s: reading the trainer's events failed", self.id)
                time.sleep(EVENT_POLL_S)
                continue
            self._on_answer(transport)
            for number, event in events:
                if number > seen:
                    seen = number
                    self._on_event(transport, event)

    def _on_event(self, transport: Any, event: tuple) -> None:
        if event[0] == "stopped":  # paused, diverged or failed on the trainer's side
            with self._lock:
                ours = event[1] == self._play_gen and self._wants_play
            if ours:
                self._stop_playing()
        elif event[0] == "save":
            _, seq, state, frames = event
            ok = self._write_save(state, frames)
            try:
                transport.call("save_done", seq, ok, timeout=10.0)
            except (WorkerLostError, TimeoutError):
                pass

    def _write_save(self, state: Any, frames: tuple) -> bool:
        """Keep `state` as the restart point and hand it to the run's saver, if it has one."""
        from ganlab.storage.guard import save_error_text

        with self._lock:
            self._restart_point = state
            saver = self._saver
        if saver is None:
            return True
        timeline = getattr(self._experiment_for(state), "timeline", None)
        if timeline is not None:
            timeline.mirror(frames)  # the saver writes the grids it has not written yet
        try:
            saver(state)
        except Exception as exc:
            self._save_error = save_error_text(exc)
            return False
        self._save_error = None
        return True

    def _experiment_for(self, state: Any) -> Any:
        with self._lock:
            matching = [e for e in self._experiments.values() if e.structure == state.structure]
        return matching[-1] if matching else None
