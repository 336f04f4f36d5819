"""How often a training page's live fragments refresh, by the run's state."""

from __future__ import annotations

import dataclasses

from ganlab.settings.config import Knobs, ToyStructure
from ganlab.training.runner_state import RunState, Snapshot
from ganlab.ui.run_controls import QUEUED_POLL_S, left_the_queue, poll_every

BASE = Snapshot(RunState.PAUSED, 0, 0, 0, 0.0, 0.0, Knobs(), ToyStructure(), {}, {}, {}, {})


def at(state: RunState) -> Snapshot:
    return dataclasses.replace(BASE, state=state)


def test_a_page_polls_fast_while_training_slowly_in_line_and_not_at_rest():
    assert poll_every(at(RunState.RUNNING), True, 0.5) == 0.5
    assert poll_every(at(RunState.QUEUED), True, 0.5) == QUEUED_POLL_S > 0.5
    assert poll_every(at(RunState.QUEUED), True, 2.0, while_queued=False) is None  # charts: nothing new in line
    assert poll_every(at(RunState.PAUSED), False, 0.5) is None


def test_leaving_the_line_redraws_the_page():
    assert left_the_queue(at(RunState.QUEUED), at(RunState.RUNNING))
    assert left_the_queue(at(RunState.QUEUED), at(RunState.PAUSED))
    assert not left_the_queue(at(RunState.QUEUED), at(RunState.QUEUED))
    assert not left_the_queue(at(RunState.RUNNING), at(RunState.PAUSED))  # (the settled rule covers this)
