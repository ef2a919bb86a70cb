"""Read a table from a path, a glob of part files, or any dataframe narwhals accepts.

Files are scanned lazily with DuckDB, so a Parquet folder larger than memory is
fine: nothing is read until a reduction asks for it.  In-memory frames keep
their own engine (pandas, Polars, PyArrow, DuckDB, PySpark).

Examples
--------
>>> import pandas as pd
>>> lf = read_table(pd.DataFrame({"customer_id": [1]}), table="customers")
>>> lf.collect_schema().names()
['customer_id']
"""

from __future__ import annotations

import contextlib
import glob
import itertools
import weakref
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import narwhals as nw
import pandas as pd
import pyarrow as pa

from rollout_metrics._engine.cast import quote_identifier as _q
from rollout_metrics._engine.csv_text import PreparedCsv, explain_csv_error, prepare_csv
from rollout_metrics._engine.excel import EXCEL_SUFFIXES, read_sheet
from rollout_metrics.errors import DataValidationError

__all__ = [
    "FileOptions",
    "connection",
    "engine_errors",
    "find_table_files",
    "materialize",
    "one_connection",
    "read_table",
    "read_twice",
    "source_files",
    "to_duckdb",
]

_SUFFIXES = (".parquet", ".csv", ".csv.gz", *EXCEL_SUFFIXES)
_COUNTER = itertools.count()

#: From this many rows on, a pandas frame is validated and reduced by DuckDB, which reads
#: it in place: 10M tickets took 19.6 s on pandas against 9.3 s from Parquet (benchmarks/).
PANDAS_TO_DUCKDB_ROWS = 1_000_000


_CONNECTION: list[duckdb.DuckDBPyConnection] = []
#: Relations made on the package's own connection (files, Arrow, large pandas frames).
_OURS: weakref.WeakSet[duckdb.DuckDBPyRelation] = weakref.WeakSet()


def connection() -> duckdb.DuckDBPyConnection:
    """The package's own in-memory DuckDB connection: files, Arrow tables and large pandas
    frames are read here, so the user's default connection and its settings are untouched."""
    if not _CONNECTION:
        con = duckdb.connect()
        # Scheduled runs log stderr: no terminal progress bars from the engine.
        con.execute("SET enable_progress_bar = false")
        _CONNECTION.append(con)
    return _CONNECTION[0]


def _is_ours(frame: nw.LazyFrame[Any]) -> bool:
    return frame.implementation is nw.Implementation.DUCKDB and frame.to_native() in _OURS


def _ours(rel: duckdb.DuckDBPyRelation) -> nw.LazyFrame[Any]:
    _OURS.add(rel)
    out: nw.LazyFrame[Any] = nw.from_native(rel)
    return out


def one_connection(frames: dict[str, nw.LazyFrame[Any]]) -> dict[str, nw.LazyFrame[Any]]:
    """The tables on one engine (and one DuckDB connection) so they can be joined.

    Tables of one in-memory engine stay where they are; DuckDB relations of the caller's own
    connection stay there when every table is one. Otherwise every table moves to the
    package's connection (in-memory frames and foreign relations through Arrow).
    """
    kinds = {f.implementation for f in frames.values()}
    if kinds == {nw.Implementation.PYSPARK} or (
            len(kinds) == 1 and nw.Implementation.DUCKDB not in kinds):
        return frames
    duck = [f for f in frames.values() if f.implementation is nw.Implementation.DUCKDB]
    mine = [f for f in duck if _is_ours(f)]
    if len(kinds) == 1 and (len(mine) == len(duck) or not mine):
        return frames  # all on our connection, or all the caller's
    return {t: f if _is_ours(f) else to_duckdb(f) for t, f in frames.items()}


@dataclass(frozen=True)
class FileOptions:
    """How to read a file: CSV encoding and delimiter (``None``: detected), Excel sheet."""

    encoding: str | None = None
    delimiter: str | None = None
    sheet: str | None = None


def _kind(path: str) -> str:
    low = path.lower()
    if low.endswith(".parquet"):
        return "Parquet"
    return "Excel" if low.endswith(EXCEL_SUFFIXES) else "CSV"


