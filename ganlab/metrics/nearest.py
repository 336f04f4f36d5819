"""Nearest neighbours of generated images in the training set: the memorization check.

A generator that reproduces training images has a near-zero distance to one of them;
a healthy one sits about as far from its nearest neighbour as real images do from each other.
Exact search, in chunks over the reference set so memory stays bounded whatever its size.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import torch
from torch import Tensor

CHUNK = 4096


@dataclass(frozen=True)
class Neighbours:
    """`indices` (q, k) into the reference set and `distances` (q, k), nearest first.
    Distances are Euclidean over all pixels of images in [-1, 1]; `rms` (q, k) is the
    same per pixel (distance / sqrt(pixels)), a size-independent figure."""

    indices: Tensor
    distances: Tensor
    rms: Tensor


def nearest_neighbours(queries: Tensor, references: Tensor, k: int = 5, *, chunk: int = CHUNK,
                       transform: Callable[[Tensor], Tensor] | None = None) -> Neighbours:
    """The `k` nearest references (N, ...) of each query (q, ...) by Euclidean distance.

    `transform` maps a chunk of stored references to the query's representation (e.g.
    `ImageDataset.to_float` for uint8 images, or a feature extractor); it is applied one
    chunk at a time. Distances are computed in float64 (||q||^2 + ||r||^2 - 2 q.r loses
    little there) and ties go to the lower index."""
    if queries.dim() < 2 or references.dim() < 2:
        raise ValueError("queries and references must be batches: (n, ...)")
    n = references.shape[0]
    if n == 0:
        raise ValueError("the reference set is empty")
    if k < 1:
        raise ValueError(f"k must be at least 1, got {k}")
    k = min(k, n)
    q = queries.reshape(queries.shape[0], -1).double()
    q_sq = q.pow(2).sum(1, keepdim=True)
    best_d = torch.full((q.shape[0], 0), float("inf"), dtype=torch.float64)
    best_i = torch.zeros((q.shape[0], 0), dtype=torch.long)
    for start in range(0, n, chunk):
        block = references[start:start + chunk]
        if transform is not None:
            block = transform(block)
        r = block.reshape(block.shape[0], -1).double()
        if r.shape[1] != q.shape[1]:
            raise ValueError(f"queries have {q.shape[1]} values each, references {r.shape[1]}")
        d2 = (q_sq + r.pow(2).sum(1)[None, :] - 2 * q @ r.T).clamp_min_(0)
        idx = torch.arange(start, start + r.shape[0]).expand(q.shape[0], -1)
        all_d = torch.cat([best_d, d2], 1)
        all_i = torch.cat([best_i, idx], 1)
        # stable sort: among equal distances the earlier (lower) index stays first
        order = torch.sort(all_d, dim=1, stable=True).indices[:, :k]
        best_d, best_i = all_d.gather(1, order), all_i.gather(1, order)
    distances = best_d.sqrt().float()
    return Neighbours(best_i, distances, distances / q.shape[1] ** 0.5)
