"""The lesson panel, at the top of every page a lesson step can open: the step's title and text, what
to do, its goal (ticked once the live numbers meet it), the question, and Back / Next / Leave lesson.

A link `?lesson=ID&lstep=N&<settings>` opens step N. Opening a step starts a fresh run with the
step's settings: on a training page when the link names no run of this session (`run`: a Next,
Back or Home card link has none; a reloaded page has it, and keeps its run), on the Dynamics page
when the session was not on this step. The step stays in the link, so a reload keeps it; the session
records it (ganlab.ui.lesson_state) for the class view."""

from __future__ import annotations

import streamlit as st

from ganlab.settings.lessons import HIDE_KEY, LESSON_KEY, LOCK_KEY, STEP_KEY, Lesson, LessonStep
from ganlab.training import RunState
from ganlab.ui import page_shape
from ganlab.ui.lesson_state import LessonPosition, current_position, set_position
from ganlab.ui.lessons import lesson_by_id, live_numbers, page_files, shipped_lessons
from ganlab.ui.session import IMAGES, PAIR_A, PAIR_B, PLAYGROUND, URL_TOKENS, WIDGETS_SYNCED, session_runs

LESSON_URL_KEYS = (LESSON_KEY, STEP_KEY, HIDE_KEY, LOCK_KEY)  # a step's link keys beside its settings
RUN_KEYS = {"Playground": PLAYGROUND, "Images": IMAGES}  # pages whose goal reads the session's run of this key
# pages whose step opens fresh runs: (the session's runner key, the link key that names the run once it trains)
FRESH_RUNS = {"Playground": ((PLAYGROUND, "run"),), "Images": ((IMAGES, "run"),),
              "Side_by_side": ((PAIR_A, URL_TOKENS[PAIR_A]), (PAIR_B, URL_TOKENS[PAIR_B]))}
TEXT_OPEN_ON = ("Latent", "Runs")  # pages without a live view to keep on the screen: the step's text shows open
STATE_PREFIXES = {"Playground": "pg_", "Images": "im_", "Dynamics": "dy_"}  # the page's session keys
GOAL_POLL_S = 2.0
TICK, OPEN = ":material/check_circle:", ":material/radio_button_unchecked:"


def step_link(lesson: Lesson, number: int) -> tuple[str, dict[str, str]]:
    """(page file, query parameters) that open step `number` of `lesson`."""
    return page_files()[lesson.steps[number - 1].page], lesson.link_params(number)


def _from_url() -> tuple[Lesson, int] | None:
    """The lesson step the link names, or None (with a message when it names one that is not there)."""
    lesson_id = st.query_params.get(LESSON_KEY)
    if not lesson_id:
        return None
    lesson = lesson_by_id(lesson_id)
    if lesson is None:
        error = shipped_lessons()[1]
        st.warning(error or f"The link names a lesson {lesson_id[:40]!r} that this server does not have; "
                   "the Home page lists the lessons.")
        return None
    raw = st.query_params.get(STEP_KEY, "1")
    if not raw.isdigit() or not 1 <= int(raw) <= len(lesson.steps):
        st.warning(f"Lesson \u201c{lesson.title}\u201d has steps 1 to {len(lesson.steps)}, not {raw[:20]!r}: "
                   "opened step 1.")
        st.query_params[STEP_KEY] = "1"
        return lesson, 1
    return lesson, int(raw)


def _start_fresh(page: str) -> None:
    """Forget this session's state of `page` (and its run), so the page starts from the link's settings."""
    for key, _ in FRESH_RUNS.get(page, ()):
        session_runs().release(key)
        if key in WIDGETS_SYNCED:
            st.session_state.pop(WIDGETS_SYNCED[key], None)
    prefix = STATE_PREFIXES.get(page)
    if prefix:
        for key in [k for k in st.session_state if str(k).startswith(prefix)]:
            del st.session_state[key]
        # what the last link hid and locked, and the values it held: this step's link says it anew
        st.session_state.get(page_shape.SHAPES_KEY, {}).pop("" if page == "Dynamics" else prefix, None)


def _opening(page: str, lesson: Lesson, number: int) -> bool:
    if page in FRESH_RUNS:  # a link that names no run of this session: a Next, Back or Home card
        return any(url_key not in st.query_params for _, url_key in FRESH_RUNS[page])
    return current_position(st.session_state) != LessonPosition(lesson.id, number, lesson.steps[number - 1].title)


