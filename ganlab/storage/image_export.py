"""An image run's export for data augmentation: a zip of PNGs (a folder per class, labels.csv) or an .npz."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import numpy as np

from ganlab.storage.render import png_bytes


def to_uint8(images: np.ndarray) -> np.ndarray:
    """(n, C, H, W) in [-1, 1] -> (n, H, W, C) uint8."""
    pixels = np.clip((images + 1) * 127.5, 0, 255).round().astype(np.uint8)
    return np.ascontiguousarray(pixels.transpose(0, 2, 3, 1))


def write_image_export(samples: np.ndarray, labels: np.ndarray | None, names: list[str], out: Path) -> str:
    """An image run's export: a zip of PNGs (a folder per class, labels.csv) or an .npz."""
    n, suffix = len(samples), out.suffix.lower()
    pixels = to_uint8(samples)
    if suffix == ".npz":
        arrays = {"images": pixels}
        if labels is not None:
            arrays.update(labels=labels.astype(np.int64), class_names=np.array(names, dtype=str))
        buf = io.BytesIO()
        np.savez(buf, **arrays)
        out.write_bytes(buf.getvalue())
        return f"wrote {out}: images uint8 {pixels.shape}" + (", labels" if labels is not None else "")
    width = len(str(n))
    rows = ["file,label,class"] if labels is not None else None
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as z:
        for i in range(n):
            if labels is not None:
                folder = _folder(names[int(labels[i])], int(labels[i]))
                name = f"{folder}/{i:0{width}d}.png"
                rows.append(f"{name},{int(labels[i])},{_csv(names[int(labels[i])])}")
            else:
                name = f"{i:0{width}d}.png"
            z.writestr(name, png_bytes(pixels[i]))
        if rows is not None:
            z.writestr("labels.csv", "\n".join(rows) + "\n")
    return f"wrote {out}: {n} PNG images" + (" in one folder per class, with labels.csv" if labels is not None else "")


def _folder(name: str, index: int) -> str:
    safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in name).strip("._") or "class"
    return f"{index}-{safe}" if safe != str(index) else safe


def _csv(text: str) -> str:
    return '"' + text.replace('"', '""') + '"' if any(c in text for c in ',"\n') else text
