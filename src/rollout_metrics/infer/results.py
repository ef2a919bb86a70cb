"""The result type every two-sample test returns.

Modelled on statsmodels' and lifelines' result objects: one frozen, slotted
type with named fields, a ``to_frame()`` and an HTML repr for notebooks.
Numbers are never rounded here; only the repr rounds.

Examples
--------
>>> r = DiffResult(before=10.0, after=4.0, estimate=-6.0, ci_low=-9.0, ci_high=-3.0,
...                p_value=0.001, statistic=-3.9, method="nps_adjusted_wald",
...                n_before=400, n_after=410)
>>> r.to_frame().loc[0, "estimate"]
np.float64(-6.0)
"""

from __future__ import annotations

import html
import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

import pandas as pd

__all__ = ["DiffResult"]


@dataclass(frozen=True, slots=True)
class DiffResult:
    """Outcome of comparing the ``after`` period with the ``before`` period.

    Attributes
    ----------
    before, after : float
        The metric in each period, in the units of the function that produced it.
    estimate : float
        ``after - before`` (for rate tests also the difference; see ``extra["ratio"]``).
    ci_low, ci_high : float
        Confidence interval bounding ``estimate``.
    p_value : float
        Two-sided p-value of the test named by ``method`` (H0: no difference).
    statistic : float
        The test statistic (z, t, U, ...); NaN for exact tests without one.
    method : str
        Machine-readable method name, e.g. ``"nps_adjusted_wald"``.
    n_before, n_after : float
        Sample sizes (responses, tickets, or exposure for rates).
    alpha : float
        The CI is a ``1 - alpha`` interval.
    extra : Mapping[str, float]
        Method-specific figures (``df``, ``ratio``, ``prob_superiority``...).
    se : float
        Standard error of ``estimate`` where the method has one (NaN otherwise); the
        minimum detectable effect is computed from it.
    dispersion : float
        Estimated dispersion φ of a count test (1 for tests without one); above 1 the test
        was widened for overdispersion.
    degenerate : bool
        The data have no sampling variability at the test's precision (constant samples, every
        NPS answer in one category, 0% or 100% in both periods): zero or rounding-level variance
        is not certainty, so ``p_value`` is NaN and an interval that would have zero width is
        NaN too.  R's ``t.test`` refuses such data ("data are essentially constant").
    """

    before: float
    after: float
    estimate: float
    ci_low: float
    ci_high: float
    p_value: float
    statistic: float
    method: str
    n_before: float
    n_after: float
    alpha: float = 0.05
    extra: Mapping[str, float] = field(default_factory=dict)
    se: float = math.nan
    dispersion: float = 1.0
    degenerate: bool = False

    def to_frame(self) -> pd.DataFrame:
        """One-row DataFrame with every field (``extra`` expanded into columns)."""
        row: dict[str, Any] = asdict(self)
        extra = row.pop("extra")
        row.update({f"extra_{k}": v for k, v in extra.items()})
        return pd.DataFrame([row])

    def _repr_html_(self) -> str:
        level = round(100 * (1 - self.alpha))
        return (
            "<table><tr><th>method</th><th>before</th><th>after</th><th>estimate</th>"
            f"<th>{level}% CI</th><th>p</th></tr>"
            f"<tr><td>{html.escape(self.method)}</td><td>{self.before:.4g}</td>"
            f"<td>{self.after:.4g}</td><td>{self.estimate:.4g}</td>"
            f"<td>[{self.ci_low:.4g}, {self.ci_high:.4g}]</td><td>{self.p_value:.3g}</td></tr>"
            "</table>"
        )