def _read_files(pattern: str, table: str, text: FileOptions) -> nw.LazyFrame[Any]:
    files = sorted(glob.glob(pattern, recursive=True))
    if not files:
        raise DataValidationError(f"{table}: no file matches {pattern!r}")
    kinds = {_kind(f) for f in files}
    if len(kinds) > 1:
        raise DataValidationError(
            f"{table}: {pattern!r} matches {' and '.join(sorted(kinds))} files; use one "
            "format per table"
        )
    con = connection()
    # An unreadable file raises the engine's error here; engine_errors() in load_dataset
    # turns it into a DataValidationError naming the table and the files.
    if kinds == {"Parquet"}:
        return _ours(con.read_parquet(files, union_by_name=True))
    name = f"rollout_metrics_{table}_{next(_COUNTER)}"
    if kinds == {"Excel"}:
        sheets = [read_sheet(f, table, text.sheet) for f in files]
        arrow = sheets[0] if len(sheets) == 1 else pa.concat_tables(
            sheets, promote_options="permissive")
        con.from_arrow(arrow).create(name)
        return _ours(con.table(name))
    # CSV is parsed once into a temporary table (it spills to disk when large); Parquet
    # stays a lazy scan.
    prepared = [prepare_csv(f, table, text.encoding, text.delimiter) for f in files]
    try:
        _read_csv(prepared, files, table, name)
    finally:
        for p in prepared:
            if p.cleanup is not None:  # a transcoded copy, read into the table above
                p.cleanup()
    return _ours(_whole_numbers(con.table(name)))


#: A whole number as an integer column reads it: no sign on zero, no leading zeros (an id
#: "007" stays text, so "007" and "7" remain two ids).
_INTEGER = "-?(0|[1-9][0-9]{0,17})"
#: Rows read first: a column with a value there that is no whole number is text, and only
#: the other columns are checked over every row.
_SAMPLE_ROWS = 2048


def _whole_numbers(rel: duckdb.DuckDBPyRelation) -> duckdb.DuckDBPyRelation:
    """Text columns whose every value is a whole number, as BIGINT (ids compare as numbers
    with Parquet and frames, and dense ids get the bitmap checks); the rest stay text."""

    def whole(c: str) -> str:
        return f"bool_and({_q(c)} IS NULL OR regexp_full_match({_q(c)}, '{_INTEGER}'))"

    cols = rel.columns
    sample = rel.limit(_SAMPLE_ROWS).aggregate(", ".join(whole(c) for c in cols)).fetchall()[0]
    candidates = [c for c, ok in zip(cols, sample, strict=True) if ok is not False]
    row = rel.aggregate(", ".join(f"count({_q(c)}) > 0 AND {whole(c)}" for c in candidates)
                        ).fetchall()[0] if candidates else ()
    found = {c for c, ok in zip(candidates, row, strict=True) if ok}
    if not found:
        return rel
    return rel.project(", ".join(
        f"CAST({_q(c)} AS BIGINT) AS {_q(c)}" if c in found else _q(c) for c in cols))


#: Rows of a CSV file the engine's dialect sniffer reads (quote and escape characters).
SNIFF_ROWS = 200_000


def _read_csv(prepared: list[PreparedCsv], files: list[str], table: str, name: str
              ) -> None:
    """CSV files as text columns into the temporary table ``name``: the reading rules, not
    the engine's sniffer, decide what is a date, a number or a flag.  A ragged row is
    reported with its line.

    One SQL statement: the engine's dialect sniffer runs once (a Python relation would sniff
    again each time it runs: 1M tickets, 100 MB, 2-3 s a time).  Every column is text, so
    the sniffer only settles quoting and escaping, from the first :data:`SNIFF_ROWS` rows
    (the whole file of most exports; sniffing a 10M-row file whole took 25 s of a 30 s
    read, against 4.5 s).  A file whose first double quote comes later is sniffed whole:
    from a sample without quotes the sniffer would read ``"VIP"`` with its quotes."""
    delims = {p.delimiter for p in prepared}
    if len(delims) > 1:
        raise DataValidationError(
            f"{table}: the files use different delimiters {sorted(delims)}; pass one "
            "(delimiter=...) or give the files one by one")
    delim = delims.pop()
    late = any(p.quote_line is not None and p.quote_line > SNIFF_ROWS for p in prepared)
    sniff = -1 if late else SNIFF_ROWS
    try:
        # skiprows=0: the sniffer would otherwise skip leading lines it finds inconsistent,
        # a silent drop of rows (and of the header).
        paths = ", ".join(_literal(p.path) for p in prepared)
        connection().execute(
            f"CREATE TABLE {_q(name)} AS SELECT * FROM read_csv([{paths}], "
            f"union_by_name = true, all_varchar = true, header = true, "
            f"delim = {_literal(delim)}, sample_size = {sniff}, skip = 0)")
    except duckdb.Error:
        for p, original in zip(prepared, files, strict=True):
            found = explain_csv_error(p.path, table, delim)
            if found:
                raise DataValidationError(found.replace(p.path, original)) from None
        raise


