"""The landing page links to the playground and shows no errors."""

from streamlit.testing.v1 import AppTest

from tests.apptest_pages import ENTRY


def test_home_page_renders_and_links_to_the_playground():
    at = AppTest.from_file(ENTRY, default_timeout=30).run()
    assert not at.exception
    assert at.title[0].value == "ganlab"
    text = " ".join(m.value for m in at.markdown)
    assert "mode collapse" in text.lower()
    links = [el for el in at.get("page_link")]
    assert [link.proto.page for link in links].count("Playground") == 2  # sidebar nav and body


def test_a_refresh_on_home_keeps_the_live_training_for_the_playground(monkeypatch):
    """Home after a browser refresh (a new session) takes the session's run back from its URL,
    so the sidebar's link to the playground re-attaches to it instead of starting afresh."""
    from ganlab.kinds.toy_experiment import ToyExperiment
    from ganlab.settings.config import Knobs, MLPShape, ToyStructure
    from ganlab.training.runner import Runner
    from ganlab.ui.session import TOKEN_KEY, get_registry
    from tests.apptest_pages import fresh_app, runner_of

    apps = fresh_app("app.py")
    at = next(apps)
    try:
        registry = get_registry()
        monkeypatch.setattr(registry, "_is_owner_alive", lambda owner: owner != "closed-tab")
        small = ToyStructure(generator=MLPShape(1, 16), discriminator=MLPShape(1, 16))
        token, runner = registry.create("closed-tab", lambda slots: Runner(ToyExperiment(small), Knobs(), slots=slots))
        at.query_params["pgrun"] = token
        at.run()
        assert not at.exception
        assert at.session_state[f"{TOKEN_KEY}:playground"] == token and at.query_params["pgrun"] == token
        at.switch_page("pages/1_Playground.py").run()
        assert not at.exception
        assert runner_of(at) is runner and at.query_params["run"] == token
    finally:
        next(apps, None)


def test_the_suggested_comparison_names_the_buttons_the_playground_has():
    """Home says to apply each preset with "Apply and restart": the playground has that button,
    and it restarts (tests/ui/test_restart.py follows the comparison through)."""
    from ganlab.settings.presets import PRESETS
    from tests.apptest_pages import fresh_app

    home = AppTest.from_file(ENTRY, default_timeout=30).run()
    text = " ".join(m.value for m in home.markdown)
    assert "**Mode collapse** preset, press\n  **Apply and restart**" in text
    assert "**All modes**" in text and "starts from fresh weights at step 0" in text
    assert {"Mode collapse", "All modes"} <= {p.label for p in PRESETS.values()}
    apps = fresh_app("pages/1_Playground.py")
    at = next(apps)
    try:
        at.run()
        labels = {b.label for b in at.button}
        assert {"Apply and restart", "Apply, keep training"} <= labels
    finally:
        next(apps, None)
