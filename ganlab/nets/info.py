"""InfoGAN's discriminator (Chen et al. 2016): a plain discriminator whose body also feeds a Q head
that reads the codes back from a sample.

The body and the adversarial head are the plain D's own layers (the MLP's hidden layers and its
output layer; the DCGAN's convolutions and its linear output), so D scores exactly as the plain
D would and the training step needs nothing new to score it. Q shares the body, as in the paper,
and adds one hidden layer: categorical logits for the categorical code and a point estimate
for each continuous code.
"""

from __future__ import annotations

from torch import Tensor, nn

from ganlab.nets.dcgan import DCGANDiscriminator
from ganlab.nets.mlp import MLPDiscriminator

Q_HIDDEN = 128  # units of Q's hidden layer (the paper's MNIST Q: FC 128, then the codes)


def _split(plain: nn.Module) -> tuple[nn.Module, nn.Module, int]:
    """(body, adversarial head, feature size) of a plain discriminator."""
    if isinstance(plain, MLPDiscriminator):
        if plain.pack != 1:
            raise ValueError("InfoGAN's Q head reads one sample at a time: a packed discriminator has no single sample")
        layers = list(plain.net)
        head = layers[-1]
        return nn.Sequential(*layers[:-1]), head, head.in_features
    if isinstance(plain, DCGANDiscriminator):
        if plain.pack != 1 or plain.num_classes:
            raise ValueError("InfoGAN's discriminator is unpacked and unconditional")
        return plain.features, plain.out, plain.feature_dim
    raise TypeError(f"no InfoGAN head for a {type(plain).__name__}")


class InfoDiscriminator(nn.Module):
    """`forward(x)` is the plain D's logit per sample, shape (batch,); `codes(x)` is Q's reading:
    (categorical logits (batch, categories), continuous estimates (batch, continuous))."""

    pack = 1  # one sample per score (ganlab.gan.packing.pack_of)

    def __init__(self, plain: nn.Module, categories: int, continuous: int) -> None:
        super().__init__()
        if categories < 2 and continuous < 1:
            raise ValueError("InfoGAN needs a categorical code of at least 2 values or a continuous code")
        self.body, self.head, features = _split(plain)
        self.scores_samples_independently = bool(getattr(plain, "scores_samples_independently", False))
        self.categories, self.continuous = categories, continuous
        self.q = nn.Sequential(nn.Linear(features, Q_HIDDEN), nn.LeakyReLU(negative_slope=0.2),
                               nn.Linear(Q_HIDDEN, categories + continuous))

    def forward(self, x: Tensor, labels: Tensor | None = None) -> Tensor:
        return self.head(self.body(x)).squeeze(-1)

    def codes(self, x: Tensor) -> tuple[Tensor, Tensor]:
        out = self.q(self.body(x))
        return out[:, : self.categories], out[:, self.categories:]
