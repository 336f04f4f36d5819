"""Lessons as data: a lesson is a TOML file (ganlab/assets/lessons/ID.toml) of steps, each opening a
page with settings (its URL keys), what it hides and locks, what to do, a goal the live numbers can
check and a question. The format is in the README ("Lessons", under "Hosting a workshop").

Parsing is pure and strict: every error names the file and the line (TOML's own errors carry it;
for a step's error it is the line of that step's `[[step]]` header), a setting is checked with the
decoder of the page it opens (the caller passes one `PageRule` per page: the page table lives with
the pages), and an unknown goal name is named with the ones there are.
"""

from __future__ import annotations

import math
import operator
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Mapping

from ganlab.metrics.names import metric_label
from ganlab.settings.shaping import HIDE, LOCK
from ganlab.settings.urlstate import format_value

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

LESSON_KEY, STEP_KEY = "lesson", "lstep"  # the link's keys: ?lesson=ID&lstep=N (N from 1)
HIDE_KEY, LOCK_KEY = HIDE, LOCK  # the hide/lock link parameters a step's link carries (ganlab.settings.shaping)
MAX_FILE_BYTES = 64 * 1024  # checked before parsing
MAX_STEPS = 20
MAX_TEXT_CHARS = 3000  # a step's Markdown
MAX_LINE_CHARS = 400  # a title, a summary, what to do, a question
ID_PATTERN = re.compile(r"[a-z0-9][a-z0-9-]{0,47}")
NAME_PATTERN = re.compile(r"[a-z0-9_]{1,40}")  # a key or panel name in hide / lock

# Goal names -> the metric key of the live numbers (ganlab.metrics.names; "step" is the run's step).
GOAL_NUMBERS: dict[str, str] = {
    "step": "step",
    "modes": "modes_covered",
    "hq": "high_quality",  # a share: 0.9 is 90 %
    "mode_kl": "mode_kl",
    "kl": "kl_hist",
    "js": "js_hist",
    "classes": "classes_covered",
    "frechet": "frechet",
    "is": "inception_score",
}
_OPS: dict[str, Callable[[float, float], bool]] = {
    ">=": operator.ge, "<=": operator.le, ">": operator.gt, "<": operator.lt, "==": operator.eq}
_OP_SHOWN = {">=": "≥", "<=": "≤", ">": ">", "<": "<", "==": "="}
_GOAL_PATTERN = re.compile(r"\s*([a-z_]+)\s*(>=|<=|==|>|<)\s*([-+0-9.eE]+)\s*")


class LessonError(ValueError):
    """A lesson file that cannot be used; the message names the file and the line."""


@dataclass(frozen=True)
class Goal:
    name: str  # a key of GOAL_NUMBERS
    op: str
    value: float

    @property
    def metric(self) -> str:
        return GOAL_NUMBERS[self.name]

    def met(self, numbers: Mapping[str, float]) -> bool | None:
        """Whether the live numbers meet the goal; None while its number is not measured yet."""
        now = numbers.get(self.metric)
        if now is None or not math.isfinite(now):
            return None
        return _OPS[self.op](float(now), self.value)

    def now(self, numbers: Mapping[str, float]) -> str:
        """The live value the goal reads, as the goal writes it ("5", "93 %"); "" while not measured."""
        now = numbers.get(self.metric)
        if now is None or not math.isfinite(now):
            return ""
        return f"{now * 100:.0f} %" if self.name == "hq" else f"{now:,.4g}"

    def text(self) -> str:
        """The goal in words: "modes covered ≥ 8", "high-quality share ≥ 90 %"."""
        label = "steps" if self.name == "step" else metric_label(self.metric)
        value = f"{self.value * 100:g} %" if self.name == "hq" else f"{self.value:,g}"
        return f"{label} {_OP_SHOWN[self.op]} {value}"


def parse_goal(text: str) -> Goal:
    """`modes >= 8` -> Goal; ValueError naming what is wrong (an unknown name with the known ones)."""
    match = _GOAL_PATTERN.fullmatch(text)
    if match is None:
        raise ValueError(f"goal {text!r} is not NAME OP NUMBER (e.g. \"modes >= 8\"; OP one of {', '.join(_OPS)})")
    name, op, raw = match.groups()
    if name not in GOAL_NUMBERS:
        raise ValueError(f"goal {text!r}: unknown name {name!r}; the names are {', '.join(GOAL_NUMBERS)}")
    try:
        value = float(raw)
    except ValueError:
        raise ValueError(f"goal {text!r}: {raw!r} is not a number") from None
    if not math.isfinite(value):
        raise ValueError(f"goal {text!r}: {raw!r} is not a finite number")
    return Goal(name, op, value)


