"""Adjusting p-values for the many rows of one comparison (segments × metrics).

One call of ``compare``, ``its_metric``, ``did_metric``, ``its`` or ``did`` is one family:
:func:`finish_family` fills ``p_adjusted`` and ``significant`` of its table by one rule.
``NaN`` p-values (rows not tested, e.g. status ``insufficient_data``) stay ``NaN`` and are
not counted in the family.

Examples
--------
>>> adjust_pvalues([0.01, 0.04, float("nan"), 0.03]).round(3).tolist()
[0.03, 0.04, nan, 0.04]
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray

from rollout_metrics.errors import DataValidationError, MissingColumnError

__all__ = ["ADJUST_METHODS", "adjust_pvalues", "finish_family"]

AdjustMethod = Literal["fdr_bh", "holm", "by", "none"]
ADJUST_METHODS: Sequence[str] = ("fdr_bh", "holm", "by", "none")


def adjust_pvalues(
    pvalues: ArrayLike, method: AdjustMethod | str = "fdr_bh"
) -> NDArray[np.float64]:
    """Adjusted p-values for a family of tests.

    Parameters
    ----------
    pvalues : array-like of float
        Raw p-values in [0, 1]; ``NaN`` marks a row that was not tested.
    method : {"fdr_bh", "holm", "by", "none"}
        ``"fdr_bh"``: Benjamini & Hochberg (1995) step-up, controls the false discovery rate
        under independence or positive dependence.  ``"holm"``: Holm (1979) step-down,
        controls the family-wise error rate.  ``"by"``: Benjamini & Yekutieli (2001), FDR under
        any dependence (BH times Σ 1/i).  ``"none"``: unchanged.  Same values as R
        ``p.adjust`` (``"BH"``, ``"holm"``, ``"BY"``) and statsmodels ``multipletests``.

    Returns
    -------
    numpy.ndarray
        Adjusted p-values, same shape and order, capped at 1; ``NaN`` where the input was.

    Examples
    --------
    >>> adjust_pvalues([0.001, 0.05, 0.02], method="holm").round(3).tolist()
    [0.003, 0.05, 0.04]
    """
    if method not in ADJUST_METHODS:
        raise DataValidationError(
            f"unknown p-value adjustment {method!r}; choose one of {', '.join(ADJUST_METHODS)}"
        )
    try:
        p = np.array(pvalues, dtype=float)
    except (TypeError, ValueError) as exc:
        raise DataValidationError(f"p-values must be numbers: {exc}") from exc
    if p.ndim != 1:
        raise DataValidationError(f"p-values must be one-dimensional, got shape {p.shape}")
    tested = ~np.isnan(p)
    bad = tested & ((p < 0.0) | (p > 1.0))
    if bad.any():
        raise DataValidationError(
            f"p-values must lie in [0, 1]; {int(bad.sum())} do not, e.g. {p[bad][:5].tolist()}"
        )
    out = p.copy()
    m = int(tested.sum())
    if method == "none" or m == 0:
        return out
    values = p[tested]
    order = np.argsort(values, kind="stable")
    ranked = values[order]
    rank = np.arange(1, m + 1, dtype=float)
    if method == "holm":
        adj = np.maximum.accumulate((m - rank + 1.0) * ranked)
    else:
        factor = float(np.sum(1.0 / rank)) if method == "by" else 1.0
        adj = np.minimum.accumulate((factor * m / rank * ranked)[::-1])[::-1]
    result = np.empty(m)
    result[order] = np.minimum(adj, 1.0)
    out[tested] = result
    return out


def finish_family(table: pd.DataFrame, *, alpha: float, correction: str) -> pd.DataFrame:
    """The rows of one call as one family: ``p_adjusted`` and ``significant`` filled.

    Parameters
    ----------
    table : pandas.DataFrame
        Result rows with a ``p_value`` column (``NaN``: not tested); not modified.
    alpha : float
        Significance level applied to the adjusted p-values.
    correction : {"fdr_bh", "holm", "by", "none"}
        Adjustment over all tested rows (see :func:`adjust_pvalues`).

    Returns
    -------
    pandas.DataFrame
        A copy with ``p_adjusted`` (float, ``NaN`` where untested) and ``significant``
        (nullable boolean: ``p_adjusted < alpha``, ``<NA>`` where untested); other columns
        and their order unchanged, the two columns appended when absent.

    Examples
    --------
    >>> import pandas as pd
    >>> t = finish_family(pd.DataFrame({"p_value": [0.01, 0.04, float("nan"), 0.03]}),
    ...                   alpha=0.05, correction="fdr_bh")
    >>> t["p_adjusted"].round(3).tolist(), t["significant"].tolist()
    ([0.03, 0.04, nan, 0.04], [True, True, <NA>, True])
    """
    if "p_value" not in table.columns:
        raise MissingColumnError(
            f"column 'p_value' not found; available columns: {[str(c) for c in table.columns]}"
        )
    frame = table.copy()
    frame["p_adjusted"] = adjust_pvalues(frame["p_value"].to_numpy(float), correction)
    tested = frame["p_adjusted"].notna()
    frame["significant"] = pd.array(
        np.where(tested, frame["p_adjusted"] < alpha, False), dtype="boolean")
    frame.loc[~tested, "significant"] = pd.NA
    return frame
