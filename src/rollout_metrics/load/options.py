"""How to read an export: encoding, delimiter, decimal mark, date format, flags, nulls.

One frozen :class:`ReadOptions` holds every choice; ``load_dataset(read=...)`` takes one for
all tables or a mapping of table name to options.  Nothing here depends on the engine: the
same options give the same rows from a file, pandas, Polars, DuckDB or Spark.

Examples
--------
>>> opts = ReadOptions(delimiter=";", decimal=",", date_format="%d.%m.%Y %H:%M")
>>> opts.formats()
('%d.%m.%Y %H:%M:%S', '%d.%m.%Y %H:%M', '%d.%m.%Y')
>>> "да" in opts.true_words() and "ложь" in opts.false_words()
True
>>> ReadOptions(decimal=";")
Traceback (most recent call last):
...
rollout_metrics.errors.DataValidationError: read options: decimal must be '.' or ',', got ';'
"""

from __future__ import annotations

import codecs
from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any

from rollout_metrics.errors import DataValidationError

__all__ = ["FALSE_VALUES", "NULL_VALUES", "TRUE_VALUES", "ReadOptions", "options_for"]

#: Words read as true (case-insensitive, around spaces ignored); ``true_values`` adds to them.
TRUE_VALUES = ("true", "t", "yes", "y", "1", "да", "д", "истина")
#: Words read as false; ``false_values`` adds to them.
FALSE_VALUES = ("false", "f", "no", "n", "0", "нет", "н", "ложь")
#: Text read as an empty value in every text column (case-insensitive); ``null_values`` adds.
NULL_VALUES = ("", "null", "n/a", "#n/a", "-", "—", "н/д", "#н/д")

@dataclass(frozen=True)
class ReadOptions:
    """How to read one table (or all of them).

    Parameters
    ----------
    encoding
        Text encoding of CSV files: ``"utf-8"``, ``"utf-8-sig"`` (with a byte-order mark),
        ``"cp1251"``...; ``None`` detects it (a byte-order mark, valid UTF-8, else
        charset-normalizer).  A file that is not UTF-8 is transcoded to a temporary UTF-8
        copy before it is parsed.
    delimiter
        Field separator of CSV files; ``None`` detects it among ``, ; tab |`` (the one that
        splits the first lines into the same number of fields, more than one).
    decimal
        Decimal mark of numbers written as text: ``"."`` (default) or ``","`` (``8,0``).
    date_format
        ``strftime`` format of text timestamps, e.g. ``"%d.%m.%Y %H:%M"``; it also reads the
        same date with seconds or without a time.  ``None``: ISO 8601, and ``dd.mm.yyyy`` /
        ``mm/dd/yyyy`` only when the data proves the order (a first field above 12 proves
        day-first, a second field above 12 month-first); otherwise the load stops and asks
        for the format.  Never a silent day/month swap.
    true_values, false_values
        Extra words for true / false flags, added to :data:`TRUE_VALUES` /
        :data:`FALSE_VALUES` (ru/en: да/нет, истина/ложь, yes/no, true/false, 1/0).
    null_values
        Extra markers of an empty value, added to :data:`NULL_VALUES`.
    sheet
        Excel sheet to read (default: the sheet named after the table, else the first).
    """

    encoding: str | None = None
    delimiter: str | None = None
    decimal: str = "."
    date_format: str | None = None
    true_values: tuple[str, ...] = ()
    false_values: tuple[str, ...] = ()
    null_values: tuple[str, ...] = ()
    sheet: str | None = None

    def __post_init__(self) -> None:
        for name in ("true_values", "false_values", "null_values"):
            value = getattr(self, name)
            if isinstance(value, str) or not all(isinstance(v, str) for v in value):
                _bad(f"{name} must be a list of strings, got {value!r}")
            object.__setattr__(self, name, tuple(value))
        if self.encoding is not None:
            try:
                codecs.lookup(self.encoding)
            except LookupError:
                _bad(f"encoding {self.encoding!r} is not a known text encoding "
                     "(e.g. 'utf-8', 'utf-8-sig', 'cp1251')")
        if self.delimiter is not None and len(self.delimiter) != 1:
            _bad(f"delimiter must be one character, got {self.delimiter!r}")
        if self.decimal not in (".", ","):
            _bad(f"decimal must be '.' or ',', got {self.decimal!r}")
        if self.decimal == "," and self.delimiter == ",":
            _bad("decimal ',' needs another delimiter than ','")
        fmt = self.date_format
        if fmt is not None and ("%d" not in fmt or "%m" not in fmt
                                or ("%Y" not in fmt and "%y" not in fmt)):
            _bad(f"date_format must hold %d, %m and %Y (strftime codes, e.g. "
                 f"'%d.%m.%Y %H:%M'), got {fmt!r}")
        both = set(self.true_words()) & set(self.false_words())
        if both:
            _bad(f"words both true and false: {sorted(both)}")

    def true_words(self) -> tuple[str, ...]:
        """Every word read as true, lower case."""
        return tuple(dict.fromkeys(v.strip().lower() for v in (*TRUE_VALUES, *self.true_values)))

    def false_words(self) -> tuple[str, ...]:
        """Every word read as false, lower case."""
        return tuple(dict.fromkeys(
            v.strip().lower() for v in (*FALSE_VALUES, *self.false_values)))

    def null_words(self) -> tuple[str, ...]:
        """Every marker of an empty value, lower case."""
        return tuple(dict.fromkeys(v.strip().lower() for v in (*NULL_VALUES, *self.null_values)))

    def formats(self) -> tuple[str, ...]:
        """The formats tried on text timestamps, most specific first (none: ISO only)."""
        return _variants(self.date_format) if self.date_format else ()


