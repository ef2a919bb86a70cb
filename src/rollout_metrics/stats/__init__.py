"""Sufficient statistics: mergeable per-cell summaries, the period table, plot series.

Only small, already reduced tables reach this step; nothing here touches a raw row.
"""
