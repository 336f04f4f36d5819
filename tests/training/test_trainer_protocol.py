"""One `Trainer` Protocol (issue 24): the thread `Runner` and the `RemoteRunner` (worker process,
Ray actor) both satisfy it, `make_runner` returns one, and pages reach training only through
`ganlab.training`'s face, catching `TrainerUnavailable` rather than a transport's error."""

from __future__ import annotations

import ast
import inspect

import pytest

from ganlab.kinds.toy_experiment import ToyExperiment
from ganlab.settings.config import Knobs, MLPShape, ToyStructure
from ganlab.training import RunnerClosedError, Trainer, TrainerUnavailable, make_runner
from ganlab.training.channel import WorkerLostError
from ganlab.training.remote_runner import RemoteRunner
from ganlab.training.runner import Runner
from tests.architecture import PACKAGE, imports_of, module_name, modules

STRUCTURE = ToyStructure(data="ring", noise_dim=2, generator=MLPShape(1, 8), discriminator=MLPShape(1, 8), seed=0)
MEMBERS = sorted(n for n in dir(Trainer) if not n.startswith("_")) + ["id"]


def protocol_signature(name: str) -> inspect.Signature | str:
    member = inspect.getattr_static(Trainer, name)
    return "property" if isinstance(member, property) else inspect.signature(member)


@pytest.mark.parametrize("cls", [Runner, RemoteRunner])
@pytest.mark.parametrize("name", [m for m in MEMBERS if m != "id"])
def test_each_runner_has_every_member_with_the_protocols_parameters(cls, name):
    wanted = protocol_signature(name)
    member = inspect.getattr_static(cls, name)
    if wanted == "property":
        assert isinstance(member, property)
        return
    got = inspect.signature(member)
    assert [(p.name, p.kind, p.default) for p in got.parameters.values()] == \
        [(p.name, p.kind, p.default) for p in wanted.parameters.values()]


def test_the_protocol_names_what_pages_call():
    assert {"play", "pause", "step", "set_knobs", "snapshot", "release", "restart", "copy_nets", "id"} <= set(MEMBERS)


def test_make_runner_returns_a_trainer_and_a_thread_runner_is_one(monkeypatch):
    monkeypatch.setenv("GANLAB_TRAINERS", "thread")
    runner = make_runner(ToyExperiment(STRUCTURE), Knobs())
    try:
        assert isinstance(runner, Trainer) and isinstance(runner, Runner)
        runner.step("both", count=1)
        assert runner.wait_idle() and runner.snapshot().step == 1
        runner.restart()  # a thread is never lost: nothing happens
        assert runner.snapshot().step == 1
    finally:
        runner.release()
    with pytest.raises(TrainerUnavailable):
        runner.copy_nets(timeout=1.0)


def test_an_object_missing_a_member_is_no_trainer():
    class Half:
        def play(self) -> None: ...

    assert not isinstance(Half(), Trainer)


def test_each_transports_error_is_a_trainer_unavailable():
    assert issubclass(RunnerClosedError, TrainerUnavailable) and issubclass(WorkerLostError, TrainerUnavailable)


def test_the_ui_imports_training_only_from_its_face_and_names_no_transport_error():
    known = modules()
    reaching_in = []
    for name, path in known.items():
        if not name.startswith("ganlab.ui"):
            continue
        reaching_in += [f"{name}:{imp.line} {imp.target}" for imp in imports_of(name, path, known)
                        if imp.target.startswith("ganlab.training.")]
        names = {n.id for n in ast.walk(ast.parse(path.read_text())) if isinstance(n, ast.Name)}
        reaching_in += [f"{name} names WorkerLostError" for _ in ["x"] if "WorkerLostError" in names]
    assert reaching_in == []
    assert module_name(PACKAGE / "ui" / "session.py") == "ganlab.ui.session"
