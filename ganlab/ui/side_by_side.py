"""The side-by-side page: two live 2D runs, A and B, each with its transport, drawn on one shared
scale, their key numbers in one table, and buttons that play, pause and reset both together.

2D runs only for now (image pairs can come later). The runs and the link: ganlab.ui.side_by_side_runs.
"""

from __future__ import annotations

import streamlit as st

from ganlab.settings.pair_link import SHORTCUTS, differences, recipe_of
from ganlab.settings.urlstate import decode_view
from ganlab.training import RunState, Snapshot, Trainer
from ganlab.ui import restart, run_controls, training_page
from ganlab.ui.playground import LAYERS_FIELD, number_rows
from ganlab.ui.readout import d_numbers
from ganlab.ui.side_by_side_runs import (
    NAMES,
    PAGES,
    PAIR,
    open_shortcut,
    pause_both,
    play_both,
    reset_both,
    settings_of,
)
from ganlab.viz.raster import jpeg_bytes, render_toy_view

VIEW_PIXELS = 360  # each view's plot square: two of them side by side fit 1024 px with the sidebar open
VIEW_POLL_S = 0.5
DIFFERENCES_SHOWN = 8
Bounds = tuple[float, float, float, float]


def shared_range(runners: dict[str, Trainer]) -> Bounds | None:
    """One picture scale for both views: None (each data's own frame) when both runs' data share
    a frame, else the smallest frame holding both."""
    frames = [tuple(float(v) for v in runner.experiment.dataset.bounds) for runner in runners.values()]
    if all(frame == frames[0] for frame in frames):
        return None
    return (min(f[0] for f in frames), max(f[1] for f in frames), min(f[2] for f in frames), max(f[3] for f in frames))


def differences_caption(runners: dict[str, Trainer]) -> str:
    """Which settings differ between A and B, with both values ("Loss: non-saturating → hinge")."""
    changed = differences(*(settings_of(runners[key]) for key in PAIR))
    if not changed:
        return "A and B have the same settings: they differ only if you change one."
    shown = "; ".join(f"{label} {a} / {b}" for label, a, b in changed[:DIFFERENCES_SHOWN])
    more = len(changed) - DIFFERENCES_SHOWN
    return f"A and B differ in (A / B): {shown}" + (f"; and {more} more" if more > 0 else "")


def sidebar(runners: dict[str, Trainer]) -> None:
    with st.sidebar:
        st.subheader("Pairs")
        for name in SHORTCUTS:
            st.button(name, key=f"pair_shortcut_{name}", on_click=open_shortcut, args=(name, runners[PAIR[0]]),
                      width="stretch", help="Fresh runs of this pair on A's data and seed")
        st.caption("Open any pair from a link: settings without a prefix apply to both runs, `a.` or `b.` "
                   "before a setting sets one run, e.g. `?data=grid&seed=3&b.loss=hinge`; `a.preset=` and "
                   "`b.preset=` start a run from a preset.")


# The numbers table's rows at Streamlit's padding were 38 px each: the table fell off the first screen.
PAGE_CSS = """<style>
.st-key-pair_table th, .st-key-pair_table td { padding: 0.1rem 0.6rem; font-size: 0.9rem; }
.st-key-pair_head h1 { padding: 0; }
</style>"""


def header(runners: dict[str, Trainer], problems: list[str]) -> None:
    """The title with the Play/Pause/Reset both buttons beside it (one row: room for the views),
    the link's problems, and what differs between A and B."""
    st.html(PAGE_CSS)
    row = st.container(horizontal=True, vertical_alignment="center", gap="medium", key="pair_head")
    row.title("Side by side")
    both_bar(runners, row)
    for problem in problems:
        st.warning(problem[0].upper() + problem[1:])
    st.caption(differences_caption(runners))


