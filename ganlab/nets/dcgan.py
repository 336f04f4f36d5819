"""DCGAN-style generator and discriminator for 28x28 and 32x32 images, grey or colour,
with conditional variants for labelled data.

Channel rule (both sizes): `width` channels at half the image size, doubling at each
further halving. 32px: 4x4 (4w) -> 8x8 (2w) -> 16x16 (w) -> 32x32 (C);
28px: 7x7 (2w) -> 14x14 (w) -> 28x28 (C). The discriminator mirrors it with strided
4x4 convolutions, and its last layer is a linear map of the flattened final feature
map (what DCGAN's final k x k convolution computes).

`extra_conv` adds one 3x3 stride-1 convolution at the smallest map to each net: in G
after the projection (same channels), in D after the last strided convolution (doubling
the channels). Cheap, since the map is small, and it matters most at 28 px, where the
plain D has only two convolutions: on MNIST (width 16, the fast preset's optimizer) the
classifier-feature Frechet distance after 4,000 steps was 132 without it, 76 with it in D
only, 96 in G only and 52 in both.

Conditioning:
- Generator: the class embedding (dimension `noise_dim`) is concatenated to z. Unlike
  multiplying z by the embedding, this keeps every noise dimension alive for every class
  (an embedding entry near 0 would erase that latent direction for the class, and the
  product of two Gaussians is heavy-tailed), and it amounts to a learned per-class offset
  of the first layer's output: the textbook cGAN (Mirza & Osindero 2014).
- Discriminator: projection (Miyato & Koyama 2018): logit = linear(phi(x)) + <embed(y), phi(x)>,
  with phi(x) the flattened final features.

Batch norm normalises with the batch's own statistics in train and eval mode alike
(`track_running_stats=False`): a GAN trains it only that way, previews sample a fixed
batch, and running averages would be state that changes whenever a page asks for a
preview. Sample in batches (one image alone is normalised against itself).
"""

from __future__ import annotations

import torch
from torch import Tensor, nn
from torch.nn.utils import parametrize
from torch.nn.utils.parametrizations import spectral_norm as _spectral_norm

from ganlab.nets.packing import pack_samples

IMAGE_SIZES = (28, 32)
CHANNELS = (1, 3)
LEAK = 0.2
INIT_STD = 0.02


def dcgan_init(module: nn.Module) -> nn.Module:
    """The DCGAN initialisation (Radford et al. 2016, as in PyTorch's DCGAN example):
    conv, transposed-conv and linear weights ~ N(0, 0.02); batch-norm weights ~ N(1, 0.02);
    every bias 0. Embeddings keep their own initialisation. A weight under a
    parametrization (spectral norm) has its underlying `original` tensor initialised.
    Returns `module`, initialised in place."""
    for m in module.modules():
        if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d, nn.Linear)):
            with torch.no_grad():
                _weight_tensor(m).normal_(0.0, INIT_STD)
                if m.bias is not None:
                    m.bias.zero_()
        elif isinstance(m, nn.BatchNorm2d) and m.affine:
            with torch.no_grad():
                m.weight.normal_(1.0, INIT_STD)
                m.bias.zero_()
    return module


def _weight_tensor(m: nn.Module) -> Tensor:
    if parametrize.is_parametrized(m, "weight"):
        return m.parametrizations.weight.original
    return m.weight


def check_shape(image_size: int, channels: int, width: int) -> None:
    if image_size not in IMAGE_SIZES:
        raise ValueError(f"image_size must be one of {IMAGE_SIZES}, got {image_size!r}")
    if channels not in CHANNELS:
        raise ValueError(f"channels must be one of {CHANNELS}, got {channels!r}")
    if width < 1:
        raise ValueError(f"width must be at least 1, got {width!r}")


def check_labels(net: str, num_classes: int, labels: Tensor | None, batch: int) -> Tensor | None:
    """The labels a net should use: None for an unconditional net (labels ignored)."""
    if num_classes == 0:
        return None
    if labels is None:
        raise ValueError(f"this {net} is conditional on {num_classes} classes: call it with labels, "
                         f"a LongTensor of shape ({batch},)")
    if labels.shape != (batch,):
        raise ValueError(f"labels must have shape ({batch},) for a batch of {batch}, got {tuple(labels.shape)}")
    return labels


def channel_plan(image_size: int, width: int) -> tuple[int, list[int]]:
    """The smallest map's side and the channels from the smallest map up to half the image size."""
    if image_size == 32:
        return 4, [4 * width, 2 * width, width]
    return 7, [2 * width, width]