def _literal(text: str) -> str:
    """``text`` as an SQL string literal."""
    return "'" + text.replace("'", "''") + "'"


@contextlib.contextmanager
def engine_errors(table: str, source: Any) -> Iterator[None]:
    """Turn an engine's own exception while reading or validating ``table`` into a
    :class:`DataValidationError` naming the table and its file (a damaged Parquet file, a
    CSV row with an extra field, a part file that is not what its name says)."""
    try:
        yield
    except DataValidationError:
        raise
    except (duckdb.Error, pa.ArrowException, OSError, UnicodeDecodeError) as exc:
        where = f" ({source})" if isinstance(source, str | Path) else ""
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise DataValidationError(
            f"{table}{where}: the data could not be read: {first[:300]}") from exc


def find_table_files(folder: Path, table: str) -> str:
    """The path or glob of ``table`` inside ``folder``.

    Accepts exactly one of: a file ``customers.csv`` / ``.parquet`` / ``.csv.gz``, a folder
    ``customers/`` of part files, or part files ``customers-*.parquet``. Every part of a
    folder or of a part-file set is read. More than one of these (``tickets.csv`` beside
    ``tickets-2.csv``, ``tickets.csv`` beside ``tickets.csv.gz``, CSV and Parquet parts in
    one folder) is refused with the files listed: reading one would silently drop the others,
    reading all could count the same rows twice.
    """
    main = [folder / f"{table}{s}" for s in _SUFFIXES if (folder / f"{table}{s}").is_file()]
    sub = folder / table
    in_folder = sorted(p for s in _SUFFIXES for p in sub.glob(f"*{s}")) if sub.is_dir() else []
    parts = sorted(p for s in _SUFFIXES for p in folder.glob(f"{table}[-_]*{s}"))
    found = [f for f in (main, in_folder, parts) if f]
    files = [p for group in found for p in group]
    kinds = {_suffix(p) for p in files}
    if len(found) > 1 or len(main) > 1 or len(kinds) > 1:
        listed = [str(p.relative_to(folder)) for p in files]
        raise DataValidationError(
            f"{table}: {len(files)} files in {folder} could each be the {table} table: "
            f"{listed[:20]}. Keep one file, one folder of parts or one set of "
            f"{table}-*.csv/.parquet parts in a single format, or pass the files to read "
            f"as a glob (e.g. {{'{table}': '{folder / table}-*.csv'}})."
        )
    if main:
        return str(main[0])
    if in_folder:
        return str(sub / f"*{_suffix(in_folder[0])}")
    if parts:
        return str(folder / f"{table}[-_]*{_suffix(parts[0])}")
    present = sorted(p.name for p in folder.iterdir()) if folder.is_dir() else []
    raise DataValidationError(
        f"{table}: no {table}.csv, {table}.parquet or {table}/ part files in {folder}. "
        f"Files there: {present[:20]}"
    )


def _suffix(path: Path) -> str:
    return next(s for s in _SUFFIXES[::-1] if path.name.endswith(s))


def source_files(source: Any, table: str) -> tuple[tuple[str, int, int], ...]:
    """``(path, size, mtime_ns)`` of every file ``source`` reads for ``table`` (none for an
    in-memory frame): what a Dataset checks before it computes on a lazy file scan."""
    if not isinstance(source, str | Path):
        return ()
    path = str(source)
    if Path(path).is_dir():
        path = find_table_files(Path(path), table)
    files = sorted(glob.glob(path, recursive=True)) if any(c in path for c in "*?[") else [path]
    out = []
    for f in files:
        st = Path(f).stat()
        out.append((f, st.st_size, st.st_mtime_ns))
    return tuple(out)


