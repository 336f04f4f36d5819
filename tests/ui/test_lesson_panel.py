"""Lessons in the app (Streamlit AppTest): each shipped lesson stepped through with Next, its step's
settings applied as a fresh run and the panel showing the step; a goal ticked from a real run; a
reload keeps the step and its run; Leave lesson; the Home cards."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from ganlab.settings.urlstate import decode, decode_image, decode_view
from ganlab.ui.lesson_state import LESSON_POSITION_KEY, LessonPosition
from ganlab.ui.lessons import lesson_by_id, page_files, shipped_lessons
from tests.apptest_pages import ENTRY, fresh_app, run_ok, runner_of
from tests.conftest import wait_until


@pytest.fixture
def app(monkeypatch):
    monkeypatch.setenv("GANLAB_TRAINERS", "thread")  # the lesson's business is the page, not the transport
    yield from fresh_app("app.py")


def _open(at: AppTest, lesson_id: str, number: int) -> AppTest:
    lesson = lesson_by_id(lesson_id)
    at.switch_page(page_files()[lesson.steps[number - 1].page])
    at.query_params.clear()
    at.query_params.update(lesson.link_params(number))
    return run_ok(at)


def _click(at: AppTest, key: str) -> AppTest:
    at.button(key=key).click()
    return run_ok(at)


def _follow(at: AppTest, lesson, number: int) -> AppTest:
    """Where the browser would be after the button's st.switch_page: AppTest draws the page it switched
    to once, but runs its first page again on the next run, so the test moves along with it."""
    at.switch_page(page_files()[lesson.steps[number - 1].page])
    return run_ok(at)


def _panel_text(at: AppTest) -> str:
    return " ".join(m.value for m in at.get("markdown"))


def _params(at: AppTest) -> dict[str, str]:
    return {k: (v[-1] if isinstance(v, list) else v) for k, v in at.query_params.items()}


def _check_step_applied(at: AppTest, lesson, number: int) -> None:
    """The panel shows step `number`, the session records it, and the page runs the step's settings."""
    step = lesson.steps[number - 1]
    text = _panel_text(at)
    assert f"step {number} of {len(lesson.steps)}: **{step.title}**" in text
    assert step.question in text and (step.goal is None or step.goal.text() in text)
    assert at.session_state[LESSON_POSITION_KEY] == LessonPosition(lesson.id, number, step.title)
    assert (_params(at)["lesson"], _params(at)["lstep"]) == (lesson.id, str(number))
    if step.page == "Playground":
        runner = runner_of(at)
        snap = runner.snapshot()
        want = decode(step.settings, ignore=("layers",))
        assert (snap.structure, snap.knobs) == want[:2] and snap.step == 0  # a fresh run of the step
        if "layers" in step.settings:
            assert list(at.session_state["pg_layers_chosen"]) == list(decode_view(step.settings)[0]["layers"])
    elif step.page == "Images":
        from ganlab.settings.image_presets import default_image_settings

        snap = runner_of(at).snapshot()
        structure, knobs, _ = decode_image(step.settings, default_image_settings())
        assert snap.knobs == knobs and snap.structure.conditional == structure.conditional and snap.step == 0
    elif step.page == "Dynamics":
        from ganlab.dynamics import settings as S

        assert at.session_state["dy_settings"] == S.decode(step.settings)[0]


@pytest.mark.parametrize("lesson_id", [lesson.id for lesson in shipped_lessons()[0]])
def test_each_lesson_steps_through_with_next(app, lesson_id):
    lesson = lesson_by_id(lesson_id)
    at = _open(run_ok(app), lesson_id, 1)
    for number in range(1, len(lesson.steps) + 1):
        assert not at.warning, [w.value for w in at.warning]
        _check_step_applied(at, lesson, number)
        assert at.button(key="lesson_back").disabled == (number == 1)
        if number < len(lesson.steps):
            at = _click(at, "lesson_next")
            at = _follow(at, lesson, number + 1)
    assert at.button(key="lesson_next").disabled