def both_bar(runners: dict[str, Trainer], parent) -> None:
    states = [runner.state for runner in runners.values()]
    moving = [state in (RunState.RUNNING, RunState.QUEUED) for state in states]
    row = parent.container(horizontal=True, gap="small", key="pair_both", width="content")
    # No icons: with them the row did not fit beside the title at 1024 px (sidebar open) and wrapped.
    row.button("Play both", type="primary", key="pair_play_both", on_click=play_both,
               args=(runners,), disabled=all(moving) or RunState.ERROR in states, width="content",
               help="Start both runs together (after an error: Reset first)")
    row.button("Pause both", key="pair_pause_both", on_click=pause_both, args=(runners,),
               disabled=not any(moving), width="content")
    row.button("Reset both", key="pair_reset_both", on_click=reset_both,
               args=(runners,), width="content", help="Fresh weights, step 0, same settings, for both runs")


def transports(runners: dict[str, Trainer]) -> None:
    """Each run's name, recipe and own transport (Play/Pause, Step, Reset), in two columns."""
    for column, key in zip(st.columns(2), PAIR, strict=True):
        runner, prefix = runners[key], PAGES[key].prefix
        with column:
            recipe = recipe_of(settings_of(runner))
            st.markdown(f"**{NAMES[key]}**" + (f" · {recipe.label}" if recipe is not None else ""))
            run_controls.control_bar(runner, prefix, single_steps=False)
            restart.undo_offer(runner, prefix, lambda structure, knobs: None)  # the page has no settings widgets
            run_controls.watch_at_rest(runner, prefix)


def number_table(rows: dict[str, list[tuple[str, str]]]) -> str:
    """One Markdown table of both runs' numbers: a row per label (in order of first appearance),
    a column per run; "—" where a run has no such number (e.g. modes on data without modes)."""
    labels: list[str] = []
    for run_rows in rows.values():
        labels += [label for label, _ in run_rows if label not in labels]
    values = {name: dict(run_rows) for name, run_rows in rows.items()}
    lines = ["| | " + " | ".join(rows) + " |", "|---|" + "---:|" * len(rows)]
    lines += [f"| {label} | " + " | ".join(values[name].get(label, "—") for name in rows) + " |" for label in labels]
    return "\n".join(lines)


def run_rows(snap: Snapshot, runner: Trainer) -> list[tuple[str, str]]:
    """A run's column of the table: its step and speed, then the playground's live numbers."""
    speed = run_controls.speed_text(snap, f"{snap.steps_per_sec:,.0f}")
    return [("Step", f"{snap.step:,}"), ("Steps/s", speed),
            *number_rows(snap, runner.experiment.dataset, d_numbers(snap, runner))]


def live_views(runners: dict[str, Trainer]) -> None:
    """Both views and the table, refreshed together while either run trains."""
    view_range = shared_range(runners)
    layers, _ = decode_view(st.query_params.to_dict(), (LAYERS_FIELD,))
    looks = {key: training_page.first_look(PAGES[key], runners[key], view_range) for key in PAIR}
    polls = [run_controls.poll_every(first, live, VIEW_POLL_S) for first, live in looks.values()]
    every = min((p for p in polls if p is not None), default=None)

    @st.fragment(run_every=every)
    def views() -> None:
        columns = dict(zip(PAIR, st.columns(2), strict=True))
        snaps: dict[str, Snapshot] = {}
        for key in PAIR:  # both snapshots (the waits) first, then all the drawing: the table keeps up
            with columns[key]:
                snaps[key] = training_page.view_snapshot(PAGES[key], runners[key], *looks[key], with_history=False,
                                                         view_range=view_range)
        for key, snap in snaps.items():
            if snap.view is not None:
                image = render_toy_view(snap.view, layers["layers"], runners[key].experiment.dataset.centres,
                                        plot_size=VIEW_PIXELS, supersample=1, loss=snap.knobs.loss)
                columns[key].image(jpeg_bytes(image), width="stretch")
        rows = {NAMES[key]: run_rows(snap, runners[key]) for key, snap in snaps.items()}
        st.container(key="pair_table").markdown(number_table(rows))

    views()
    st.caption("Both views share one scale. The numbers: see *What the numbers mean* on the 2D playground.")
