"""The TOML configuration of ``rollout-metrics report``, checked against one typed schema.

The schema is the frozen dataclasses below: one per table of the file (``[data]``,
``[rollout]``, ``[analysis]``, ``[guardrails]``), each field a key with its check, its
default and a line of help.  :func:`load_config` reads the file (UTF-8), checks every key
and raises one :class:`~rollout_metrics.errors.ConfigError` listing **every** problem: an
unknown key (with the closest known one), a wrong type (``title = 5``, ``strict = 'false'``:
a string never turns strict mode on), a value out of range (``min_n = -1``), a date that is
not one, a timezone the timezone database does not know, a metric that is not registered, a
guardrail that is malformed or names a metric that is not in the run, a data file that does
not exist.  Relative data paths are relative to the configuration file.
``docs/rollout.example.toml`` shows every key.

Examples
--------
>>> import tempfile
>>> folder = Path(tempfile.mkdtemp())
>>> _ = (folder / "customers.csv").write_text("customer_id,signup_date\\n", encoding="utf-8")
>>> _ = (folder / "rollout.toml").write_text('''
... [data]
... customers = "customers.csv"
... [rollout]
... change_date = 2025-09-01
... [analysis]
... metrics = "nps"
... ''', encoding="utf-8")
>>> config = load_config(folder / "rollout.toml")
>>> config.rollout.change_date, config.analysis.metrics, config.data.strict
(datetime.date(2025, 9, 1), ('nps',), False)
>>> _ = (folder / "bad.toml").write_text('''
... title = 5
... [data]
... path = "."
... strict = 'false'
... [rollout]
... change_date = 20250901
... [analysis]
... min_n = -1
... seeds = 1
... ''', encoding="utf-8")
>>> load_config(folder / "bad.toml")  # doctest: +ELLIPSIS
Traceback (most recent call last):
...
rollout_metrics.errors.ConfigError: .../bad.toml: 5 problems: title must be a non-empty string, got 5 (an integer); [data] strict must be true or false (without quotes), got 'false' (a string); [rollout] change_date must be a date like 2025-09-01, got 20250901 (an integer); [analysis] unknown key 'seeds' (did you mean 'seed'?); known keys: by, metrics, alpha, correction, min_n, handling_stat, n_resamples, seed, repeat_days, top_segments, winsorize; [analysis] min_n must be a whole number >= 1, got -1 (an integer)
"""

from __future__ import annotations

import datetime as dt
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import MISSING, dataclass, field, fields
from pathlib import Path
from typing import Any

from rollout_metrics.errors import ConfigError, DataValidationError, PeriodError, did_you_mean
from rollout_metrics.load.schema import TABLES as _SCHEMA
from rollout_metrics.report import LANGS

__all__ = [
    "AnalysisSection",
    "Config",
    "DataSection",
    "GuardrailsSection",
    "MonitorSection",
    "RolloutSection",
    "load_config",
]

TABLES = tuple(_SCHEMA)
CORRECTIONS = ("fdr_bh", "holm", "by", "none")
HANDLING_STATS = ("median", "p90", "mean")
SCHEDULES = ("daily", "weekly")
SPENDINGS = ("obrien_fleming", "pocock")


class _Bad(Exception):
    """A value does not fit its key; the message says what was expected."""


Check = Callable[[Any], Any]


def _key(check: Check, doc: str) -> dict[str, Any]:
    """The metadata of a key: its check and a line of help."""
    return {"check": check, "doc": doc}


def _show(value: Any) -> str:
    """A value as it reads in TOML, with its TOML type."""
    if isinstance(value, bool):
        return f"{str(value).lower()} (a boolean)"
    if isinstance(value, int):
        return f"{value} (an integer)"
    if isinstance(value, float):
        return f"{value} (a float)"
    if isinstance(value, str):
        return f"{value!r} (a string)"
    if isinstance(value, dt.datetime):
        return f"{value.isoformat()} (a date-time)"
    if isinstance(value, dt.date):
        return f"{value.isoformat()} (a date)"
    if isinstance(value, dt.time):
        return f"{value.isoformat()} (a time)"
    if isinstance(value, list):
        text = repr(value)
        return f"{text if len(text) <= 60 else text[:57] + '...'} (an array)"
    return "a table"


