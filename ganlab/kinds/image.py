"""The image kind: DCGAN-style nets (optionally conditional) on digits or the user's images."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any, Mapping

import numpy as np
import torch
from torch import Tensor, nn

from ganlab.kinds.base import GanKind

IMAGES_FILE = "dataset.npz"


class ImageKind(GanKind):
    name = "image"
    label = "image"
    cli_label = "images"  # in the CLI's help: "2D: ...; images: ..."
    page_key = "images"
    page_name = "Image GAN page"
    continue_label = "Continue on the Image GAN page"
    data_sources = ("embedded", "named")
    latent_views = "ganlab.ui.latent_pictures"  # the Latent page's module for it (Streamlit: ganlab/ui)
    export_formats = ("zip", "npz")
    data_flags = ("max_images",)  # --max-images: train on a random subset of N images
    uses_accelerator = True
    scores_image_quality = True
    samples_are_images = True

    @property
    def structure_class(self) -> type:
        from ganlab.settings.config import ImageStructure

        return ImageStructure

    def fields(self):
        from ganlab.settings import fields as F

        return F.IMAGE_FIELDS, F.KNOB_SHORTHANDS

    def make_nets(self, structure: Any) -> tuple[nn.Module, nn.Module]:
        from ganlab.kinds.models import model_of
        from ganlab.nets.image_nets import image_nets

        return model_of(structure).make_nets(image_nets, structure)  # DCGAN init (dcgan_init)

    def num_classes(self, structure: Any) -> int:
        return structure.net_classes

    def output_shape(self, structure: Any) -> tuple[int, ...]:
        return (structure.channels, structure.image_size, structure.image_size)

    def net_texts(self, structure: Any) -> dict[str, str]:
        size = f"{structure.image_size}×{structure.image_size}×{structure.channels}"
        texts = {"noise_text": f"Gaussian · {structure.noise_dim}-D",
                "generator_text": f"z → {size}", "discriminator_text": f"{size} → score"}
        from ganlab.kinds.models import model_of

        return model_of(structure).net_texts(structure, texts)

    # ------------------------------------------------------------ data
    def experiment(self, structure: Any, dataset: Any = None, device: str | torch.device = "cpu") -> Any:
        from ganlab.kinds.image_experiment import ImageExperiment

        return ImageExperiment(structure, dataset, device=device)

    def real_samples(self, dataset: Any, n: int, generator: torch.Generator) -> tuple[Tensor, Tensor | None]:
        return dataset.sample(n, generator)

    def describe_data(self, experiment: Any, run_dir: Path) -> dict[str, Any]:
        from ganlab.data.image_sources import IMAGE_SOURCES
        from ganlab.storage.arrays import sha256_of
        from ganlab.storage.paths import atomic_write_bytes

        ds = experiment.dataset
        images = ds.images.numpy()
        digest = sha256_of(images)
        if ds.name in IMAGE_SOURCES:
            return {"source": "named", "name": ds.name, "count": len(ds), "sha256": digest}
        buf = io.BytesIO()
        labels = ds.labels.numpy() if ds.labels is not None else np.zeros(0, dtype=np.int64)
        np.savez(buf, images=images, labels=labels, has_labels=np.array(ds.labels is not None),
                 class_names=np.array(ds.class_names, dtype=str))
        atomic_write_bytes(Path(run_dir) / IMAGES_FILE, buf.getvalue())
        return {"source": "embedded", "file": IMAGES_FILE, "name": ds.name, "count": len(ds), "sha256": digest}

    def load_dataset(self, run_dir: Path, data: Mapping[str, Any], structure: Any) -> Any:
        if data.get("source") == "embedded":
            return self._embedded(Path(run_dir), data)
        return self._named(data, structure)

    def _embedded(self, run_dir: Path, data: Mapping[str, Any]) -> Any:
        from ganlab.data.images import ImageDataset
        from ganlab.storage import safefs, schema
        from ganlab.storage.paths import RunFormatError
        from ganlab.storage.report import unreadable

        z = schema.npz_from_bytes(safefs.read_capped(run_dir / IMAGES_FILE, 2 * schema.MAX_ARRAY_BYTES), IMAGES_FILE,
                                  ("images", "labels", "has_labels", "class_names"))
        images, labels = z["images"], z["labels"]
        try:
            has_labels, names = bool(z["has_labels"]), [str(c) for c in z["class_names"]]
        except (ValueError, TypeError):
            raise RunFormatError(f"{IMAGES_FILE} is not a ganlab dataset (malformed labels)") from None
        try:
            return ImageDataset(torch.from_numpy(images), torch.from_numpy(labels) if has_labels else None,
                                name=str(data.get("name", "images")), class_names=names if has_labels else None)
        except (ValueError, TypeError, RuntimeError, IndexError) as exc:
            raise unreadable(f"{IMAGES_FILE} does not hold a usable image data set (its images and labels "
                             "do not fit together)", exc) from None

    def _named(self, data: Mapping[str, Any], structure: Any) -> Any:
        from ganlab.data.image_sources import IMAGE_SOURCES, DatasetUnavailable
        from ganlab.storage.arrays import sha256_of
        from ganlab.storage.paths import RunFormatError

        name, count = data.get("name"), data.get("count")
        if name not in IMAGE_SOURCES:
            raise RunFormatError(f"the run trained on an unknown image dataset {name!r}")
        src = IMAGE_SOURCES[name]
        for seed in dict.fromkeys((0, structure.seed)):
            try:
                ds = src.load(structure.image_size, structure.channels, max_images=count, seed=seed)
            except DatasetUnavailable as exc:
                raise RunFormatError(str(exc)) from None
            if sha256_of(ds.images.numpy()) == data.get("sha256"):
                return ds
        raise RunFormatError(f"the {name!r} images on this machine differ from those the run trained on")

    # ------------------------------------------------------------ saved runs
    def snapshot_files(self, generator: nn.Module, experiment: Any) -> tuple[bytes, str, dict[str, bytes]]:
        from ganlab.storage.render import grid_png

        labels = None if experiment.grid_labels is None else experiment.grid_labels.cpu()
        fake = generator(experiment.grid_noise.cpu(), labels)
        return grid_png(fake, experiment.structure.channels), ".png", {}

    def timeline_frame_file(self, frame: Any) -> tuple[bytes, str]:
        from ganlab.storage.render import png_bytes

        grid = frame.ema_grid if frame.ema_grid is not None else frame.grid  # the averaged G's, when kept
        return png_bytes(np.asarray(grid)), ".png"

    def samples_picture(self, samples: Any, config: Mapping[str, Any], run_dir: Path) -> tuple[bytes, str]:
        from ganlab.storage.render import grid_png

        channels = self.structure_from_dict(config.get("structure")).channels
        return grid_png(torch.from_numpy(samples), channels), f"a grid of {len(samples)} samples, 8 per row"

    def export(self, samples: Any, labels: Any, names: list[str], out: Path) -> str:
        from ganlab.storage.image_export import write_image_export

        return write_image_export(samples, labels, names, out)


IMAGE = ImageKind()
