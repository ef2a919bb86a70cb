"""Inference on sufficient statistics: two-sample tests, ranks and quantiles, rates,
multiple testing, power and survival. Every function takes small summaries, never rows.
"""
