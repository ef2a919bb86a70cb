"""Reduce raw rows to small per-(day, segment) tables on the data's own engine."""
