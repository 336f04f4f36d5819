"""The GAN models a run can train (the structure's `model` field), for both data kinds.

A data kind (ganlab.kinds.toy, ganlab.kinds.image) owns the data, its nets' shapes and its views;
a model says what the nets are made of and what the step adds: the plain GAN adds nothing,
InfoGAN (ganlab.kinds.infogan) appends codes to G's input, gives D a Q head and adds the codes'
reconstruction error to both nets' losses; the style-based model (images) swaps G for a
style-based generator (ganlab.nets.style). Code outside this package asks `model_of(structure)`
instead of testing the model's name.
"""

from __future__ import annotations

from typing import Any, Callable

import torch
from torch import Tensor, nn

from ganlab.kinds.infogan import CodeLayout, extra_loss_for, info_discriminator, layout_of
from ganlab.kinds.noise import draw_noise

# make_plain(structure, latent_dim) -> (G, D): a data kind's nets, G taking `latent_dim` inputs
PlainNets = Callable[[Any, int], tuple[nn.Module, nn.Module]]
ExtraLoss = Callable[[Tensor, Tensor, Any, str], tuple[Tensor, dict[str, Tensor]]]


class PlainGan:
    """The GAN of Goodfellow et al.: G maps noise to a sample, D scores it."""

    name = "gan"
    label = "GAN"
    has_codes = False
    has_styles = False  # G maps z to styles w (mixing, truncation toward the mean w)
    has_mapping = False  # G maps one distribution onto another (CycleGAN): its input is data, not noise

    def code_layout(self, structure: Any) -> CodeLayout | None:
        """Where codes sit in G's input, or None (G's input is the noise alone)."""
        return None

    def latent_dim(self, structure: Any) -> int:
        """G's input size."""
        return int(structure.noise_dim)

    def make_nets(self, make_plain: PlainNets, structure: Any) -> tuple[nn.Module, nn.Module]:
        return make_plain(structure, self.latent_dim(structure))

    def draw_latents(self, structure: Any, n: int, rng: torch.Generator) -> Tensor:
        """n inputs for G, drawn with `rng`."""
        return draw_noise(getattr(structure, "noise", "gaussian"), n, structure.noise_dim, rng)

    def extra_loss(self, structure: Any, parts: Any) -> ExtraLoss | None:
        """A term the nets minimise beside the adversarial loss (ganlab.gan.step.GanParts.extra_loss),
        for the built `parts`."""
        return None

    def target(self, structure: Any, data: Any) -> Any:
        """What G's samples should match (the step's real data): the data itself, but for CycleGAN domain B."""
        return data

    def mapping(self, structure: Any, generator: nn.Module, latents: Tensor) -> Any:
        """Lines the 2D view draws for G (CycleGAN: each source point, its image and its way back), or None."""
        return None

    def describe(self, structure: Any) -> str:
        """The model in a few words, for the model graph and the run's summary."""
        return self.label

    def net_texts(self, structure: Any, texts: dict[str, str]) -> dict[str, str]:
        """The model graph's node lines (a data kind's `net_texts`) with what the model adds."""
        return texts


class InfoGan(PlainGan):
    """InfoGAN (Chen et al. 2016): codes beside the noise, read back by D's Q head."""

    name = "infogan"
    label = "InfoGAN"
    has_codes = True

    def code_layout(self, structure: Any) -> CodeLayout:
        return layout_of(structure)

    def latent_dim(self, structure: Any) -> int:
        return self.code_layout(structure).total

    def make_nets(self, make_plain: PlainNets, structure: Any) -> tuple[nn.Module, nn.Module]:
        G, plain_D = make_plain(structure, self.latent_dim(structure))
        return G, info_discriminator(plain_D, self.code_layout(structure))

    def draw_latents(self, structure: Any, n: int, rng: torch.Generator) -> Tensor:
        return self.code_layout(structure).draw(n, rng)

    def extra_loss(self, structure: Any, parts: Any) -> ExtraLoss:
        return extra_loss_for(parts.discriminator, self.code_layout(structure))

    def net_texts(self, structure: Any, texts: dict[str, str]) -> dict[str, str]:
        codes = self.describe(structure).removeprefix(f"{self.label} (").removesuffix(")")
        return {**texts, "noise_text": f"{texts['noise_text']} + {codes}",
                "discriminator_text": f"{texts['discriminator_text']} + Q head reading the codes"}

    def describe(self, structure: Any) -> str:
        layout = self.code_layout(structure)
        codes = [f"{layout.categories}-way code"] if layout.categories else []
        if layout.continuous:
            codes.append(f"{layout.continuous} continuous")
        return f"{self.label} ({', '.join(codes)})"


class StyleBased(PlainGan):
    """A style-based generator (in the spirit of StyleGAN2, ganlab.nets.style): z -> w by a mapping
    network, w modulating every convolution, noise inputs; D is the data kind's own. Images only."""

    name = "stylegan"
    label = "Style-based"
    has_styles = True

    def make_nets(self, make_plain: PlainNets, structure: Any) -> tuple[nn.Module, nn.Module]:
        from ganlab.nets.style import StyleGenerator

        _, D = make_plain(structure, self.latent_dim(structure))
        G = StyleGenerator(structure.noise_dim, structure.image_size, structure.channels, structure.width)
        return G, D

    def net_texts(self, structure: Any, texts: dict[str, str]) -> dict[str, str]:
        return {**texts, "generator_text": f"z → w → styles → {texts['generator_text'].removeprefix('z → ')}"}


class CycleGan(PlainGan):
    """CycleGAN (Zhu et al. 2017) between the data (domain A) and `data_b` (domain B), 2D points
    (ganlab.kinds.cyclegan): G's "noise" is a batch of A, its real data B."""

    name = "cyclegan"
    label = "CycleGAN"
    has_mapping = True

    def latent_dim(self, structure: Any) -> int:
        return 2

    def make_nets(self, make_plain: PlainNets, structure: Any) -> tuple[nn.Module, nn.Module]:
        from ganlab.kinds.cyclegan import cycle_nets

        return cycle_nets(make_plain, structure)

    def draw_latents(self, structure: Any, n: int, rng: torch.Generator) -> Tensor:
        from ganlab.kinds.cyclegan import domain_a

        return domain_a(structure).sample(n, rng).float()

    def extra_loss(self, structure: Any, parts: Any) -> ExtraLoss:
        from ganlab.kinds.cyclegan import extra_loss_for

        return extra_loss_for(parts.generator, parts.discriminator, lambda n: parts.sample_real(n)[0])

    def target(self, structure: Any, data: Any) -> Any:
        from ganlab.kinds.cyclegan import domain_b

        return domain_b(structure)

    def mapping(self, structure: Any, generator: nn.Module, latents: Tensor) -> Any:
        from ganlab.kinds.cyclegan import MAPPING_POINTS, mapping_lines

        return mapping_lines(generator, latents[:MAPPING_POINTS])

    def net_texts(self, structure: Any, texts: dict[str, str]) -> dict[str, str]:
        return {**texts, "noise_text": f"a point of {structure.data} (domain A)",
                "generator_text": f"G: A → B, F: B → A · {texts['generator_text']}",
                "discriminator_text": f"D_B and D_A · {texts['discriminator_text']}"}


MODELS: dict[str, PlainGan] = {m.name: m for m in (PlainGan(), InfoGan(), StyleBased(), CycleGan())}


def model_of(structure: Any) -> PlainGan:
    """The model a structure trains (the plain GAN for a structure saved before models existed)."""
    return MODELS[getattr(structure, "model", "gan")]
