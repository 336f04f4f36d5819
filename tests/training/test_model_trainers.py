"""InfoGAN and CycleGAN through the trainer interface in a real worker process: play, pause, a live
change of the model's weight that keeps Adam's state, save, reload and continue; and runs saved
by the plain GAN still load as plain GANs."""

from __future__ import annotations

import json

import pytest
import torch

from ganlab.kinds.models import model_of
from ganlab.kinds.toy_experiment import ToyExperiment
from ganlab.runs import load_run
from ganlab.settings.config import Knobs, MLPShape, ToyStructure
from ganlab.training.remote_runner import RemoteRunner
from ganlab.training.resume import save_runner_as
from ganlab.training.worker_process import ProcessTransport, wait_gone
from tests.conftest import wait_until
from tests.trainer_probes import g_optimizer_facts, net_state

INFO = ToyStructure(model="infogan", generator=MLPShape(1, 16), discriminator=MLPShape(1, 16))
CYCLE = ToyStructure(model="cyclegan", generator=MLPShape(1, 16), discriminator=MLPShape(1, 16))


def _runner(experiment, knobs) -> RemoteRunner:
    return RemoteRunner(experiment, knobs, transport_factory=ProcessTransport)


@pytest.mark.parametrize(("structure", "metric", "knob", "own_part"), [
    (INFO, "code_purity", {"info_weight": 3.0}, "discriminator.q."),  # D's Q head
    (CYCLE, "cycle_error", {"cycle_weight": 5.0}, "generator.ba."),  # the way back, F
])
def test_a_model_run_trains_pauses_takes_its_weight_live_saves_and_continues(tmp_path, structure, metric, knob,
                                                                             own_part):
    runner = _runner(ToyExperiment(structure), Knobs(batch_size=32))
    again = None
    try:
        runner.play()
        assert wait_until(lambda: runner.snapshot(with_history=False).step >= 30, timeout=60)
        runner.pause()
        assert runner.wait_idle(30)
        snap = runner.snapshot()
        assert metric in snap.latest_eval
        before = runner.call_on_thread(g_optimizer_facts)
        runner.set_knobs(Knobs(batch_size=32, **knob))
        runner.wait_idle(30)
        assert runner.call_on_thread(g_optimizer_facts) == before  # same optimizer, same state: a live knob
        (name, value), = knob.items()
        assert getattr(runner.snapshot().knobs, name) == value
        path = tmp_path / structure.model
        _, state = save_runner_as(runner, path, "2D playground")
        saved_nets = runner.call_on_thread(net_state)
        assert any(k.startswith(own_part) for k in saved_nets)  # the model's own net is saved with the run

        experiment, loaded, config = load_run(path)
        assert config["structure"]["model"] == structure.model and config["knobs"][name] == value
        assert model_of(experiment.structure).name == structure.model and loaded.step == state.step
        again = _runner(experiment, Knobs.from_dict(config["knobs"]))
        again.restore(experiment, loaded)
        assert again.wait_idle(30)
        restored = again.call_on_thread(net_state)
        assert restored.keys() == saved_nets.keys()
        assert all(torch.equal(restored[k], saved_nets[k]) for k in saved_nets)
        again.step("both", count=5)
        assert again.wait_idle(30) and again.snapshot().step == state.step + 5
    finally:
        pids = [r.pid for r in (runner, again) if r is not None and r.pid]
        for r in (runner, again):
            if r is not None:
                r.release()
        assert wait_gone(pids) == []


def test_a_run_saved_before_models_existed_loads_as_the_plain_gan(tmp_path):
    from ganlab.training.runner import Runner

    plain = ToyStructure(generator=MLPShape(1, 16), discriminator=MLPShape(1, 16))
    runner = Runner(ToyExperiment(plain), Knobs(batch_size=16))
    try:
        runner.step("both", 2)
        assert runner.wait_idle(30)
        path = tmp_path / "old"
        save_runner_as(runner, path, "2D playground")
    finally:
        runner.release()
    config = json.loads((path / "config.json").read_text())
    for key in ("model", "info_categories", "info_continuous", "data_b"):  # as a run saved before the fields existed
        del config["structure"][key]
    for key in ("info_weight", "cycle_weight", "identity_weight"):
        del config["knobs"][key]
    (path / "config.json").write_text(json.dumps(config))
    experiment, state, _ = load_run(path)
    assert model_of(experiment.structure).name == "gan" and state.step == 2
