"""What every kind of GAN in ganlab provides (2D toy, image; a third is one new file).

A kind is the one place that knows how runs of it differ: its structure class and fields,
how its nets are built, its noise, how its data is described in a run folder and loaded
again, what a saved snapshot of it is, and which page trains it. Everything else asks
`kind_of(...)` instead of testing a kind's name. No Streamlit here.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any, Callable, Mapping

import torch
from torch import Tensor, nn

from ganlab.kinds.noise import draw_noise  # noqa: F401  (re-exported: kinds' noise was first drawn here)

# Nets initialise themselves from torch's global RNG: seeding it and building the nets happen
# under this lock, inside fork_rng, so concurrent builds neither race nor disturb the caller.
NET_INIT_LOCK = threading.Lock()


def seeded_nets(make_nets: Callable[[Any], tuple[nn.Module, nn.Module]], structure: Any,
                device: str | torch.device = "cpu") -> tuple[nn.Module, nn.Module]:
    """(generator, discriminator) from `make_nets(structure)`, initialised from the structure's seed:
    the same weights every time, whatever else runs. The one place nets are built from a structure
    (a kind's `build_nets`, and the experiments, which get the kind's `make_nets` passed down)."""
    with NET_INIT_LOCK, torch.random.fork_rng(devices=[]):
        torch.manual_seed(structure.seed)
        G, D = make_nets(structure)
    return G.to(device), D.to(device)


class GanKind:
    """The interface of a kind of GAN; `ganlab.kinds.toy` and `ganlab.kinds.image` implement it."""

    name: str = ""  # stored in config.json's "kind" and in the experiment's `kind`
    label: str = ""  # as people say it ("2D", "image")
    cli_label: str = ""  # how the CLI's help names runs of it
    page_key: str = ""  # the page that trains it, as ganlab.ui.session names pages
    page_name: str = ""  # the page that trains it, as a sentence names it ("the {page_name}")
    continue_label: str = ""  # the Runs page's button that opens a saved run on that page
    data_sources: tuple[str, ...] = ()  # config.json data_source["source"] values it reads
    samples_file: str | None = None  # a file of generated samples written beside each save
    export_formats: tuple[str, ...] = ()  # what `ganlab export` / the Runs page can write
    data_flags: tuple[str, ...] = ()  # CLI flags (dests) about this kind's data beyond its fields
    latent_views: str = ""  # the ganlab.ui module that draws the Latent page's views of it
    uses_accelerator: bool = False  # trains on a GPU when there is one
    scores_image_quality: bool = False  # the metric classifier's FID/IS apply to it
    samples_are_images: bool = False  # samples are pictures (nearest training images, scoring an image)
    draws_the_plane: bool = False  # samples are 2D points: D's surface, G's arrows, slow motion

    # ------------------------------------------------------------ structure and fields
    @property
    def structure_class(self) -> type:
        raise NotImplementedError

    def fields(self) -> tuple[tuple[Any, ...], tuple[Any, ...]]:
        """(the ganlab.settings.fields Fields of this kind, the shorthands that apply to it)."""
        raise NotImplementedError

    def structure_from_dict(self, data: Any) -> Any:
        cls: Any = self.structure_class  # a structure dataclass: it has from_dict
        return cls.from_dict(data)

    # ------------------------------------------------------------ nets and noise
    def make_nets(self, structure: Any) -> tuple[nn.Module, nn.Module]:
        """Fresh (generator, discriminator), drawing their initial weights from the global RNG."""
        raise NotImplementedError

    def build_nets(self, structure: Any, device: str | torch.device = "cpu") -> tuple[nn.Module, nn.Module]:
        """(generator, discriminator) initialised from the structure's seed (see `seeded_nets`)."""
        return seeded_nets(self.make_nets, structure, device)

    def noise(self, structure: Any, n: int, generator: torch.Generator) -> Tensor:
        """n inputs for G: the noise, and the model's codes after it (InfoGAN)."""
        from ganlab.kinds.models import model_of

        return model_of(structure).draw_latents(structure, n, generator)

    def latent_dim(self, structure: Any) -> int:
        """G's input size: the noise's, plus the model's codes."""
        from ganlab.kinds.models import model_of

        return model_of(structure).latent_dim(structure)

    def num_classes(self, structure: Any) -> int:
        return 0

    def output_shape(self, structure: Any) -> tuple[int, ...]:
        """The shape of one generated sample: (2,) for a point, (C, H, W) for an image."""
        raise NotImplementedError

    def net_texts(self, structure: Any) -> dict[str, str]:
        """One line each on the noise, G and D ("noise_text", "generator_text", "discriminator_text"),
        for the model overview graph."""
        raise NotImplementedError

    def manifold_note(self, structure: Any) -> tuple[str, ...]:
        """Lines saying why G's manifold (the image of a noise grid) cannot be drawn, or () when it
        can or the kind draws none."""
        return ()

    # ------------------------------------------------------------ data
    def experiment(self, structure: Any, dataset: Any = None, device: str | torch.device = "cpu") -> Any:
        raise NotImplementedError

    def real_samples(self, dataset: Any, n: int, generator: torch.Generator) -> tuple[Tensor, Tensor | None]:
        """(n real samples, their labels or None), drawn with `generator`."""
        raise NotImplementedError

    def data_label(self, experiment: Any) -> str:
        """The data's name as config.json's "data" shows it."""
        return str(experiment.dataset.name)

    def describe_data(self, experiment: Any, run_dir: Path) -> dict[str, Any]:
        """config.json's data_source: how to get the data back, writing the user's own data into
        the run folder."""
        raise NotImplementedError

    def load_dataset(self, run_dir: Path, data: Mapping[str, Any], structure: Any) -> Any:
        """The data a run trained on, from its data_source (`describe_data`'s output);
        RunFormatError when it is gone or differs."""
        raise NotImplementedError

    def snapshot_axes(self, data: Mapping[str, Any], run_dir: Path | None
                      ) -> tuple[tuple[float, float, float, float] | None, Any]:
        """(fixed plot bounds, some real points) to draw a saved run's point snapshots on, from
        its data_source; (None, None) for kinds whose snapshots are pictures."""
        return None, None

    def saved_modes_total(self, config: Mapping[str, Any]) -> int | None:
        """How many true modes a saved run's data has (from its config.json), when it has discrete ones."""
        return None

    def modes_total(self, experiment: Any) -> int | None:
        """How many true modes the data has, when it has discrete ones."""
        return None

    # ------------------------------------------------------------ saved runs
    def snapshot_files(self, generator: nn.Module, experiment: Any) -> tuple[bytes, str, dict[str, bytes]]:
        """What a save writes from the generator: (the timeline frame's bytes, its suffix
        ".npy"/".png", other files of the run folder by name)."""
        raise NotImplementedError

    def timeline_frame_file(self, frame: Any) -> tuple[bytes, str]:
        """(bytes, suffix) of one of the experiment's timeline frames, for snapshots/."""
        raise NotImplementedError

    def samples_picture(self, samples: Any, config: Mapping[str, Any], run_dir: Path) -> tuple[bytes, str]:
        """(PNG bytes, a one-line description) of generated samples, for `ganlab sample -o x.png`."""
        raise NotImplementedError

    def export(self, samples: Any, labels: Any, names: list[str], out: Path) -> str:
        """`ganlab export`: write generated samples to `out` (a suffix among `export_formats`);
        returns a one-line description. ValueError for a format this kind cannot write."""
        raise NotImplementedError
