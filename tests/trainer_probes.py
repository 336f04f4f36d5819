"""Functions the tests run on a runner's trainer (`runner.call_on_thread(fn)`): module-level, so
they can be pickled to a trainer process."""

from __future__ import annotations

import dataclasses
import functools
import math
import os
from typing import Any

import torch


def generator_weights(parts: Any, experiment: Any, step: int) -> dict[str, torch.Tensor]:
    return {k: v.detach().cpu().clone() for k, v in parts.generator.state_dict().items()}


def net_state(parts: Any, experiment: Any, step: int) -> dict[str, torch.Tensor]:
    """Every tensor of the live G, D and EMA generator, as "generator.<name>" etc. (CPU copies)."""
    ema = getattr(parts, "ema", None)
    nets = {"generator": parts.generator, "discriminator": parts.discriminator,
            "ema": None if ema is None else ema.module}
    return {f"{prefix}.{k}": v.detach().cpu().clone() for prefix, module in nets.items() if module is not None
            for k, v in module.state_dict().items()}


def g_optimizer_facts(parts: Any, experiment: Any, step: int) -> dict[str, Any]:
    """The generator optimizer's identity, learning rate and how many updates its state holds."""
    opt = parts.g_optimizer
    counts = [int(s["step"]) for s in opt.state.values() if "step" in s]
    return {"id": id(opt), "lr": opt.param_groups[0]["lr"], "updates": max(counts, default=0)}


def ema_on_eval_noise(parts: Any, experiment: Any, step: int) -> Any:
    with torch.no_grad():
        return parts.ema.module(experiment.eval_noise).cpu().numpy()


def _nan_d_loss(real_logits: torch.Tensor, fake_logits: torch.Tensor) -> torch.Tensor:
    return (real_logits.mean() + fake_logits.mean()) * math.nan


def _raising_g_loss(fake_logits: torch.Tensor) -> torch.Tensor:
    raise RuntimeError("boom in the generator loss at /srv/ganlab/ganlab/losses.py")  # no path may show


def break_loss(name: str, how: str, parts: Any, experiment: Any, step: int) -> None:
    """In the trainer's process only: make loss `name` diverge ("nan-d") or raise ("raise-g")."""
    from ganlab.gan import losses

    change = {"d_loss": _nan_d_loss} if how == "nan-d" else {"g_loss": _raising_g_loss}
    losses.LOSSES[name] = dataclasses.replace(losses.LOSSES[name], **change)


def break_training(runner: Any, how: str, loss: str = "non-saturating") -> None:
    """See `break_loss`; the runner must train in a process of its own (the change stays there)."""
    assert hasattr(runner, "has_trainer"), "only for a runner in its own process"
    runner.call_on_thread(functools.partial(break_loss, loss, how))  # (starts a fresh run's trainer)
    assert runner.pid not in (None, os.getpid())
