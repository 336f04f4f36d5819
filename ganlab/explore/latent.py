"""Walking a generator's latent space: lerp / slerp, interpolation paths, axis and
principal-direction walks, and rendering single latents through a batch-norm generator.

Everything here is pure torch (no Streamlit, no threads): the latent page calls it on
CPU copies of the nets.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import torch
from torch import Tensor, nn

from ganlab.kinds import draw_noise

INTERPOLATIONS = ("slerp", "lerp")
_PARALLEL_EPS = 1e-6  # sin(angle) below this: the endpoints' directions are treated as (anti)parallel


def _t_like(t: float | Tensor | list[float], a: Tensor) -> tuple[Tensor, bool]:
    """t as a tensor broadcastable against a stack of `a`s: shape (N, 1, ..., 1), and
    whether t was a scalar (then the leading axis is dropped again)."""
    t = torch.as_tensor(t, dtype=a.dtype, device=a.device)
    if t.dim() > 1:
        raise ValueError(f"t must be a number or a 1-D sequence, got shape {tuple(t.shape)}")
    scalar = t.dim() == 0
    return t.reshape(-1, *([1] * a.dim())), scalar


def _exact_ends(out: Tensor, a: Tensor, b: Tensor, t: Tensor) -> Tensor:
    """Frames at t = 0 and t = 1 are the endpoints themselves, bit for bit."""
    out = torch.where(t == 0, a.expand_as(out), out)
    return torch.where(t == 1, b.expand_as(out), out)


def lerp(a: Tensor, b: Tensor, t: float | Tensor | list[float]) -> Tensor:
    """(1 - t) a + t b. `a`, `b`: (..., d); `t` a number (result shaped like `a`) or a
    1-D sequence of N values (result (N, ..., d)). Exact at t = 0 and t = 1."""
    a, b = torch.broadcast_tensors(a, b)
    tt, scalar = _t_like(t, a)
    out = _exact_ends((1 - tt) * a + tt * b, a, b, tt)
    return out[0] if scalar else out


def _perpendicular(u: Tensor) -> Tensor:
    """A unit vector orthogonal to each unit row of `u` (..., d), d >= 2: the coordinate
    axis least aligned with u, made orthogonal to it (a deterministic choice)."""
    axis = torch.zeros_like(u).scatter_(-1, u.abs().argmin(dim=-1, keepdim=True), 1.0)
    v = axis - (axis * u).sum(-1, keepdim=True) * u
    return v / v.norm(dim=-1, keepdim=True)


def slerp(a: Tensor, b: Tensor, t: float | Tensor | list[float]) -> Tensor:
    """Spherical interpolation: the direction moves along the great circle from a's
    direction to b's at constant angular speed, and the norm goes linearly from |a| to |b|
    (so endpoints of equal norm give a path of that norm: a Gaussian latent stays at a
    typical radius instead of cutting through the low-density middle, as lerp does).

    Shapes as `lerp`. Exact at t = 0 and t = 1. Robust cases:
    - parallel directions (angle ~ 0) or a zero endpoint: the path is the straight line (lerp),
      which is the limit of the great circle;
    - antiparallel directions (angle ~ pi): every half great circle joins them; this takes
      the one through the coordinate axis least aligned with a (for d = 1 there is none and
      the path is the straight line through 0).
    """
    a, b = torch.broadcast_tensors(a, b)
    tt, scalar = _t_like(t, a)
    na, nb = a.norm(dim=-1, keepdim=True), b.norm(dim=-1, keepdim=True)
    zero = (na == 0) | (nb == 0)
    ua = a / torch.where(zero, torch.ones_like(na), na)
    ub = b / torch.where(zero, torch.ones_like(nb), nb)
    cos = (ua * ub).sum(-1, keepdim=True).clamp(-1.0, 1.0)
    tangent = ub - cos * ua  # the part of b's direction orthogonal to a's; its norm is sin(angle)
    sin = tangent.norm(dim=-1, keepdim=True)
    degenerate = sin < _PARALLEL_EPS
    antiparallel = degenerate & (cos < 0) & ~zero
    if a.shape[-1] >= 2:
        v = torch.where(degenerate, _perpendicular(ua) if antiparallel.any() else ua,
                        tangent / torch.where(degenerate, torch.ones_like(sin), sin))
        omega = torch.where(antiparallel, torch.full_like(cos, torch.pi), torch.atan2(sin, cos))
        use_line = zero | (degenerate & ~antiparallel)
    else:  # one dimension: no circle to walk
        v, omega, use_line = ua, torch.zeros_like(cos), torch.ones_like(cos, dtype=torch.bool)
    direction = torch.cos(tt * omega) * ua + torch.sin(tt * omega) * v
    out = ((1 - tt) * na + tt * nb) * direction
    out = torch.where(use_line, (1 - tt) * a + tt * b, out)
    out = _exact_ends(out, a, b, tt)
    return out[0] if scalar else out


def interpolate(a: Tensor, b: Tensor, t: float | Tensor | list[float], method: str = "slerp") -> Tensor:
    if method == "slerp":
        return slerp(a, b, t)
    if method == "lerp":
        return lerp(a, b, t)
    raise ValueError(f"interpolation must be one of {', '.join(INTERPOLATIONS)}; got {method!r}")


def interpolation_path(a: Tensor, b: Tensor, frames: int, method: str = "slerp") -> Tensor:
    """`frames` latents (frames, d) at t evenly spaced from 0 to 1 inclusive: the first is
    `a` and the last is `b`, exactly."""
    if frames < 2:
        raise ValueError(f"an interpolation path needs at least 2 frames, got {frames}")
    return interpolate(a, b, torch.linspace(0, 1, frames, dtype=torch.float64).to(a.dtype), method)


def axis_directions(dim: int, k: int) -> Tensor:
    """The first k latent coordinate axes as unit rows (k, dim)."""
    if not 1 <= k <= dim:
        raise ValueError(f"k must be between 1 and the latent dimension {dim}, got {k}")
    return torch.eye(dim)[:k]


def move(z: Tensor, directions: Tensor, amounts: Tensor | list[float]) -> Tensor:
    """z + sum_j amounts[j] * directions[j]: `z` (d,), `directions` (k, d), `amounts` (k,)."""
    amounts = torch.as_tensor(amounts, dtype=z.dtype, device=z.device)
    if directions.dim() != 2 or directions.shape[1] != z.shape[-1] or amounts.shape != (directions.shape[0],):
        raise ValueError(f"directions must be (k, {z.shape[-1]}) and amounts (k,); got "
                         f"{tuple(directions.shape)} and {tuple(amounts.shape)}")
    return z + amounts @ directions.to(z.dtype)


def walk(z: Tensor, direction: Tensor, amounts: Tensor | list[float]) -> Tensor:
    """Latents z + s * direction for each s in `amounts`: (n, d)."""
    amounts = torch.as_tensor(amounts, dtype=z.dtype, device=z.device)
    return z + amounts[:, None] * direction.to(z.dtype)


def seeded_latents(seeds: list[int] | int, dim: int, kind: str = "gaussian") -> Tensor:
    """One latent per seed (n, dim) (or (dim,) for a single int): the same seed always
    gives the same latent, whichever other latents are drawn."""
    single = isinstance(seeds, int)
    rows = []
    for seed in [seeds] if single else seeds:
        rows.append(draw_noise(kind, 1, dim, torch.Generator().manual_seed(int(seed)))[0])
    out = torch.stack(rows)
    return out[0] if single else out


# ----------------------------------------------------------------- principal directions
@dataclass(frozen=True)
class Directions:
    """Principal directions of a generator: `latent` (k, d) orthonormal latent directions,
    `output` (k, D) the orthonormal output-space directions they move the output along,
    `gain` (k,) how far the (linearised) output moves per unit step along each latent
    direction, and `explained` (k,) the share of the outputs' total variance that lies
    along each output direction (measured on the sample, not the linear fit)."""

    latent: Tensor
    output: Tensor
    gain: Tensor
    explained: Tensor


def principal_directions(z: Tensor, outputs: Tensor, k: int) -> Directions:
    """Principal directions of the outputs `outputs` (n, ...) of latents `z` (n, d), as latent directions.

    Definition. Fit the best affine map from latents to outputs by least squares,
    y ~ z A + c (A: d x D, the generator's "average Jacobian" over the sample, found
    without autograd), and take its singular value decomposition A = U S V^T. For latents
    with isotropic covariance s^2 I (Gaussian or uniform noise), the linear part z A has
    covariance s^2 V S^2 V^T: its principal components in output space are exactly the
    rows of V^T, with variances s^2 S^2, and the latent direction that produces the j-th of
    them is the j-th column of U (z along u_j moves the output by S_j along v_j). So the
    columns of U are the principal directions of the generator's outputs mapped back to
    latent space; unlike GANSpace's per-component regression (Harkonen et al. 2020) they
    come out orthonormal, so sliders along them are independent unit-speed moves.

    Signs are fixed (largest-magnitude entry of each output direction positive) so that
    the same generator always yields the same directions. Needs n > d samples.
    """
    n, d = z.shape
    y = outputs.reshape(n, -1).double()
    if n <= d + 1:
        raise ValueError(f"principal directions need more latent samples than dimensions + 1 ({d + 1}); got {n}")
    zc = z.double() - z.double().mean(0)
    yc = y - y.mean(0)
    A = torch.linalg.lstsq(zc, yc).solution  # (d, D)
    U, S, Vh = torch.linalg.svd(A, full_matrices=False)
    k = max(1, min(k, S.shape[0]))
    U, S, Vh = U[:, :k], S[:k], Vh[:k]
    flip = torch.sign(Vh.gather(1, Vh.abs().argmax(1, keepdim=True)))
    flip[flip == 0] = 1
    U, Vh = U * flip.T, Vh * flip
    total_var = yc.pow(2).sum()
    along = (yc @ Vh.T).pow(2).sum(0)  # the outputs' own variance along each output direction
    explained = along / total_var if total_var > 0 else torch.zeros_like(S)
    dtype = z.dtype
    return Directions(U.T.contiguous().to(dtype), Vh.contiguous().to(dtype), S.to(dtype), explained.to(dtype))


def generator_directions(generator: nn.Module, z: Tensor, k: int, labels: Tensor | None = None,
                         batch: int = 256) -> Directions:
    """`principal_directions` of `generator`'s outputs on the latents `z` (n, d), n > d."""
    outputs = torch.cat([generate(generator, z[i:i + batch], None if labels is None else labels[i:i + batch])
                         for i in range(0, len(z), batch)])
    return principal_directions(z, outputs, k)


