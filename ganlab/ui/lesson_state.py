"""Where this browser session stands in a lesson: one entry in the session's state.

The lesson panel writes it (the lesson and step the participant has open); the participant side of
the class view reads it and labels the session's runs with it, so the host sees who is on which
step. One spelling of the key, here, for both."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, MutableMapping

LESSON_POSITION_KEY = "lesson_position"


@dataclass(frozen=True)
class LessonPosition:
    lesson: str  # the lesson's id: its file name without ".toml"
    step: int  # 1-based, as in the link's `lstep`
    title: str  # the step's title, for the host's table


def current_position(state: MutableMapping[str, Any]) -> LessonPosition | None:
    """The lesson step this session has open, or None outside a lesson."""
    position = state.get(LESSON_POSITION_KEY)
    return position if isinstance(position, LessonPosition) else None


def set_position(state: MutableMapping[str, Any], position: LessonPosition | None) -> None:
    """Record the open lesson step (None: the participant left the lesson)."""
    if position is None:
        state.pop(LESSON_POSITION_KEY, None)
    else:
        state[LESSON_POSITION_KEY] = position
