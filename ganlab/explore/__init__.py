"""Latent-space walks, and the explorer over a saved or live generator."""
