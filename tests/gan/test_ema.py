"""The generator EMA: hand-worked averages, the warm-up schedule, buffers copied, no gradients."""

import pytest
import torch
from torch import nn

from ganlab.gan.ema import GeneratorEMA


class Tiny(nn.Module):
    """One weight, one bias and one buffer, all set by hand."""

    def __init__(self, w=0.0, b=0.0, buf=0.0):
        super().__init__()
        self.w = nn.Parameter(torch.tensor([w]))
        self.b = nn.Parameter(torch.tensor([b]))
        self.register_buffer("stat", torch.tensor([buf]))

    def set(self, w, b, buf):
        with torch.no_grad():
            self.w.fill_(w)
            self.b.fill_(b)
            self.stat.fill_(buf)


def values(module):
    return [module.w.item(), module.b.item(), module.stat.item()]


def test_update_averages_parameters_by_hand_and_copies_buffers():
    live = Tiny(w=1.0, b=-2.0, buf=5.0)
    ema = GeneratorEMA(live, 0.9, warmup=False)
    assert values(ema.module) == [1.0, -2.0, 5.0]  # starts as a copy
    live.set(w=3.0, b=0.0, buf=7.0)
    ema.update(live)
    # 0.9 * 1 + 0.1 * 3 = 1.2;  0.9 * -2 + 0.1 * 0 = -1.8;  the buffer is copied, not averaged
    assert values(ema.module) == pytest.approx([1.2, -1.8, 7.0])
    live.set(w=-1.0, b=10.0, buf=-3.0)
    ema.update(live)
    # 0.9 * 1.2 + 0.1 * -1 = 0.98;  0.9 * -1.8 + 0.1 * 10 = -0.62
    assert values(ema.module) == pytest.approx([0.98, -0.62, -3.0])
    assert ema.updates == 2
    assert values(live) == [-1.0, 10.0, -3.0]  # the live net is untouched


def test_warmup_follows_the_live_net_closely_at_first():
    live = Tiny(w=0.0)
    ema = GeneratorEMA(live, 0.999)
    # update 1: min(0.999, 2 / 11); update 2: min(0.999, 3 / 12) = 0.25
    assert ema.current_decay() == pytest.approx(2 / 11)
    live.set(w=11.0, b=0.0, buf=0.0)
    ema.update(live)
    assert ema.module.w.item() == pytest.approx(9.0)  # 2/11 * 0 + 9/11 * 11
    assert ema.current_decay() == pytest.approx(0.25)
    live.set(w=1.0, b=0.0, buf=0.0)
    ema.update(live)
    assert ema.module.w.item() == pytest.approx(3.0)  # 0.25 * 9 + 0.75 * 1
    ema.updates = 100_000
    assert ema.current_decay() == 0.999  # the cap


def test_zero_decay_copies_the_live_weights():
    live = Tiny(w=1.0)
    ema = GeneratorEMA(live, 0.0, warmup=False)
    live.set(w=4.0, b=2.0, buf=1.0)
    ema.update(live)
    assert values(ema.module) == [4.0, 2.0, 1.0]


def test_averaged_copy_is_in_eval_mode_without_gradients_and_separate():
    live = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4), nn.ReLU())
    live.train()
    ema = GeneratorEMA(live, 0.5)
    assert not ema.module.training and live.training
    assert all(not p.requires_grad for p in ema.module.parameters())
    assert all(p.requires_grad for p in live.parameters())
    live(torch.randn(8, 3))  # moves the live batch-norm running statistics
    ema.update(live)
    assert torch.equal(ema.module[1].running_mean, live[1].running_mean)
    assert ema.module[1].running_mean.data_ptr() != live[1].running_mean.data_ptr()
    assert torch.equal(ema.module[1].num_batches_tracked, torch.tensor(1))


@pytest.mark.parametrize("decay", [-0.1, 1.0, True, "0.9", None])
def test_bad_decay_is_refused_with_a_message(decay):
    with pytest.raises(ValueError, match="EMA decay must be a number between 0.0 and 0.9999"):
        GeneratorEMA(Tiny(), decay)
