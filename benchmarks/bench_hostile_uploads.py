"""Hostile uploads against the loaders, each case in a fresh process: peak memory growth and CPU
time of ganlab's loader beside a naive read of the same bytes (what the loaders did before
issue 12: `zipfile.read()` of each member, every CSV line parsed before any limit).

    python benchmarks/bench_hostile_uploads.py               # 1 GiB bombs (the naive read needs ~2 GB)
    python benchmarks/bench_hostile_uploads.py --size-mib 256

Prints one line per case and way: max RSS growth (MB), CPU seconds, outcome."""

from __future__ import annotations

import argparse
import io
import resource
import struct
import subprocess
import sys
import time
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def bomb(method: int, size: int) -> bytes:
    """One member of `size` zero bytes whose directory entries claim 1,000 bytes."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        info = zipfile.ZipInfo("big.png")
        info.compress_type = method
        with z.open(info, "w") as f:
            zeros = bytes(2**20)
            for _ in range(size // 2**20):
                f.write(zeros)
    data = bytearray(buf.getvalue())
    struct.pack_into("<I", data, 22, 1000)  # local header: uncompressed size
    central = data.find(b"PK\x01\x02")
    struct.pack_into("<I", data, central + 24, 1000)  # central directory: uncompressed size
    return bytes(data)


def pixel_zip() -> bytes:
    from PIL import Image

    one = io.BytesIO()
    Image.new("L", (4999, 4999), 0).save(one, format="PNG")
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for i in range(40):
            z.writestr(f"{i}.png", one.getvalue())
    return buf.getvalue()


def big_csv() -> bytes:
    return "".join(f"{i % 10},{i % 7}\n" for i in range(5_000_000)).encode()


def run_case(case: str, way: str, size: int) -> str:
    data = {"bzip2": lambda: bomb(zipfile.ZIP_BZIP2, size), "deflate": lambda: bomb(zipfile.ZIP_DEFLATED, size),
            "pixels": pixel_zip, "csv": big_csv}[case]()
    from PIL import Image  # imports before the measurement: they are no part of a load

    from ganlab.data.image_files import ImageFilesError, load_image_zip
    from ganlab.data.points_csv import PointsFileError, load_points_csv

    before, t0 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, time.process_time()
    try:
        if case == "csv" and way == "naive":
            rows = [tuple(float(v) for v in line.split(",")) for line in data.decode().splitlines()]
            outcome = f"{len(rows):,} rows parsed"
        elif case == "csv":
            try:
                outcome = f"{len(load_points_csv(data).points):,} points"
            except PointsFileError as exc:
                outcome = f"refused: {exc}"
        elif way == "naive":  # inflate every member, decode every image
            with zipfile.ZipFile(io.BytesIO(data)) as z:
                members = [z.read(i) for i in z.infolist()]
            decoded = sum(Image.open(io.BytesIO(m)).convert("L").size[0] > 0 for m in members)
            outcome = f"inflated {sum(map(len, members)) / 2**20:,.0f} MiB, decoded {decoded} images"
        else:
            try:
                images, report = load_image_zip(data, 28, 1)
                outcome = f"{len(images)} images; skipped {dict(report.skipped)}"
            except ImageFilesError as exc:
                outcome = f"refused: {exc}"
    except Exception as exc:  # a naive read may fail in its own way
        outcome = f"failed: {type(exc).__name__}"
    grown = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
    return (f"{case:8s} {way:6s} input {len(data) / 1024:9,.1f} KiB  max RSS +{grown:7,.0f} MB  "
            f"CPU {time.process_time() - t0:6.2f} s  {outcome[:110]}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size-mib", type=int, default=1024, help="what each bomb inflates to")
    parser.add_argument("--one", nargs=2, metavar=("CASE", "WAY"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        print(run_case(args.one[0], args.one[1], args.size_mib * 2**20), flush=True)
        return
    for case in ("bzip2", "deflate", "pixels", "csv"):
        for way in ("naive", "ganlab"):
            subprocess.run([sys.executable, __file__, "--size-mib", str(args.size_mib), "--one", case, way],
                           cwd=ROOT, check=False, timeout=600)


if __name__ == "__main__":
    main()
