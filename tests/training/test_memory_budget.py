"""The memory estimate against hand-worked numbers (a small MLP and a small DCGAN), the per-run
budget (the machine's memory, the training cap, the environment variable) and the refusal's words."""

from __future__ import annotations

import dataclasses

import pytest
import torch

from ganlab.data.images import ImageDataset
from ganlab.kinds.image_experiment import ImageExperiment
from ganlab.settings.config import ImageStructure, Knobs, MLPShape, ToyStructure
from ganlab.training import memory_budget as mb
from ganlab.training.run_guard import budget_for, check_memory
from ganlab.training.slots import TrainingSlots

GIB = 2**30


def test_a_small_mlp_by_hand():
    # G: Linear(2,4) 12 + Linear(4,2) 10 = 22 weights; D: Linear(2,4) 12 + Linear(4,1) 5 = 17
    # activations per sample: G 2 (noise) + 4 + 4 + 2 = 12; D 2 (input) + 4 + 4 + 1 = 11
    # D update 2 x 11 = 22, G update 12 + 11 = 23: 23 x batch 8 x 1.5 floats
    s = ToyStructure(noise_dim=2, generator=MLPShape(1, 4, "relu"), discriminator=MLPShape(1, 4, "relu"))
    got = mb.estimate(s, Knobs(batch_size=8))
    assert got.weights == 4 * (22 + 17) * 4
    assert got.activations == int(23 * 8 * 1.5) * 4
    assert got.data == 0 and got.total == 624 + 1104


TINY_DCGAN = ImageStructure(image_size=28, channels=1, noise_dim=2, width=8, g_batch_norm=False, d_batch_norm=False,
                            d_spectral_norm=False)


def test_a_small_dcgan_by_hand():
    # G (28 px, width 8): ConvT(2->16, 7x7) 1568+16, ConvT(16->8, 4x4) 2048+8, ConvT(8->1, 4x4) 128+1 = 3769
    # D: Conv(1->8, 4x4) 128+8, Conv(8->16, 4x4) 2048+16, Linear(16*7*7 -> 1) 784+1 = 2985
    weights = (3769 + 2985) * 4 * 4
    # G per sample: noise 2 + 784 (16x7x7) x2 (+ReLU) + 1568 (8x14x14) x2 + 784 (1x28x28) x2 (+Tanh) = 6274
    # D per sample: image 784 + 1568 x2 (conv, LeakyReLU) + 784 x3 (conv, LeakyReLU, Flatten) + 1 = 6273
    peak = max(2 * 6273, 6274 + 6273) * 16 * 1.5
    data = ImageDataset(torch.zeros(10, 1, 28, 28, dtype=torch.uint8))
    got = mb.estimate(TINY_DCGAN, Knobs(batch_size=16), mb.dataset_bytes(data))
    assert (got.weights, got.activations, got.data) == (weights, int(peak) * 4, 10 * 28 * 28)
    # spectral norm changes no shape: the same count; EMA keeps a copy of G's weights;
    # a gradient penalty doubles the D update's part
    sn = mb.estimate(dataclasses.replace(TINY_DCGAN, d_spectral_norm=True), Knobs(batch_size=16))
    assert (sn.weights, sn.activations) == (weights, int(peak) * 4)
    assert mb.estimate(dataclasses.replace(TINY_DCGAN, ema_decay=0.99), Knobs(batch_size=16)).weights == weights + 3769 * 4
    gp = Knobs(batch_size=16, loss="wasserstein-gp", gp_weight=10.0)
    assert mb.estimate(TINY_DCGAN, gp).activations == int(2 * 6273 * 2 * 16 * 1.5) * 4


def test_the_budget_comes_from_the_machine_and_the_cap_unless_the_variable_says():
    assert mb.run_budget(1, environ={}, total=16 * GIB) == 4 * GIB
    assert mb.run_budget(2, environ={}, total=16 * GIB) == 2 * GIB
    assert mb.run_budget(64, environ={}, total=16 * GIB) == mb.MIN_BUDGET
    assert mb.run_budget(2, environ={mb.ENV_RUN_MEMORY: "3.5"}, total=16 * GIB) == int(3.5 * GIB)
    for junk in ("", "lots", "-1", "0", "inf", "nan"):
        assert mb.run_budget(2, environ={mb.ENV_RUN_MEMORY: junk}, total=16 * GIB) == 2 * GIB
    assert budget_for(None) is None  # the command line: the user's own machine


def test_the_workshop_attack_is_refused_with_the_settings_to_lower(monkeypatch):
    monkeypatch.setenv(mb.ENV_RUN_MEMORY, "3.5")
    s = ImageStructure(dataset="digits", image_size=32, channels=3, width=256, noise_dim=256)
    knobs = Knobs(batch_size=4096, d_steps=10)
    data = ImageDataset(torch.zeros(1797, 3, 32, 32, dtype=torch.uint8), name="digits")
    budget = budget_for(TrainingSlots(1))
    with pytest.raises(mb.OverBudgetError) as err:
        check_memory(ImageExperiment(s, data), knobs, budget)
    text = str(err.value)
    assert text.startswith("This run would need too much memory (batch size 4,096, width 256: about ")
    assert "this server allows 3.5 GB per run: lower batch size or width" in text
    assert mb.ENV_RUN_MEMORY in text
    need = mb.estimate(s, knobs, mb.dataset_bytes(data)).total
    assert 8 * GIB < need < 20 * GIB  # the trainer reached 10.8 GB before its first step ended
    check_memory(ImageExperiment(s, data), knobs.replace(batch_size=64), budget)  # a batch of 64 fits


def test_a_2d_run_names_both_widths():
    s = ToyStructure(generator=MLPShape(5, 512), discriminator=MLPShape(5, 512))
    text = mb.over_budget_message(s, Knobs(batch_size=4096), mb.estimate(s, Knobs(batch_size=4096)), 2**20)
    assert "(batch size 4,096, width 512 / 512: about " in text and "allows 1 MB per run" in text
