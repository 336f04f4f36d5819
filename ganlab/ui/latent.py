"""The latent-space page: open a generator (this session's live run, or a saved run) and
show one of its views (ganlab/ui/latent_views.py).

The nets are copied out of the run once (on the runner thread: `Trainer.copy_nets`) and
kept, frozen, in `st.session_state` until the user takes the latest weights; the views
re-run only generator forward passes on them.
"""

from __future__ import annotations

import logging

import streamlit as st

from ganlab.explore.explorer import Explorer, NetsUnavailable, copy_runner_nets, explorer_from_nets, nets_from_state
from ganlab.kinds import KIND_LABELS
from ganlab.training import RunState, Trainer
from ganlab.ui.latent_codes import LABEL as CODES_LABEL
from ganlab.ui.latent_codes import codes_panel, has_codes
from ganlab.ui.latent_nearest import nearest_panel
from ganlab.ui.latent_styles import LABEL as STYLES_LABEL
from ganlab.ui.latent_styles import offers_styles, styles_panel, view_label
from ganlab.ui.latent_views import ask_panel, directions_panel, interpolation_panel, one_thread
from ganlab.ui.session import IMAGES, PLAYGROUND, live_runner

log = logging.getLogger(__name__)
PLAYGROUND_KEY, IMAGES_KEY = PLAYGROUND, IMAGES  # the training pages' runner keys: a live source each
SOURCES = {
    PLAYGROUND_KEY: "This session's 2D playground",
    IMAGES_KEY: "This session's image GAN",
    "saved": "A saved run",
}
SOURCE_NAMES = {PLAYGROUND_KEY: "this session's 2D playground", IMAGES_KEY: "this session's image GAN"}


# ---------------------------------------------------------------- the source
def _explorer(experiment, knobs, step: int, G, D, ema, use_ema: bool, where: str) -> Explorer:
    which = "averaged (EMA) generator" if use_ema and ema is not None else "generator"
    return explorer_from_nets(experiment, knobs, ema if use_ema and ema is not None else G, D, step,
                              f"{where}: the {which} at step {step:,}", has_ema=ema is not None)


def _load_live(choice: str, runner, use_ema: bool) -> Explorer | None:
    try:
        experiment, knobs, step, G, D, ema = copy_runner_nets(runner)
    except NetsUnavailable as exc:  # its message is written for the user: what happened, what to do
        text = str(exc)
        st.error(f"{text[:1].upper()}{text[1:]}.")
        return None
    return _explorer(experiment, knobs, step, G, D, ema, use_ema, SOURCE_NAMES[choice])


def _load_saved(name: str, use_ema: bool) -> Explorer | None:
    from ganlab.runs import RunFormatError, load_run, run_path

    try:
        experiment, state, _ = load_run(run_path(name))
        G, D, ema = nets_from_state(state)
    except (RunFormatError, NetsUnavailable) as exc:  # messages written for the user
        st.error(f"Cannot open the run {name!r}: {exc}")
        return None
    except (OSError, ValueError):
        log.warning("opening the saved run %r failed", name, exc_info=True)
        st.error(f"Cannot open the run {name!r}: its files could not be read. The Runs page shows what is "
                 f"wrong with it; the server log has the details.")
        return None
    return _explorer(experiment, state.knobs, state.step, G, D, ema, use_ema, f"saved run {name!r}")


def _saved_run_choice() -> tuple[str, str] | None:
    """(name, updated) of the saved run chosen in a select box, or None with a message."""
    from ganlab.runs import list_runs

    try:
        runs = [r for r in list_runs() if r.error is None and not r.view_only]
    except OSError:
        log.warning("listing the saved runs failed", exc_info=True)
        st.error("Cannot list the saved runs: the runs folder could not be read (the server log has the details).")
        return None
    if not runs:
        st.info("No saved runs yet. Save one from the runs page, or train one headless "
                "(`ganlab train ... --out runs/NAME`); meanwhile, live runs of this session open here.")
        return None
    by_name = {r.name: r for r in runs}
    if st.session_state.get("lt_saved_run") not in by_name:
        st.session_state["lt_saved_run"] = runs[0].name
    name = st.selectbox("Saved run", list(by_name), key="lt_saved_run", format_func=lambda n: (
        f"{n} · {KIND_LABELS.get(by_name[n].kind, by_name[n].kind)} · {by_name[n].data} · step {by_name[n].step:,}"))
    return name, by_name[name].updated


def _request_refresh() -> None:
    st.session_state["lt_refresh"] = True


