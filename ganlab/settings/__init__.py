"""Settings: the one table of fields, what a run is (structure) and how it trains now (knobs), presets, URL state."""
