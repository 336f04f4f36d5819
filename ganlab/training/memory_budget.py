"""How much memory a run needs, worked out from its settings before anything is allocated, and
the per-run budget a server allows (a workshop server is shared: one run with a huge batch must
not take the memory the others train in).

The estimate builds the run's nets on PyTorch's "meta" device (shapes only, no storage) and
runs one forward pass there at the run's batch size to count every layer's output:
- parameters, their gradients and the optimizer's two moments (Adam): 4 floats per weight,
  plus the averaged generator's copy when EMA is on;
- activations kept for the backward pass: a D update scores a real and a fake batch
  (2 x D's activations), a G update runs G and D on one batch; the larger of the two, times
  BACKWARD_FACTOR for the gradients of the layers being worked through (more with a gradient
  penalty, whose double backward keeps a second graph);
- the dataset the trainer holds (its images and labels, or a user's 2D points).
"""

from __future__ import annotations

import dataclasses
import functools
import os
from dataclasses import dataclass
from typing import Any

import torch

from ganlab.gan.packing import pack_of, usable_batch
from ganlab.settings.config import Knobs

ENV_RUN_MEMORY = "GANLAB_RUN_MEMORY_GB"
FLOAT_BYTES = 4
STATE_PER_WEIGHT = 4  # the weight, its gradient, Adam's two moments
BACKWARD_FACTOR = 1.5  # the saved activations and, at the peak, the gradients of the layer being worked through
PENALTY_FACTOR = 2.0  # a gradient penalty (WGAN-GP, R1) differentiates through D twice (measured 1.7x)
MACHINE_SHARE_PER_SLOT = 0.25  # of the machine's memory per core: one run's budget (paused runs and the server need the rest)
MIN_BUDGET = 512 * 2**20
GIB = 2**30
RUN_OVERHEAD = 64 * 2**20  # a trainer process's own beyond the estimate (a default 2D worker: 17.7 MiB USS measured)
TRAINING_MEMORY_SHARE = 0.75  # of the memory available at start-up, for the training runs together


class OverBudgetError(RuntimeError):
    """A run's estimated memory is over the server's per-run budget; the message says what to lower."""


@dataclass(frozen=True)
class MemoryEstimate:
    """Bytes a run needs, by what holds them."""

    weights: int  # parameters, gradients, optimizer state, EMA copy
    activations: int  # the peak of one training step at the run's batch size
    data: int  # the dataset held by the trainer

    @property
    def total(self) -> int:
        return self.weights + self.activations + self.data


def machine_memory() -> int:
    """The machine's physical memory in bytes (0 when the system does not say)."""
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        return 0


def available_memory() -> int:
    """The memory the system can give out now without swapping (MemAvailable), in bytes; the
    machine's memory where /proc/meminfo does not say."""
    try:
        with open("/proc/meminfo") as f:
            return next(int(line.split()[1]) * 1024 for line in f if line.startswith("MemAvailable:"))
    except (OSError, ValueError, StopIteration):
        return machine_memory()


def training_memory(available: int | None = None) -> int | None:
    """The bytes all training runs may need together: TRAINING_MEMORY_SHARE of the memory
    available (the rest is the margin: the server, paused runs, the system); None when unknown."""
    available = available_memory() if available is None else available
    return int(available * TRAINING_MEMORY_SHARE) if available > 0 else None


def run_budget(training_cap: int, environ: dict | None = None, total: int | None = None) -> int:
    """Bytes one run may use: `GANLAB_RUN_MEMORY_GB` when set to a positive number, else a
    quarter of the machine's memory per core (`training_cap`; at least MIN_BUDGET)."""
    env = os.environ if environ is None else environ
    try:
        gb = float(env.get(ENV_RUN_MEMORY, ""))
        if gb > 0 and gb < float("inf"):
            return int(gb * GIB)
    except ValueError:
        pass
    total = machine_memory() if total is None else total
    if total <= 0:
        return 4 * GIB
    return max(MIN_BUDGET, int(total * MACHINE_SHARE_PER_SLOT / max(1, training_cap)))


def _net_inputs(kind: Any, structure: Any, batch: int) -> tuple[torch.Tensor, torch.Tensor | None]:
    noise = torch.empty(batch, kind.latent_dim(structure), device="meta")
    classes = kind.num_classes(structure)
    labels = torch.zeros(batch, dtype=torch.long, device="meta") if classes else None
    return noise, labels


