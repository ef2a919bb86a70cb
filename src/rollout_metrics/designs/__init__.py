"""Designs beyond a naive before/after: interrupted time series, difference-in-differences,
their on-dataset wrappers, mix shift and sensitivity."""