def test_back_returns_to_the_step_before_as_a_fresh_run(app):
    lesson = lesson_by_id("mode-collapse")
    at = _open(run_ok(app), "mode-collapse", 2)
    first = runner_of(at)
    at = _click(at, "lesson_back")
    _check_step_applied(at, lesson, 1)
    assert runner_of(at) is not first and not first.alive  # the step before starts afresh; the old run is let go


def test_the_goal_is_ticked_once_a_real_run_meets_it(app, monkeypatch):
    """what-d-sees step 3 asks for 200 steps: not met at step 0, met after the runner trained 200."""
    from ganlab.settings import lessons as L

    at = _open(run_ok(app), "what-d-sees", 3)
    assert "Goal:** steps ≥ 200" in _panel_text(at) and "Goal met" not in _panel_text(at)
    runner = runner_of(at)
    runner.step(count=199)
    wait_until(lambda: runner.snapshot().step == 199, timeout=60)
    at = run_ok(at)
    assert "Goal met" not in _panel_text(at) and "**Goal:** steps ≥ 200 (now 199)" in _panel_text(at)
    runner.step(count=1)
    wait_until(lambda: runner.snapshot().step == 200, timeout=60)
    at = run_ok(at)
    assert ":material/check_circle: **Goal met:** steps ≥ 200 (now 200)" in _panel_text(at)
    assert L.parse_goal("step >= 200").met({"step": 200.0})


def test_a_reload_keeps_the_step_and_its_run(app):
    """A reload is a new session with the same link (now holding `run`): the same step, the same run."""
    at = _open(run_ok(app), "saturating-loss", 2)
    runner = runner_of(at)
    runner.step(count=3)
    wait_until(lambda: runner.snapshot().step == 3, timeout=60)
    link = _params(at)
    assert link["run"] == runner.id or link["run"]
    reloaded = AppTest.from_file(ENTRY, default_timeout=60)
    reloaded.switch_page("pages/1_Playground.py")
    reloaded.query_params.update(link)
    reloaded = run_ok(reloaded)
    assert runner_of(reloaded) is runner and runner.snapshot().step == 3
    _params_now = _params(reloaded)
    assert (_params_now["lesson"], _params_now["lstep"]) == ("saturating-loss", "2")
    assert "step 2 of 2: **The non-saturating loss**" in _panel_text(reloaded)
    assert reloaded.session_state[LESSON_POSITION_KEY].step == 2


def test_leave_lesson_clears_the_position_and_keeps_the_run(app):
    at = _open(run_ok(app), "what-d-sees", 1)
    runner = runner_of(at)
    at = _click(at, "lesson_leave")
    assert LESSON_POSITION_KEY not in at.session_state
    assert "lesson" not in at.query_params and "lstep" not in at.query_params
    assert not at.get("markdown") or "step 1 of" not in _panel_text(at)
    assert runner_of(at) is runner


def test_a_bad_link_is_named_and_the_page_still_opens(app):
    at = run_ok(app)
    at.switch_page("pages/1_Playground.py")
    at.query_params.update({"lesson": "no-such-lesson", "lstep": "1"})
    at = run_ok(at)
    assert any("no-such-lesson" in w.value for w in at.warning)
    at.query_params.update({"lesson": "what-d-sees", "lstep": "99"})
    at = run_ok(at)
    assert any("has steps 1 to 3, not '99'" in w.value for w in at.warning)


def test_home_offers_every_lesson_as_a_card_in_teaching_order(app):
    at = run_ok(app)
    lessons = shipped_lessons()[0]
    assert [lesson.id for lesson in lessons][:2] == ["what-d-sees", "mode-collapse"]
    assert lessons[-1].id == "digits"
    texts = [m.value for m in at.markdown]
    titles = [t.strip("*") for t in texts if t.strip("*") in {lesson.title for lesson in lessons}]
    assert titles == [lesson.title for lesson in lessons]
    starts = [link.proto for link in at.get("page_link") if link.proto.label == "Start"]
    assert [s.page for s in starts] == [page_files()[lesson.steps[0].page].split("_", 1)[1][:-3]
                                        for lesson in lessons]
    assert all(lesson.summary in " ".join(c.value for c in at.caption) for lesson in lessons)
    assert len(at.get("image")) >= len(lessons)
