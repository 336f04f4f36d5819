"""A style-based generator (StyleGAN2, Karras et al. 2020) for 28x28 and 32x32 images, grey or
colour: a drop-in for `DCGANGenerator` (unconditional only), small enough to train on a CPU.

z -> mapping network -> w; w -> one style per modulated layer. Synthesis starts from a learned
constant at the smallest map (`channel_plan`'s channel rule, as in dcgan.py), has one modulated 3x3
convolution there (StyleGAN2's 4x4 block; cheap, since the map is small), then per resolution an
upsample x2 (bilinear) and two modulated 3x3 convolutions, and ends with a 1x1 toRGB and tanh.
The full-size block has half the channels of the one below (the rule continued), which keeps the
costliest convolutions at a quarter of the cost of `width` channels there.
28px: 7x7 (2w, const + conv) -> 14x14 (w, 2 convs) -> 28x28 (w/2, 2 convs) -> toRGB: 6 styles.
32px: 4x4 (4w) -> 8x8 (2w) -> 16x16 (w) -> 32x32 (w/2) -> toRGB: 8 styles.

Learning rates: every weight has an equalized learning rate (stored ~ N(0, 1), scaled by
1/sqrt(fan_in) when used), so Adam moves each layer at the same relative rate. On top of that each
synthesis parameter (weights, styles' affines, biases, constant, noise strengths) is stored divided
by SYNTHESIS_LR_MUL and multiplied by it when used, and the mapping network's by MAPPING_LR_MUL:
Adam's steps are then that many times larger (smaller) for them. Plain equalized rates learn far
slower than the DCGAN nets at the same Adam lr (on the built-in digits, width 16, Adam lr 1e-3
β (0, 0.99), EMA G: Frechet 315 after 2,000 steps against the fast preset's DCGAN G's 71); with
the multiplier, lr 1e-3 behaves like StyleGAN's equalized lr 1e-2: 40 after 2,000 steps, 30 after
3,000 (each step costs about twice the DCGAN's on one CPU core). The mapping's rate stays a hundredth of
the synthesis's (StyleGAN's ratio), which keeps w, and so every style, from jumping between steps.

Noise inputs: in train mode each call draws fresh per-pixel noise; in eval mode every layer uses
its fixed buffer (drawn at construction from the global RNG), so an eval-mode preview is
deterministic. Their strengths start at 0: a fresh G's output depends on z alone.
"""

from __future__ import annotations

import math
import numbers

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from ganlab.nets.dcgan import LEAK, channel_plan, check_labels, check_shape

W_DIM_CAP = 256
SYNTHESIS_LR_MUL = 10.0  # see the module docstring
MAPPING_LR_MUL = SYNTHESIS_LR_MUL / 100  # StyleGAN's mapping-to-synthesis ratio
DEMOD_EPS = 1e-8
# leaky ReLU halves (nearly) the second moment of its input; this gain restores it, so activations
# keep their scale through the layers instead of shrinking geometrically with depth
LRELU_GAIN = nn.init.calculate_gain("leaky_relu", LEAK)


def truncate(w: Tensor, w_mean: Tensor, psi: float) -> Tensor:
    """The truncation trick: w_mean + psi * (w - w_mean). psi 1 gives `w` and psi 0 gives
    `w_mean` exactly (torch.lerp computes each end without rounding); psi < 1 trades variety
    for typical images."""
    return torch.lerp(w_mean.expand_as(w), w, psi)


def mix_styles(w_a: Tensor, w_b: Tensor, num_styles: int, crossover: int) -> Tensor:
    """Style mixing: (batch, num_styles, w_dim) with layers < `crossover` (the coarse ones:
    pose, shape) from `w_a` (batch, w_dim) and the rest (fine: stroke, texture) from `w_b`.
    0 takes every layer from b, `num_styles` every layer from a."""
    if isinstance(crossover, bool) or not isinstance(crossover, numbers.Integral) or not 0 <= crossover <= num_styles:
        raise ValueError(f"crossover must be a whole number from 0 to {num_styles} (the number of styles), "
                         f"got {crossover!r}")
    from_a = (torch.arange(num_styles, device=w_a.device) < crossover)[None, :, None]
    return torch.where(from_a, w_a[:, None, :], w_b[:, None, :])