def read_table(source: Any, *, table: str, files: FileOptions | None = None
               ) -> nw.LazyFrame[Any]:
    """Return ``source`` as a narwhals LazyFrame on its own engine.

    Parameters
    ----------
    source
        A path or glob (``str`` or ``Path``) to CSV or Parquet files, or a pandas,
        Polars (eager or lazy), PyArrow, DuckDB or PySpark frame.
    table
        The canonical table name, used in error messages.
    files
        How to read CSV and Excel files (default: detect).
    """
    text = files or FileOptions()
    if isinstance(source, str | Path):
        path = str(source)
        if Path(path).is_dir():
            return _read_files(find_table_files(Path(path), table), table, text)
        if any(ch in path for ch in "*?["):
            return _read_files(path, table, text)
        if not Path(path).exists():
            raise DataValidationError(f"{table}: file not found: {path}")
        return _read_files(path, table, text)
    if isinstance(source, pa.Table):
        # PyArrow has no lenient casts; DuckDB reads Arrow without a copy.
        return _ours(connection().from_arrow(source))
    try:
        frame = nw.from_native(source)
    except TypeError as exc:
        raise DataValidationError(
            f"{table}: cannot read a {type(source).__name__}; pass a path to CSV/Parquet "
            "files or a pandas, Polars, PyArrow, DuckDB or PySpark frame"
        ) from exc
    if isinstance(frame, nw.DataFrame):
        native = frame.to_native()
        if isinstance(native, pd.DataFrame) and len(native) >= PANDAS_TO_DUCKDB_ROWS:
            return _pandas_through_duckdb(native)
        return frame.lazy()
    if isinstance(frame, nw.LazyFrame):
        return frame
    raise DataValidationError(f"{table}: expected a table, got a {type(source).__name__}")


def _pandas_through_duckdb(df: Any) -> nw.LazyFrame[Any]:
    """A large pandas frame as a DuckDB relation, keeping its row numbers for messages."""
    numbered = df.assign(__row=range(len(df)))
    out: nw.LazyFrame[Any] = _ours(connection().from_df(numbered))
    return out


def to_duckdb(frame: nw.LazyFrame[Any]) -> nw.LazyFrame[Any]:
    """Move a frame to the package's DuckDB connection (to join tables from different engines
    or connections)."""
    if _is_ours(frame):
        return frame
    if frame.implementation is nw.Implementation.PYSPARK:
        raise DataValidationError(
            "tables from PySpark cannot be mixed with tables from other engines; "
            "give all three tables as Spark DataFrames"
        )
    if frame.implementation is nw.Implementation.DUCKDB:
        arrow = frame.to_native().to_arrow_table()
    else:
        arrow = frame.collect().to_arrow()
    return _ours(connection().from_arrow(arrow))


def read_twice(frame: nw.LazyFrame[Any]
               ) -> tuple[nw.LazyFrame[Any], Callable[[], None] | None]:
    """A reduced frame about to be read twice: persisted on Spark (running its plan again is
    another job over the cluster's data), left as a plan on other engines (DuckDB runs a
    small plan again faster than it writes a table: 0.106 s against 0.147 s per duration
    pass on the sample, equal at 1M tickets).  Returns the frame and its release function
    (``None`` when nothing was kept)."""
    if frame.implementation is nw.Implementation.PYSPARK:
        return materialize(frame)
    return frame, None


def materialize(frame: nw.LazyFrame[Any]) -> tuple[nw.LazyFrame[Any], Callable[[], None] | None]:
    """Compute a DuckDB relation once into a temporary table and read from it.

    A validated table is a plan (parsing, duplicate detection, joins); without this every
    later query would run that plan again.  The temporary table lives in the relation's
    own connection (DuckDB compresses it and spills to disk past its memory limit).
    PySpark frames are persisted instead.  Returns the new frame and a function that frees
    the copy (``None`` for in-memory engines, which are returned unchanged).
    """
    if frame.implementation is nw.Implementation.PYSPARK:
        # Spark's equivalent: cache the validated rows on the cluster, free them with the
        # Dataset.
        sdf = frame.to_native().persist()
        spark_out: nw.LazyFrame[Any] = nw.from_native(sdf)

        def unpersist() -> None:
            # The session may already be stopped when the Dataset is collected.
            with contextlib.suppress(Exception):
                sdf.unpersist()

        return spark_out, unpersist
    if frame.implementation is not nw.Implementation.DUCKDB:
        return frame, None
    rel = frame.to_native()
    rel.query("progress_off", "SET enable_progress_bar = false")
    name = f"rollout_metrics_validated_{next(_COUNTER)}"
    rel.create(name)
    # .query runs on rel's connection, which may not be the default one.
    source = rel.query(f"{name}_source", f"SELECT * FROM {name}")

    def drop(con: duckdb.DuckDBPyRelation) -> None:
        with contextlib.suppress(duckdb.Error):
            con.query(f"{name}_drop", f"DROP TABLE IF EXISTS {name}")

    # The table lives as long as the relation reading it: a frame taken from a Dataset (and
    # every frame derived from it) keeps working after the Dataset is gone.  The finalizer
    # holds a second relation on the same connection, not `source` itself.
    dropper = rel.query(f"{name}_keep", "SELECT 1")
    release = weakref.finalize(source, drop, dropper)
    out: nw.LazyFrame[Any] = nw.from_native(source)
    return out, release
