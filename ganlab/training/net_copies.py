"""Copies of a live run's nets, handed over as weights: what leaves a trainer (its thread, its
worker process's pipe, its Ray actor) is plain CPU tensors (state dicts) and the structure,
never a module. A module with a parametrization (spectral norm) cannot be pickled at all
(torch: "Serialization of parametrized modules is only supported through state_dict()"), and
a module would carry its trainer's device along. The receiving side builds the nets again
through the kind's one net-building function (`GanKind.build_nets`) and loads the tensors, as
a saved run's nets are loaded (their tensors are named the same way: "generator.<name>",
"discriminator.<name>", "ema.<name>").
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from torch import Tensor, nn

from ganlab.kinds import kind_of

NETS = ("generator", "discriminator", "ema")  # "ema": the averaged generator, when the run keeps one


class WeightsMismatch(RuntimeError):
    """Tensors that do not fit the nets of their structure; `net` names which (torch's text is the cause)."""

    def __init__(self, net: str) -> None:
        super().__init__(f"the {net} weights do not fit the run's structure")
        self.net = net


@dataclass(frozen=True)
class NetWeights:
    """A run's nets at `step`, as CPU tensors named "<net>.<state-dict key>" (nets in NETS), with
    each net's training mode (so a copy draws as the live net does: batch norm in training mode
    uses the batch's statistics)."""

    step: int
    structure: Any
    tensors: dict[str, Tensor]
    training: dict[str, bool]

    @property
    def nets(self) -> tuple[str, ...]:
        return tuple(name for name in NETS if name in self.training)


def live_modules(parts: Any) -> dict[str, nn.Module]:
    """The run's nets by name (no "ema" when it keeps no averaged generator)."""
    ema = getattr(getattr(parts, "ema", None), "module", None)
    nets = {"generator": parts.generator, "discriminator": parts.discriminator}
    return nets | ({"ema": ema} if ema is not None else {})


def capture_weights(nets: Iterable[str], parts: Any, experiment: Any, step: int) -> NetWeights:
    """On the runner's thread (`call_on_thread(functools.partial(capture_weights, nets))`): copies
    of the named nets' tensors, detached from the ones training goes on changing. A net the run
    does not have ("ema" without an EMA) is left out."""
    modules = live_modules(parts)
    chosen = {name: modules[name] for name in nets if name in modules}
    tensors = {f"{name}.{key}": value.detach().to("cpu", copy=True)
               for name, module in chosen.items() for key, value in module.state_dict().items()}
    return NetWeights(int(step), experiment.structure, tensors, {name: m.training for name, m in chosen.items()})


def nets_from_tensors(structure: Any, tensors: dict[str, Tensor], nets: Iterable[str],
                      into: dict[str, nn.Module] | None = None) -> dict[str, nn.Module]:
    """CPU nets of `structure` (built by its kind's `build_nets`; "ema" is a generator) holding
    the named nets' tensors, without gradients. `into`: nets of the same structure built before,
    loaded again instead of built. WeightsMismatch when a net's tensors do not fit."""
    made: dict[str, nn.Module] = {}
    fresh: dict[str, list[nn.Module]] = {"generator": [], "discriminator": []}
    for name in nets:
        module = (into or {}).get(name)
        if module is None:
            role = "discriminator" if name == "discriminator" else "generator"
            if not fresh[role]:  # one build gives a generator and a discriminator
                generator, discriminator = kind_of(structure).build_nets(structure)
                fresh["generator"].append(generator)
                fresh["discriminator"].append(discriminator)
            module = fresh[role].pop()
        own = {key[len(name) + 1:]: value for key, value in tensors.items() if key.startswith(name + ".")}
        try:
            module.load_state_dict(own)
        except RuntimeError as exc:  # torch's text (missing keys, sizes): for the log
            raise WeightsMismatch(name) from exc
        made[name] = module.requires_grad_(False)
    return made


def nets_from_weights(weights: NetWeights, into: dict[str, nn.Module] | None = None) -> dict[str, nn.Module]:
    """The nets of `weights`, each in the mode its live net was in (see `nets_from_tensors`)."""
    made = nets_from_tensors(weights.structure, weights.tensors, weights.nets, into)
    return {name: module.train(weights.training[name]) for name, module in made.items()}
