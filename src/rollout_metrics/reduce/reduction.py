"""The reductions of one dataset, owned by the caller and reused across calls.

A :class:`Reductions` holds every reduced table computed so far for one :class:`Dataset`
(per table, segments, range and grain) and the small segment-code tables they join. Pass
the same object to :func:`~rollout_metrics.compare`, the plots, :func:`~rollout_metrics.mix_shift`
and the designs and each reduction runs once on the engine; the report and
:func:`~rollout_metrics.sensitivity` do this themselves. A function given a plain
``Dataset`` makes a fresh, unshared one.

Examples
--------
>>> import rollout_metrics as rm
>>> data = rm.load_sample()
>>> red = rm.Reductions(data)
>>> r = rm.Rollout("2025-09-01")
>>> a = rm.compare(data, r, ["nps", "csat"], reductions=red)
>>> len(red)  # NPS and CSAT share one survey reduction
1
"""

from __future__ import annotations

import weakref
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import narwhals as nw

from rollout_metrics._engine.io import materialize
from rollout_metrics.errors import DataValidationError
from rollout_metrics.load.dataset import Dataset

__all__ = ["ReductionKey", "Reductions"]

T = TypeVar("T")


@dataclass(frozen=True)
class ReductionKey:
    """What a reduced table is of: its table, segments, range or windows, and grain."""

    table: str
    by: tuple[str, ...]
    span: tuple[Any, ...]
    grain: str = "day"
    extra: tuple[Any, ...] = ()


class Reductions:
    """The reduced tables of ``data``, computed on first use and kept.

    Parameters
    ----------
    data
        The validated dataset whose tables are reduced.
    """

    def __init__(self, data: Dataset) -> None:
        if not isinstance(data, Dataset):
            raise DataValidationError(
                f"Reductions needs a Dataset from load_dataset, got {type(data).__name__}")
        self.data = data
        self._tables: dict[Any, Any] = {}

    @classmethod
    def of(cls, source: Dataset | Reductions) -> Reductions:
        """``source`` itself, or a fresh object for a plain :class:`Dataset`."""
        return source if isinstance(source, Reductions) else cls(source)

    def __len__(self) -> int:
        """The number of reduced tables held (segment-code tables not counted)."""
        return sum(isinstance(k, ReductionKey) for k in self._tables)

    def __repr__(self) -> str:
        return f"Reductions({len(self)} reduced tables)"

    def get(self, key: Any, compute: Callable[[], T]) -> T:
        """``compute()`` once per ``key``; later calls return the kept result."""
        if key not in self._tables:
            self._tables[key] = compute()
        result: T = self._tables[key]
        return result

    def stored(self, key: Any, frame: nw.LazyFrame[Any]) -> nw.LazyFrame[Any]:
        """``frame`` computed once on its engine (e.g. a segment-code table), freed with
        this object."""
        def compute() -> nw.LazyFrame[Any]:
            out, release = materialize(frame)
            if release is not None:
                weakref.finalize(self, release)
            return out

        return self.get(key, compute)
