"""Load the three canonical tables into a validated :class:`Dataset`.

Examples
--------
>>> import rollout_metrics as rm
>>> data = rm.load_sample()
>>> print(data.rows.to_string(index=False))
    table  rows_read  rows_excluded  rows_used
customers       5000              0       5000
  surveys      31856              7      31849
  tickets      40447              3      40444
   orders      24308              3      24305
"""

from __future__ import annotations

import datetime as dt
import hashlib
import weakref
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import narwhals as nw
import pandas as pd

from rollout_metrics._engine.excel import is_excel, sheet_names
from rollout_metrics._engine.frames import is_spark
from rollout_metrics._engine.io import (
    FileOptions,
    engine_errors,
    one_connection,
    read_table,
    source_files,
)
from rollout_metrics.errors import DataValidationError
from rollout_metrics.load.dates import detect_formats
from rollout_metrics.load.mapping import per_table
from rollout_metrics.load.options import ReadOptions, options_for
from rollout_metrics.load.schema import TABLES
from rollout_metrics.load.validate import QUALITY_COLUMNS, validate_table
from rollout_metrics.sample import BUNDLED

__all__ = ["Dataset", "load_dataset", "load_sample", "sample_path"]

TABLE_NAMES = tuple(TABLES)


@dataclass(frozen=True)
class Dataset:
    """The validated customers, surveys, tickets and orders tables, and what was excluded.

    Attributes
    ----------
    customers, surveys, tickets, orders
        narwhals LazyFrames on the input's own engine, with canonical column names and
        types (timestamps naive, in ``timezone``); ``None`` for a table not given.
    quality
        One row per (table, rule) that excluded rows: ``table, rule, column, rows,
        examples``.  Empty when nothing was excluded.
    rows
        Per table: ``rows_read``, ``rows_excluded``, ``rows_used``.
    timezone
        The timezone every timestamp is expressed in.
    """

    customers: nw.LazyFrame[Any] | None
    surveys: nw.LazyFrame[Any] | None
    tickets: nw.LazyFrame[Any] | None
    quality: pd.DataFrame
    rows: pd.DataFrame
    timezone: str = "UTC"
    #: Earliest and latest event timestamp per table, found by validation's counting pass.
    time_ranges: Mapping[str, tuple[dt.datetime, dt.datetime]] = field(
        default_factory=dict, repr=False, compare=False)
    #: Per table, ``(path, size, mtime_ns)`` of the files a lazy scan reads.
    files: Mapping[str, tuple[tuple[str, int, int], ...]] = field(
        default_factory=dict, repr=False, compare=False)
    #: The optional orders table (revenue metrics); ``None`` when not given.
    orders: nw.LazyFrame[Any] | None = None

    def table(self, name: str) -> nw.LazyFrame[Any]:
        """The validated table ``name``; a clear error when it was not loaded, or when a
        file it reads was changed or removed since :func:`load_dataset` (its ``rows`` and
        ``quality`` would no longer describe the rows computed on)."""
        if name not in TABLE_NAMES:
            raise DataValidationError(f"unknown table {name!r}; tables: {list(TABLE_NAMES)}")
        for path, size, mtime in self.files.get(name, ()):
            try:
                st = Path(path).stat()
                same = (st.st_size, st.st_mtime_ns) == (size, mtime)
            except OSError:
                same = False
            if not same:
                raise DataValidationError(
                    f"{name}: {path} was changed or removed after load_dataset read it; "
                    "load the data again so the counts and the results describe the same rows"
                )
        frame: nw.LazyFrame[Any] | None = getattr(self, name)
        if frame is None:
            raise DataValidationError(
                f"this dataset has no {name} table; pass it to load_dataset"
            )
        return frame

    @property
    def segment_columns(self) -> list[str]:
        """Customer attributes usable as segments (plus the derived ``tenure_band``)."""
        if self.customers is None:
            return []
        canonical = set(TABLES["customers"].names)
        names = self.customers.collect_schema().names()
        return [c for c in names if c not in canonical] + ["tenure_band"]

    @property
    def extra_columns(self) -> dict[str, list[str]]:
        """Per table, the columns that are not ours (neither mapped nor a known name): usable
        as segments (``by=``) and otherwise not read.  A date column listed here was not
        mapped (``columns=``)."""
        out = {}
        for name in TABLE_NAMES:
            frame = getattr(self, name)
            if frame is not None:
                ours = set(TABLES[name].names)
                out[name] = [c for c in frame.collect_schema().names() if c not in ours]
        return out

    def time_range(self, name: str) -> tuple[dt.datetime, dt.datetime]:
        """Earliest and latest event timestamp of table ``name``."""
        if name in self.time_ranges:
            return self.time_ranges[name]
        col = str(TABLES[name].time)
        lo, hi = self.table(name).select(
            nw.col(col).min().alias("lo"), nw.col(col).max().alias("hi")
        ).collect().row(0)
        return _bounds(lo, hi)

    def fingerprint(self) -> str:
        """Row counts and a short hash of them and the quality table, for report footers."""
        text = self.rows.to_csv(index=False) + self.quality.to_csv(index=False)
        digest = hashlib.sha256(text.encode()).hexdigest()[:12]
        counts = ", ".join(f"{r.table} {r.rows_used:,}" for r in self.rows.itertuples())
        return f"{counts}; sha256:{digest}"

    def _repr_html_(self) -> str:
        return (
            "<b>rollout-metrics Dataset</b>" + self.rows.to_html(index=False)
            + ("<i>nothing excluded</i>" if self.quality.empty
               else self.quality.to_html(index=False))
        )