# -- checks: each returns the value to use or raises _Bad ------------------------------
def _text(value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise _Bad("must be a non-empty string")
    return value


def _path(value: Any) -> Path:
    if not isinstance(value, str) or not value.strip():
        raise _Bad("must be a path (a non-empty string)")
    return Path(value)


def _boolean(value: Any) -> bool:
    if not isinstance(value, bool):
        raise _Bad("must be true or false (without quotes)")
    return value


def _whole(low: int) -> Check:
    def check(value: Any) -> int:
        if isinstance(value, bool) or not isinstance(value, int) or value < low:
            raise _Bad(f"must be a whole number >= {low}")
        return value
    return check


def _share(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 < value < 1:
        raise _Bad("must be a number between 0 and 1 (exclusive)")
    return float(value)


def _cap_quantile(value: Any) -> float:
    from rollout_metrics.metrics import check_winsorize

    try:
        cap = check_winsorize(value)
    except DataValidationError:
        raise _Bad("must be a quantile between 0.5 and 1 (1: no cap), e.g. 0.999") from None
    return 1.0 if cap is None else cap


def _choice(options: tuple[str, ...]) -> Check:
    def check(value: Any) -> str:
        if not isinstance(value, str) or value not in options:
            hint = did_you_mean(value, options) if isinstance(value, str) else ""
            raise _Bad(f"must be one of {', '.join(options)}{hint}")
        return value
    return check


def _date(value: Any) -> dt.date:
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value.strip())
        except ValueError:
            pass
    raise _Bad("must be a date like 2025-09-01")


def _timezone(value: Any) -> str:
    import zoneinfo

    if not isinstance(value, str) or not value.strip():
        raise _Bad("must be a timezone name like 'Europe/Paris' or 'UTC'")
    try:
        zoneinfo.ZoneInfo(value)
    except (KeyError, ValueError, OSError):
        hint = did_you_mean(value, zoneinfo.available_timezones())
        raise _Bad(f"must be a timezone of the timezone database{hint}, like 'Europe/Paris' "
                   "or 'UTC'") from None
    return value


def _names(value: Any, what: str) -> tuple[str, ...]:
    """A string (one name) or an array of strings."""
    items = [value] if isinstance(value, str) else value
    if not isinstance(items, list) or not items or not all(
            isinstance(v, str) and v.strip() for v in items):
        raise _Bad(f"must be a {what} or an array of them")
    return tuple(dict.fromkeys(items))


def _metrics(value: Any) -> tuple[str, ...]:
    from rollout_metrics.metrics import REGISTRY

    names = _names(value, "metric name")
    unknown = [m for m in names if m not in REGISTRY]
    if unknown:
        raise _Bad("names unknown metric(s) " + ", ".join(
            f"{m!r}{did_you_mean(m, REGISTRY)}" for m in unknown)
            + f"; metrics: {', '.join(REGISTRY)}")
    return names


def _by(value: Any) -> str | list[str | list[str]]:
    def column(v: Any) -> bool:
        return isinstance(v, str) and bool(v.strip())

    if column(value):
        return str(value)
    if isinstance(value, list) and all(
            column(v) or (isinstance(v, list) and v and all(column(c) for c in v))
            for v in value):
        return value
    raise _Bad('must be a column ("tier"), an array of columns crossed (["tier", "region"]) '
               'or an array of arrays, each its own grouping ([["tier"], ["region"]])')


def _columns(value: Any) -> dict[str, Any]:
    def mapping(m: Any) -> bool:
        return isinstance(m, dict) and all(isinstance(v, str) for v in m.values())

    if isinstance(value, dict):
        if mapping(value):
            return value
        if all(isinstance(v, dict) for v in value.values()):
            unknown = [t for t in value if t not in TABLES]
            if unknown:
                raise _Bad(f"has unknown table(s) {', '.join(map(repr, unknown))}; tables: "
                           f"{', '.join(TABLES)}")
            if all(mapping(v) for v in value.values()):
                return value
    raise _Bad('must map your column names to ours, per table ([data.columns.tickets] '
               'opened = "created_at") or for all tables')


def _words(value: Any) -> tuple[str, ...]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise _Bad("must be a string or an array of strings")
    return tuple(value)


_READ_KEYS = ("encoding", "delimiter", "decimal", "date_format", "true_values",
              "false_values", "null_values", "sheet")


def _read_tables(value: Any) -> dict[str, dict[str, Any]]:
    if not isinstance(value, dict) or not all(isinstance(v, dict) for v in value.values()):
        raise _Bad("must hold one table of reading options per data table "
                   "([data.read.tickets] decimal = \",\")")
    problems = []
    for table, options in value.items():
        if table not in TABLES:
            problems.append(f"has unknown table {table!r}{did_you_mean(table, TABLES)}")
        for key in options:
            if key not in _READ_KEYS:
                problems.append(f"[data.read.{table}] unknown key {key!r}"
                                f"{did_you_mean(key, _READ_KEYS)}")
    if problems:
        raise _Bad("; ".join(problems) + f"; tables: {', '.join(TABLES)}; keys: "
                   f"{', '.join(_READ_KEYS)}")
    return {t: {k: tuple(v) if isinstance(v, list) else v for k, v in o.items()}
            for t, o in value.items()}


def _fail_on(value: Any) -> tuple[str, ...]:
    return _names(value, "condition string")


# -- the schema ------------------------------------------------------------------------
@dataclass(frozen=True)
class DataSection:
    """``[data]``: where the tables are and how to read them."""

    path: Path | None = field(
        default=None,
        metadata=_key(_path, "a folder with customers, surveys, tickets (and orders)"))
    customers: Path | None = field(
        default=None, metadata=_key(_path, "the customers file (instead of path)"))
    surveys: Path | None = field(default=None, metadata=_key(_path, "the surveys file"))
    tickets: Path | None = field(default=None, metadata=_key(_path, "the tickets file"))
    orders: Path | None = field(
        default=None, metadata=_key(_path, "the orders file (optional: revenue metrics)"))
    columns: dict[str, Any] | None = field(
        default=None, metadata=_key(_columns, "your column names -> ours"))
    strict: bool = field(
        default=False, metadata=_key(_boolean, "stop on any bad row instead of excluding it"))
    encoding: str | None = field(
        default=None, metadata=_key(_text, "CSV text encoding (default: detected)"))
    delimiter: str | None = field(
        default=None, metadata=_key(_text, "CSV field separator (default: detected)"))
    decimal: str = field(default=".", metadata=_key(_text, "decimal mark, '.' or ','"))
    date_format: str | None = field(
        default=None, metadata=_key(_text, "strftime format of text timestamps"))
    true_values: tuple[str, ...] = field(
        default=(), metadata=_key(_words, "extra words read as true"))
    false_values: tuple[str, ...] = field(
        default=(), metadata=_key(_words, "extra words read as false"))
    null_values: tuple[str, ...] = field(
        default=(), metadata=_key(_words, "extra markers of an empty value"))
    sheet: str | None = field(default=None, metadata=_key(_text, "the Excel sheet to read"))
    read: dict[str, dict[str, Any]] | None = field(
        default=None, metadata=_key(_read_tables, "reading options per table"))

    def read_options(self) -> Any:
        """The ``read=`` of :func:`rollout_metrics.load_dataset`: the ``[data]`` options for
        every table, overridden per table by ``[data.read.<table>]``."""
        from rollout_metrics.load.options import ReadOptions

        common = {k: getattr(self, k) for k in _READ_KEYS}
        if not self.read:
            return ReadOptions(**common)
        return {t: ReadOptions(**{**common, **self.read.get(t, {})}) for t in TABLES}

    def source(self) -> Path | dict[str, Path]:
        """What :func:`rollout_metrics.load_dataset` reads: the folder, or one path per table."""
        if self.path is not None:
            return self.path
        return {t: p for t in TABLES if (p := getattr(self, t)) is not None}


@dataclass(frozen=True)
class RolloutSection:
    """``[rollout]``: the change and its windows (see :class:`rollout_metrics.Rollout`)."""

    change_date: dt.date = field(metadata=_key(_date, "the first day of the new terms"))
    announced: dt.date | None = field(
        default=None, metadata=_key(_date, "the day the change was announced"))
    pre_days: int = field(default=56, metadata=_key(_whole(1), "days in the before window"))
    post_days: int = field(default=56, metadata=_key(_whole(1), "days in the after window"))
    washout_days: int = field(
        default=0, metadata=_key(_whole(0), "days after the change left out"))
    timezone: str = field(
        default="UTC", metadata=_key(_timezone, "the timezone in which days start"))


@dataclass(frozen=True)
class AnalysisSection:
    """``[analysis]``: what :func:`rollout_metrics.build_report` compares and how."""

    by: str | list[str | list[str]] | None = field(
        default=None, metadata=_key(_by, "segments"))
    metrics: tuple[str, ...] | None = field(
        default=None, metadata=_key(_metrics, "metric names (default: every default metric the data feeds)"))
    alpha: float = field(default=0.05, metadata=_key(_share, "the significance level"))
    correction: str = field(
        default="fdr_bh", metadata=_key(_choice(CORRECTIONS), "multiple-comparison correction"))
    min_n: int = field(
        default=30, metadata=_key(_whole(1), "fewest observations per period to test a row"))
    handling_stat: str = field(
        default="median", metadata=_key(_choice(HANDLING_STATS), "handling time statistic"))
    n_resamples: int = field(default=2000, metadata=_key(_whole(1), "bootstrap resamples"))
    seed: int = field(default=0, metadata=_key(_whole(0), "the bootstrap's random seed"))
    repeat_days: int = field(
        default=7, metadata=_key(_whole(1), "days within which a next ticket is a repeat"))
    top_segments: int = field(
        default=12, metadata=_key(_whole(1), "segments shown one by one per grouping"))
    winsorize: float = field(
        default=0.999, metadata=_key(_cap_quantile, "quantile of the before period's order "
                                     "amounts that caps them (1: no cap)"))

    def options(self) -> dict[str, Any]:
        """The keyword arguments of :func:`rollout_metrics.build_report` besides ``by``."""
        return {"alpha": self.alpha, "correction": self.correction, "min_n": self.min_n,
                "handling_stat": self.handling_stat, "n_resamples": self.n_resamples,
                "seed": self.seed, "repeat_days": self.repeat_days,
                "top_segments": self.top_segments, "winsorize": self.winsorize}


@dataclass(frozen=True)
class GuardrailsSection:
    """``[guardrails]``: conditions that make the run exit 1 when breached."""

    fail_on: tuple[str, ...] = field(
        default=(), metadata=_key(_fail_on, "guardrail conditions"))


@dataclass(frozen=True)
class MonitorSection:
    """``[monitor]``: repeated scheduled runs of one rollout, decided group-sequentially
    (:mod:`rollout_metrics.monitor`).  ``looks`` (equally spaced over the after window) or
    ``schedule``; neither: weekly."""

    looks: int | None = field(
        default=None, metadata=_key(_whole(1), "planned looks, equally spaced over the after "
                                               "window"))
    schedule: str | None = field(
        default=None, metadata=_key(_choice(SCHEDULES), "a look every day or every week"))
    spending: str = field(
        default="obrien_fleming", metadata=_key(_choice(SPENDINGS), "alpha-spending function"))
    history: Path | None = field(
        default=None, metadata=_key(_path, "the run-history file (JSON lines); default: "
                                           "CONFIG-NAME.history.jsonl beside the report"))


@dataclass(frozen=True, kw_only=True)
class Config:
    """A checked configuration file; ``file`` is where it was read from."""

    title: str = field(default="Rollout report", metadata=_key(_text, "the report's heading"))
    lang: str = field(default="en", metadata=_key(_choice(LANGS), "the report's language"))
    data: DataSection = field(metadata={"section": DataSection})
    rollout: RolloutSection = field(metadata={"section": RolloutSection})
    analysis: AnalysisSection = field(default_factory=AnalysisSection,
                                      metadata={"section": AnalysisSection})
    guardrails: GuardrailsSection = field(default_factory=GuardrailsSection,
                                          metadata={"section": GuardrailsSection})
    #: ``None`` without a ``[monitor]`` table: one fixed-horizon run.
    monitor: MonitorSection | None = field(default=None, metadata={"section": MonitorSection})
    #: ``[metrics.<name>]``: user-defined metrics (:func:`rollout_metrics.define_metric`
    #: arguments), registered when the file is read.
    metrics: dict[str, dict[str, Any]] = field(default_factory=dict)
    file: Path = Path("rollout.toml")

    def to_rollout(self) -> Any:
        """The :class:`rollout_metrics.Rollout` of ``[rollout]``."""
        from rollout_metrics.rollout import Rollout

        r = self.rollout
        try:
            return Rollout(r.change_date, announced=r.announced, pre_days=r.pre_days,
                           post_days=r.post_days, washout_days=r.washout_days,
                           timezone=r.timezone)
        except PeriodError as exc:
            raise ConfigError(f"{self.file}: [rollout] {exc}") from None


def _check(cls: type, raw: Mapping[str, Any], where: str, problems: list[str]) -> dict[str, Any]:
    """The checked values of one table of ``cls``; each problem appended to ``problems``."""
    spec = {f.name: f for f in fields(cls) if f.metadata}
    for name in raw:
        if name not in spec:
            problems.append(f"{where}unknown key {name!r}{did_you_mean(name, spec)}; "
                            f"known keys: {', '.join(spec)}")
    values: dict[str, Any] = {}
    for name, f in spec.items():
        if "section" in f.metadata:
            sub = raw.get(name, {})
            if not isinstance(sub, dict):
                problems.append(f"[{name}] must be a table, got {_show(sub)}")
                sub = {}
            values[name] = _check(f.metadata["section"], sub, f"[{name}] ", problems)
        elif name in raw:
            try:
                values[name] = f.metadata["check"](raw[name])
            except _Bad as exc:
                problems.append(f"{where}{name} {exc}, got {_show(raw[name])}")
        elif f.default is MISSING:
            problems.append(f"{where}{name} is required ({f.metadata['doc']})")
    return values


def _make(cls: type, values: dict[str, Any]) -> Any:
    sections = {f.name: f.metadata["section"] for f in fields(cls) if "section" in f.metadata}
    return cls(**{k: _make(sections[k], v) if k in sections else v for k, v in values.items()})


def _read(path: Path) -> dict[str, Any]:
    if not path.is_file():
        raise ConfigError(f"config file not found: {path}")
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc.strerror or exc}") from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[:exc.start].count(b"\n") + 1
        raise ConfigError(f"{path}: not UTF-8 text (byte 0x{raw[exc.start]:02x} on line "
                          f"{line}); save the file as UTF-8") from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None


