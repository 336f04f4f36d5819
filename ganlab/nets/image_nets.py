"""The DCGAN-style nets an `ImageStructure` describes: one place that maps its fields onto
the constructors, for training, saved runs and the latent explorer alike."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ganlab.nets.dcgan import DCGANDiscriminator, DCGANGenerator

if TYPE_CHECKING:  # annotations only: settings sit above nets and the step
    from ganlab.settings.config import ImageStructure


def image_generator(s: ImageStructure, latent_dim: int | None = None) -> DCGANGenerator:
    """`latent_dim`: G's input size when it is more than the noise (InfoGAN's codes follow the noise)."""
    return DCGANGenerator(latent_dim or s.noise_dim, s.image_size, s.channels, s.width, batch_norm=s.g_batch_norm,
                          num_classes=s.net_classes, extra_conv=s.extra_conv)


def image_discriminator(s: ImageStructure) -> DCGANDiscriminator:
    return DCGANDiscriminator(s.image_size, s.channels, s.discriminator_width, batch_norm=s.d_batch_norm,
                              spectral_norm=s.d_spectral_norm, num_classes=s.net_classes, extra_conv=s.extra_conv,
                              pack=s.pack)


def image_nets(s: ImageStructure, latent_dim: int | None = None) -> tuple[DCGANGenerator, DCGANDiscriminator]:
    """(generator, discriminator) of an image run (DCGAN init); seeded by `ganlab.kinds.base.seeded_nets`."""
    return image_generator(s, latent_dim), image_discriminator(s)
