"""Exact key checks that avoid a hash table when the ids are dense integers (DuckDB).

Checking that ``ticket_id`` is unique, or that every ``customer_id`` of a ticket is a
known customer, is a group-by or a join over every row: on 10M tickets 1.1 s and
0.8 s.  When the ids are integers spread over a range not much larger than their
count (auto-increment keys, the usual case), one bit per possible id answers the
same question exactly in a single streaming pass: DuckDB's ``bitstring_agg`` sets
the bit of every id seen (0.24 s and 0.13 s on the same data).

Each function answers ``True`` only when it has *proved* that no row breaks the
rule; ``False`` means "not proved" (rows break it, or the fast path does not apply),
and the caller falls back to the general rule, which finds and counts the rows.

Examples
--------
>>> import duckdb, narwhals as nw
>>> rel = duckdb.sql("SELECT * FROM range(1, 1001) t(id)")
>>> no_duplicates(nw.from_native(rel), "id")
True
>>> dup = duckdb.sql("SELECT * FROM (VALUES (1), (2), (2)) t(id)")
>>> no_duplicates(nw.from_native(dup), "id")
False
"""

from __future__ import annotations

from typing import Any

import narwhals as nw

__all__ = ["all_known", "no_duplicates"]

#: The bitmap costs (largest - smallest id) bits: allowed up to 64 bits per id and
#: 2**31 bits (256 MiB) at most; sparser or larger ranges use the general rule.
_BITS_PER_ID = 64
_MAX_BITS = 2**31


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _dense_range(frame: nw.LazyFrame[Any], key: str) -> tuple[int, int, int] | None:
    """``(lo, hi, count)`` of an integer key column on DuckDB, when a bitmap fits."""
    if frame.implementation is not nw.Implementation.DUCKDB:
        return None
    if not frame.collect_schema()[key].is_integer():
        return None
    lo, hi, n = frame.select(
        nw.col(key).min().alias("lo"), nw.col(key).max().alias("hi"),
        nw.col(key).count().alias("n"),
    ).collect().row(0)
    if lo is None or hi is None:
        return None
    span = int(hi) - int(lo) + 1
    if span > _MAX_BITS or span > _BITS_PER_ID * max(int(n), 1):
        return None
    return int(lo), int(hi), int(n)


def no_duplicates(frame: nw.LazyFrame[Any], key: str) -> bool:
    """``True`` when the non-null values of ``key`` are proved distinct.

    Distinct ids set distinct bits, so the ids are unique exactly when the number of
    bits set equals the number of ids.
    """
    bounds = _dense_range(frame, key)
    if bounds is None:
        return False
    lo, hi, n = bounds
    k = _quote(key)
    row = frame.to_native().aggregate(
        f"bit_count(bitstring_agg({k}, {lo}, {hi})) AS bits"
    ).to_arrow_table().to_pylist()[0]
    return row["bits"] is not None and int(row["bits"]) == n


def _bitmap(frame: nw.LazyFrame[Any], key: str, lo: int, hi: int) -> tuple[int, int]:
    """Bits of the ids within ``[lo, hi]`` (bit ``i`` = id ``hi - i``) and how many
    ids fall outside that range."""
    k = _quote(key)
    row = frame.to_native().aggregate(
        f"CAST(bitstring_agg({k}, {lo}, {hi}) FILTER (WHERE {k} BETWEEN {lo} AND {hi}) "
        f"AS VARCHAR) AS bits, count_if({k} < {lo} OR {k} > {hi}) AS outside"
    ).to_arrow_table().to_pylist()[0]
    bits = int(row["bits"], 2) if row["bits"] else 0
    return bits, int(row["outside"] or 0)


def all_known(frame: nw.LazyFrame[Any], key: str, known: nw.LazyFrame[Any]) -> bool:
    """``True`` when every non-null ``key`` of ``frame`` is proved to be in ``known``.

    Both tables are reduced to a bitmap over the known ids' range; an id is unknown
    when it lies outside that range or its bit is set in ``frame`` but not in ``known``.
    """
    if frame.implementation is not nw.Implementation.DUCKDB:
        return False
    if not frame.collect_schema()[key].is_integer():
        return False
    bounds = _dense_range(known, key)
    if bounds is None:
        return False
    lo, hi, _ = bounds
    known_bits, _ = _bitmap(known, key, lo, hi)
    seen_bits, outside = _bitmap(frame, key, lo, hi)
    return outside == 0 and seen_bits & ~known_bits == 0