def _check_data(values: dict[str, Any], folder: Path, problems: list[str]) -> None:
    given = [k for k in ("path", *TABLES) if k in values]
    if len(given) == 0:
        problems.append("[data] needs path (a folder with the tables) or a file per table "
                        "(customers, surveys, tickets, orders)")
    elif "path" in values and len(given) > 1:
        problems.append(f"[data] path and {', '.join(given[1:])} are both given; use path "
                        "(a folder) or one file per table, not both")
    for key in given:
        p: Path = values[key]
        if not p.is_absolute():
            p = values[key] = folder / p
        if not p.exists() and not any(p.parent.glob(p.name)):
            problems.append(f"[data] {key}: file not found: {p}")


def _check_read(values: dict[str, Any], problems: list[str]) -> None:
    """The reading options of ``[data]`` make a valid ``ReadOptions`` for every table."""
    from rollout_metrics.errors import DataValidationError
    from rollout_metrics.load.options import ReadOptions

    common = {k: values[k] for k in _READ_KEYS if k in values}
    for table, own in ({"": {}} | (values.get("read") or {})).items():
        try:
            ReadOptions(**{**common, **own})
        except (DataValidationError, TypeError) as exc:
            where = f"[data.read.{table}]" if table else "[data]"
            problems.append(f"{where} {str(exc).removeprefix('read options: ')}")


