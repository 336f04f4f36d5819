"""The landing page links to the playground and shows no errors."""

from streamlit.testing.v1 import AppTest

from tests.apptest_pages import ENTRY


def test_home_page_renders_and_links_to_the_playground():
    at = AppTest.from_file(ENTRY, default_timeout=30).run()
    assert not at.exception
    assert at.title[0].value == "ganlab"
    text = " ".join(m.value for m in at.markdown)
    assert "mode collapse" in text.lower()
    links = [el.proto for el in at.get("page_link")]
    assert [link.page for link in links if link.label in ("2D playground", "Open the 2D playground")] == [
        "Playground", "Playground"]  # sidebar nav and body


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


def test_home_names_no_recipe_of_its_own_the_lesson_holds_it():
    """The five-step recipe (grid of 25, Mode collapse preset, Apply and restart, ...) became the
    mode-collapse lesson, whose steps are the presets themselves (tests/settings/test_lessons.py)."""
    home = AppTest.from_file(ENTRY, default_timeout=30).run()
    text = " ".join(m.value for m in home.markdown)
    assert "Apply and restart" not in text and "**Mode collapse, and how to stop it**" in text