# ----------------------------------------------------------------------- rendering
def has_batch_norm(module: nn.Module) -> bool:
    return any(isinstance(m, nn.modules.batchnorm._BatchNorm) for m in module.modules())


@torch.no_grad()
def freeze_batch_norm(module: nn.Module, *inputs: Tensor | None) -> nn.Module:
    """Make `module`'s batch-norm layers normalise with fixed statistics: those of one
    forward pass on the reference batch `inputs`. Changes `module` in place (use a copy);
    returns it in eval mode.

    ganlab's nets normalise every batch with its own statistics (no running averages), so
    a single latent rendered alone would be normalised against itself, and a frame's
    pixels would depend on which other frames share its batch. Frozen to a reference
    batch (e.g. 512 random latents), every latent maps to one image, whatever is rendered
    beside it, and one latent can be rendered alone: what a slider needs."""
    layers = [m for m in module.modules() if isinstance(m, nn.modules.batchnorm._BatchNorm)]
    if not layers:
        return module.eval()
    seen: dict[nn.Module, Tensor] = {}
    hooks = [m.register_forward_pre_hook(lambda mod, args: seen.__setitem__(mod, args[0])) for m in layers]
    try:
        module.train()
        for m in layers:  # use batch statistics for this pass
            m.running_mean = m.running_var = None
            m.track_running_stats = False
        module(*inputs)
    finally:
        for h in hooks:
            h.remove()
    for m in layers:
        x = seen[m]
        dims = [i for i in range(x.dim()) if i != 1]
        m.running_mean = x.mean(dims)
        m.running_var = x.var(dims, unbiased=False)  # batch norm normalises with the biased variance
        m.num_batches_tracked = torch.zeros((), dtype=torch.long)
        m.track_running_stats = True
    return module.eval()


@torch.no_grad()
def generate(generator: nn.Module | Callable[..., Tensor], z: Tensor, labels: Tensor | None = None) -> Tensor:
    """The generator's output for latents `z` (n, d) (and class labels (n,), for a conditional net)."""
    return generator(z, labels)
