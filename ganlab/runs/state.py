"""A run's full training state as plain tensors + JSON, and putting it back into fresh parts.

No pickle anywhere: module and optimizer states are flattened into a flat
{name: tensor} dict (safetensors can hold it) and a JSON-able dict for the rest
(optimizer hyper-parameters, non-tensor optimizer state, counters).
"""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch
from torch import Tensor, nn

from ganlab.gan.step import GanParts, optimizer_kind

log = logging.getLogger(__name__)


class StateMismatch(ValueError):
    """Saved tensors do not fit the nets the run's structure builds; the message says which."""


@dataclass
class TrainingState:
    """Everything needed to continue a run exactly where it stopped.

    `tensors`: G, D, EMA and optimizer tensors plus the sampling RNG state (CPU copies).
    `meta`: optimizer hyper-parameters and non-tensor state (JSON-able).
    `counters`: step, d_updates, g_updates, train_seconds, last_eval_step.
    `history` / `evals`: BoundedHistory states (see `history_state`); `latest*`: last records."""

    structure: Any
    knobs: Any
    tensors: dict[str, Tensor]
    meta: dict[str, Any]
    counters: dict[str, Any]
    history: dict[str, Any]
    evals: dict[str, Any] | None
    latest: dict[str, float] = field(default_factory=dict)
    latest_eval: dict[str, float] = field(default_factory=dict)

    @property
    def step(self) -> int:
        return int(self.counters["step"])


def _cpu(t: Tensor) -> Tensor:
    return t.detach().to("cpu", copy=True).contiguous()


def _ema_module(parts: GanParts) -> nn.Module | None:
    ema = getattr(parts, "ema", None)
    return None if ema is None else getattr(ema, "module", ema)


def _optimizer_state(prefix: str, optimizer: torch.optim.Optimizer, tensors: dict[str, Tensor]) -> dict[str, Any]:
    sd = optimizer.state_dict()
    plain: dict[str, dict[str, Any]] = {}
    for index, values in sd["state"].items():
        for name, value in values.items():
            if isinstance(value, Tensor):
                tensors[f"{prefix}.state.{index}.{name}"] = _cpu(value)
            else:
                plain.setdefault(str(index), {})[name] = value
    groups = [{k: (list(v) if isinstance(v, tuple) else v) for k, v in g.items()} for g in sd["param_groups"]]
    return {"kind": optimizer_kind(optimizer), "param_groups": groups, "plain_state": plain}


def capture_parts(parts: GanParts) -> tuple[dict[str, Tensor], dict[str, Any]]:
    """(tensors, meta) for G, D, the EMA generator (when present), both optimizers and the RNG."""
    tensors: dict[str, Tensor] = {}
    for prefix, module in (("generator", parts.generator), ("discriminator", parts.discriminator),
                           ("ema", _ema_module(parts))):
        if module is not None:
            for name, value in module.state_dict().items():
                tensors[f"{prefix}.{name}"] = _cpu(value)
    meta = {
        "g_opt": _optimizer_state("g_opt", parts.g_optimizer, tensors),
        "d_opt": _optimizer_state("d_opt", parts.d_optimizer, tensors),
        "has_ema": _ema_module(parts) is not None,
        "ema_updates": int(getattr(getattr(parts, "ema", None), "updates", 0)),
        "lineage": lineage_of(parts),
    }
    tensors["rng"] = _cpu(parts.rng.get_state())
    return tensors, meta


def lineage_of(parts: GanParts) -> str:
    """The id of the training run these parts belong to: given when they are first captured,
    carried over by `restore_parts` (see ganlab.storage.guard)."""
    lineage = getattr(parts, "lineage", None)
    if not isinstance(lineage, str):
        lineage = secrets.token_hex(8)
        parts.lineage = lineage
    return lineage


def module_state(prefix: str, module: nn.Module, tensors: dict[str, Tensor], what: str) -> dict[str, Tensor]:
    expected = module.state_dict()
    got = {k[len(prefix) + 1:]: v for k, v in tensors.items() if k.startswith(prefix + ".")}
    missing = sorted(set(expected) - set(got))
    unexpected = sorted(set(got) - set(expected))
    if missing or unexpected:
        raise StateMismatch(f"the saved {what} does not match the run's structure "
                            f"(missing: {', '.join(missing[:5]) or 'none'}; unexpected: {', '.join(unexpected[:5]) or 'none'})")
    for name, value in expected.items():
        if tuple(got[name].shape) != tuple(value.shape) or got[name].dtype != value.dtype:
            raise StateMismatch(f"the saved {what} tensor {name!r} is {got[name].dtype} {tuple(got[name].shape)}; "
                                f"the structure needs {value.dtype} {tuple(value.shape)}")
        if got[name].is_floating_point() and not torch.isfinite(got[name]).all():
            raise StateMismatch(f"the saved {what} tensor {name!r} holds NaN or infinite values")
    return got


