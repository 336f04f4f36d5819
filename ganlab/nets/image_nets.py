"""The DCGAN-style nets an `ImageStructure` describes: one place that maps its fields onto
the constructors, for training, saved runs and the latent explorer alike."""

from __future__ import annotations

from ganlab.settings.config import ImageStructure
from ganlab.nets.dcgan import DCGANDiscriminator, DCGANGenerator


def image_generator(s: ImageStructure) -> DCGANGenerator:
    return DCGANGenerator(s.noise_dim, s.image_size, s.channels, s.width, batch_norm=s.g_batch_norm,
                          num_classes=s.net_classes, extra_conv=s.extra_conv)


def image_discriminator(s: ImageStructure) -> DCGANDiscriminator:
    return DCGANDiscriminator(s.image_size, s.channels, s.width, batch_norm=s.d_batch_norm,
                              spectral_norm=s.d_spectral_norm, num_classes=s.net_classes, extra_conv=s.extra_conv)
