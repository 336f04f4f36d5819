"""Datasets: toy 2D distributions and user-supplied points."""
