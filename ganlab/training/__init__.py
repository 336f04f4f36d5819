"""One training step, and the background runner around it."""