class EqualLinear(nn.Module):
    """A linear layer with an equalized learning rate: weight ~ N(0, 1/lr_mul) stored, used
    as weight * gain * lr_mul / sqrt(in_features); the bias is used as bias * lr_mul."""

    def __init__(self, in_features: int, out_features: int, bias_init: float = 0.0, lr_mul: float = 1.0,
                 gain: float = 1.0) -> None:
        super().__init__()
        self.weight = nn.Parameter(torch.randn(out_features, in_features) / lr_mul)
        self.bias = nn.Parameter(torch.full((out_features,), bias_init / lr_mul))
        self.scale, self.lr_mul = gain * lr_mul / math.sqrt(in_features), lr_mul

    def forward(self, x: Tensor) -> Tensor:
        return F.linear(x, self.weight * self.scale, self.bias * self.lr_mul)


class ModulatedConv(nn.Module):
    """A convolution whose input channels are scaled per sample by a style s = affine(w)
    (bias 1: s starts near 1) and, with `demodulate`, whose weights are then rescaled to unit
    norm per output channel, so unit-variance input gives unit-variance output whatever the
    style. Run as one grouped convolution, the batch as groups (each sample its own weights)."""

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int, w_dim: int, demodulate: bool = True,
                 lr_mul: float = SYNTHESIS_LR_MUL) -> None:
        super().__init__()
        self.in_channels, self.out_channels, self.kernel_size = in_channels, out_channels, kernel_size
        self.demodulate, self.lr_mul = demodulate, lr_mul
        self.weight = nn.Parameter(torch.randn(out_channels, in_channels, kernel_size, kernel_size) / lr_mul)
        self.scale = lr_mul / math.sqrt(in_channels * kernel_size * kernel_size)
        self.affine = EqualLinear(w_dim, in_channels, bias_init=1.0, lr_mul=lr_mul)
        self.bias = nn.Parameter(torch.zeros(out_channels))  # used as bias * lr_mul (`used_bias`)

    def used_bias(self) -> Tensor:
        """The bias as added, shaped (1, out, 1, 1)."""
        return (self.bias * self.lr_mul)[None, :, None, None]

    def modulated_weight(self, w: Tensor) -> Tensor:
        """Each sample's weights, (batch, out, in, k, k)."""
        style = self.affine(w)
        weight = self.weight[None] * (self.scale * style[:, None, :, None, None])
        if self.demodulate:
            weight = weight * torch.rsqrt(weight.square().sum(dim=(2, 3, 4), keepdim=True) + DEMOD_EPS)
        return weight

    def forward(self, x: Tensor, w: Tensor) -> Tensor:
        """The convolution without its bias (added by the caller, after the noise)."""
        batch, _, height, width = x.shape
        weight = self.modulated_weight(w).reshape(batch * self.out_channels, self.in_channels, *self.weight.shape[2:])
        out = F.conv2d(x.reshape(1, batch * self.in_channels, height, width), weight,
                       padding=self.kernel_size // 2, groups=batch)
        return out.reshape(batch, self.out_channels, height, width)


class StyleLayer(nn.Module):
    """Modulated 3x3 conv -> + per-pixel noise (learned per-channel strength, 0 at first) -> bias -> leaky ReLU."""

    fixed_noise: Tensor  # (1, 1, side, side): the noise map used in eval mode

    def __init__(self, in_channels: int, out_channels: int, w_dim: int, side: int) -> None:
        super().__init__()
        self.conv = ModulatedConv(in_channels, out_channels, kernel_size=3, w_dim=w_dim)
        self.noise_strength = nn.Parameter(torch.zeros(out_channels))
        self.register_buffer("fixed_noise", torch.randn(1, 1, side, side))

    def forward(self, x: Tensor, w: Tensor) -> Tensor:
        x = self.conv(x, w)
        if self.training:
            noise = torch.randn(x.shape[0], 1, *x.shape[2:], device=x.device, dtype=x.dtype)
        else:
            noise = self.fixed_noise
        strength = self.noise_strength * self.conv.lr_mul
        x = x + noise * strength[None, :, None, None] + self.conv.used_bias()
        return F.leaky_relu(x, negative_slope=LEAK) * LRELU_GAIN


class StyleGenerator(nn.Module):
    """z (batch, noise_dim) -> images (batch, channels, size, size) in [-1, 1]; see the module docstring."""

    def __init__(self, noise_dim: int, image_size: int, channels: int, width: int, mapping_layers: int = 4,
                 w_dim: int | None = None) -> None:
        super().__init__()
        check_shape(image_size, channels, width)
        if mapping_layers < 1:
            raise ValueError(f"mapping_layers must be at least 1, got {mapping_layers!r}")
        w_dim = min(noise_dim, W_DIM_CAP) if w_dim is None else w_dim
        if w_dim < 1:
            raise ValueError(f"w_dim must be at least 1, got {w_dim!r}")
        self.noise_dim, self.image_size, self.channels, self.num_classes = noise_dim, image_size, channels, 0
        self.w_dim = w_dim
        self.mapping_net = nn.ModuleList(
            EqualLinear(noise_dim if i == 0 else w_dim, w_dim, lr_mul=MAPPING_LR_MUL, gain=LRELU_GAIN)
            for i in range(mapping_layers))
        side, chans = channel_plan(image_size, width)
        chans = [*chans, max(width // 2, 1)]  # and half of `width` at full size
        self.const = nn.Parameter(torch.randn(1, chans[0], side, side) / SYNTHESIS_LR_MUL)
        layers = [StyleLayer(chans[0], chans[0], w_dim, side)]
        for c_in, c_out in zip(chans, chans[1:], strict=False):
            side *= 2
            layers += [StyleLayer(c_in, c_out, w_dim, side), StyleLayer(c_out, c_out, w_dim, side)]
        self.layers = nn.ModuleList(layers)
        self.to_rgb = ModulatedConv(chans[-1], channels, kernel_size=1, w_dim=w_dim, demodulate=False)
        self.num_styles = len(layers) + 1

    def mapping(self, z: Tensor) -> Tensor:
        """z (batch, noise_dim) -> w (batch, w_dim): pixel norm, then linear + leaky ReLU layers."""
        x = z * torch.rsqrt(z.square().mean(dim=1, keepdim=True) + 1e-8)
        for layer in self.mapping_net:
            x = F.leaky_relu(layer(x), negative_slope=LEAK)
        return x

    def synthesize(self, ws: Tensor) -> Tensor:
        """ws (batch, num_styles, w_dim): one w per modulated layer, toRGB last -> images."""
        if ws.dim() != 3 or ws.shape[1:] != (self.num_styles, self.w_dim):
            raise ValueError(f"ws must have shape (batch, {self.num_styles}, {self.w_dim}), got {tuple(ws.shape)}")
        x = (self.const * SYNTHESIS_LR_MUL).expand(ws.shape[0], -1, -1, -1)
        for i, layer in enumerate(self.layers):
            if i % 2 == 1:  # the first layer of each resolution above the smallest
                x = F.interpolate(x, scale_factor=2, mode="bilinear", align_corners=False)
            x = layer(x, ws[:, i])
        return torch.tanh(self.to_rgb(x, ws[:, -1]) + self.to_rgb.used_bias())

    def forward(self, z: Tensor, labels: Tensor | None = None) -> Tensor:
        check_labels("generator", self.num_classes, labels, z.shape[0])
        w = self.mapping(z)
        return self.synthesize(w[:, None, :].expand(-1, self.num_styles, -1))

    @torch.no_grad()
    def mean_w(self, n: int = 4096, generator: torch.Generator | None = None) -> Tensor:
        """The mean of mapping(z) over `n` Gaussian z, (w_dim,): the centre truncation pulls towards."""
        device = generator.device if generator is not None else None
        z = torch.randn(n, self.noise_dim, generator=generator, device=device)
        return self.mapping(z.to(self.const.device)).mean(dim=0)