def choose_source() -> Explorer | None:
    """The source picker; returns the explorer of the chosen generator, or None (with a message)."""
    runners = {key: live_runner(key) for key in (PLAYGROUND_KEY, IMAGES_KEY)}
    options = [key for key, runner in runners.items() if runner is not None] + ["saved"]
    if st.session_state.get("lt_source") not in options or st.session_state.get("lt_options") != options:
        st.session_state["lt_source"] = options[0]  # a live run that just appeared is what the user wants
    st.session_state["lt_options"] = options
    # One row that wraps (not fixed columns): at laptop widths nothing is cut to "Take the la...".
    row = st.container(horizontal=True, vertical_alignment="bottom", gap="medium")
    choice = row.radio("Generator", options, format_func=SOURCES.get, horizontal=True, key="lt_source")
    if len(options) == 1:
        st.caption("This session has no live run: train one on the 2D playground (or the image page) and "
                   "come back to open its generator here, or open a saved run.")
    cached: Explorer | None = st.session_state.get("lt_explorer")
    has_ema = bool(cached is not None and cached.has_ema)
    use_ema = row.toggle("Averaged generator (EMA)", key="lt_use_ema", disabled=not has_ema,
                         help="The run's exponential moving average of G's weights (when the run keeps one)")
    use_ema = bool(use_ema and has_ema)
    row.button("Take the latest weights", key="lt_refresh_button", on_click=_request_refresh,
               help="Copy the nets again: the run may have trained on since they were taken")
    if choice == "saved":
        picked = _saved_run_choice()
        if picked is None:
            return None
        wanted = ("saved", *picked, use_ema)
    else:
        wanted = (choice, runners[choice].id, use_ema)
    if cached is None or st.session_state.get("lt_wanted") != wanted or st.session_state.pop("lt_refresh", False):
        cached = (_load_saved(picked[0], use_ema) if choice == "saved"
                  else _load_live(choice, runners[choice], use_ema))
        if cached is None:
            st.session_state.pop("lt_explorer", None)
            return None
        st.session_state["lt_explorer"] = cached
        st.session_state["lt_wanted"] = wanted
        if cached.has_ema != has_ema:
            st.rerun()  # enable (or disable) the EMA toggle for these nets
    st.caption(f"Showing {cached.source}." + ("" if choice == "saved" else " " + live_run_note(runners[choice])))
    return cached


def live_run_note(runner: Trainer) -> str:
    """What the live run does meanwhile: training goes on only while it trains (or waits in line)."""
    state = runner.state
    if state == RunState.RUNNING:
        return "Training goes on in the background; these weights stay as they were until you take the latest ones."
    if state == RunState.QUEUED:
        return "The run waits in line to train; these weights stay as they are until you take the latest ones."
    return "The run is not training: press Play on its page to train it on, then take the latest weights here."


def class_selector(ex: Explorer) -> int | None:
    if not ex.num_classes:
        return None
    names = ex.class_names
    if st.session_state.get("lt_class") not in range(ex.num_classes):
        st.session_state["lt_class"] = 0  # nets of another run, with fewer classes
    return st.selectbox("Class", list(range(ex.num_classes)), format_func=lambda i: names[i], key="lt_class",
                        help="A conditional generator draws the class you choose here")


VIEWS = {
    "interpolate": ":material/linear_scale: Interpolate",
    "directions": ":material/tune: Directions",
    "ask": ":material/help: Ask the discriminator",
    "nearest": ":material/image_search: Nearest training images",
}
PANELS = {"interpolate": interpolation_panel, "directions": directions_panel, "ask": ask_panel,
          "nearest": nearest_panel}
# Views offered only when the explorer's generator has what they show: InfoGAN's codes; styles
# (mixing, for a style-based G) and truncation (every image G; then labelled "Truncation").
MODEL_VIEWS = {"codes": CODES_LABEL, "styles": STYLES_LABEL}
MODEL_PANELS = {"codes": codes_panel, "styles": styles_panel}
MODEL_OFFERS = {"codes": has_codes, "styles": offers_styles}


def views_of(ex: Explorer) -> dict[str, str]:
    """The views this generator offers: every GAN's, then those of its model and kind (a plain 2D GAN: exactly VIEWS)."""
    views = dict(VIEWS)
    for name, offered in MODEL_OFFERS.items():
        if offered(ex):
            views[name] = view_label(ex) if name == "styles" else MODEL_VIEWS[name]
    return views


def latent_page() -> None:
    """One view at a time (not tabs): a full re-run then computes only what is on screen, and
    a view opened after the sliders moved elsewhere is drawn fresh, never stale."""
    one_thread()
    ex = choose_source()
    if ex is None:
        return
    cols = st.columns([3, 1])
    with cols[1]:
        cls = class_selector(ex)
    with cols[0]:
        # A labelled radio row, not a segmented control: at laptop widths (1024 px) its choices
        # wrap onto a second line instead of being cut off.
        views = views_of(ex)
        if st.session_state.get("lt_view") not in views:
            st.session_state["lt_view"] = next(iter(views))  # the Codes view of another run's generator
        view = st.radio("View", tuple(views), format_func=views.get, key="lt_view", horizontal=True)
    {**PANELS, **MODEL_PANELS}[str(view)](ex, cls)
