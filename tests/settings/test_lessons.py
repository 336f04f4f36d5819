"""The lesson file format (ganlab.settings.lessons): a good file, each kind of error named with its file
and line, goals parsed and checked against hand-made numbers; every shipped lesson loads and every
step's settings decode on its page without a message."""

from __future__ import annotations

import pytest

from ganlab.settings.lessons import (
    GOAL_NUMBERS,
    Goal,
    LessonError,
    PageRule,
    load_lesson,
    parse_goal,
    parse_lesson,
)


# a stand-in page table: "Lab" knows the keys a and b (b a whole number), goals step and modes
def _check(params):
    problems = [f"setting {k} not understood (no such setting)" for k in params if k not in ("a", "b", "hide", "lock")]
    if "b" in params and not params["b"].lstrip("-").isdigit():
        problems.append(f"setting b={params['b']} is not a whole number; kept the default")
    return problems


PAGES = {"Lab": PageRule(_check, frozenset({"step", "modes"})), "Plain": PageRule(lambda p: [])}

GOOD = '''title = "A lesson"
summary = "One sentence."
picture = "a.png"

[[step]]
title = "First"
page = "Lab"
settings = { a = "grid", b = 3 }
hide = ["a"]
lock = ["b", "presets"]
text = """Some *Markdown*."""
do = "Press Play."
goal = "modes >= 8"
question = "Why?"

[[step]]
title = "Second"
page = "Plain"
text = "More."
'''


def _error(text: str, name: str = "my-lesson.toml") -> str:
    with pytest.raises(LessonError) as err:
        parse_lesson(text, name, PAGES)
    return str(err.value)


def test_a_good_lesson_parses_into_steps_with_their_links():
    lesson = parse_lesson(GOOD, "my-lesson.toml", PAGES)
    assert (lesson.id, lesson.title, lesson.summary, lesson.picture) == ("my-lesson", "A lesson", "One sentence.",
                                                                          "a.png")
    first, second = lesson.steps
    assert (first.title, first.page, first.text, first.todo, first.question) == (
        "First", "Lab", "Some *Markdown*.", "Press Play.", "Why?")
    assert first.settings == {"a": "grid", "b": "3"} and first.goal == Goal("modes", ">=", 8.0)
    assert (first.hide, first.lock, first.line) == (("a",), ("b", "presets"), 5)
    assert (second.goal, second.settings, second.hide, second.line) == (None, {}, (), 16)
    assert lesson.link_params(1) == {"a": "grid", "b": "3", "hide": "a", "lock": "b,presets", "lesson": "my-lesson",
                                     "lstep": "1"}
    assert lesson.link_params(2) == {"lesson": "my-lesson", "lstep": "2"}


def test_toml_errors_name_the_file_and_the_line():
    broken = GOOD.replace('do = "Press Play."', 'do = "Press Play.')
    assert _error(broken).startswith("my-lesson.toml, line 12, column 18: not valid TOML")


@pytest.mark.parametrize("change, message", [
    (('page = "Plain"', 'page = "Nowhere"'), "line 16 (step 2): no page 'Nowhere'; the pages are Lab, Plain"),
    (("b = 3", "bb = 3"), "line 5 (step 1): setting bb not understood (no such setting)"),
    (("b = 3", 'b = "x"'), "line 5 (step 1): setting b=x is not a whole number"),
    (('goal = "modes >= 8"', 'goal = "mode >= 8"'), "line 5 (step 1): goal 'mode >= 8': unknown name 'mode'; "
                                                      "the names are " + ", ".join(GOAL_NUMBERS)),
    (('goal = "modes >= 8"', 'goal = "classes >= 8"'), "line 5 (step 1): the Lab page has no live number "
                                                         "'classes' (its goals: modes, step)"),
    (('goal = "modes >= 8"', 'goal = "modes about 8"'), "line 5 (step 1): goal 'modes about 8' is not NAME OP"),
    (('title = "Second"', 'titel = "Second"'), "line 16 (step 2): unknown key 'titel'"),
    (('title = "Second"\n', ""), "line 16 (step 2): `title` is missing"),
    (('lock = ["b", "presets"]', 'lock = "b"'), "line 5 (step 1): `lock` must be a list of names"),
    (('hide = ["a"]', 'hide = ["A b"]'), "line 5 (step 1): `hide` has 'A b'"),
    (('picture = "a.png"', 'picture = "a.png"\nauthor = "me"'), "line 4: unknown key 'author'"),
    (('summary = "One sentence."', 'summary = 3'), "line 2: `summary` must be a text in quotes"),
])
def test_each_schema_error_names_the_file_the_line_and_what_is_wrong(change, message):
    text = _error(GOOD.replace(*change))
    assert text.startswith("my-lesson.toml, " + message), text


def test_caps_are_checked_before_parsing():
    assert "larger than 64 KB" in _error(GOOD + "#" * 70_000)
    steps = GOOD.split("[[step]]")[2]
    assert "21 steps; at most 20" in _error(GOOD + ("[[step]]" + steps) * 19)
    assert "a lesson's file name is its id" in _error(GOOD, "My Lesson.toml")
    assert "no steps" in _error(GOOD.split("[[step]]")[0])