def _rename(frames: Mapping[str, nw.LazyFrame[Any]], columns: Mapping[str, Any] | None
            ) -> dict[str, nw.LazyFrame[Any]]:
    headers = {t: f.collect_schema().names() for t, f in frames.items()}
    mapping = per_table(columns, headers)
    return {t: f.rename(mapping[t]) if mapping[t] else f for t, f in frames.items()}


def load_dataset(
    source: str | Path | Mapping[str, Any],
    *,
    columns: Mapping[str, Any] | None = None,
    timezone: str = "UTC",
    strict: bool = False,
    read: ReadOptions | Mapping[str, ReadOptions] | None = None,
) -> Dataset:
    """Read and validate the customers, surveys, tickets and orders tables.

    Parameters
    ----------
    source
        A folder holding ``customers``, ``surveys``, ``tickets`` and (optionally) ``orders``
        files (``.csv``,
        ``.parquet`` or ``.xlsx``, or a sub-folder / ``name-*.parquet`` glob of part files);
        an Excel workbook (or a folder holding only one) with sheets named after the
        tables; or a dict mapping each table name to a path, a glob or a dataframe
        (pandas, Polars, PyArrow, DuckDB, PySpark).  Each table is optional: without
        ``customers`` the metrics per active customer (churn, complaint and contact rates,
        contact share, revenue and orders per customer) and customer segments are not
        available, and ids in the other tables are not checked against customers.  Without
        ``orders`` the revenue metrics are left out.
    columns
        Your column names -> canonical names, per table
        (``{"tickets": {"opened": "created_at"}}``) or one mapping for all tables.
    timezone
        Timezone of the analysis (see :mod:`rollout_metrics.load.validate`).
    strict
        Raise on any row-level problem instead of excluding and counting it.
    read
        How to read the data (:class:`~rollout_metrics.load.options.ReadOptions`: encoding,
        delimiter, decimal mark, date format, true/false words, null markers, sheet), one
        for all tables or per table (``{"tickets": ReadOptions(decimal=",")}``).  The same
        options give the same rows whichever engine holds the data.

    Returns
    -------
    Dataset

    Examples
    --------
    >>> import pandas as pd
    >>> customers = pd.DataFrame({"id": [1, 2], "joined": ["2025-01-05", "2025-02-01"],
    ...                           "tier": ["VIP", "new"]})
    >>> data = load_dataset({"customers": customers},
    ...                     columns={"customers": {"id": "customer_id", "joined": "signup_date"}})
    >>> data.segment_columns
    ['tier', 'tenure_band']
    """
    if isinstance(source, str | Path):
        sources: dict[str, Any] = _folder_sources(Path(source))
    elif isinstance(source, Mapping):
        unknown = sorted(set(source) - set(TABLE_NAMES))
        if unknown:
            raise DataValidationError(f"unknown table(s) {unknown}; tables: {list(TABLE_NAMES)}")
        sources = dict(source)
    else:
        raise DataValidationError(
            f"source must be a folder or a dict of tables, got {type(source).__name__}"
        )
    if not sources:
        raise DataValidationError(
            f"no table was given; tables: {', '.join(TABLE_NAMES)} (each one optional; the "
            "metrics per active customer and customer segments need customers)")

    options = {t: options_for(read, t) for t in TABLE_NAMES}
    raw: dict[str, nw.LazyFrame[Any]] = {}
    files = {}
    for t, s in sources.items():
        o = options[t]
        with engine_errors(t, s):
            raw[t] = read_table(s, table=t, files=FileOptions(o.encoding, o.delimiter, o.sheet))
            # CSV is parsed into a copy at read; Parquet stays a scan of the file.
            files[t] = tuple(f for f in source_files(s, t) if f[0].endswith(".parquet"))
    frames = _rename(one_connection(raw), columns)
    # Tables without a date_format share one detected order (one export, one format).
    formats = detect_formats({t: f for t, f in frames.items() if not options[t].date_format})

    validated = {}
    if "customers" in frames:
        with engine_errors("customers", sources["customers"]):
            validated["customers"] = validate_table(
                frames["customers"], TABLES["customers"], timezone=timezone, strict=strict,
                read=options["customers"], formats=formats)
    # Without customers, ids cannot be checked against them (nor can any be unknown).
    known = validated["customers"].frame if "customers" in validated else None
    try:
        for t in ("surveys", "tickets", "orders"):
            if t in frames:
                with engine_errors(t, sources[t]):
                    validated[t] = validate_table(
                        frames[t], TABLES[t], timezone=timezone, strict=strict,
                        known_customers=known, read=options[t], formats=formats)
    except Exception:
        # A later table is bad: free the copies the earlier ones stored.
        _release_all([v.release for v in validated.values() if v.release is not None])
        raise
    quality = pd.concat([v.quality for v in validated.values()], ignore_index=True)
    if quality.empty:
        quality = pd.DataFrame(columns=QUALITY_COLUMNS)
    rows = pd.DataFrame(
        [(t, v.rows_read, v.rows_excluded, v.rows_read - v.rows_excluded)
         for t, v in validated.items()],
        columns=["table", "rows_read", "rows_excluded", "rows_used"],
    )
    dataset = Dataset(
        customers=validated["customers"].frame if "customers" in validated else None,
        surveys=validated["surveys"].frame if "surveys" in validated else None,
        tickets=validated["tickets"].frame if "tickets" in validated else None,
        orders=validated["orders"].frame if "orders" in validated else None,
        quality=quality,
        rows=rows,
        timezone=timezone,
        # Validation already found each table's time range in its counting pass.
        time_ranges={t: _bounds(*v.time_range) for t, v in validated.items()
                     if v.time_range is not None},
        # A table stored by validation no longer reads its files; a lazy scan does.
        files={t: f for t, f in files.items() if f and validated[t].release is None},
    )
    # A DuckDB copy of a validated table lives as long as a frame reading it (the Dataset's
    # or one taken from it), a Spark cache as long as the Dataset.
    spark = [v.release for v in validated.values()
             if v.release is not None and is_spark(v.frame)]
    if spark:
        weakref.finalize(dataset, _release_all, spark)
    return dataset


