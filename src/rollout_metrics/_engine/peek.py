"""The first rows of an export file, for guessing what it holds (``rollout-metrics init``).

A peek reads at most ``rows`` rows of one CSV file (any encoding, any of ``, ; tab |``),
one sheet of an Excel workbook or one Parquet file, and returns its header and the values as
Python objects: text for CSV, the cells' own types for Excel and Parquet.  Nothing is
validated here; the loader does that when the configuration is used.

Examples
--------
>>> import tempfile, pathlib
>>> p = pathlib.Path(tempfile.mkdtemp()) / "Обращения.csv"
>>> rows = "".join(f"T{i};31.08.2025 14:05;Телефон\\n" for i in range(50))
>>> _ = p.write_bytes(("Номер;Создано;Канал\\n" + rows).encode("cp1251"))
>>> [(x.encoding, x.delimiter, x.rows, x.columns["Канал"][:2]) for x in peek(p)]
[('cp1251', ';', 50, ['Телефон', 'Телефон'])]
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rollout_metrics._engine.csv_text import _open, detect_delimiter, detect_encoding
from rollout_metrics._engine.excel import is_excel, read_sheet, sheet_names
from rollout_metrics.errors import DataValidationError

__all__ = ["Peek", "is_table_file", "peek"]

_CSV = (".csv", ".csv.gz", ".tsv", ".txt", ".tsv.gz", ".txt.gz")
_PARQUET = (".parquet", ".pq")
_HEAD = 1 << 18


@dataclass(frozen=True)
class Peek:
    """The first rows of one file (or one sheet of a workbook)."""

    path: Path
    sheet: str | None = None
    encoding: str | None = None
    delimiter: str | None = None
    columns: dict[str, list[Any]] = field(default_factory=dict)
    rows: int = 0

    @property
    def label(self) -> str:
        """``file`` or ``file [sheet]``."""
        return self.path.name if self.sheet is None else f"{self.path.name} [{self.sheet}]"


def is_table_file(path: Path) -> bool:
    """Whether ``path`` is a file a table can be read from (CSV, Parquet, Excel)."""
    name = path.name.lower()
    return path.is_file() and not name.startswith((".", "~$")) and (
        name.endswith(_CSV + _PARQUET) or is_excel(name))


def _csv(path: Path, rows: int) -> Peek:
    encoding = detect_encoding(str(path), path.name)
    with _open(str(path)) as f:
        head = f.read(_HEAD)
    text = head.decode(encoding, errors="replace").lstrip("\ufeff")
    if len(head) == _HEAD:  # the last line may be cut
        text = text[:text.rfind("\n") + 1]
    delimiter = detect_delimiter(text)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        header = next(reader)
    except StopIteration:
        raise DataValidationError(f"{path}: the file is empty") from None
    body = [r for _, r in zip(range(rows), reader, strict=False) if any(r)]
    columns = {h: [r[i] if i < len(r) else None for r in body] for i, h in enumerate(header)}
    return Peek(path, None, encoding, delimiter, columns, len(body))


def _parquet(path: Path, rows: int) -> Peek:
    import pyarrow.parquet as pq

    try:
        batches = pq.ParquetFile(path).iter_batches(batch_size=rows)
        batch = next(batches, None)
    except Exception as exc:  # pyarrow raises its own errors for a damaged file
        raise DataValidationError(f"{path}: not a readable Parquet file: {exc}") from exc
    if batch is None:
        return Peek(path)
    columns = {n: batch.column(i).to_pylist() for i, n in enumerate(batch.schema.names)}
    return Peek(path, columns=columns, rows=batch.num_rows)


def _sheets(path: Path, rows: int) -> list[Peek]:
    out = []
    for sheet in sheet_names(str(path), path.name):
        try:
            table = read_sheet(str(path), path.name, sheet)
        except DataValidationError:
            continue  # an empty or ragged sheet holds no table we could use
        table = table.slice(0, rows)
        out.append(Peek(path, sheet, columns=table.to_pydict(), rows=table.num_rows))
    return out


def peek(path: str | Path, rows: int = 500) -> list[Peek]:
    """The first ``rows`` rows of ``path``: one :class:`Peek` per file, or per sheet of a
    workbook (sheets without a header row are left out)."""
    path = Path(path)
    name = path.name.lower()
    if is_excel(name):
        return _sheets(path, rows)
    if name.endswith(_PARQUET):
        return [_parquet(path, rows)]
    return [_csv(path, rows)]


def as_text(value: Any) -> str | None:
    """A peeked value as the text a CSV would hold (``None`` stays ``None``)."""
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ")
    return str(value)
