"""The Dynamics page: the Dirac-GAN (Mescheder et al. 2018) in its (theta, psi) plane. The
gradient field's arrows, trajectories from starts the user clicks or types, the losses and the
distance to the equilibrium along them, and a verdict per start. Settings live in the URL."""

from __future__ import annotations

from functools import partial
from typing import Any

import numpy as np
import streamlit as st

from ganlab.dynamics import settings as S
from ganlab.dynamics.dirac import LOSSES as DIRAC_LOSSES
from ganlab.dynamics.dirac import WASSERSTEIN_LABEL, loss_curves, trajectories, vector_field
from ganlab.dynamics.explain import explanation
from ganlab.dynamics.verdict import CONVERGES, CYCLE, DIVERGES, SPIRALS_OUT, Verdict, shown_number, verdict
from ganlab.gan.losses import LOSSES, loss_label
from ganlab.ui import lesson_link, page_shape
from ganlab.ui.dynamics_cases import notebook_cases
from ganlab.ui.field_widgets import field_input
from ganlab.viz.plots_dynamics import arrow_grid, curves_figure, field_figure, start_colour

SETTINGS, STARTS, PROBLEMS, CLICKS = "dy_settings", "dy_starts", "dy_problems", "dy_clicks"
THETA0, PSI0, CASE = "dy_theta0", "dy_psi0", "dy_case"
REG_LABELS = {"none": "None", "r1": "R1 (at the real point)", "r2": "R2 (at the fake point)",
              "gp": "Gradient penalty (WGAN-GP)", "clip": "Weight clipping (WGAN)", "noise": "Instance noise",
              "consensus": "Consensus optimization"}
WEIGHT_OF = {"r1": "r1_gamma", "r2": "r1_gamma", "gp": "gp_lambda", "clip": "clip", "noise": "noise",
             "consensus": "consensus"}
UPDATE_LABELS = {"simultaneous": "Simultaneous", "alternating": "Alternating"}
ORDER_LABELS = {"d-first": "D first", "g-first": "G first"}
FIELD_WIDTH, CURVES_WIDTH, EXPLAIN_WIDTH = 510, 400, 400  # px
VERDICT_COLOURS = {CONVERGES: "green", SPIRALS_OUT: "red", DIVERGES: "red"}


def _loss_label(name: str) -> str:
    return loss_label(name) if name in LOSSES else WASSERSTEIN_LABEL


def _stored() -> S.DiracSettings:
    """The session's settings: from the link on the first visit (its problems kept to show)."""
    if SETTINGS not in st.session_state:
        settings, problems = S.decode(st.query_params.to_dict())
        st.session_state[SETTINGS], st.session_state[PROBLEMS] = settings, problems
        st.session_state[STARTS] = list(settings.starts)
    return st.session_state[SETTINGS]


def _restore_widgets(settings: S.DiracSettings) -> None:
    """Widgets not drawn on the last run (another page, a hidden weight) lose their state: put it back."""
    for field in S.FIELDS:
        st.session_state.setdefault(field.key, getattr(settings, field.path[-1]))
    last = st.session_state[STARTS][-1]
    st.session_state.setdefault(THETA0, float(last[0]))
    st.session_state.setdefault(PSI0, float(last[1]))


def _show_inputs(point: tuple[float, float]) -> None:
    st.session_state[THETA0], st.session_state[PSI0] = float(point[0]), float(point[1])


def _typed_start() -> None:
    st.session_state[STARTS][-1] = (float(st.session_state[THETA0]), float(st.session_state[PSI0]))


def _add_start() -> None:
    theta, psi = st.session_state[STARTS][-1]
    _append((round(theta / 2, 4), round(psi / 2, 4)))


def _append(point: tuple[float, float]) -> None:
    starts = st.session_state[STARTS]
    starts.append(point)
    del starts[:-S.MAX_STARTS]
    _show_inputs(point)


def _remove_start() -> None:
    starts = st.session_state[STARTS]
    if len(starts) > 1:
        starts.pop()
    _show_inputs(starts[-1])


def _clicked(key: str, grid_trace: int) -> None:
    """A click on the plane (a point of its invisible grid) adds a start there."""
    points = ((st.session_state.get(key) or {}).get("selection") or {}).get("points") or []
    grid = [p for p in points if p.get("curve_number", grid_trace) == grid_trace] or points
    if grid:
        _append((round(float(grid[-1]["x"]), 3), round(float(grid[-1]["y"]), 3)))
        st.session_state[CLICKS] = st.session_state.get(CLICKS, 0) + 1  # a fresh chart: no selection left on it