def _check_guardrails(values: dict[str, Any], problems: list[str]) -> None:
    from rollout_metrics.metrics import DEFAULT_METRICS
    from rollout_metrics.report.guardrails import check_guardrails

    metrics = values["analysis"].get("metrics", DEFAULT_METRICS)
    announced = values["rollout"].get("announced") is not None
    try:
        check_guardrails(values["guardrails"].get("fail_on", ()), metrics, announced=announced)
    except ConfigError as exc:
        problems.append(f"[guardrails] fail_on: {exc}")


_CUSTOM_KEYS = {
    "table": "surveys, tickets, orders or customers", "kind": "proportion, mean, rate or ratio",
    "column": "the column it reads", "values": "the values that count (default: true)",
    "where": "only rows whose columns hold these values, e.g. { channel = [\"chat\"] }",
    "direction": "higher_is_better or higher_is_worse", "label": "its name in the report",
    "units": "its units in the report",
    "per": "for a ratio: row (default) or customer (per active customer per 30 days)"}
_DIRECTIONS = {"higher_is_better": 1, "higher_is_worse": -1}


def _custom_metrics(raw: Any, problems: list[str]) -> dict[str, dict[str, Any]]:
    """Check and register the ``[metrics.<name>]`` tables; their arguments by name."""
    from rollout_metrics.custom import define_metric

    if raw is None:
        return {}
    if not isinstance(raw, dict) or not all(isinstance(v, dict) for v in raw.values()):
        problems.append("[metrics] holds one table per metric, e.g. [metrics.refunds] with "
                        "table, kind, column and direction")
        return {}
    out = {}
    for name, spec in raw.items():
        where = f"[metrics.{name}] "
        bad = [k for k in spec if k not in _CUSTOM_KEYS]
        for k in bad:
            problems.append(f"{where}unknown key {k!r}{did_you_mean(k, _CUSTOM_KEYS)}; known "
                            f"keys: {', '.join(_CUSTOM_KEYS)}")
        missing = [k for k in ("table", "kind", "column", "direction") if k not in spec]
        for k in missing:
            problems.append(f"{where}{k} is required ({_CUSTOM_KEYS[k]})")
        if bad or missing:
            continue
        kw = dict(spec)
        if kw["direction"] not in _DIRECTIONS:
            problems.append(f"{where}direction must be higher_is_better or higher_is_worse, "
                            f"got {_show(kw['direction'])}")
            continue
        kw["direction"] = _DIRECTIONS[kw["direction"]]
        if isinstance(kw.get("values"), str | int | float | bool):
            kw["values"] = [kw["values"]]
        try:
            define_metric(name, replace=True, **kw)
        except (DataValidationError, TypeError) as exc:
            problems.append(f"{where}{exc}")
            continue
        out[name] = kw
    return out


