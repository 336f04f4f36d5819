"""The data `ganlab train` loads from its flags: the user's points (--csv) or images (--data, --images)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ganlab.cli.common import UsageError


def load_points(path: Path):
    from ganlab.data.points_csv import PointsFileError, empirical_distribution, load_points_csv

    try:
        with path.open("rb") as f:  # read as a stream: a huge file stops at the first limit
            loaded = load_points_csv(f)
    except OSError as exc:
        raise UsageError(f"cannot read --csv {path}: {exc.strerror or exc}") from None
    except PointsFileError as exc:
        raise UsageError(f"--csv {path}: {exc}") from None
    if loaded.bad:
        print(f"--csv {path}: {loaded.summary()}", file=sys.stderr)
    return empirical_distribution(loaded.points, label=path.name)


def load_images(args: argparse.Namespace):
    """The image dataset the flags name, at --image-size / --channels (default: the data's own)."""
    from ganlab.data.image_files import ImageFilesError, load_image_folder, load_image_zip_file
    from ganlab.data.image_sources import IMAGE_SOURCES, DatasetUnavailable

    if args.images is None:
        src = IMAGE_SOURCES[args.data]
        try:
            return src.load(args.image_size, args.channels, max_images=args.max_images, seed=args.seed or 0)
        except DatasetUnavailable as exc:
            raise UsageError(str(exc)) from None
    path = Path(args.images)
    size, channels = args.image_size or 28, args.channels or 1
    try:
        if path.is_dir():
            dataset, report = load_image_folder(path, size, channels, name=f"{path.name} (folder)")
        elif path.suffix.lower() == ".zip" and path.is_file():
            dataset, report = load_image_zip_file(path, size, channels, name=f"{path.stem} (zip)")
        else:
            raise UsageError(f"--images {path}: not a folder or a .zip file")
    except (ImageFilesError, OSError) as exc:
        raise UsageError(f"--images {path}: {exc}") from None
    if report.skipped or report.note:
        print(f"--images {path}: {report.summary()}", file=sys.stderr)
    if args.max_images is not None and len(dataset) > args.max_images:
        import torch

        from ganlab.data.images import ImageDataset

        keep = torch.randperm(len(dataset), generator=torch.Generator().manual_seed(args.seed or 0))[: args.max_images]
        dataset = ImageDataset(dataset.images[keep], None if dataset.labels is None else dataset.labels[keep],
                               name=dataset.name, class_names=dataset.class_names or None)
    return dataset