def _apply(settings: S.DiracSettings) -> None:
    """Set every widget and the starts to `settings` (from a callback: before the widgets draw; a
    setting the page's link holds is put back by page_shape)."""
    for field in S.FIELDS:
        st.session_state[field.key] = getattr(settings, field.path[-1])
    st.session_state[STARTS] = list(settings.starts)
    _show_inputs(settings.starts[-1])


def _case_chosen() -> None:
    """Apply the chosen case of the paper, then clear the choice: the settings, not a stale case
    name, say what is shown."""
    _apply(S.SCENARIOS[st.session_state[CASE]])
    st.session_state[CASE] = None


def _controls(stored: S.DiracSettings) -> S.DiracSettings:
    """The settings, in the sidebar (as on the playground): the main area keeps the plane in view."""
    f = S.BY_NAME
    bar = st.sidebar
    if page_shape.current("").shows_panel("cases"):
        bar.selectbox("Show a case from the paper", list(S.SCENARIOS), index=None, key=CASE, on_change=_case_chosen,
                      placeholder="Choose a case…",
                      help="Sets every setting and the starts; change them from there (not those the link locks)")
    loss = field_input(f["loss"], "", bar, format_func=_loss_label)
    reg = field_input(f["regularizer"], "", bar, format_func=REG_LABELS.get)
    values: dict[str, Any] = {"loss": loss, "regularizer": reg}
    if reg in WEIGHT_OF:
        name = WEIGHT_OF[reg]
        values[name] = field_input(f[name], "", bar)
    update = field_input(f["update"], "", bar, radio=True, format_func=UPDATE_LABELS.get)
    order = field_input(f["order"], "", bar, radio=True, format_func=ORDER_LABELS.get,
                        disabled=update == "simultaneous")
    left, right = bar.columns(2, vertical_alignment="bottom")
    values.update(
        update=update,
        order=order,
        lr=field_input(f["lr"], "", left),
        d_steps=field_input(f["d_steps"], "", right, disabled=update == "simultaneous"),
        iterations=field_input(f["iterations"], "", left),
        view=field_input(f["view"], "", right),
    )
    # the weights not drawn: as a case just set them, else as they were
    kept = {name: st.session_state.get(f[name].key, getattr(stored, name)) for name in WEIGHT_OF.values()
            if name not in values}
    return S.DiracSettings(**values, **kept, starts=tuple(st.session_state[STARTS]))


@st.cache_data(max_entries=64, show_spinner=False)
def _simulate(settings: S.DiracSettings) -> dict[str, Any]:
    dyn = settings.dynamics()
    paths = trajectories(dyn, np.array(settings.starts), settings.iterations)
    d_losses, g_losses = loss_curves(dyn, paths)
    theta, psi = arrow_grid(settings.view)
    v_theta, v_psi = vector_field(dyn, theta, psi)
    return dict(paths=paths, d=d_losses, g=g_losses, field=(theta, psi, v_theta, v_psi),
                verdicts=[verdict(p, dyn.lr) for p in paths])


def _verdict_line(i: int, start: tuple[float, float], v: Verdict) -> str:
    colour = VERDICT_COLOURS.get(v.outcome, "blue")
    scale = v.end_distance
    end = ("off to infinity" if v.outcome == DIVERGES
           else f"({shown_number(v.end[0], scale)}, {shown_number(v.end[1], scale)})")
    distance = "∞" if v.outcome == DIVERGES else shown_number(v.end_distance, v.start_distance)
    cycle = f" at ≈ {v.cycle_distance:.3g}" if v.outcome == CYCLE else ""
    swatch = f'<span style="color:{start_colour(i)}">■</span>'
    return (f"{swatch} **start {i + 1}** ({start[0]:g}, {start[1]:g}) → {end}: "
            f"distance {v.start_distance:.3g} → {distance}, :{colour}[**{v.outcome}**{cycle}]")


def _problems() -> None:
    problems = st.session_state.get(PROBLEMS) or []
    for problem in problems:
        st.warning(problem[0].upper() + problem[1:])
    if problems:
        st.button("Dismiss", key="dy_dismiss", on_click=lambda: st.session_state.update({PROBLEMS: []}))


def _write_url(settings: S.DiracSettings) -> None:
    for key, value in S.encode(settings).items():
        if st.query_params.get(key) != value:
            st.query_params[key] = value