def _go(lesson: Lesson, number: int) -> None:
    page, params = step_link(lesson, number)
    st.switch_page(page, query_params=params)


def _leave() -> None:
    set_position(st.session_state, None)
    for key in LESSON_URL_KEYS:
        st.query_params.pop(key, None)


def _goal(page: str, step: LessonStep) -> None:
    if step.goal is None:
        return
    goal = step.goal
    key = RUN_KEYS.get(page)
    runner = session_runs().get(key) if key else None
    running = runner is not None and runner.state == RunState.RUNNING

    @st.fragment(run_every=GOAL_POLL_S if running else None)
    def goal_line() -> None:
        numbers = live_numbers(runner)
        now = goal.now(numbers)
        if goal.met(numbers):
            st.markdown(f"{TICK} **Goal met:** {goal.text()} (now {now})")
        else:  # the page's run is made after this panel on a step's first draw: its numbers come with Play
            st.markdown(f"{OPEN} **Goal:** {goal.text()}" + (f" (now {now})" if now else ""))

    goal_line()


def _buttons(row, lesson: Lesson, number: int) -> None:
    if row.button("Back", icon=":material/arrow_back:", key="lesson_back", disabled=number == 1):
        _go(lesson, number - 1)
    if row.button("Next", icon=":material/arrow_forward:", key="lesson_next", type="primary",
                  disabled=number == len(lesson.steps)):
        _go(lesson, number + 1)


def _step_panel(page: str, lesson: Lesson, number: int) -> None:
    """Compact on a training page (the live view must stay on a 1024x768 screen): the step's title with
    the buttons, what to do beside the goal, and the step's text and question in an expander (open on
    the pages without a live view: TEXT_OPEN_ON)."""
    step = lesson.steps[number - 1]
    with st.container(border=True, key="lesson_panel", gap="small"):
        title, buttons = st.columns([3, 2], vertical_alignment="center")
        title.markdown(f":material/school: **{lesson.title}** · step {number} of {len(lesson.steps)}: "
                       f"**{step.title}**")
        if step.page != page:
            st.info(f"This step is on the {step.page.replace('_', ' ')} page.")
            if st.button("Open it", key="lesson_open"):
                _go(lesson, number)
            return
        _buttons(buttons.container(horizontal=True, gap="small", horizontal_alignment="right"), lesson, number)
        todo, goal = st.columns([3, 2])
        if step.todo:
            todo.markdown(f"**Do:** {step.todo}")
        with goal:
            _goal(page, step)
        with st.expander("The step: what it shows, and a question", expanded=page in TEXT_OPEN_ON,
                         icon=":material/menu_book:"):
            st.markdown(step.text)
            if step.question:
                st.markdown(f"**Think:** *{step.question}*")
            st.button("Leave lesson", icon=":material/logout:", key="lesson_leave", on_click=_leave,
                      help="Close this panel; the run stays as it is")


def _return_offer(page: str) -> None:
    """Outside the lesson's link (the sidebar was used): a way back to the open step, or out of it."""
    position = current_position(st.session_state)
    lesson = lesson_by_id(position.lesson) if position else None
    if position is None or lesson is None or not 1 <= position.step <= len(lesson.steps):
        return
    target, params = step_link(lesson, position.step)
    step_page = lesson.steps[position.step - 1].page
    token = session_runs().token(RUN_KEYS[step_page]) if step_page in RUN_KEYS else None
    if token:  # back to the step's run, not a fresh one
        params["run"] = token
    row = st.container(horizontal=True, gap="small", vertical_alignment="center", key="lesson_return")
    row.page_link(target, label=f"Back to the lesson: {lesson.title}, step {position.step}",
                  icon=":material/school:", query_params=params)
    row.button("Leave lesson", key="lesson_leave_away", on_click=set_position, args=(st.session_state, None))


def lesson_panel(page: str) -> bool:
    """Call at the top of a page's main column (`page` as in a lesson file: "Playground"). Before the
    page reads its settings: opening a step starts its page afresh from the link. True when a lesson
    step is shown (a training page then leaves out its title, to keep its live view on the screen)."""
    opened = _from_url()
    if opened is None:
        _return_offer(page)
        return False
    lesson, number = opened
    step = lesson.steps[number - 1]
    if step.page == page and _opening(page, lesson, number):
        _start_fresh(page)
    set_position(st.session_state, LessonPosition(lesson.id, number, step.title))
    _step_panel(page, lesson, number)
    return True
