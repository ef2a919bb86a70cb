"""The canonical tables of rollout-metrics and their columns, in one place.

Three tables describe a company's customers and what they said and asked, and an optional
fourth what they bought:

``customers``
    ``customer_id`` (id), ``signup_date`` (datetime), ``churn_date`` (datetime, empty
    while active), plus any number of segment attributes (``tier``, ``region``, ``plan``,
    ``preferred_channel``...).  ``tenure_band`` is derived at analysis time from
    ``signup_date`` (tenure at the change date).
``surveys``
    ``customer_id``, ``responded_at`` (datetime), ``nps_score`` (0-10, may be empty),
    ``csat_score`` (1-5, may be empty), optional ``touchpoint``.
``tickets``
    ``ticket_id``, ``customer_id``, ``created_at``, ``first_response_at`` (optional),
    ``resolved_at`` (empty while open), ``channel``, ``is_complaint`` (bool), ``category``.

``orders`` (optional)
    ``order_id``, ``customer_id``, ``ordered_at``, ``amount`` (a non-negative number in the
    shop's currency), plus any segment columns of the order (``channel``...).

Real exports never use these names: pass ``columns={"tickets": {"opened": "created_at"}}``
(your name -> canonical name) to :func:`rollout_metrics.load_dataset`.

Examples
--------
>>> from rollout_metrics.load.schema import TABLES
>>> [c.name for c in TABLES["surveys"].required]
['customer_id', 'responded_at']
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

__all__ = ["TABLES", "TENURE_BANDS", "ColumnSpec", "Kind", "TableSpec"]

Kind = Literal["id", "datetime", "score", "amount", "bool", "text"]


@dataclass(frozen=True, slots=True)
class ColumnSpec:
    """One canonical column: its name, kind, and (for scores) the valid range."""

    name: str
    kind: Kind
    required: bool = True
    nullable: bool = False
    low: float | None = None
    high: float | None = None
    description: str = ""


@dataclass(frozen=True, slots=True)
class TableSpec:
    """A canonical table: its columns, its key and the timestamp that places a row in time."""

    name: str
    columns: tuple[ColumnSpec, ...]
    key: str | None = None
    time: str | None = None

    @property
    def required(self) -> tuple[ColumnSpec, ...]:
        """Columns that must be present."""
        return tuple(c for c in self.columns if c.required)

    @property
    def names(self) -> tuple[str, ...]:
        """Names of every canonical column, required or optional."""
        return tuple(c.name for c in self.columns)

    def column(self, name: str) -> ColumnSpec:
        """The spec of column ``name``."""
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(name)


TABLES: dict[str, TableSpec] = {
    "customers": TableSpec(
        "customers",
        (
            ColumnSpec("customer_id", "id", description="unique customer key"),
            ColumnSpec("signup_date", "datetime", description="when the customer joined"),
            ColumnSpec(
                "churn_date", "datetime", required=False, nullable=True,
                description="when the customer left; empty while active",
            ),
        ),
        key="customer_id",
        time="signup_date",
    ),
    "surveys": TableSpec(
        "surveys",
        (
            ColumnSpec("customer_id", "id", description="who answered"),
            ColumnSpec("responded_at", "datetime", description="when the survey was answered"),
            ColumnSpec(
                "nps_score", "score", required=False, nullable=True, low=0, high=10,
                description="0-10 likelihood to recommend; may be empty",
            ),
            ColumnSpec(
                "csat_score", "score", required=False, nullable=True, low=1, high=5,
                description="1-5 satisfaction; may be empty",
            ),
            ColumnSpec(
                "touchpoint", "text", required=False, nullable=True,
                description="where the survey was shown (optional)",
            ),
        ),
        time="responded_at",
    ),
    "tickets": TableSpec(
        "tickets",
        (
            ColumnSpec("ticket_id", "id", description="unique ticket key"),
            ColumnSpec("customer_id", "id", description="who raised the ticket"),
            ColumnSpec("created_at", "datetime", description="when the ticket was opened"),
            ColumnSpec(
                "first_response_at", "datetime", required=False, nullable=True,
                description="first agent response (optional)",
            ),
            ColumnSpec(
                "resolved_at", "datetime", required=False, nullable=True,
                description="when the ticket was resolved; empty while open",
            ),
            ColumnSpec("channel", "text", required=False, nullable=True,
                       description="email, sms, phone, chat, social..."),
            ColumnSpec("is_complaint", "bool", required=False,
                       description="true when the ticket is a complaint; when the column is "
                                   "given, an empty value is excluded and counted"),
            ColumnSpec("category", "text", required=False, nullable=True,
                       description="ticket category (billing, delivery...)"),
        ),
        key="ticket_id",
        time="created_at",
    ),
    "orders": TableSpec(
        "orders",
        (
            ColumnSpec("order_id", "id", description="unique order key"),
            ColumnSpec("customer_id", "id", description="who ordered"),
            ColumnSpec("ordered_at", "datetime", description="when the order was placed"),
            ColumnSpec("amount", "amount", low=0,
                       description="order value (a number >= 0, in one currency)"),
        ),
        key="order_id",
        time="ordered_at",
    ),
}

#: Tenure bands (days since signup at the change date), lower bound inclusive.
TENURE_BANDS: tuple[tuple[str, int, int | None], ...] = (
    ("<3 months", 0, 91),
    ("3-12 months", 91, 365),
    ("1-3 years", 365, 1096),
    ("3+ years", 1096, None),
)