def _plane(settings: S.DiracSettings, result: dict[str, Any]) -> None:
    """The field with its trajectories (a click adds a start), the start boxes, and the verdicts."""
    theta, psi, v_theta, v_psi = result["field"]
    fig = field_figure(theta, psi, v_theta, v_psi, list(result["paths"]), settings.view, height=500)
    key = f"dy_field_{st.session_state.get(CLICKS, 0)}"
    st.plotly_chart(fig, key=key, on_select=partial(_clicked, key, len(fig.data) - 1), selection_mode="points",
                    config={"displayModeBar": False})
    if not page_shape.current("").shows_panel("starts"):
        _verdicts(settings, result)
        return
    row = st.columns([1, 1, 1.1, 1.1], vertical_alignment="bottom")
    row[0].number_input("Last start θ", -S.START_BOUND, S.START_BOUND, step=0.1, format="%.3f", key=THETA0,
                        on_change=_typed_start, help="Type the newest start's θ, or click the plane")
    row[1].number_input("Last start ψ", -S.START_BOUND, S.START_BOUND, step=0.1, format="%.3f", key=PSI0,
                        on_change=_typed_start, help="Type the newest start's ψ, or click the plane")
    row[2].button("Add a start", key="dy_add", on_click=_add_start, width="stretch",
                  help=f"A new start halfway to (0, 0), to move with the boxes (at most {S.MAX_STARTS})")
    row[3].button("Remove last", key="dy_remove", on_click=_remove_start, width="stretch",
                  disabled=len(settings.starts) < 2, help="Remove the newest start")
    _verdicts(settings, result)


def _verdicts(settings: S.DiracSettings, result: dict[str, Any]) -> None:
    lines = [_verdict_line(i, start, v) for i, (start, v) in enumerate(zip(settings.starts, result["verdicts"], strict=False))]
    st.markdown("\n\n".join(lines), unsafe_allow_html=True)


def _explanation(settings: S.DiracSettings, verdicts: list[Verdict]) -> None:
    dyn = settings.dynamics()
    st.info(explanation(dyn, verdicts), icon=":material/insights:")
    with st.expander("The losses in closed form"):
        st.markdown(f"With t = ψθ the fake logit and 0 the real one, **{_loss_label(settings.loss)}**: "
                    f"{DIRAC_LOSSES[settings.loss].doc}. The field is v = (−l_G′(ψθ)·ψ, −l_D′(ψθ)·θ − R′(ψ)); "
                    "R1 and R2 are γ/2·ψ² (D's input gradient is ψ everywhere), the gradient penalty λ(|ψ| − 1)². "
                    "Instance noise σ replaces the fake point θ by θ + σε and the real one by σε′ and takes the "
                    "expectation over the noise (a 64-point Gauss–Hermite sum); consensus optimization γ makes "
                    "the field v − γ·∇(|v|²/2). "
                    "ganlab's D scores real data high, the paper's fake data, so the paper's pictures are these "
                    "mirrored in ψ.")


def dynamics_page() -> None:
    st.title("Dynamics")
    st.caption("The Dirac-GAN of Mescheder, Geiger and Nowozin (2018): the real data is a single point at 0, the "
               "generator puts its single point at θ, and the discriminator is D(x) = ψ·x. Each arrow is where "
               "one training step moves (θ, ψ); the equilibrium is (0, 0). **Click the plane** to start a run there; "
               "the settings are in the sidebar, the runs of the paper's notebook just below.")
    stored = _stored()
    _restore_widgets(stored)
    st.session_state[PROBLEMS] = (st.session_state.get(PROBLEMS) or []) + page_shape.establish("")  # hide=, lock=
    _problems()
    settings = _controls(stored)
    st.session_state[SETTINGS] = settings
    if page_shape.current("").shows_panel("cases"):
        notebook_cases(_apply, settings)
    result = _simulate(settings)
    # Fixed widths in a wrapping row: the plane, the curves and the explanation side by side on a wide
    # screen, the explanation below from about 1300 px, everything stacked on a laptop or a 1024 px
    # projector, where two columns had made the plane too small to click (227 px).
    shows = page_shape.current("").shows_panel  # the panels a lesson link hides
    row = st.container(horizontal=True, gap="small")
    with row.container(width=FIELD_WIDTH):
        _plane(settings, result)
    if shows("curves"):
        with row.container(width=CURVES_WIDTH):
            st.plotly_chart(curves_figure(list(result["paths"]), list(result["d"]), list(result["g"]), height=470),
                            key="dy_curves", config={"displayModeBar": False})
            st.caption("The D loss is the adversarial part, without the penalty. A straight line in the distance "
                       "panel is a steady spiral: out when it rises, in when it falls.")
    if shows("explanation"):
        with row.container(width=EXPLAIN_WIDTH):
            _explanation(settings, result["verdicts"])
    _write_url(settings)
    lesson_link.panel("")