def _folder_sources(path: Path) -> dict[str, Any]:
    """The tables of a folder (a file or part files per table) or of one Excel workbook
    (a sheet per table; also a folder holding only that workbook)."""
    if path.is_file() and is_excel(path):
        book: Path | None = path
    elif not path.is_dir():
        raise DataValidationError(f"data folder not found: {path}")
    else:
        present = [t for t in TABLE_NAMES if any(path.glob(f"{t}*")) or (path / t).is_dir()]
        if present:
            return {t: path for t in present}
        books = [p for p in path.iterdir() if p.is_file() and is_excel(p)]
        book = books[0] if len(books) == 1 else None
        if book is None:
            return {}
    sheets = {n.strip().casefold(): n for n in sheet_names(str(book))}
    found = {t: sheets[t] for t in TABLE_NAMES if t in sheets}
    if not found:
        raise DataValidationError(
            f"{book}: no sheet is named after a table ({', '.join(TABLE_NAMES)}); sheets: "
            f"{list(sheets.values())}")
    return {t: str(book) for t in found}


def _bounds(lo: Any, hi: Any) -> tuple[dt.datetime, dt.datetime]:
    return pd.Timestamp(lo).to_pydatetime(), pd.Timestamp(hi).to_pydatetime()


def _release_all(releases: list[Any]) -> None:
    # Newest first: a later table's plan refers to earlier ones (tickets -> customers).
    for release in reversed(releases):
        release()


def sample_path() -> Path:
    """Folder of the bundled sample data, shipped inside the package (``_sample/``).

    Returns
    -------
    pathlib.Path
        The folder holding ``customers.csv``, ``surveys.csv``, ``tickets.csv``,
        ``orders.csv`` and ``truth.json``.

    Raises
    ------
    DataValidationError
        When the folder is incomplete (a broken install or checkout).

    Examples
    --------
    >>> sorted(p.name for p in sample_path().iterdir() if p.suffix in (".csv", ".json"))
    ['customers.csv', 'orders.csv', 'surveys.csv', 'tickets.csv', 'truth.json']
    """
    if not (BUNDLED / "customers.csv").is_file():
        raise DataValidationError(
            f"the bundled sample data was not found in {BUNDLED}; regenerate it with "
            "`python -m rollout_metrics.sample`"
        )
    return BUNDLED


