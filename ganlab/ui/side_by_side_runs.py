"""The side-by-side page's two runs: which runners it shows, made from its link, and the link kept
in step with them (ganlab.settings.pair_link says what the link holds).

Each run is this session's runner under its own page key (PAIR_A, PAIR_B; ganlab.ui.session), named
in the URL as `arun` / `brun`, so a refresh keeps both, as on the playground. A link whose settings
changed since this page last wrote it (a lesson step, a shared link, an edited address, a shortcut
button) starts fresh runs for the settings it asks for, unless the runs already train exactly those.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import streamlit as st

from ganlab.kinds import kind_of
from ganlab.kinds.toy import TOY
from ganlab.kinds.toy_experiment import ToyExperiment, structure_dataset
from ganlab.settings.config import ToyStructure
from ganlab.settings.fields import TOY_FIELDS
from ganlab.settings.pair_link import PRESET_KEY, RUNS, SHORTCUTS, Settings, decode_pair, encode_pair, link_settings
from ganlab.settings.urlstate import VIEW_KEYS
from ganlab.training import Trainer, make_runner
from ganlab.ui import playground, run_controls
from ganlab.ui.session import PAIR_A, PAIR_B, URL_TOKENS, create_runner, session_runs
from ganlab.ui.training_page import APP_URL_KEYS

PAIR = (PAIR_A, PAIR_B)
NAMES = dict(zip(PAIR, (r.upper() for r in RUNS), strict=True))  # "A", "B": what the page calls them
# Each run as a training page of the playground's kind, with its own session keys ("pa_play", ...):
# the transport, status line and live-view polling of ganlab.ui.training_page serve both.
PAGES = {key: dataclasses.replace(playground.PAGE, key=key, prefix=f"p{run}_", status_details=False)
         for key, run in zip(PAIR, RUNS, strict=True)}
IGNORED = APP_URL_KEYS | set(VIEW_KEYS)  # the link's keys that are not run settings
WRITTEN_KEY = "pair_link_written"  # the link's settings as this page last wrote them
_OWN_KEYS = {f.key for f in TOY_FIELDS} | {PRESET_KEY}
LINK_KEYS = _OWN_KEYS | {f"{run}.{key}" for run in RUNS for key in _OWN_KEYS}  # what the page rewrites


def _claim(key: str) -> Trainer | None:
    runner = session_runs().claim(key, URL_TOKENS[key])
    # a token naming an image run, or a run that has gone, is not adopted
    return runner if runner is not None and runner.alive and kind_of(runner.experiment) is TOY else None


def settings_of(runner: Trainer) -> Settings:
    snap = runner.snapshot()
    return snap.structure, snap.knobs


def _usable(name: str, settings: Settings, problems: list[str]) -> Settings:
    """A link carries no uploaded points (and may name a drawing with nothing drawn): such a run
    trains on the default data instead, and the page says so."""
    structure, knobs = settings
    try:
        structure_dataset(structure)
    except (KeyError, ValueError):
        default = ToyStructure().data
        problems.append(f"run {name}: data={structure.data} cannot be opened from a link here (no uploaded "
                        f"points or drawing); it trains on {default} instead")
        structure = dataclasses.replace(structure, data=default, drawing="")
    return structure, knobs


def _start(key: str, settings: Settings) -> Trainer:
    structure, knobs = settings
    session_runs().release(key)  # the run it replaces stops now, not when the reaper finds it
    return create_runner(key, lambda slots: make_runner(ToyExperiment(structure, structure_dataset(structure)),
                                                        knobs, slots=slots), url_key=URL_TOKENS[key])


def connect() -> tuple[dict[str, Trainer], list[str]]:
    """This session's two runners (made or replaced as the link asks), with the link rewritten to
    name what they train; and the link's problems, when it asked for something new (else [])."""
    claimed = {key: _claim(key) for key in PAIR}
    problems: list[str] = []
    asked = link_settings(st.query_params.to_dict(), IGNORED)
    changed = bool(asked) and asked != st.session_state.get(WRITTEN_KEY)
    wanted: dict[str, Settings] = {}
    if changed or None in claimed.values():
        pair = decode_pair(asked, IGNORED)  # no settings: the default pair
        problems = list(pair.problems)
        wanted = {key: _usable(NAMES[key], settings, problems)
                  for key, settings in zip(PAIR, (pair.a, pair.b), strict=True)}
    runners: dict[str, Trainer] = {}
    for key, runner in claimed.items():
        keep = runner is not None and not (changed and settings_of(runner) != wanted[key])
        runners[key] = runner if keep and runner is not None else _start(key, wanted[key])
    _write_link(settings_of(runners[PAIR_A]), settings_of(runners[PAIR_B]))
    return runners, problems if changed else []


def _write_link(a: Settings, b: Settings) -> None:
    link = encode_pair(a, b)
    for key in [k for k in st.query_params if k in LINK_KEYS and k not in link]:
        del st.query_params[key]  # e.g. a.gw once both runs share a width again, or a preset applied
    st.query_params.update(link)
    st.session_state[WRITTEN_KEY] = link_settings(st.query_params.to_dict(), IGNORED)


def open_shortcut(name: str, runner_a: Trainer) -> None:
    """A shortcut button's callback: its pair on run A's data and seed, from fresh weights."""
    structure, _ = settings_of(runner_a)
    for key in [k for k in st.query_params if k in LINK_KEYS]:
        del st.query_params[key]
    keep = {"data": structure.data, "seed": str(structure.seed)}
    if structure.drawing:
        keep["draw"] = structure.drawing
    st.query_params.update({**keep, **SHORTCUTS[name]})


def _each(runners: dict[str, Trainer], action: Any) -> None:
    for key, runner in runners.items():
        action(runner, PAGES[key].prefix)


def play_both(runners: dict[str, Trainer]) -> None:
    _each(runners, run_controls.play)


def pause_both(runners: dict[str, Trainer]) -> None:
    _each(runners, lambda runner, prefix: runner.pause())


def reset_both(runners: dict[str, Trainer]) -> None:
    _each(runners, run_controls.reset)