@dataclass(frozen=True)
class PageRule:
    """What a lesson step may ask of one page: `check` returns a message for each bad setting (the
    page's own link decoder), `goals` the goal names its live numbers have."""

    check: Callable[[Mapping[str, str]], list[str]]
    goals: frozenset[str] = frozenset()


@dataclass(frozen=True)
class LessonStep:
    title: str
    text: str  # Markdown
    page: str  # a page's name, e.g. "Playground" (pages/1_Playground.py)
    settings: dict[str, str]  # the page's URL keys and their link values
    hide: tuple[str, ...] = ()
    lock: tuple[str, ...] = ()
    todo: str = ""  # what to do
    goal: Goal | None = None
    question: str = ""
    line: int = 0  # of its [[step]] header, for messages


@dataclass(frozen=True)
class Lesson:
    id: str  # the file name without .toml
    title: str
    summary: str  # one sentence, for the Home card
    picture: str  # a file name beside the lesson file
    steps: tuple[LessonStep, ...] = field(default_factory=tuple)
    order: int = 0  # the Home page lists lessons by it (then by id)

    def link_params(self, number: int) -> dict[str, str]:
        """The query parameters that open step `number` (from 1): its settings, hide and lock, and the
        lesson's own keys."""
        step = self.steps[number - 1]
        params = dict(step.settings)
        if step.hide:
            params[HIDE_KEY] = ",".join(step.hide)
        if step.lock:
            params[LOCK_KEY] = ",".join(step.lock)
        params[LESSON_KEY], params[STEP_KEY] = self.id, str(number)
        return params


_LESSON_KEYS = {"title", "summary", "picture", "order", "step"}
_STEP_KEYS = {"title", "text", "page", "settings", "hide", "lock", "do", "goal", "question"}


def _step_lines(text: str) -> list[int]:
    """The line number of each `[[step]]` header, in order."""
    return [i + 1 for i, line in enumerate(text.splitlines()) if re.match(r"\s*\[\[\s*step\s*\]\]", line)]


def _key_line(text: str, key: str) -> int:
    """The line of the lesson's top-level `key = ...` (1 when it is missing)."""
    for i, line in enumerate(text.splitlines()):
        if re.match(r"\s*\[", line):
            break  # the first table: the top-level keys are above it
        if re.match(rf"\s*{re.escape(key)}\s*=", line):
            return i + 1
    return 1


def _string(table: Mapping[str, Any], key: str, where: str, *, required: bool = True,
            limit: int = MAX_LINE_CHARS) -> str:
    value = table.get(key, None)
    if value is None:
        if required:
            raise LessonError(f"{where}: `{key}` is missing")
        return ""
    if not isinstance(value, str) or (required and not value.strip()):
        raise LessonError(f"{where}: `{key}` must be a text in quotes")
    if len(value) > limit:
        raise LessonError(f"{where}: `{key}` is {len(value):,} characters; at most {limit:,}")
    return value.strip()


def _names(table: Mapping[str, Any], key: str, where: str) -> tuple[str, ...]:
    value = table.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise LessonError(f"{where}: `{key}` must be a list of names in quotes, e.g. {key} = [\"glr\", \"dlr\"]")
    bad = [v for v in value if not NAME_PATTERN.fullmatch(v)]
    if bad:
        raise LessonError(f"{where}: `{key}` has {bad[0]!r}: a setting key or panel name is lower-case letters, "
                          "digits and _")
    return tuple(value)


def _link_value(value: Any) -> str | None:
    if isinstance(value, (bool, int, float)):
        return format_value(value)
    if isinstance(value, str):
        return value
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return ",".join(value)  # a set-valued view setting, e.g. layers = ["real", "fake"]
    return None


def _settings(table: Mapping[str, Any], where: str, rule: PageRule) -> dict[str, str]:
    raw = table.get("settings", {})
    if not isinstance(raw, dict):
        raise LessonError(f"{where}: `settings` must be a table, e.g. settings = {{ data = \"grid\", bs = 64 }}")
    settings: dict[str, str] = {}
    for key, value in raw.items():
        text = _link_value(value)
        if text is None:
            raise LessonError(f"{where}: setting {key} must be a number, true/false or a text in quotes")
        settings[key] = text
    hide, lock = _names(table, "hide", where), _names(table, "lock", where)
    problems = rule.check({**settings, **{k: ",".join(v) for k, v in ((HIDE, hide), (LOCK, lock)) if v}})
    if problems:
        message = problems[0].removeprefix("link ")
        raise LessonError(f"{where}: {message}" + (f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""))
    return settings


