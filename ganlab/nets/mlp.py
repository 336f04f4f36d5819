"""Fully connected generator and discriminator for 2D data."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from torch import Tensor, nn

from ganlab.nets.packing import pack_samples

if TYPE_CHECKING:  # annotations only: settings sit above nets and the step
    from ganlab.settings.config import MLPShape


_ACTIVATIONS = {
    "relu": lambda: nn.ReLU(),
    "leaky_relu": lambda: nn.LeakyReLU(negative_slope=0.2),
    "tanh": lambda: nn.Tanh(),
}


def mlp(in_features: int, out_features: int, shape: MLPShape) -> nn.Sequential:
    """`shape.hidden_layers` hidden layers; with 0 it is a single linear map."""
    layers: list[nn.Module] = []
    width_in = in_features
    for _ in range(shape.hidden_layers):
        layers += [nn.Linear(width_in, shape.width), _ACTIVATIONS[shape.activation]()]
        width_in = shape.width
    layers.append(nn.Linear(width_in, out_features))
    return nn.Sequential(*layers)


class MLPGenerator(nn.Module):
    def __init__(self, noise_dim: int, shape: MLPShape, out_dim: int = 2) -> None:
        super().__init__()
        self.noise_dim = noise_dim
        self.net = mlp(noise_dim, out_dim, shape)

    def forward(self, z: Tensor, labels: Tensor | None = None) -> Tensor:
        return self.net(z)


class MLPDiscriminator(nn.Module):
    """Returns one raw logit per sample, shape (batch,); with `pack` m > 1 (PacGAN,
    ganlab.nets.packing) one per pack of m consecutive samples, shape (batch / m,), their
    coordinates joined into one input of m * in_dim features."""

    scores_samples_independently = True  # no layer mixes the packs of a batch (step.py)

    def __init__(self, shape: MLPShape, in_dim: int = 2, pack: int = 1) -> None:
        super().__init__()
        self.pack = pack
        self.net = mlp(in_dim * pack, 1, shape)

    def forward(self, x: Tensor, labels: Tensor | None = None) -> Tensor:
        return self.net(pack_samples(x, self.pack)).squeeze(-1)


def toy_nets(structure: Any, latent_dim: int | None = None) -> tuple[MLPGenerator, MLPDiscriminator]:
    """(generator, discriminator) of a 2D run (a ToyStructure); seeded by `ganlab.kinds.base.seeded_nets`.
    `latent_dim`: G's input size when it is more than the noise (InfoGAN's codes follow the noise)."""
    return (MLPGenerator(latent_dim or structure.noise_dim, structure.generator),
            MLPDiscriminator(structure.discriminator, pack=structure.pack))

def count_parameters(module: nn.Module) -> int:
    return sum(p.numel() for p in module.parameters())

