"""Quality and mode-collapse metrics."""
