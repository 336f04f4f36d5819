"""The shipped lessons and the pages they open: which page names there are (the files in pages/),
how each page's settings are checked (its own link decoder), which live numbers a goal may read,
and the numbers of a live run. The format itself is ganlab.settings.lessons."""

from __future__ import annotations

import logging
import re
from importlib import resources
from pathlib import Path
from typing import Mapping

import streamlit as st

from ganlab.data.image_sources import IMAGE_SOURCES
from ganlab.dynamics import settings as dynamics_settings
from ganlab.settings.image_presets import default_image_settings
from ganlab.settings.lessons import GOAL_NUMBERS, Lesson, LessonError, PageRule, load_lessons
from ganlab.settings.pair_link import decode_pair
from ganlab.settings.shaping import HIDE, LOCK, parse_shape
from ganlab.settings.urlstate import VIEW_KEYS, decode, decode_image, decode_view
from ganlab.training import Trainer, TrainerUnavailable
from ganlab.ui.page_shape import DYNAMICS_SHAPE, IMAGES_SHAPE, PLAYGROUND_SHAPE, ShapedPage

log = logging.getLogger(__name__)
PAGES_DIR = Path(__file__).resolve().parents[2] / "pages"
PLAYGROUND_GOALS = frozenset({"step", "modes", "hq", "mode_kl", "kl", "js"})
IMAGE_GOALS = frozenset({"step", "classes", "frechet", "is"})
assert PLAYGROUND_GOALS | IMAGE_GOALS <= set(GOAL_NUMBERS)


def lessons_dir() -> Path:
    return Path(str(resources.files("ganlab") / "assets" / "lessons"))


def page_files(folder: Path = PAGES_DIR) -> dict[str, str]:
    """{page name: its file, as st.switch_page takes it}: "Playground" -> "pages/1_Playground.py"."""
    found = {}
    for path in sorted(folder.glob("*.py")):
        match = re.fullmatch(r"\d+_(\w+)\.py", path.name)
        if match:
            found[match.group(1)] = f"pages/{path.name}"
    return found


def _shape(params: Mapping[str, str], page: ShapedPage) -> list[str]:
    """The problems of a step's hide= and lock= (ganlab.settings.shaping), as the page names them."""
    return parse_shape(params, page.fields, page.panels)[1]


def _playground(params: Mapping[str, str]) -> list[str]:
    _, _, problems = decode(params, ignore=(*VIEW_KEYS, HIDE, LOCK))
    return problems + decode_view(params)[1] + _shape(params, PLAYGROUND_SHAPE)


def _images(params: Mapping[str, str]) -> list[str]:
    structure, _, problems = decode_image(params, default_image_settings(), ignore=(HIDE, LOCK))
    problems += _shape(params, IMAGES_SHAPE)
    if structure.dataset not in IMAGE_SOURCES:
        problems.append(f"setting data={structure.dataset} ignored: the lesson's dataset must be one of "
                        f"{', '.join(IMAGE_SOURCES)}")
    return problems


def _dynamics(params: Mapping[str, str]) -> list[str]:
    _, problems = dynamics_settings.decode(params)
    problems += _shape(params, DYNAMICS_SHAPE)
    others = [k for k in params if not k.startswith(dynamics_settings.PREFIX) and k not in (HIDE, LOCK)]
    return problems + [f"setting {k} not understood (the Dynamics page's keys start with "
                       f"{dynamics_settings.PREFIX})" for k in others]


def _no_settings(params: Mapping[str, str]) -> list[str]:
    return [f"setting {k} not understood: this page takes no settings from a link" for k in params]


# The pages a step may open; a page is offered only while its file is in pages/.
RULES: dict[str, PageRule] = {
    "Playground": PageRule(_playground, PLAYGROUND_GOALS),
    "Images": PageRule(_images, IMAGE_GOALS),
    "Dynamics": PageRule(_dynamics),
    "Latent": PageRule(_no_settings),
    "Runs": PageRule(_no_settings),
    "Side_by_side": PageRule(lambda params: list(decode_pair(params, ignore=VIEW_KEYS).problems)),
}
PAGE_KEYS = {"Playground": "playground", "Images": "images"}  # pages whose step starts a fresh run (ui.session keys)


def page_rules(files: Mapping[str, str] | None = None) -> dict[str, PageRule]:
    files = page_files() if files is None else files
    return {name: rule for name, rule in RULES.items() if name in files}


@st.cache_resource(show_spinner=False)
def shipped_lessons() -> tuple[tuple[Lesson, ...], str | None]:
    """The lessons in ganlab/assets/lessons, and a message when one could not be read (none are then
    offered: a broken file is the teacher's to fix, and the message says where)."""
    try:
        return tuple(load_lessons(lessons_dir(), page_rules())), None
    except LessonError as err:
        return (), str(err)
    except OSError:
        log.warning("reading the lessons failed", exc_info=True)
        return (), "The lessons could not be read (the server log has the details)."


def lesson_by_id(lesson_id: str) -> Lesson | None:
    return next((lesson for lesson in shipped_lessons()[0] if lesson.id == lesson_id), None)


def live_numbers(runner: Trainer | None) -> dict[str, float]:
    """The numbers a goal reads (ganlab.settings.lessons.GOAL_NUMBERS) from a live run: its step, its
    latest evaluation and, for a digit run, the Quality panel's latest measurement."""
    if runner is None or not runner.alive:
        return {}
    try:
        snap = runner.snapshot()
    except TrainerUnavailable:
        return {}
    numbers = {k: float(v) for k, v in snap.latest_eval.items()}
    numbers["step"] = float(snap.step)
    from ganlab.ui.quality import get_monitors  # the image page's measurements, when it has any

    monitor = get_monitors().by_runner.get(runner.id)
    result = monitor.latest() if monitor is not None else None
    if result is not None:
        numbers.update(classes_covered=float(result.classes_covered), frechet=float(result.frechet),
                       inception_score=float(result.inception_score))
    return numbers
