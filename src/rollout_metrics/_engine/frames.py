"""Small questions about a frame's engine, and one fast text builder for reduced tables.

Examples
--------
>>> import narwhals as nw, pandas as pd
>>> is_query_engine(nw.from_native(pd.DataFrame({"a": [1]})).lazy())
False
>>> take_text(["a", "b"], np.array([1, 0, 1])).tolist()
['b', 'a', 'b']
"""

from __future__ import annotations

from typing import Any

import narwhals as nw
import numpy as np
import pandas as pd
import pyarrow as pa

__all__ = ["is_query_engine", "is_spark", "take_text"]

_QUERY_ENGINES = (nw.Implementation.DUCKDB, nw.Implementation.PYSPARK)


def is_query_engine(frame: nw.LazyFrame[Any]) -> bool:
    """True for engines that run SQL-like plans (DuckDB, Spark): joins beat collecting ids."""
    return frame.implementation in _QUERY_ENGINES


def is_spark(frame: nw.LazyFrame[Any]) -> bool:
    """True for a PySpark frame (validated rows are persisted on the cluster)."""
    return frame.implementation is nw.Implementation.PYSPARK


def take_text(levels: list[str], positions: np.ndarray) -> Any:
    """The text column ``levels[positions]`` as a pandas string array.

    Arrow's take builds it about 4x faster than assigning Python strings.
    """
    taken = pa.array(levels, pa.string()).take(pa.array(positions))
    return pd.array(taken, dtype="str")