def _load_optimizer(prefix: str, optimizer: torch.optim.Optimizer, meta: dict[str, Any],
                    tensors: dict[str, Tensor], device: torch.device) -> None:
    if meta.get("kind") != optimizer_kind(optimizer):
        raise StateMismatch(f"the saved {prefix} optimizer is {meta.get('kind')!r}; the run's knobs build "
                            f"{optimizer_kind(optimizer)!r}")
    template = optimizer.state_dict()
    groups = meta["param_groups"]
    if len(groups) != len(template["param_groups"]) or any(
            g.get("params") != t["params"] for g, t in zip(groups, template["param_groups"], strict=False)):
        raise StateMismatch(f"the saved {prefix} optimizer's parameter groups do not match the nets")
    state: dict[int, dict[str, Any]] = {}
    for key, value in tensors.items():
        if key.startswith(prefix + ".state."):
            index, name = key[len(prefix) + 7:].split(".", 1)
            # optimizers keep "step" on the CPU unless capturable; everything else lives with the params
            state.setdefault(int(index), {})[name] = value.clone() if name == "step" else value.to(device)
    for index, values in meta.get("plain_state", {}).items():
        state.setdefault(int(index), {}).update(values)
    fixed = [{k: (tuple(v) if k == "betas" else v) for k, v in g.items()} for g in groups]
    optimizer.load_state_dict({"state": state, "param_groups": fixed})


def restore_parts(parts: GanParts, tensors: dict[str, Tensor], meta: dict[str, Any]) -> None:
    """Load a `capture_parts` result into freshly built parts (same structure and knobs)."""
    if isinstance(meta.get("lineage"), str):
        parts.lineage = meta["lineage"]
    device = next(parts.generator.parameters()).device
    for prefix, module, what in (("generator", parts.generator, "generator"),
                                 ("discriminator", parts.discriminator, "discriminator")):
        module.load_state_dict(module_state(prefix, module, tensors, what))
    ema = _ema_module(parts)
    if ema is not None:
        if meta.get("has_ema"):
            ema.load_state_dict(module_state("ema", ema, tensors, "EMA generator"))
            if hasattr(parts.ema, "updates"):
                parts.ema.updates = int(meta.get("ema_updates", 0))  # the warm-up schedule goes on
        else:  # a run saved before it had an EMA: start the average from the current generator
            ema.load_state_dict(parts.generator.state_dict())
    _load_optimizer("g_opt", parts.g_optimizer, meta["g_opt"], tensors, device)
    _load_optimizer("d_opt", parts.d_optimizer, meta["d_opt"], tensors, device)
    rng = tensors.get("rng")
    if rng is None or rng.dtype != torch.uint8 or rng.dim() != 1:
        raise StateMismatch("the saved sampling RNG state is missing or malformed")
    try:
        parts.rng.set_state(rng.clone())
    except RuntimeError as exc:
        log.warning("cannot restore the sampling RNG state: %s", exc)
        raise StateMismatch("the saved sampling RNG state is malformed") from None


# ------------------------------------------------------------------ BoundedHistory state
def history_state(history) -> dict[str, Any]:
    """A BoundedHistory's rows and pending bucket, as numpy arrays and numbers."""
    arrays = history.to_arrays()
    return {
        "columns": list(history.columns), "capacity": history.capacity, "stride": history.stride,
        "steps": arrays["step"], "values": np.stack([arrays[c] for c in history.columns], 1)
        if history.columns else np.zeros((len(arrays["step"]), 0)),
        "acc_sum": history._acc_sum.tolist(), "acc_count": history._acc_count.tolist(),
        "acc_steps": int(history._acc_steps),
    }


def history_from_state(state: dict[str, Any]):
    """The BoundedHistory `history_state` described (rows beyond its capacity are refused)."""
    from ganlab.gan.history import BoundedHistory

    h = BoundedHistory(state["columns"], int(state["capacity"]))
    steps = np.asarray(state["steps"], dtype=np.int64)
    values = np.asarray(state["values"], dtype=np.float64).reshape(len(steps), len(h.columns))
    if len(steps) > h.capacity:
        raise ValueError(f"history has {len(steps)} rows, more than its capacity {h.capacity}")
    h.stride = int(state["stride"])
    h._steps[: len(steps)] = steps
    h._values[: len(steps)] = values
    h._size = len(steps)
    h._acc_sum[:] = [np.nan if v is None else v for v in state["acc_sum"]]  # JSON wrote NaN as null
    h._acc_count[:] = state["acc_count"]
    h._acc_steps = int(state["acc_steps"])
    return h