def test_a_missing_picture_is_named_with_its_line(tmp_path):
    path = tmp_path / "my-lesson.toml"
    path.write_text(GOOD)
    with pytest.raises(LessonError, match=r"my-lesson.toml, line 3: picture 'a.png' is not a file"):
        load_lesson(path, PAGES)
    (tmp_path / "a.png").write_bytes(b"png")
    assert load_lesson(path, PAGES).id == "my-lesson"


@pytest.mark.parametrize("text, numbers, met", [
    ("modes >= 8", {"modes_covered": 8.0}, True),
    ("modes >= 8", {"modes_covered": 7.0}, False),
    ("modes >= 8", {}, None),  # not measured yet
    ("hq >= 0.9", {"high_quality": 0.905}, True),
    ("hq >= 0.9", {"high_quality": 0.85}, False),
    ("classes >= 10", {"classes_covered": 10.0}, True),
    ("step >= 2000", {"step": 1999.0}, False),
    ("step>=2000", {"step": 2000.0}, True),
    ("js < 0.05", {"js_hist": 0.04}, True),
    ("frechet <= 40", {"frechet": float("nan")}, None),
])
def test_goals_are_checked_against_the_numbers(text, numbers, met):
    assert parse_goal(text).met(numbers) is met


def test_goals_read_as_words():
    assert parse_goal("modes >= 8").text() == "modes covered ≥ 8"
    assert parse_goal("hq >= 0.9").text() == "high-quality share ≥ 90 %"
    assert parse_goal("step >= 2000").text() == "steps ≥ 2,000"
    assert parse_goal("hq >= 0.9").now({"high_quality": 0.934}) == "93 %"
    assert parse_goal("modes >= 8").now({"modes_covered": 5.0}) == "5" and parse_goal("modes >= 8").now({}) == ""
    with pytest.raises(ValueError, match="not a finite number"):
        parse_goal("step >= 1e999")


# ------------------------------------------------------------------- the shipped lessons
def test_every_shipped_lesson_loads_and_its_settings_decode_on_its_page():
    """load_lesson checks each step's settings with its page's decoder (a typo fails here), its
    goal against the page's numbers and its picture; then, once more, no decoder has a word to say."""
    from ganlab.ui.lessons import RULES, lessons_dir, page_rules

    rules = page_rules()
    paths = sorted(lessons_dir().glob("*.toml"))
    assert len(paths) >= 6
    for path in paths:
        lesson = load_lesson(path, rules)
        assert (lessons_dir() / lesson.picture).stat().st_size < 30 * 1024
        for step in lesson.steps:
            assert RULES[step.page].check(step.settings) == [], (lesson.id, step.title)


def test_the_mode_collapse_lesson_opens_the_presets_it_names():
    """Its first two steps are the playground's "Mode collapse" and "All modes" presets on the grid of 25,
    its third the side-by-side page with both."""
    from ganlab.settings.presets import PRESETS
    from ganlab.settings.urlstate import decode
    from ganlab.ui.lessons import lessons_dir, page_rules

    lesson = load_lesson(lessons_dir() / "mode-collapse.toml", page_rules())
    for step, preset in zip(lesson.steps[:2], ("mode-collapse", "all-modes"), strict=True):
        structure, knobs, problems = decode(step.settings)
        assert not problems and (structure, knobs) == PRESETS[preset].apply("grid")
    from ganlab.settings.pair_link import decode_pair

    pair = decode_pair(lesson.steps[2].settings)
    assert not pair.problems and (pair.a, pair.b) == (PRESETS["mode-collapse"].apply("grid"),
                                                      PRESETS["all-modes"].apply("grid"))


def test_the_page_table_follows_the_files_in_pages(tmp_path):
    from ganlab.ui.lessons import page_files, page_rules

    for name in ("1_Playground.py", "5_Dynamics.py", "7_Side_by_side.py", "README.md"):
        (tmp_path / name).write_text("")
    files = page_files(tmp_path)
    assert files == {"Playground": "pages/1_Playground.py", "Dynamics": "pages/5_Dynamics.py",
                     "Side_by_side": "pages/7_Side_by_side.py"}
    assert set(page_rules(files)) == {"Playground", "Dynamics", "Side_by_side"}
    assert "Side_by_side" not in page_rules({"Playground": "pages/1_Playground.py"})


def test_a_steps_hide_and_lock_are_checked_against_the_pages_settings_and_panels():
    from ganlab.ui.lessons import page_rules

    text = GOOD.split("[[step]]")[0] + '''[[step]]
title = "One"
page = "Playground"
text = "Text."
hide = ["presets", "glr"]
lock = ["los"]
'''
    with pytest.raises(LessonError, match=r"my-lesson.toml, line 5 \(step 1\): setting lock=los not understood.*loss"):
        parse_lesson(text, "my-lesson.toml", page_rules())
    assert parse_lesson(text.replace('"los"', '"loss"'), "my-lesson.toml", page_rules()).steps[0].lock == ("loss",)
