"""Draw the Home page's lesson pictures (ganlab/assets/lessons/ID.png) from short real runs of each
lesson's own step settings, or from the Dirac-GAN's field for the Dynamics lesson.

    python scripts/make_lesson_pictures.py [--only ID ...]

Each picture is a 240 px square in an adaptive palette (under 30 KB). The 2D runs take seconds; the
digits run trains a DCGAN for DIGIT_STEPS steps (a few minutes on one CPU core).
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
from pathlib import Path

import numpy as np
import torch
from PIL import Image, ImageDraw

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from ganlab.dynamics import settings as dynamics_settings  # noqa: E402
from ganlab.dynamics.dirac import trajectories, vector_field  # noqa: E402
from ganlab.kinds.image_experiment import ImageExperiment  # noqa: E402
from ganlab.kinds.toy_experiment import ToyExperiment  # noqa: E402
from ganlab.settings.lessons import Lesson, parse_lesson  # noqa: E402
from ganlab.settings.urlstate import decode as decode_toy  # noqa: E402
from ganlab.settings.urlstate import decode_image, decode_view  # noqa: E402
from ganlab.training.runner import Runner  # noqa: E402
from ganlab.viz.raster import render_plot_square  # noqa: E402

SIZE = 240
COLOURS = 64
DIGIT_STEPS = 600
# (lesson id, the step drawn (from 1), steps trained before drawing it)
PICTURES = {
    "what-d-sees": (2, 300),
    "mode-collapse": (1, 3000),
    "saturating-loss": (1, 600),
    "wgan": (2, 800),
    "regularize-d": (3, 0),
    "digits": (2, DIGIT_STEPS),
}


def _save(image: Image.Image, path: Path) -> None:
    image.convert("RGB").quantize(COLOURS, method=Image.Quantize.MEDIANCUT).save(path, optimize=True)
    print(f"{path.name}: {path.stat().st_size / 1024:.1f} KB")


def _train(runner: Runner, steps: int) -> None:
    done = 0
    while done < steps:
        chunk = min(500, steps - done)
        runner.step(count=chunk, evaluate=False)
        runner.wait_idle(timeout=600)
        done += chunk


def toy_picture(lesson: Lesson, number: int, steps: int) -> Image.Image:
    settings = lesson.steps[number - 1].settings
    structure, knobs, _ = decode_toy(settings, ignore=("layers",))
    layers = decode_view(settings)[0]["layers"]
    experiment = ToyExperiment(structure)
    runner = Runner(experiment, knobs)
    try:
        _train(runner, steps)
        snap = runner.snapshot(want_view=True, wait_for_view=30)
        return render_plot_square(snap.view, layers, experiment.dataset.centres, SIZE, loss=knobs.loss)
    finally:
        runner.release()


def digits_picture(lesson: Lesson, number: int, steps: int) -> Image.Image:
    from ganlab.data.image_sources import load_image_source
    from ganlab.settings.image_presets import default_image_settings

    structure, knobs, _ = decode_image(lesson.steps[number - 1].settings, default_image_settings())
    dataset = load_image_source(structure.dataset, structure.image_size, structure.channels)
    structure = dataclasses.replace(structure, num_classes=dataset.num_classes)
    runner = Runner(ImageExperiment(structure, dataset), knobs)
    try:
        _train(runner, steps)
        snap = runner.snapshot(want_view=True, wait_for_view=60)
        grid = snap.view.ema_grid if snap.view.ema_grid is not None else snap.view.grid
    finally:
        runner.release()
    grid = np.asarray(grid)
    image = Image.fromarray(grid[..., 0] if grid.shape[-1] == 1 else grid)
    return image.resize((SIZE, SIZE), Image.Resampling.NEAREST)


def dirac_picture(lesson: Lesson, number: int, _steps: int) -> Image.Image:
    settings, _ = dynamics_settings.decode(lesson.steps[number - 1].settings)
    dyn, view = settings.dynamics(), settings.view
    image = Image.new("RGB", (SIZE, SIZE), (255, 255, 255))
    draw = ImageDraw.Draw(image)

    def px(theta: float, psi: float) -> tuple[float, float]:
        return (theta / view + 1) * SIZE / 2, (1 - psi / view) * SIZE / 2

    axis = np.linspace(-view, view, 13)
    theta, psi = np.meshgrid(axis, axis)
    v_theta, v_psi = vector_field(dyn, theta, psi)
    scale = 0.06 * view / max(float(np.hypot(v_theta, v_psi).max()), 1e-9)
    for t, p, vt, vp in zip(theta.ravel(), psi.ravel(), v_theta.ravel(), v_psi.ravel(), strict=True):
        draw.line((px(t, p), px(t + vt * scale, p + vp * scale)), fill=(150, 150, 170), width=1)
    draw.line((px(-view, 0), px(view, 0)), fill=(210, 210, 210))
    draw.line((px(0, -view), px(0, view)), fill=(210, 210, 210))
    colours = ((214, 39, 40), (31, 119, 180), (44, 160, 44))
    for path, colour in zip(trajectories(dyn, np.array(settings.starts), settings.iterations), colours, strict=False):
        points = [px(t, p) for t, p in path if np.isfinite(t) and np.isfinite(p)]
        draw.line(points, fill=colour, width=2)
        draw.ellipse((points[0][0] - 4, points[0][1] - 4, points[0][0] + 4, points[0][1] + 4), fill=colour)
    centre = px(0, 0)
    draw.ellipse((centre[0] - 4, centre[1] - 4, centre[0] + 4, centre[1] + 4), outline=(0, 0, 0), width=2)
    return image


def main() -> None:
    from ganlab.ui.lessons import lessons_dir, page_rules

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="*", default=list(PICTURES), help="lesson ids to draw")
    args = parser.parse_args()
    torch.manual_seed(0)
    torch.set_flush_denormal(True)
    folder = lessons_dir()
    for lesson_id in args.only:
        number, steps = PICTURES[lesson_id]
        path = folder / f"{lesson_id}.toml"
        # parsed without load_lesson's check that the picture exists: this draws it
        lesson = parse_lesson(path.read_text(encoding="utf-8"), path.name, page_rules())
        page = lesson.steps[number - 1].page
        draw = {"Playground": toy_picture, "Images": digits_picture, "Dynamics": dirac_picture}[page]
        _save(draw(lesson, number, steps), folder / lesson.picture)


if __name__ == "__main__":
    main()
