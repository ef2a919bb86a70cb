"""How the naive before/after estimate moves with the window choices.

A before/after delta depends on two analyst choices: how many days after the change
to leave out (``washout_days``: settling-in, backlog) and how long the windows are
(``pre_days``; ``post_days`` follows it). :func:`sensitivity` reruns
:func:`rollout_metrics.compare` over a grid of both and lines the estimates up against
the default specification (the rollout as given). A row whose delta has the opposite sign
to the default's is flagged ``sign_flip``; ``stable`` says, per segment, that no row of the
grid flips sign. A trend in the metric shows up here as deltas drifting with ``pre_days``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Any

import numpy as np
import pandas as pd

from rollout_metrics.comparison import compare
from rollout_metrics.errors import PeriodError
from rollout_metrics.load.dataset import Dataset
from rollout_metrics.reduce.reduction import Reductions
from rollout_metrics.rollout import Rollout

__all__ = ["SENSITIVITY_COLUMNS", "sensitivity"]

#: Columns of the :func:`sensitivity` table.
SENSITIVITY_COLUMNS = [
    "metric", "by", "segment", "washout_days", "pre_days", "post_days", "default",
    "n_before", "n_after", "before", "after", "delta", "ci_low", "ci_high", "p_value",
    "significant", "sign_flip", "significance_change", "stable", "status", "units",
]


def _signs(values: pd.Series) -> pd.Series:
    return pd.Series(np.sign(values.to_numpy(float)), index=values.index)


def sensitivity(
    data: Dataset,
    rollout: Rollout,
    metric: str,
    washout_days: Sequence[int] = (0, 7, 14, 28),
    pre_days: Sequence[int] = (28, 56, 84),
    by: str | Sequence[str] | None = None,
    *,
    alpha: float = 0.05,
    **compare_options: Any,
) -> pd.DataFrame:
    """The ``after_vs_before`` estimate of ``metric`` over a grid of window choices.

    Each grid point is ``rollout`` with ``washout_days=w`` and ``pre_days=post_days=p``,
    compared with :func:`~rollout_metrics.compare` (``correction="none"``: each row is read
    on its own, so ``significant`` is ``p_value < alpha``). The default specification, the
    rollout as given, is the first row of each segment (``default`` True) and the
    reference for the flags.

    Parameters
    ----------
    data, rollout
        The dataset and the default rollout.
    metric
        One metric name of :func:`~rollout_metrics.compare`.
    washout_days, pre_days
        The grid: days left out after the change date, and window lengths in days.
    by
        Segment column(s), as in :func:`~rollout_metrics.compare`.
    alpha
        Level of the tests.
    **compare_options
        Passed to :func:`~rollout_metrics.compare` (e.g. ``n_resamples``, ``handling_stat``).

    Returns
    -------
    pandas.DataFrame
        :data:`SENSITIVITY_COLUMNS` (plus one per ``by``): ``sign_flip`` - the delta has the
        opposite sign to the default's; ``significance_change`` - significant where the
        default is not, or the reverse; ``stable`` - no row of the segment flips sign.
        Grid points whose windows fall outside the data get status ``outside_data``.

    Examples
    --------
    >>> import rollout_metrics as rm
    >>> t = sensitivity(rm.load_sample(), rm.Rollout("2025-09-01"), "csat",
    ...                 washout_days=[0, 14], pre_days=[28])
    >>> t[["washout_days", "pre_days", "default", "sign_flip"]].values.tolist()
    [[0, 56, True, False], [0, 28, False, False], [14, 28, False, False]]
    >>> bool(t["stable"].all())
    True
    """
    specs = [(rollout.washout_days, rollout.pre_days, rollout.post_days, True)]
    specs += [(w, p, p, False) for w in washout_days for p in pre_days]
    parts = []
    red = compare_options.pop("reductions", None)
    red = red if red is not None else Reductions(data)
    for w, p, q, is_default in specs:
        spec = replace(rollout, washout_days=int(w), pre_days=int(p), post_days=int(q))
        try:
            table = compare(data, spec, metrics=[metric], by=by, alpha=alpha,
                            correction="none", reductions=red, **compare_options)
        except PeriodError:
            if is_default:
                raise
            parts.append(pd.DataFrame([{"metric": metric, "segment": "overall",
                                        "status": "outside_data"}])
                         .assign(washout_days=w, pre_days=p, post_days=q, default=False))
            continue
        table = table[table["comparison"] == "after_vs_before"]
        parts.append(table.assign(washout_days=w, pre_days=p, post_days=q, default=is_default))
    out = pd.concat(parts, ignore_index=True)
    ref = out[out["default"]].set_index("segment")
    ref_sign = out["segment"].map(_signs(ref["delta"]))
    sign = _signs(out["delta"])
    out["sign_flip"] = (sign * ref_sign < 0).astype(bool)
    ref_sig = out["segment"].map(ref["significant"].astype("boolean"))
    out["significance_change"] = (
        out["significant"].astype("boolean") != ref_sig).fillna(False).astype(bool)
    out["stable"] = ~out.groupby("segment")["sign_flip"].transform("any").astype(bool)
    by_cols = [c for c in out.columns if c not in SENSITIVITY_COLUMNS and c not in (
        "comparison", "delta_rel", "p_adjusted", "mde", "method")]
    return out[[*SENSITIVITY_COLUMNS, *by_cols]].reset_index(drop=True)
