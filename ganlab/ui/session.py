"""Which runner belongs to this browser session, shared server-wide through one registry."""

from __future__ import annotations

import os
import sys
from typing import Callable, MutableMapping

import streamlit as st
from streamlit import runtime
from streamlit.runtime.scriptrunner import get_script_run_ctx

from ganlab.kinds.image import IMAGE
from ganlab.kinds.toy import TOY
from ganlab.training import (
    DEFAULT_GRACE_S,
    RunnerRegistry,
    Trainer,
    TrainerStartError,
    TrainingSlots,
    server_training_slots,
    warm_up_trainers,
)

TOKEN_KEY = "runner_token"
ENV_GRACE = "GANLAB_RELEASE_AFTER_S"
SWITCH_INTERVAL_S = 0.0001


def session_id() -> str:
    ctx = get_script_run_ctx()
    return ctx.session_id if ctx is not None else "no-session"


def _session_alive(owner: str) -> bool:
    """A session stays alive while its tab is connected, on any page of the app."""
    if not runtime.exists():  # AppTest and bare scripts: there is no server to ask
        return True
    return runtime.get_instance().is_active_session(owner)


def _grace_from_env() -> float:
    try:
        return max(0.0, float(os.environ.get(ENV_GRACE, DEFAULT_GRACE_S)))
    except ValueError:
        return DEFAULT_GRACE_S


@st.cache_resource(on_release=lambda registry: registry.shutdown())
def get_registry() -> RunnerRegistry:
    # Training threads release the GIL inside every torch op and must win it back
    # afterwards; with the default 5 ms switch interval each op can wait that long
    # while a page renders (the convoy effect). 0.1 ms keeps them moving (0.5 ms measured
    # 0.70-0.73 -> 0.76-0.85 of headless speed; 0.1 ms is what bench_live_view.py ran with last).
    sys.setswitchinterval(SWITCH_INTERVAL_S)
    registry = RunnerRegistry(
        server_training_slots(), grace_s=_grace_from_env(), is_owner_alive=_session_alive
    )
    registry.start_reaper()
    warm_up_trainers()  # the trainer forkserver imports torch now, not at the first Play
    return registry


# The page keys: one spelling for the training pages' runners (a session owns one runner per key).
PLAYGROUND, IMAGES, RUNS = TOY.page_key, IMAGE.page_key, "runs"
PAIR_A, PAIR_B = "pair_a", "pair_b"  # the side-by-side page's two runs


class SessionRuns:
    """The runners one browser session owns, one per page key: the one place that decides which
    run a page (or the Runs page's continue and resume, or the Latent page's live source) works on.

    `state` is the session's state (the runner tokens it created or claimed) and `params` the
    page URL; both are plain mappings, so this runs without Streamlit."""

    def __init__(self, registry: RunnerRegistry, owner: str, state: MutableMapping, params: MutableMapping) -> None:
        self.registry, self.owner, self.state, self.params = registry, owner, state, params

    @staticmethod
    def state_key(key: str) -> str:
        return f"{TOKEN_KEY}:{key}"

    def token(self, key: str) -> str | None:
        return self.state.get(self.state_key(key))

    def get(self, key: str) -> Trainer | None:
        """This session's live runner for `key`, looked up (never claimed from the URL)."""
        token = self.token(key)
        runner = self.registry.get(token) if token else None
        return runner if runner is not None and runner.alive else None

    def claim(self, key: str, url_key: str = "run") -> Trainer | None:
        """The runner this session already has for `key`, or the one named in the URL's `url_key`
        when this is a refreshed page whose old session is gone. The registry's claim refuses a run
        that another open session owns (a copied link takes nothing over)."""
        token = self.token(key)
        if token is not None:  # created or claimed by this session already: ours
            runner = self.registry.get(token)
        else:
            token = self.params.get(url_key)
            runner = self.registry.claim(token, self.owner) if token else None
        if runner is not None:
            self.state[self.state_key(key)] = token
            self.params[url_key] = token
        return runner

    def create(self, key: str, factory: Callable[[TrainingSlots], Trainer], url_key: str | None = "run") -> Trainer:
        """A new runner for `key` owned by this session (named in the URL's `url_key` unless None);
        the one it had before under `key` is no longer this session's (the reaper frees it)."""
        token, runner = self.registry.create(self.owner, factory)
        self.state[self.state_key(key)] = token
        if url_key is not None:
            self.params[url_key] = token
        return runner

    def release(self, key: str) -> None:
        """Stop and forget this session's runner for `key`."""
        token = self.state.pop(self.state_key(key), None)
        if token is not None:
            self.registry.release(token)

    def live(self, key: str) -> Trainer | None:
        """This session's live runner for `key` (see claim), or None; kept in the URL under
        `URL_TOKENS[key]` while it lives, dropped from it once it is gone."""
        runner = self.claim(key, URL_TOKENS[key])
        if runner is None or not runner.alive:
            self.params.pop(URL_TOKENS[key], None)
            return None
        return runner


def session_runs() -> SessionRuns:
    """This browser session's runners."""
    return SessionRuns(get_registry(), session_id(), st.session_state, st.query_params)


def claim_runner(key: str, url_key: str = "run") -> Trainer | None:
    """See SessionRuns.claim."""
    return session_runs().claim(key, url_key)


def create_runner(key: str, factory: Callable[[TrainingSlots], Trainer], url_key: str | None = "run") -> Trainer:
    """A new runner of this session for page `key`; when no trainer could be started (a full
    machine, an unreachable cluster) the page says so and stops."""
    try:
        return session_runs().create(key, factory, url_key)
    except TrainerStartError as exc:
        st.error(str(exc), icon=":material/error:")
        st.stop()


# A page's own URL keeps `run` (its runner's token); every other page keeps the session's
# live runs under these names, so a browser refresh anywhere (a new session) finds them.
URL_TOKENS = {PLAYGROUND: "pgrun", IMAGES: "imrun", PAIR_A: "arun", PAIR_B: "brun"}
# A page puts its runner's settings into its widgets while this flag is missing (first visit,
# a refreshed page, or a run continued from the Runs page, which pops it).
WIDGETS_SYNCED = {PLAYGROUND: "pg_initialized", IMAGES: "im_initialized"}


def live_runner(key: str) -> Trainer | None:
    """See SessionRuns.live."""
    return session_runs().live(key)


def keep_live_runs_in_url(*own_keys: str) -> None:
    """Call on every page: the session's live runs (but the page's own, which it keeps itself) in its URL."""
    for key in URL_TOKENS:
        if key not in own_keys:
            live_runner(key)
            # Streamlit drops the state of widgets a run does not draw: back on that page, its
            # widgets must be filled from its runner again (they were: a missing key crashed it).
            if key in WIDGETS_SYNCED:  # (the side-by-side page has no settings widgets)
                st.session_state.pop(WIDGETS_SYNCED[key], None)