#: Where :func:`load_sample` keeps the validated sample (``off``: nowhere).
CACHE_ENV = "ROLLOUT_METRICS_CACHE"


def _sample_cache_folder() -> Path | None:
    """The folder of the validated sample for this sample, this code and this DuckDB.

    Keyed by a hash of the sample's CSV files and of every module of ``load/`` and
    ``_engine/`` (the rules that validate them), so a changed rule or sample never reads a
    stale copy.  ``None`` when ``ROLLOUT_METRICS_CACHE=off``.
    """
    import os
    from importlib.metadata import version

    root = os.environ.get(CACHE_ENV)
    if root == "off":
        return None
    if not root:
        base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
        root = str(Path(base) / "rollout-metrics")
    here = Path(__file__).resolve().parent
    digest = hashlib.sha256(version("duckdb").encode())
    for f in [*(sample_path() / f"{t}.csv" for t in TABLE_NAMES),
              *sorted(here.glob("*.py")), *sorted((here.parent / "_engine").glob("*.py"))]:
        digest.update(f.name.encode() + f.read_bytes())
    return Path(root) / f"sample-{digest.hexdigest()[:16]}"


def _from_cache(folder: Path) -> Dataset | None:
    """The validated sample stored by :func:`_to_cache`, or ``None`` when it is not there."""
    import json

    from rollout_metrics._engine.io import materialize

    meta_file = folder / "meta.json"
    if not meta_file.is_file():
        return None
    meta = json.loads(meta_file.read_text(encoding="utf-8"))
    frames = {}
    for t in TABLE_NAMES:
        frames[t], _ = materialize(read_table(str(folder / f"{t}.parquet"), table=t))
    # The types validation gives: text as Python objects, counts as int64.
    quality = pd.DataFrame(meta["quality"], columns=QUALITY_COLUMNS).astype(
        {c: "int64" if c == "rows" else object for c in QUALITY_COLUMNS})
    rows = pd.DataFrame(meta["rows"], columns=["table", "rows_read", "rows_excluded",
                                               "rows_used"])
    return Dataset(
        customers=frames["customers"], surveys=frames["surveys"], tickets=frames["tickets"],
        orders=frames["orders"],
        quality=quality, rows=rows, timezone="UTC",
        time_ranges={t: (dt.datetime.fromisoformat(lo), dt.datetime.fromisoformat(hi))
                     for t, (lo, hi) in meta["time_ranges"].items()})


def _to_cache(data: Dataset, folder: Path) -> None:
    """Store the validated tables (Parquet) and their counts (JSON) in ``folder``, whole or
    not at all (written beside it and renamed)."""
    import json
    import os
    import secrets
    import shutil

    tmp = folder.with_name(f".{folder.name}.{os.getpid()}-{secrets.token_hex(4)}")
    try:
        tmp.mkdir(parents=True)
        for t in TABLE_NAMES:
            data.table(t).sink_parquet(str(tmp / f"{t}.parquet"))
        meta = {"quality": data.quality.astype({"rows": "int64"}).to_dict("records"),
                "rows": data.rows.to_dict("records"),
                "time_ranges": {t: [lo.isoformat(), hi.isoformat()]
                                for t, (lo, hi) in data.time_ranges.items()}}
        (tmp / "meta.json").write_text(json.dumps(meta, default=int), encoding="utf-8")
        os.replace(tmp, folder)
    except OSError:  # a read-only home or a concurrent writer: the next load validates again
        pass
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def load_sample(**kwargs: Any) -> Dataset:
    """The bundled synthetic sample (see :mod:`rollout_metrics.sample` and ``truth.json``).

    Without options, the validated sample is kept after its first load (Parquet and the
    counts, in ``$ROLLOUT_METRICS_CACHE``, else ``$XDG_CACHE_HOME/rollout-metrics`` or
    ``~/.cache/rollout-metrics``; ``ROLLOUT_METRICS_CACHE=off`` keeps nothing) and later
    loads read it instead of validating the CSV files again: the same rows, quality table
    and fingerprint.  Options (``timezone=`` ...) always validate the CSV files.

    Examples
    --------
    >>> data = load_sample()
    >>> data.rows["rows_used"].tolist()
    [5000, 31849, 40444, 24305]
    """
    if kwargs:
        return load_dataset(sample_path(), **kwargs)
    folder = _sample_cache_folder()
    if folder is not None:
        cached = _from_cache(folder)
        if cached is not None:
            return cached
    data = load_dataset(sample_path())
    if folder is not None:
        _to_cache(data, folder)
    return data
