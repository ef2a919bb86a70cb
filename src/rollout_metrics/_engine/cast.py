"""Lenient type conversion on each engine: unparseable values become null.

narwhals has no non-strict cast, so the few conversions that must not raise on a
bad value (text to number, text to timestamp) are written once per engine here.
Everything else in the package stays engine-agnostic.  Callers count what turned
null (raw value present, converted value null) and report it as unparseable.

Examples
--------
>>> import pandas as pd, narwhals as nw
>>> lf = nw.from_native(pd.DataFrame({"s": ["7", "x", None]})).lazy()
>>> try_cast_float(lf, "s").collect()["s"].to_list()
[7.0, nan, nan]
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import narwhals as nw
import pandas as pd

__all__ = [
    "HOUR_OFFSET",
    "ISO_AWARE",
    "ISO_NAIVE",
    "WHITESPACE",
    "aware_to_local",
    "nan_to_null",
    "native_datetime",
    "number_pattern",
    "to_text",
    "try_cast_float",
    "try_parse_datetime",
    "try_parse_formats",
    "with_row_numbers",
    "with_seconds_between",
]

#: What is stripped around a text value on every engine: ASCII spaces, tabs and line breaks
#: (engines disagree on Unicode spaces, which therefore stay part of the value).
WHITESPACE = " \t\n\r\x0b\x0c"

# The reading rules as regular expressions that every engine's regex dialect reads alike
# (Python, Rust, RE2, Java): ASCII [0-9], no \d or \s, non-capturing groups only.
_DATE = r"[0-9]{4}-[0-9]{2}-[0-9]{2}"
_TIME = r"(?:[01][0-9]|2[0-3]):[0-5][0-9](?::[0-5][0-9](?:\.[0-9]{1,9})?)?"
_OFFSET = r"(?:Z|[+-](?:[01][0-9]|2[0-3])(?::?[0-5][0-9])?)"
#: A naive ISO 8601 timestamp: ``2025-03-01``, ``2025-03-01 14:30``, ``2025-03-01T14:30:05.25``.
ISO_NAIVE = rf"^{_DATE}(?:[T ]{_TIME})?$"
#: An ISO 8601 timestamp with an offset right after the time: ``Z``, ``+02:00``, ``+0200``,
#: ``+02``.
ISO_AWARE = rf"^{_DATE}[T ]{_TIME}{_OFFSET}$"
#: The end of an aware timestamp with an hour-only offset (``+02``), read as ``+02:00``.
HOUR_OFFSET = r"[0-9][+-][0-9]{2}$"


def number_pattern(decimal: str = ".") -> str:
    """The text of a number: an optional sign, digits, and an optional decimal part after a
    dot (or, with ``decimal=","``, a dot or a comma).  ``1_0``, ``0x5``, ``1e1``, ``nan``,
    ``inf``, ``.5`` are not numbers.

    Examples
    --------
    >>> import re
    >>> [bool(re.match(number_pattern(), v)) for v in ("+8", "8.0", "8,0", "1_0", "nan")]
    [True, True, False, False, False]
    """
    mark = "[.,]" if decimal == "," else "[.]"
    return rf"^[+-]?[0-9]+(?:{mark}[0-9]+)?$"

_POLARS_FORMATS = (
    "%Y-%m-%dT%H:%M:%S%.f",
    "%Y-%m-%d %H:%M:%S%.f",
    "%Y-%m-%dT%H:%M",
    "%Y-%m-%d %H:%M",
    "%Y-%m-%d",
)


def _lazy(native: Any) -> nw.LazyFrame[Any]:
    frame = nw.from_native(native)
    return frame.lazy() if isinstance(frame, nw.DataFrame) else frame


def with_row_numbers(frame: nw.LazyFrame[Any]) -> nw.LazyFrame[Any]:
    """Add ``__row`` (0-based position) to in-memory frames, which have an order."""
    if frame.implementation is nw.Implementation.PANDAS:
        pdf = frame.to_native()
        return _lazy(pdf.assign(__row=range(len(pdf))))
    if frame.implementation is nw.Implementation.POLARS:
        return _lazy(frame.to_native().with_row_index("__row"))
    return frame


def quote_identifier(name: str) -> str:
    """``name`` as a quoted SQL identifier (DuckDB)."""
    return '"' + name.replace('"', '""') + '"'


_quote = quote_identifier


def _replace_duckdb(frame: nw.LazyFrame[Any], col: str, sql: str) -> nw.LazyFrame[Any]:
    rel = frame.to_native()
    items = [f"{sql} AS {_quote(c)}" if c == col else _quote(c) for c in rel.columns]
    return _lazy(rel.project(", ".join(items)))


def try_cast_float(frame: nw.LazyFrame[Any], col: str, decimal: str = ".") -> nw.LazyFrame[Any]:
    """Column ``col`` as Float64; text that is not a number becomes null.

    With ``decimal=","`` a comma is read as the decimal mark (``8,0``); a dot still is.
    """
    impl = frame.implementation
    comma = decimal == ","
    if impl is nw.Implementation.PANDAS:
        pdf = frame.to_native()
        raw = pdf[col]
        if comma and not pd.api.types.is_numeric_dtype(raw):
            raw = raw.astype("string").str.strip().str.replace(",", ".", regex=False)
        s = pd.to_numeric(raw, errors="coerce").astype("float64")
        return _lazy(pdf.assign(**{col: s}))
    if impl is nw.Implementation.POLARS:
        import polars as pl

        text = pl.col(col).str.strip_chars()
        if comma:
            text = text.str.replace_all(",", ".", literal=True)
        return _lazy(frame.to_native().with_columns(text.cast(pl.Float64, strict=False)))
    if impl is nw.Implementation.DUCKDB:
        q = f"trim({_quote(col)})"
        q = f"replace({q}, ',', '.')" if comma else q
        return _replace_duckdb(frame, col, f"TRY_CAST({q} AS DOUBLE)")
    if impl is nw.Implementation.PYSPARK:
        from pyspark.sql import functions as F

        sdf = frame.to_native()
        q = f"trim(`{col}`)"
        q = f"replace({q}, ',', '.')" if comma else q
        return _lazy(sdf.withColumn(col, F.expr(f"try_cast({q} AS DOUBLE)")))
    raise NotImplementedError(f"text to number conversion is not available for {impl}")


#: strftime codes and their Spark (Java) pattern letters.
_JAVA = {"%d": "dd", "%m": "MM", "%Y": "yyyy", "%y": "yy", "%H": "HH", "%M": "mm", "%S": "ss",
         "%I": "hh", "%p": "a"}


def _java_pattern(fmt: str) -> str:
    out, i = [], 0
    while i < len(fmt):
        code = fmt[i:i + 2]
        if code in _JAVA:
            out.append(_JAVA[code])
            i += 2
            continue
        ch = fmt[i]
        out.append(f"'{ch}'" if ch.isalpha() else ch)
        i += 1
    return "".join(out)


def try_parse_formats(
    frame: nw.LazyFrame[Any], col: str, out: str, formats: tuple[str, ...]
) -> nw.LazyFrame[Any]:
    """Add ``out``: text column ``col`` parsed with the first of ``formats`` (``strftime``
    codes) that reads the whole value; naive timestamps, null when none does.

    Examples
    --------
    >>> import pandas as pd, narwhals as nw
    >>> lf = nw.from_native(pd.DataFrame({"s": ["31.08.2025 14:05", "01.09.2025", "x"]}))
    >>> got = try_parse_formats(lf.lazy(), "s", "t", ("%d.%m.%Y %H:%M", "%d.%m.%Y"))
    >>> [str(v) for v in got.collect()["t"].to_list()]
    ['2025-08-31 14:05:00', '2025-09-01 00:00:00', 'NaT']
    """
    impl = frame.implementation
    if impl is nw.Implementation.PANDAS:
        pdf = frame.to_native()
        raw = pdf[col].astype("string").str.strip()
        result = pd.Series(pd.NaT, index=pdf.index, dtype="datetime64[us]")
        for fmt in formats:
            parsed = pd.to_datetime(raw, format=fmt, errors="coerce").astype("datetime64[us]")
            result = result.fillna(parsed)
        return _lazy(pdf.assign(**{out: result}))
    if impl is nw.Implementation.POLARS:
        import polars as pl

        text = pl.col(col).str.strip_chars()
        tries = [text.str.to_datetime(f, strict=False, time_unit="us") for f in formats]
        return _lazy(frame.to_native().with_columns(pl.coalesce(tries).alias(out)))
    if impl is nw.Implementation.DUCKDB:
        rel = frame.to_native()
        q = f"trim({_quote(col)})"
        fmts = ", ".join("'" + f.replace("'", "''") + "'" for f in formats)
        sql = f"CAST(try_strptime({q}, [{fmts}]) AS TIMESTAMP)"
        return _lazy(rel.project(f"*, {sql} AS {_quote(out)}"))
    if impl is nw.Implementation.PYSPARK:
        from pyspark.sql import functions as F

        trimmed = f"trim(`{col}`)"
        spark_tries = ", ".join(
            f"try_to_timestamp({trimmed}, '{_java_pattern(f)}')" for f in formats)
        expr = f"coalesce({spark_tries})" if len(formats) > 1 else spark_tries
        expr = f"CAST({expr} AS TIMESTAMP_NTZ)"  # naive, as on the other engines
        return _lazy(frame.to_native().withColumn(out, F.expr(expr)))
    raise NotImplementedError(f"text to timestamp conversion is not available for {impl}")


def try_parse_datetime(
    frame: nw.LazyFrame[Any], col: str, *, aware: bool, timezone: str
) -> nw.LazyFrame[Any]:
    """Parse the text column ``col`` as ISO-8601 timestamps; bad text becomes null.

    Validation passes only text that matches :data:`ISO_NAIVE` (``aware=False``) or
    :data:`ISO_AWARE` with a ``Z``, ``+HH:MM`` or ``+HHMM`` offset (``aware=True``), stripped:
    on such text every engine reads the same instant (fractions beyond microseconds cut).
    With ``aware=True`` the values carry an offset: they are converted to
    ``timezone`` and returned as naive wall-clock time there.  With
    ``aware=False`` they are taken as wall-clock time in ``timezone`` already.
    """
    impl = frame.implementation
    if impl is nw.Implementation.PANDAS:
        pdf = frame.to_native()
        raw = pdf[col].astype("string").str.strip()
        parsed = pd.to_datetime(raw, errors="coerce", format="ISO8601", utc=aware)
        if aware:
            parsed = parsed.dt.tz_convert(timezone).dt.tz_localize(None)
        return _lazy(pdf.assign(**{col: parsed.astype("datetime64[us]")}))
    if impl is nw.Implementation.POLARS:
        import polars as pl

        text = pl.col(col).str.strip_chars()
        if aware:
            text = text.str.replace(r"Z$", "+00:00")
            fmts = [f + "%z" for f in _POLARS_FORMATS[:-1]]
            tries = [
                text.str.to_datetime(f, strict=False, time_unit="us")
                .dt.convert_time_zone(timezone)
                .dt.replace_time_zone(None)
                for f in fmts
            ]
        else:
            tries = [
                text.str.to_datetime(f, strict=False, time_unit="us") for f in _POLARS_FORMATS
            ]
        return _lazy(frame.to_native().with_columns(pl.coalesce(tries).alias(col)))
    if impl is nw.Implementation.DUCKDB:
        q = f"trim({_quote(col)})"
        tz = timezone.replace("'", "''")
        sql = (
            f"(TRY_CAST({q} AS TIMESTAMPTZ) AT TIME ZONE '{tz}')"
            if aware
            else f"TRY_CAST({q} AS TIMESTAMP)"
        )
        return _replace_duckdb(frame, col, sql)
    if impl is nw.Implementation.PYSPARK:
        from pyspark.sql import functions as F

        trimmed = f"trim(`{col}`)"
        if aware:
            # Spark reads `10:00+02:00` only with seconds: `10:00:00+02:00`.
            seconds = f"regexp_replace({trimmed}, '^(.{{16}})([Z+-])', '$1:00$2')"
            # An instant; shown in the session timezone: move it to wall-clock `timezone`.
            sql = (f"from_utc_timestamp(to_utc_timestamp(try_to_timestamp({seconds}), "
                   f"current_timezone()), '{timezone}')")
        else:
            sql = f"try_to_timestamp({trimmed})"
        # Naive like on the other engines (a session-timezone timestamp collects as aware
        # datetimes): the wall-clock time shown in the session timezone.
        sql = f"CAST({sql} AS TIMESTAMP_NTZ)"
        return _lazy(frame.to_native().withColumn(col, F.expr(sql)))
    raise NotImplementedError(f"text to timestamp conversion is not available for {impl}")


def aware_to_local(frame: nw.LazyFrame[Any], col: str, timezone: str) -> nw.LazyFrame[Any]:
    """A timezone-aware timestamp column as naive wall-clock time in ``timezone``.

    DuckDB has no narwhals ``convert_time_zone``: there ``AT TIME ZONE`` does it.
    """
    if frame.implementation is nw.Implementation.DUCKDB:
        tz = timezone.replace("'", "''")
        return _replace_duckdb(frame, col, f"({_quote(col)} AT TIME ZONE '{tz}')")
    return frame.with_columns(
        nw.col(col).dt.convert_time_zone(timezone).dt.replace_time_zone(None))


def native_datetime(frame: nw.LazyFrame[Any], col: str, timezone: str) -> nw.LazyFrame[Any] | None:
    """pandas timezone-aware columns narwhals cannot type: converted to naive ``timezone``.

    Returns ``None`` when ``col`` is not such a column.
    """
    if frame.implementation is not nw.Implementation.PANDAS:
        return None
    pdf = frame.to_native()
    if not isinstance(pdf[col].dtype, pd.DatetimeTZDtype):
        return None
    local = pdf[col].dt.tz_convert(timezone).dt.tz_localize(None).astype("datetime64[us]")
    return _lazy(pdf.assign(**{col: local}))


def nan_to_null(frame: nw.LazyFrame[Any], cols: list[str]) -> nw.LazyFrame[Any]:
    """Float columns ``cols`` with NaN as null (pandas already reads NaN as null).

    On DuckDB ``isnan`` is not used: over a Parquet scan it is folded to false from the
    file's statistics (which leave NaN out), so the NaN would stay (DuckDB 1.x and 2.0).

    Examples
    --------
    >>> import duckdb, narwhals as nw
    >>> rel = duckdb.sql("SELECT * FROM (VALUES ('nan'::DOUBLE), (8.0), (NULL)) t(x)")
    >>> nan_to_null(nw.from_native(rel), ["x"]).collect()["x"].to_list()
    [None, 8.0, None]
    """
    if not cols:
        return frame
    if frame.implementation is nw.Implementation.DUCKDB:
        rel = frame.to_native()
        items = [f"CASE WHEN isfinite({_quote(c)}) OR isinf({_quote(c)}) THEN {_quote(c)} END "
                 f"AS {_quote(c)}" if c in cols else _quote(c) for c in rel.columns]
        return _lazy(rel.project(", ".join(items)))
    return frame.with_columns(nw.col(c).fill_nan(None) for c in cols)


def _object_text(value: Any) -> Any:
    # A whole float in an object column (1 beside 2.0) is the integer it holds: "2", not
    # "2.0", so the same id reads the same whichever way pandas stored it.
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return value


def to_text(frame: nw.LazyFrame[Any], col: str) -> nw.LazyFrame[Any]:
    """Column ``col`` as text; Python objects (pandas ``object`` columns) via ``str()``,
    whole floats as integers (``2.0`` -> ``"2"``)."""
    if frame.implementation is nw.Implementation.PANDAS:
        pdf = frame.to_native()
        values = pdf[col].map(_object_text, na_action="ignore")
        return _lazy(pdf.assign(**{col: values.astype("string")}))
    return frame.with_columns(nw.col(col).cast(nw.String))


def with_seconds_between(
    frame: nw.LazyFrame[Any], name: str, end: str | dt.datetime, start: str | dt.datetime
) -> nw.LazyFrame[Any]:
    """Add column ``name``: seconds from ``start`` to ``end`` (columns or naive datetimes).

    narwhals computes durations on pandas, Polars and DuckDB; PySpark has no duration
    type there, so Spark uses microseconds since the epoch.  Nulls stay null.
    """
    if frame.implementation is nw.Implementation.PYSPARK:
        from pyspark.sql import functions as F

        def micros(x: str | dt.datetime) -> Any:
            if isinstance(x, str):
                return F.unix_micros(F.col(x).cast("timestamp"))
            return F.unix_micros(F.lit(x.isoformat(sep=" ")).cast("timestamp"))

        sdf = frame.to_native()
        return _lazy(sdf.withColumn(name, (micros(end) - micros(start)) / 1e6))

    def col(x: str | dt.datetime) -> nw.Expr:
        return nw.col(x) if isinstance(x, str) else nw.lit(x)

    seconds = (col(end) - col(start)).dt.total_seconds().cast(nw.Float64)
    return frame.with_columns(seconds.alias(name))