def _variants(fmt: str) -> tuple[str, ...]:
    """``fmt``, with seconds when it ends in minutes, and its date part alone."""
    date = fmt.split(" ")[0].split("T")[0]
    out = [fmt + ":%S"] if fmt.endswith("%H:%M") else []
    out.append(fmt)
    if date != fmt and all(f in date for f in ("%d", "%m")):
        out.append(date)
    return tuple(dict.fromkeys(out))


def _bad(message: str) -> None:
    raise DataValidationError(f"read options: {message}")


def options_for(read: ReadOptions | Mapping[str, ReadOptions] | None, table: str
                ) -> ReadOptions:
    """The options of ``table``: one :class:`ReadOptions` for all, or a per-table mapping
    (tables it does not name use the defaults).

    Examples
    --------
    >>> options_for({"tickets": ReadOptions(decimal=",")}, "tickets").decimal
    ','
    >>> options_for(None, "tickets") == ReadOptions()
    True
    """
    if read is None:
        return ReadOptions()
    if isinstance(read, ReadOptions):
        return read
    if isinstance(read, Mapping):
        from rollout_metrics.errors import did_you_mean
        from rollout_metrics.load.schema import TABLES

        names = tuple(TABLES)
        for key, value in read.items():
            if key not in names:
                raise DataValidationError(
                    f"read: unknown table {key!r}{did_you_mean(str(key), names)}; "
                    f"tables: {list(names)}")
            if not isinstance(value, ReadOptions):
                raise DataValidationError(
                    f"read[{key!r}] must be a ReadOptions, got {type(value).__name__}")
        return read.get(table, ReadOptions())
    raise DataValidationError(
        f"read must be a ReadOptions or a mapping of table name to ReadOptions, got "
        f"{type(read).__name__}")


def option_names() -> tuple[str, ...]:
    """The keyword names of :class:`ReadOptions` (the keys of the TOML ``[data]`` table)."""
    return tuple(f.name for f in fields(ReadOptions))


def from_mapping(values: Mapping[str, Any]) -> ReadOptions:
    """A :class:`ReadOptions` from TOML-like values (lists become tuples)."""
    given: dict[str, Any] = {k: tuple(v) if isinstance(v, list) else v
                             for k, v in values.items()}
    return ReadOptions(**given)