def load_config(path: str | Path) -> Config:
    """Read ``path`` (TOML, UTF-8) and check it against the schema; one error lists every
    problem (see the module docstring)."""
    path = Path(path)
    problems: list[str] = []
    raw = _read(path)
    # User-defined metrics first: [analysis] metrics and guardrails may name them.
    custom = _custom_metrics(raw.pop("metrics", None), problems)
    values = _check(Config, raw, "", problems)
    values["metrics"] = custom
    if "monitor" not in raw:
        values.pop("monitor", None)
    elif {"looks", "schedule"} <= set(values["monitor"]):
        problems.append("[monitor] give looks or schedule, not both")
    elif isinstance(values["monitor"].get("history"), Path) and not values["monitor"][
            "history"].is_absolute():
        values["monitor"]["history"] = path.parent / values["monitor"]["history"]
    _check_data(values["data"], path.parent, problems)
    _check_read(values["data"], problems)
    roll = values["rollout"]
    if roll.get("announced") and roll.get("change_date") and (
            roll["announced"] >= roll["change_date"]):
        problems.append(f"[rollout] announced ({roll['announced']}) must be before "
                        f"change_date ({roll['change_date']})")
    if not any(p.startswith("[analysis] metrics ") for p in problems):
        _check_guardrails(values, problems)  # against the metrics of the run
    if len(problems) == 1:
        raise ConfigError(f"{path}: {problems[0]}")
    if problems:
        raise ConfigError(f"{path}: {len(problems)} problems: " + "; ".join(problems))
    config: Config = _make(Config, {**values, "file": path})
    return config
