"""What a page sees of a remote run when its trainer cannot tell it (a RemoteRunner mixin): the
last known numbers of a lost or hung trainer with the restart offer, and the preview of a fresh
run that has no trainer yet.

A fresh run (step 0, fresh weights from its structure's seed) is not worth a process or a Ray
actor while nobody trains it: its picture is drawn once here, by a trainer thread started and
released on the spot in the server, and the same seed gives the real trainer the same weights
when the first Play or Step starts it. A run over the server's memory budget is not drawn:
Play and Step refuse it, and its preview would cost the server what the budget is there to stop.
"""

from __future__ import annotations

import dataclasses
import time

from ganlab.training import run_guard
from ganlab.training.runner_state import RunState, Snapshot

LOST_TEXT = (
    "The trainer process of this run stopped unexpectedly (it was killed, or the server ran out of "
    "memory). Nobody else's run was affected. Press Restart to go on from {where}, or Reset to start "
    "from fresh weights."
)
HUNG_TEXT = (
    "The trainer of this run has stopped answering (its process may be stopped or stuck); the numbers "
    "shown are the last it sent. Press Restart to stop it and go on from {where}, or Reset to start "
    "from fresh weights. If it answers again first, the run simply goes on."
)
PREVIEW_WAIT_S = 30.0  # building a fresh run's nets and drawing them once


class RemoteSnapshots:
    """Uses the RemoteRunner's lock, knobs, restart point and last snapshot."""

    def _blank_snapshot(self, state: RunState, message: str | None) -> Snapshot:
        return Snapshot(state, 0, 0, 0, 0.0, 0.0, self._knobs, self.experiment.structure, {}, {}, {}, {},
                        message=message, device=self._device)

    def _restart_where(self) -> tuple[str, int]:
        state = self._restart_point
        if state is None:
            return "its start (step 0)", 0
        return f"its last autosave at step {state.step:,}", state.step

    def _stuck_snapshot(self, text: str) -> Snapshot:
        """The last known numbers, in error, with the restart offer (`text` names where it goes on from)."""
        where, step = self._restart_where()
        last = self._last_snap or self._blank_snapshot(RunState.ERROR, None)
        history, evals = self._last_tables
        return dataclasses.replace(last, state=RunState.ERROR, message=text.format(where=where),
                                   history=history, evals=evals, error_detail=None, settled=True,
                                   worker_lost=True, restart_step=step, steps_per_sec=0.0)

    def _lost_snapshot(self) -> Snapshot:
        return self._stuck_snapshot(LOST_TEXT)

    def _hung_snapshot(self) -> Snapshot:
        return self._stuck_snapshot(HUNG_TEXT)

    def _preview_snapshot(self, want_view: bool, with_history: bool, view_range: tuple | None) -> Snapshot:
        """The fresh run's step 0, drawn once per (structure, knobs, range) without a trainer."""
        from ganlab.training.runner import Runner

        experiment = self.experiment
        key = (id(experiment), self._knobs)
        with self._lock:
            cached = self._preview
        fits = cached is not None and cached[0] == key and (not want_view or cached[1] == view_range)
        refusal = run_guard.over_budget(experiment, self._knobs, self.memory_budget)  # cached estimate
        if refusal is not None:  # Play and Step will refuse it: building its nets here would cost the server as much
            snap = self._blank_snapshot(RunState.PAUSED, refusal)
        elif fits:
            snap = cached[2]
        else:
            runner = Runner(experiment, self._knobs, torch_threads=None)
            try:  # always with its view: the wait is for the build, and a page asks for the view next
                snap = runner.snapshot(want_view=True, wait_for_view=PREVIEW_WAIT_S, view_range=view_range)
            finally:
                runner.release()
            with self._lock:
                self._preview = (key, view_range, snap)
        queued = self._queued()
        return dataclasses.replace(
            snap, state=RunState.QUEUED if queued else RunState.PAUSED, knobs=self._knobs,
            notice=self._notice, message=self._start_error or refusal, settled=not queued,
            queue_position=(self._slots.position(self.id) or 1) if queued else None,
            history=snap.history if with_history else {}, evals=snap.evals if with_history else {})

    def recent_snapshot(self, max_age_s: float) -> Snapshot | None:
        """The last snapshot a page got from the trainer, if at most `max_age_s` old; else None.
        Costs the trainer nothing: the class view reads the participant page's polls this way."""
        with self._lock:
            at = self._last_snap_at
            if self._last_snap is None or at is None or time.monotonic() - at > max_age_s:
                return None
            return self._last_snap

    def _page_snapshot(self, snap: Snapshot, with_history: bool) -> Snapshot:
        with self._lock:
            if with_history:
                self._last_tables = (snap.history, snap.evals)
            self._last_snap = snap
            self._last_snap_at = time.monotonic()
        position = self._slots.position(self.id) if self._slots is not None and self._wants_play else None
        if position is not None:
            return dataclasses.replace(snap, state=RunState.QUEUED, queue_position=position, settled=False)
        return snap