def _activation_counts(G: torch.nn.Module, D: torch.nn.Module, noise: torch.Tensor, labels: Any
                       ) -> tuple[int, int]:
    """(G's, D's) activation elements for one batch: each net's input plus every leaf layer's output."""
    counts = {"G": noise.numel(), "D": 0}
    hooks = []
    for name, net in (("G", G), ("D", D)):
        for module in net.modules():
            if next(module.children(), None) is None:
                hooks.append(module.register_forward_hook(
                    lambda m, i, out, name=name: counts.__setitem__(name, counts[name] + out.numel())))
    try:
        with torch.no_grad():
            fake = G(noise, labels)
            counts["D"] += fake.numel()
            D(fake, labels)
    finally:
        for hook in hooks:
            hook.remove()
    return counts["G"], counts["D"]


def dataset_bytes(dataset: Any) -> int:
    """The bytes of the arrays a dataset holds (an image dataset's images and labels, a 2D
    dataset's own points); 0 for data drawn from a formula."""
    total = 0
    for name in ("images", "labels", "points"):
        array = getattr(dataset, name, None)
        total += int(getattr(array, "nbytes", 0) or 0)
    return total


@functools.lru_cache(maxsize=128)  # every Play and Step asks; the settings are frozen (hashable)
def estimate(structure: Any, knobs: Knobs, data_bytes: int = 0) -> MemoryEstimate:
    """The memory a run of `structure` trained with `knobs` needs (see the module's docstring)."""
    from ganlab.kinds import kind_of

    kind = kind_of(structure)
    if getattr(structure, "d_spectral_norm", False):  # the same shapes; its power iterations are slow on "meta"
        structure = dataclasses.replace(structure, d_spectral_norm=False)
    with torch.device("meta"):
        G, D = kind.make_nets(structure)
    g_weights = sum(p.numel() for p in G.parameters())
    d_weights = sum(p.numel() for p in D.parameters())
    ema = g_weights if getattr(structure, "ema_decay", 0.0) > 0 else 0
    weights = (STATE_PER_WEIGHT * (g_weights + d_weights) + ema) * FLOAT_BYTES
    batch = usable_batch(knobs.batch_size, pack_of(D))  # the step's: whole packs for a packed D (PacGAN)
    g_acts, d_acts = _activation_counts(G, D, *_net_inputs(kind, structure, batch))
    penalty = PENALTY_FACTOR if knobs.gp_weight > 0 or knobs.r1_weight > 0 else 1.0
    peak = max(2 * d_acts * penalty, g_acts + d_acts) * BACKWARD_FACTOR
    return MemoryEstimate(weights, int(peak * FLOAT_BYTES), int(data_bytes))


def _size(n: int) -> str:
    return f"{n / GIB:.1f} GB" if n >= GIB / 10 else f"{n / 2**20:.0f} MB"


def over_budget_message(structure: Any, knobs: Knobs, need: MemoryEstimate, budget: int) -> str:
    """What a user reads when a run is refused: the settings that cost, the estimate, the budget,
    and what to lower (the batch size and the nets' width for activations; the width for weights)."""
    widths = ([f"width {structure.width}"] if hasattr(structure, "width")
              else [f"width {structure.generator.width} / {structure.discriminator.width}"])
    settings = ", ".join([f"batch size {knobs.batch_size:,}", *widths])
    lower = "batch size or width" if need.activations >= need.weights else "width"
    if need.data > need.activations + need.weights:
        lower = "the dataset's size"
    return (f"This run would need too much memory ({settings}: about {_size(need.total)}); this server allows "
            f"{_size(budget)} per run: lower {lower} (the host can change the limit with {ENV_RUN_MEMORY}).")


def check(structure: Any, knobs: Knobs, data_bytes: int, budget: int | None) -> MemoryEstimate:
    """The run's estimate; OverBudgetError (its message for the user) when it is over `budget`."""
    need = estimate(structure, knobs, data_bytes)
    if budget is not None and need.total > budget:
        raise OverBudgetError(over_budget_message(structure, knobs, need, budget))
    return need