class DCGANGenerator(nn.Module):
    """z (batch, noise_dim) [+ labels (batch,)] -> images (batch, channels, size, size) in [-1, 1]."""

    def __init__(self, noise_dim: int, image_size: int, channels: int, width: int,
                 batch_norm: bool = True, num_classes: int = 0, extra_conv: bool = False) -> None:
        super().__init__()
        check_shape(image_size, channels, width)
        self.noise_dim, self.image_size, self.channels, self.num_classes = noise_dim, image_size, channels, num_classes
        self.embed = None
        if num_classes > 0:
            self.embed = nn.Embedding(num_classes, noise_dim)  # N(0, 1) like the z it joins
        side, chans = channel_plan(image_size, width)
        in_dim = noise_dim * (2 if num_classes > 0 else 1)
        layers: list[nn.Module] = []
        # project: a 1x1 input through a side x side transposed conv gives the smallest map
        layers += self._block(nn.ConvTranspose2d(in_dim, chans[0], kernel_size=side, stride=1, padding=0,
                                                 bias=not batch_norm), chans[0], batch_norm)
        if extra_conv:
            layers += self._block(nn.Conv2d(chans[0], chans[0], kernel_size=3, stride=1, padding=1,
                                            bias=not batch_norm), chans[0], batch_norm)
        for c_in, c_out in zip(chans, chans[1:], strict=False):
            layers += self._block(nn.ConvTranspose2d(c_in, c_out, kernel_size=4, stride=2, padding=1,
                                                     bias=not batch_norm), c_out, batch_norm)
        layers += [nn.ConvTranspose2d(chans[-1], channels, kernel_size=4, stride=2, padding=1), nn.Tanh()]
        self.net = nn.Sequential(*layers)
        dcgan_init(self)

    @staticmethod
    def _block(layer: nn.Module, channels: int, batch_norm: bool) -> list[nn.Module]:
        norm = [nn.BatchNorm2d(channels, track_running_stats=False)] if batch_norm else []
        return [layer, *norm, nn.ReLU()]

    def forward(self, z: Tensor, labels: Tensor | None = None) -> Tensor:
        labels = check_labels("generator", self.num_classes, labels, z.shape[0])
        if labels is not None:
            z = torch.cat([z, self.embed(labels)], dim=1)
        return self.net(z[:, :, None, None])


class DCGANDiscriminator(nn.Module):
    """images (batch, channels, size, size) [+ labels (batch,)] -> one raw logit per image, shape (batch,).

    Its `width` is its own: as G's by default, smaller for a weak D (PacGAN's Table 3 gives D a
    quarter of G's width; ganlab.nets.image_nets passes ImageStructure.discriminator_width).
    No batch norm on the first layer (DCGAN). Batch norm is off by default: it couples the
    samples of a batch, which per-sample gradient penalties (WGAN-GP, R1) assume they are not.
    With `spectral_norm` every weight (convs, the output layer, the projection embedding)
    is divided by its largest singular value, estimated by one power iteration per training call.
    With `pack` m > 1 (PacGAN, ganlab.nets.packing) it scores packs of m consecutive images, their
    channels stacked (the first convolution takes m * channels), one logit per pack; unconditional only."""

    def __init__(self, image_size: int, channels: int, width: int, batch_norm: bool = False,
                 spectral_norm: bool = False, num_classes: int = 0, extra_conv: bool = False, pack: int = 1) -> None:
        super().__init__()
        check_shape(image_size, channels, width)
        if pack > 1 and num_classes > 0:
            raise ValueError("a packed discriminator is unconditional: a pack of images has no one class")
        self.image_size, self.channels, self.num_classes, self.pack = image_size, channels, num_classes, pack
        side, chans = channel_plan(image_size, width)
        chans = chans[::-1]  # w, 2w(, 4w): from half the image size down to the smallest map
        # (out channels, kernel, stride, padding) per convolution
        convs = [(c_out, 4, 2, 1) for c_out in chans] + ([(2 * chans[-1], 3, 1, 1)] if extra_conv else [])
        layers: list[nn.Module] = []
        c_in = channels * pack
        for i, (c_out, kernel, stride, padding) in enumerate(convs):
            norm = i > 0 and batch_norm
            layers.append(nn.Conv2d(c_in, c_out, kernel_size=kernel, stride=stride, padding=padding, bias=not norm))
            if norm:
                layers.append(nn.BatchNorm2d(c_out, track_running_stats=False))
            layers.append(nn.LeakyReLU(negative_slope=LEAK))
            c_in = c_out
        self.features = nn.Sequential(*layers, nn.Flatten())
        self.feature_dim = c_in * side * side
        self.out = nn.Linear(self.feature_dim, 1)
        self.embed = None
        if num_classes > 0:
            self.embed = nn.Embedding(num_classes, self.feature_dim)
        dcgan_init(self)
        if self.embed is not None:
            nn.init.normal_(self.embed.weight, 0.0, INIT_STD)  # like the output layer it adds to
        if spectral_norm:
            for m in self.modules():
                if isinstance(m, (nn.Conv2d, nn.Linear, nn.Embedding)):
                    _spectral_norm(m)

    def forward(self, x: Tensor, labels: Tensor | None = None) -> Tensor:
        labels = check_labels("discriminator", self.num_classes, labels, x.shape[0])
        h = self.features(pack_samples(x, self.pack))
        logit = self.out(h).squeeze(1)
        if labels is not None:
            logit = logit + (self.embed(labels) * h).sum(dim=1)
        return logit


def has_spectral_norm(module: nn.Module) -> bool:
    """Whether any weight of `module` is under torch's spectral-norm parametrization."""
    return any(parametrize.is_parametrized(m, "weight") and any(
        type(p).__name__ == "_SpectralNorm" for p in m.parametrizations.weight) for m in module.modules())
