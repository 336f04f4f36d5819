"""How often a training page's live fragments refresh, by the run's state."""

from __future__ import annotations

import dataclasses

import pytest

from ganlab.settings.config import Knobs, ToyStructure
from ganlab.training.runner_state import RunState, Snapshot
from ganlab.ui.run_controls import QUEUED_POLL_S, left_the_queue, poll_every, share_text

BASE = Snapshot(RunState.PAUSED, 0, 0, 0, 0.0, 0.0, Knobs(), ToyStructure(), {}, {}, {}, {})


def at(state: RunState) -> Snapshot:
    return dataclasses.replace(BASE, state=state)


def test_a_page_polls_fast_while_training_slowly_in_line_and_not_at_rest():
    assert poll_every(at(RunState.RUNNING), True, 0.5) == 0.5
    assert poll_every(at(RunState.QUEUED), True, 0.5) == QUEUED_POLL_S > 0.5
    assert poll_every(at(RunState.QUEUED), True, 2.0, while_queued=False) is None  # charts: nothing new in line
    assert poll_every(at(RunState.PAUSED), False, 0.5) is None


def test_a_crowded_server_refreshes_live_pages_more_slowly_by_the_root_of_its_crowding():
    from ganlab.training import refresh_interval

    assert refresh_interval(0.45, 1, 2) == 0.45 and refresh_interval(0.45, 2, 2) == 0.45  # a small room: full rate
    assert refresh_interval(0.45, 8, 2) == pytest.approx(0.9)  # 4 runs a core: half the rate
    assert refresh_interval(0.45, 30, 2) == pytest.approx(0.45 * 15 ** 0.5)  # 1.74 s
    assert refresh_interval(0.45, 1000, 2) == pytest.approx(1.8)  # never slower than 4x


def test_leaving_the_line_redraws_the_page():
    assert left_the_queue(at(RunState.QUEUED), at(RunState.RUNNING))
    assert left_the_queue(at(RunState.QUEUED), at(RunState.PAUSED))
    assert not left_the_queue(at(RunState.QUEUED), at(RunState.QUEUED))
    assert not left_the_queue(at(RunState.RUNNING), at(RunState.PAUSED))  # (the settled rule covers this)


def test_the_share_of_the_server_a_run_gets():
    # at most one run per core: each has a core of its own (one torch thread: never more)
    assert share_text(1, 2) == "This run trains at full speed: one of the server's 2 cores (1 run training)."
    assert share_text(2, 2) == "This run trains at full speed: one of the server's 2 cores (2 runs training)."
    # 30 runs on 2 cores: 2/30 = 1/15 of a core each
    assert share_text(30, 2) == "This run gets about 1/15 of a core: 30 runs share the server's 2 cores."
    # 3 on 2: 2/3 of a core, no near 1/k: a percentage; 11 on 2: 0.18 ~ 1/6 (within 10 %)
    assert share_text(3, 2) == "This run gets about 67% of a core: 3 runs share the server's 2 cores."
    assert share_text(11, 2).startswith("This run gets about 1/6 of a core")
    assert share_text(1, 1) == "This run trains at full speed: one of the server's 1 core (1 run training)."