def _step(table: Any, number: int, line: int, where_file: str, pages: Mapping[str, PageRule]) -> LessonStep:
    where = f"{where_file}, line {line} (step {number})"
    if not isinstance(table, dict):
        raise LessonError(f"{where}: a step is a [[step]] table")
    unknown = sorted(set(table) - _STEP_KEYS)
    if unknown:
        raise LessonError(f"{where}: unknown key {unknown[0]!r}; a step has {', '.join(sorted(_STEP_KEYS))}")
    page = _string(table, "page", where)
    if page not in pages:
        raise LessonError(f"{where}: no page {page!r}; the pages are {', '.join(pages)}")
    rule = pages[page]
    goal = None
    if "goal" in table:
        try:
            goal = parse_goal(_string(table, "goal", where))
        except ValueError as err:
            raise LessonError(f"{where}: {err}") from None
        if goal.name not in rule.goals:
            shown = ", ".join(sorted(rule.goals)) or "none: leave the goal out"
            raise LessonError(f"{where}: the {page} page has no live number {goal.name!r} (its goals: {shown})")
    return LessonStep(
        title=_string(table, "title", where), text=_string(table, "text", where, limit=MAX_TEXT_CHARS),
        page=page, settings=_settings(table, where, rule), hide=_names(table, "hide", where),
        lock=_names(table, "lock", where), todo=_string(table, "do", where, required=False),
        goal=goal, question=_string(table, "question", where, required=False), line=line)


def parse_lesson(text: str, source: str, pages: Mapping[str, PageRule]) -> Lesson:
    """The lesson in `text`, read from the file `source` (its name is the lesson's id); LessonError
    naming the file and the line of the first thing wrong."""
    name = Path(source).name
    lesson_id = Path(source).stem
    if not ID_PATTERN.fullmatch(lesson_id):
        raise LessonError(f"{name}: a lesson's file name is its id in links: lower-case letters, digits and -, "
                          "e.g. mode-collapse.toml")
    if len(text.encode("utf-8", "replace")) > MAX_FILE_BYTES:
        raise LessonError(f"{name}: larger than {MAX_FILE_BYTES // 1024} KB")
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        # "Illegal character '\\n' (at line 12, column 19)"; Python 3.14 has err.lineno as well
        where = re.search(r"\(at line (\d+), column (\d+)\)", str(err))
        line = f"line {where.group(1)}, column {where.group(2)}" if where else "line ?"
        raise LessonError(f"{name}, {line}: not valid TOML: {str(err).split(' (at ')[0]}") from None
    unknown = sorted(set(data) - _LESSON_KEYS)
    if unknown:
        raise LessonError(f"{name}, line {_key_line(text, unknown[0])}: unknown key {unknown[0]!r}; "
                          "a lesson has title, summary, picture and "
                          "[[step]] tables")
    steps = data.get("step")
    if not isinstance(steps, list) or not steps:
        raise LessonError(f"{name}: no steps; add at least one [[step]] table")
    if len(steps) > MAX_STEPS:
        raise LessonError(f"{name}: {len(steps)} steps; at most {MAX_STEPS}")
    lines = _step_lines(text) + [0] * len(steps)  # an inline array of steps has no header lines
    order = data.get("order", 0)
    if not isinstance(order, int) or isinstance(order, bool):
        raise LessonError(f"{name}, line {_key_line(text, 'order')}: `order` must be a whole number")
    return Lesson(
        id=lesson_id, **{key: _string(data, key, f"{name}, line {_key_line(text, key)}")
                         for key in ("title", "summary", "picture")},
        steps=tuple(_step(s, i + 1, lines[i], name, pages) for i, s in enumerate(steps)), order=order)


def load_lesson(path: Path, pages: Mapping[str, PageRule]) -> Lesson:
    """The lesson in the file `path` (its size capped before it is read); its picture must sit beside it."""
    if path.stat().st_size > MAX_FILE_BYTES:
        raise LessonError(f"{path.name}: larger than {MAX_FILE_BYTES // 1024} KB")
    text = path.read_text(encoding="utf-8", errors="replace")
    lesson = parse_lesson(text, path.name, pages)
    picture = path.parent / lesson.picture
    if Path(lesson.picture).name != lesson.picture or not picture.is_file():
        raise LessonError(f"{path.name}, line {_key_line(text, 'picture')}: picture {lesson.picture!r} is not a file "
                          "beside the lesson")
    return lesson


def load_lessons(folder: Path, pages: Mapping[str, PageRule]) -> list[Lesson]:
    """Every lesson in `folder` (*.toml), by `order` then id; the first bad one raises LessonError."""
    lessons = [load_lesson(path, pages) for path in sorted(folder.glob("*.toml"))]
    return sorted(lessons, key=lambda lesson: (lesson.order, lesson.id))
