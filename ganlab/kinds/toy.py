"""The 2D toy kind: MLP nets on points, named toy distributions or the user's own points."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Mapping

import numpy as np
import torch
from torch import Tensor, nn

from ganlab.kinds.base import GanKind

POINTS_FILE = "data_points.npy"
SAMPLES_FILE = "samples.npy"
SNAPSHOT_POINTS = 500  # generated points kept per saved snapshot


class ToyKind(GanKind):
    name = "toy"
    label = "2D"
    cli_label = "2D"  # in the CLI's help: "2D: ...; images: ..."
    page_key = "playground"
    page_name = "2D playground"
    continue_label = "Continue in the 2D playground"
    data_sources = ("toy", "points")
    samples_file = SAMPLES_FILE
    latent_views = "ganlab.ui.latent_points"  # the Latent page's module for it (Streamlit: ganlab/ui)
    export_formats = ("npz",)
    draws_the_plane = True

    @property
    def structure_class(self) -> type:
        from ganlab.settings.config import ToyStructure

        return ToyStructure

    def fields(self):
        from ganlab.settings import fields as F

        return F.TOY_FIELDS, (*F.TOY_SHORTHANDS, *F.KNOB_SHORTHANDS)

    def make_nets(self, structure: Any) -> tuple[nn.Module, nn.Module]:
        from ganlab.kinds.models import model_of
        from ganlab.nets.mlp import toy_nets

        return model_of(structure).make_nets(toy_nets, structure)

    def output_shape(self, structure: Any) -> tuple[int, ...]:
        return (2,)

    def net_texts(self, structure: Any) -> dict[str, str]:
        def mlp(shape) -> str:
            return f"{shape.hidden_layers} × {shape.width} {shape.activation.replace('_', ' ')}"

        noise = {"gaussian": "Gaussian"}.get(structure.noise, structure.noise)
        texts = {"noise_text": f"{noise} · {structure.noise_dim}-D", "generator_text": mlp(structure.generator),
                "discriminator_text": mlp(structure.discriminator)}
        from ganlab.kinds.models import model_of

        return model_of(structure).net_texts(structure, texts)

    def manifold_note(self, structure: Any) -> tuple[str, ...]:
        from ganlab.kinds.models import model_of

        if model_of(structure).has_codes:
            return ("no manifold:", "G also reads codes")
        return ("no manifold:", "noise is > 2-D") if structure.noise_dim > 2 else ()

    # ------------------------------------------------------------ data
    def experiment(self, structure: Any, dataset: Any = None, device: str | torch.device = "cpu") -> Any:
        from ganlab.kinds.toy_experiment import ToyExperiment

        return ToyExperiment(structure, dataset, device=device)

    def real_samples(self, dataset: Any, n: int, generator: torch.Generator) -> tuple[Tensor, Tensor | None]:
        return dataset.sample(n, generator).float(), None

    def data_label(self, experiment: Any) -> str:
        return experiment.structure.data  # a toy's name, or "csv" for the user's points

    def describe_data(self, experiment: Any, run_dir: Path) -> dict[str, Any]:
        ds = experiment.dataset
        if ds.points is None:
            return {"source": "toy", "name": ds.name}
        from ganlab.storage.arrays import npy_bytes
        from ganlab.storage.paths import atomic_write_bytes

        points = np.asarray(ds.points, dtype=np.float32)
        atomic_write_bytes(Path(run_dir) / POINTS_FILE, npy_bytes(points))
        return {"source": "points", "file": POINTS_FILE, "label": ds.label, "count": int(len(points))}

    def load_dataset(self, run_dir: Path, data: Mapping[str, Any], structure: Any) -> Any:
        from ganlab.storage.paths import RunFormatError

        if data.get("source") == "toy":
            from ganlab.data.toy import get_toy

            try:
                return get_toy(str(data.get("name")))
            except KeyError as exc:
                raise RunFormatError(str(exc.args[0])) from None
        from ganlab.data.points_csv import empirical_distribution

        points = self.saved_points(run_dir)
        drawn = self._drawing_of(structure)
        if drawn is not None and np.array_equal(drawn.points, points):
            return drawn  # the drawing itself: its view range and, for clicks, its modes
        return empirical_distribution(points, label=str(data.get("label", "Uploaded points")))

    @staticmethod
    def _drawing_of(structure: Any) -> Any:
        """The drawn data set a structure names (its link code), or None."""
        from ganlab.data.drawn import DRAWN_DATA

        if structure.data != DRAWN_DATA or not structure.drawing:
            return None
        from ganlab.data.drawn import DrawingCodeError, drawn_distribution

        try:
            return drawn_distribution(structure.drawing)
        except DrawingCodeError:
            return None

    def saved_points(self, run_dir: Path) -> np.ndarray:
        """The user's points a run trained on, checked: finite float32 (n, 2)."""
        from ganlab.storage.arrays import load_npy
        from ganlab.storage.paths import RunFormatError

        points = load_npy(Path(run_dir) / POINTS_FILE)
        if points.ndim != 2 or points.shape[1] != 2 or points.dtype != np.float32 or not np.isfinite(points).all():
            raise RunFormatError(f"{POINTS_FILE} must hold finite float32 points of shape (n, 2)")
        return points

    def snapshot_axes(self, data: Mapping[str, Any], run_dir: Path | None
                      ) -> tuple[tuple[float, float, float, float] | None, np.ndarray | None]:
        if data.get("source") == "points":  # the user's points travel with the run
            from ganlab.storage.arrays import load_npy
            from ganlab.storage.paths import RunFormatError

            if run_dir is None:
                return None, None
            points = load_npy(Path(run_dir) / POINTS_FILE)
            if points.ndim != 2 or points.shape[1] != 2 or not len(points) or not np.isfinite(points).all():
                raise RunFormatError(f"{POINTS_FILE} must hold finite points of shape (n, 2)")
            lo, hi = points.min(axis=0), points.max(axis=0)
            pad = np.maximum((hi - lo) * 0.25, 1e-3)
            return (float(lo[0] - pad[0]), float(hi[0] + pad[0]), float(lo[1] - pad[1]), float(hi[1] + pad[1])), points[:500]
        from ganlab.data.toy import TOY_DISTRIBUTIONS

        toy = TOY_DISTRIBUTIONS.get(str(data.get("name"))) if data.get("source") == "toy" else None
        if toy is None:
            return None, None
        return toy.bounds, toy.sample(500, torch.Generator().manual_seed(0)).numpy()

    def saved_modes_total(self, config: Mapping[str, Any]) -> int | None:
        total = (config.get("final_metrics") or {}).get("modes_total")
        if isinstance(total, int):
            return total
        from ganlab.data.toy import TOY_DISTRIBUTIONS

        target = (config.get("structure") or {}).get("data_b") or (config.get("data_source") or {}).get("name")
        toy = TOY_DISTRIBUTIONS.get(str(target))  # what G matched: the data, or CycleGAN's domain B
        return len(toy.centres) if toy is not None and toy.has_modes and toy.centres is not None else None

    def modes_total(self, experiment: Any) -> int | None:
        ds = getattr(experiment, "target", experiment.dataset)  # what G should match (CycleGAN: domain B)
        return len(ds.centres) if ds.has_modes else None

    # ------------------------------------------------------------ saved runs
    def snapshot_files(self, generator: nn.Module, experiment: Any) -> tuple[bytes, str, dict[str, bytes]]:
        from ganlab.storage.arrays import npy_bytes

        samples = generator(experiment.eval_noise.cpu()).numpy().astype(np.float32)
        return npy_bytes(samples[:SNAPSHOT_POINTS]), ".npy", {SAMPLES_FILE: npy_bytes(samples)}

    def timeline_frame_file(self, frame: Any) -> tuple[bytes, str]:
        from ganlab.storage.arrays import npy_bytes

        return npy_bytes(np.asarray(frame.grid, dtype=np.float32)[:SNAPSHOT_POINTS]), ".npy"

    def samples_picture(self, samples: Any, config: Mapping[str, Any], run_dir: Path) -> tuple[bytes, str]:
        from ganlab.storage.render import scatter_png

        bounds, real = self.snapshot_axes(config.get("data_source") or {}, run_dir)
        if bounds is None:
            lo, hi = samples.min(0), samples.max(0)
            pad = np.maximum((hi - lo) * 0.1, 1e-3)
            bounds = (lo[0] - pad[0], hi[0] + pad[0], lo[1] - pad[1], hi[1] + pad[1])
        return (scatter_png(samples, bounds, size=480, real=real),
                f"a scatter of {len(samples)} samples (purple) over the real data (green)")

    def export(self, samples: Any, labels: Any, names: list[str], out: Path) -> str:
        import io

        if out.suffix.lower() != ".npz":
            raise ValueError("a 2D run exports its points as .npz (-o points.npz)")
        buf = io.BytesIO()
        np.savez(buf, points=samples)
        out.write_bytes(buf.getvalue())
        return f"wrote {out}: points float32 {samples.shape}"

TOY = ToyKind()
