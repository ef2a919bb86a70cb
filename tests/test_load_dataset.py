"""load_dataset: sources, column mapping, structural errors and row-level rules."""

from __future__ import annotations

from pathlib import Path

import duckdb
import narwhals as nw
import pandas as pd
import polars as pl
import pytest

import rollout_metrics as rm
from rollout_metrics import DataValidationError, MissingColumnError
from rollout_metrics._engine.io import connection


def _rules(data: rm.Dataset) -> dict[tuple[str, str], int]:
    return {(r.table, r.rule): int(r.rows) for r in data.quality.itertuples()}


def test_valid_tables_load_with_empty_quality(tiny: dict[str, pd.DataFrame]) -> None:
    data = rm.load_dataset(tiny)
    assert data.quality.empty
    assert data.rows["rows_used"].tolist() == [3, 2, 2]
    assert data.segment_columns == ["tier", "tenure_band"]


def test_caller_frames_are_not_mutated(tiny: dict[str, pd.DataFrame]) -> None:
    before = {k: v.copy() for k, v in tiny.items()}
    rm.load_dataset(tiny)
    for k, v in tiny.items():
        pd.testing.assert_frame_equal(v, before[k])


def test_sample_quality_table_is_fully_explained(sample: rm.Dataset) -> None:
    # The generator injects these on purpose (truth.json of the bundled sample).
    assert _rules(sample) == {
        ("surveys", "nps_score outside 0-10"): 4,
        ("surveys", "unknown customer_id (not in customers)"): 3,
        ("tickets", "resolved_at before created_at"): 3,
        ("orders", "negative amount"): 2,
        ("orders", "missing amount"): 1,
    }
    assert (sample.rows["rows_read"] - sample.rows["rows_excluded"]
            == sample.rows["rows_used"]).all()


@pytest.mark.parametrize("engine", ["pandas", "polars", "duckdb"])
def test_same_quality_on_every_engine(
    engine: str, sample_frames: dict[str, pd.DataFrame], sample: rm.Dataset
) -> None:
    convert = {"pandas": lambda f: f, "polars": pl.from_pandas,
               "duckdb": lambda f: duckdb.from_df(f)}[engine]
    data = rm.load_dataset({k: convert(v) for k, v in sample_frames.items()})
    assert _rules(data) == _rules(sample)
    assert data.rows["rows_used"].tolist() == sample.rows["rows_used"].tolist()


def test_folder_glob_and_parquet_sources(tmp_path: Path, tiny: dict[str, pd.DataFrame]) -> None:
    (tmp_path / "tickets").mkdir()
    tiny["customers"].to_parquet(tmp_path / "customers.parquet")
    tiny["surveys"].to_csv(tmp_path / "surveys.csv", index=False)
    tiny["tickets"].iloc[:1].to_csv(tmp_path / "tickets" / "part-0.csv", index=False)
    tiny["tickets"].iloc[1:].to_csv(tmp_path / "tickets" / "part-1.csv", index=False)
    data = rm.load_dataset(tmp_path)
    assert data.rows["rows_used"].tolist() == [3, 2, 2]
    glob = rm.load_dataset({"customers": tmp_path / "customers.parquet",
                            "tickets": str(tmp_path / "tickets" / "*.csv")})
    assert glob.surveys is None
    assert glob.rows["rows_used"].tolist() == [3, 2]


def test_mixed_engines_are_joined_through_duckdb(tiny: dict[str, pd.DataFrame]) -> None:
    data = rm.load_dataset({"customers": pl.from_pandas(tiny["customers"]),
                            "surveys": tiny["surveys"]})
    assert data.rows["rows_used"].tolist() == [3, 2]


def test_column_mapping(tiny: dict[str, pd.DataFrame]) -> None:
    renamed = tiny["tickets"].rename(columns={"created_at": "opened", "ticket_id": "id"})
    data = rm.load_dataset(
        {"customers": tiny["customers"], "tickets": renamed},
        columns={"tickets": {"opened": "created_at", "id": "ticket_id"}},
    )
    assert "created_at" in data.table("tickets").collect_schema().names()


def test_missing_required_column_names_table_column_and_available(
    tiny: dict[str, pd.DataFrame],
) -> None:
    bad = tiny["tickets"].drop(columns="created_at")
    with pytest.raises(MissingColumnError, match=r"tickets: required column 'created_at'.*"
                       r"Available columns: \['ticket_id', 'customer_id'.*columns="):
        rm.load_dataset({"customers": tiny["customers"], "tickets": bad})


def test_at_least_one_table_required(tiny: dict[str, pd.DataFrame]) -> None:
    with pytest.raises(DataValidationError, match="no table was given; tables: customers, "
                       "surveys, tickets"):
        rm.load_dataset({})
    # Each table is optional (tests/test_tickets_only.py).
    assert rm.load_dataset({"surveys": tiny["surveys"]}).customers is None


def test_unknown_table_name(tiny: dict[str, pd.DataFrame]) -> None:
    with pytest.raises(DataValidationError, match=r"unknown table\(s\) \['order'\]"):
        rm.load_dataset({**tiny, "order": tiny["tickets"]})


def test_missing_folder_and_file(tmp_path: Path) -> None:
    with pytest.raises(DataValidationError, match="data folder not found"):
        rm.load_dataset(tmp_path / "nope")
    with pytest.raises(DataValidationError, match="customers: file not found"):
        rm.load_dataset({"customers": tmp_path / "customers.csv"})


def test_wrong_type_that_cannot_be_coerced(tiny: dict[str, pd.DataFrame]) -> None:
    bad = tiny["surveys"].assign(responded_at=[1.5, 2.5])
    with pytest.raises(DataValidationError, match=r"surveys\.responded_at: expected timestamps, "
                       r"got a column of type Float64.*2 rows affected.*row 0: responded_at=1\.5"):
        rm.load_dataset({"customers": tiny["customers"], "surveys": bad})


def test_whole_column_unparseable(tiny: dict[str, pd.DataFrame]) -> None:
    bad = tiny["surveys"].assign(responded_at=["yesterday", "last week"])
    with pytest.raises(DataValidationError, match=r"surveys\.responded_at: no value could be read "
                       r"as a timestamp.*2 rows affected.*'yesterday'.*Available columns"):
        rm.load_dataset({"customers": tiny["customers"], "surveys": bad})


def test_whole_score_column_unparseable(tiny: dict[str, pd.DataFrame]) -> None:
    bad = tiny["surveys"].assign(nps_score=["high", "low"])
    with pytest.raises(DataValidationError, match=r"surveys\.nps_score: no value could be read "
                       r"as a number; 2 rows"):
        rm.load_dataset({"customers": tiny["customers"], "surveys": bad})


def test_boolean_column_of_wrong_type(tiny: dict[str, pd.DataFrame]) -> None:
    bad = tiny["tickets"].assign(is_complaint=[["a"], ["b"]])
    with pytest.raises(DataValidationError, match=r"tickets\.is_complaint"):
        rm.load_dataset({"customers": tiny["customers"], "tickets": bad})


# -- row-level rules: excluded and counted by default, raised with strict=True ---------
def _surveys_with(tiny: dict[str, pd.DataFrame], **values: object) -> dict[str, pd.DataFrame]:
    extra = tiny["surveys"].iloc[[0]].assign(**values)
    return {"customers": tiny["customers"],
            "surveys": pd.concat([tiny["surveys"], extra], ignore_index=True)}


ROW_RULES = [
    ("surveys", {"nps_score": 11}, "nps_score outside 0-10", "nps_score=11"),
    ("surveys", {"nps_score": -1}, "nps_score outside 0-10", "nps_score=-1"),
    ("surveys", {"nps_score": 7.5}, "nps_score not a whole number", "nps_score=7.5"),
    ("surveys", {"csat_score": 0}, "csat_score outside 1-5", "csat_score=0"),
    ("surveys", {"responded_at": "2025-13-45"}, "unparseable responded_at", "'2025-13-45'"),
    ("surveys", {"customer_id": 99}, "unknown customer_id (not in customers)", "customer_id=99"),
    ("surveys", {"responded_at": None}, "missing responded_at", "responded_at=empty"),
]


@pytest.mark.parametrize(("table", "values", "rule", "shown"), ROW_RULES)
def test_survey_row_rules(tiny: dict[str, pd.DataFrame], table: str, values: dict[str, object],
                          rule: str, shown: str) -> None:
    tables = _surveys_with(tiny, **values)
    data = rm.load_dataset(tables)
    assert _rules(data) == {(table, rule): 1}
    assert shown in data.quality.loc[0, "examples"]
    assert data.rows.set_index("table").loc[table, "rows_used"] == 2
    with pytest.raises(DataValidationError, match=rf"1 rows break the rule '{rule}'.*strict"
                       .replace("(", r"\(").replace(")", r"\)")):
        rm.load_dataset(tables, strict=True)


def test_unparseable_score_text(tiny: dict[str, pd.DataFrame]) -> None:
    surveys = tiny["surveys"].astype({"nps_score": "string"})
    surveys.loc[1, "nps_score"] = "high"
    data = rm.load_dataset({"customers": tiny["customers"], "surveys": surveys})
    assert _rules(data) == {("surveys", "unparseable nps_score"): 1}
    assert "'high'" in data.quality.loc[0, "examples"]
    # "n/a" is a null marker (ReadOptions.null_values): an empty score, not a bad one.
    surveys.loc[1, "nps_score"] = "n/a"
    data = rm.load_dataset({"customers": tiny["customers"], "surveys": surveys})
    assert data.quality.empty


def test_ticket_rules(tiny: dict[str, pd.DataFrame]) -> None:
    t = tiny["tickets"]
    extra = pd.DataFrame({
        "ticket_id": [10, 12, 13, 14, 15],
        "customer_id": [1, 1, 77, 2, 2],
        "created_at": ["2025-01-11 09:00:00", "2025-01-12 09:00:00", "2025-01-12 09:00:00",
                       "2025-01-12 09:00:00", "2025-01-13 09:00:00"],
        "resolved_at": ["2025-01-11 10:00:00", "2025-01-11 09:00:00", None, None, None],
        "channel": ["chat"] * 5, "is_complaint": [False, False, True, "maybe", None],
        "category": ["other"] * 5,
    })
    data = rm.load_dataset({"customers": tiny["customers"],
                            "tickets": pd.concat([t, extra], ignore_index=True)})
    assert _rules(data) == {
        ("tickets", "unparseable is_complaint"): 1,
        ("tickets", "missing is_complaint"): 1,
        ("tickets", "resolved_at before created_at"): 1,
        ("tickets", "duplicate ticket_id"): 2,
        ("tickets", "unknown customer_id (not in customers)"): 1,
    }
    assert data.rows["rows_used"].tolist() == [3, 1]


def test_customer_rules(tiny: dict[str, pd.DataFrame]) -> None:
    c = pd.concat([tiny["customers"], pd.DataFrame({
        "customer_id": [4, 5, 5], "signup_date": ["2025-03-01", "2025-01-01", "2025-01-01"],
        "churn_date": ["2025-02-01", None, None], "tier": ["new"] * 3,
    })], ignore_index=True)
    data = rm.load_dataset({"customers": c})
    assert _rules(data) == {("customers", "churn_date before signup_date"): 1,
                            ("customers", "duplicate customer_id"): 2}
    with pytest.raises(DataValidationError, match=r"customers\.churn_date: 1 rows break the rule"
                       r" 'churn_date before signup_date'.*row 3: churn_date=2025-02-01"):
        rm.load_dataset({"customers": c}, strict=True)


def test_mixed_naive_and_aware_timestamps(tiny: dict[str, pd.DataFrame]) -> None:
    s = pd.concat([tiny["surveys"]] * 2, ignore_index=True)
    s["responded_at"] = ["2025-01-10T10:00:00+02:00", "2025-01-10T11:00:00Z",
                         "2025-01-11T12:00:00+00:00", "2025-01-12 09:00:00"]
    data = rm.load_dataset({"customers": tiny["customers"], "surveys": s})
    assert _rules(data) == {("surveys", "mixed naive/aware timestamps in responded_at"): 1}
    got = data.table("surveys").collect()["responded_at"].to_list()
    # Aware values are converted to the dataset timezone (UTC) and made naive.
    assert [str(x) for x in got] == ["2025-01-10 08:00:00", "2025-01-10 11:00:00",
                                     "2025-01-11 12:00:00"]


def test_aware_values_converted_to_dataset_timezone(tiny: dict[str, pd.DataFrame]) -> None:
    s = tiny["surveys"].assign(responded_at=["2025-01-10T23:30:00Z", "2025-07-10T23:30:00Z"])
    data = rm.load_dataset({"customers": tiny["customers"], "surveys": s},
                           timezone="Europe/Berlin")
    got = [str(x) for x in data.table("surveys").collect()["responded_at"].to_list()]
    assert got == ["2025-01-11 00:30:00", "2025-07-11 01:30:00"]  # CET, then CEST


def test_typed_aware_datetime_column(tiny: dict[str, pd.DataFrame]) -> None:
    s = tiny["surveys"].assign(responded_at=pd.to_datetime(
        ["2025-01-10 10:00", "2025-01-11 10:00"]).tz_localize("America/New_York"))
    data = rm.load_dataset({"customers": tiny["customers"], "surveys": s})
    got = [str(x) for x in data.table("surveys").collect()["responded_at"].to_list()]
    assert got == ["2025-01-10 15:00:00", "2025-01-11 15:00:00"]


def test_table_accessor_errors(tiny: dict[str, pd.DataFrame]) -> None:
    data = rm.load_dataset({"customers": tiny["customers"]})
    with pytest.raises(DataValidationError, match="this dataset has no tickets table"):
        data.table("tickets")
    with pytest.raises(DataValidationError, match="this dataset has no orders table"):
        data.table("orders")
    with pytest.raises(DataValidationError, match="unknown table 'order'"):
        data.table("order")


def test_fingerprint_is_stable(sample: rm.Dataset) -> None:
    assert sample.fingerprint() == rm.load_sample().fingerprint()  # a second, separate load
    assert sample.fingerprint().startswith("customers 5,000, surveys 31,849, tickets 40,444")


def test_words_like_today_are_not_dates(tiny: dict[str, pd.DataFrame]) -> None:
    s = tiny["surveys"].assign(responded_at=["2025-01-10 10:00:00", "now"])
    data = rm.load_dataset({"customers": tiny["customers"], "surveys": s})
    assert _rules(data) == {("surveys", "unparseable responded_at"): 1}


def test_many_duplicate_and_unknown_ids_are_joined_not_listed() -> None:
    # Above 10,000 flagged ids the rule joins instead of listing them; counts are the same.
    n = 10_001
    customers = pd.DataFrame({"customer_id": [1], "signup_date": ["2024-01-01"]})
    ids = list(range(n)) * 2 + [n]
    tickets = pd.DataFrame({
        "ticket_id": ids, "customer_id": [1] * (2 * n) + [2],
        "created_at": ["2025-01-01 10:00:00"] * (2 * n + 1),
    })
    data = rm.load_dataset({"customers": customers, "tickets": tickets})
    assert _rules(data) == {("tickets", "duplicate ticket_id"): 2 * n,
                            ("tickets", "unknown customer_id (not in customers)"): 1}


def test_duckdb_copies_are_released_with_the_dataset(tmp_path: Path,
                                                     tiny: dict[str, pd.DataFrame]) -> None:
    import gc

    tiny["customers"].to_parquet(tmp_path / "customers.parquet")
    tiny["tickets"].to_parquet(tmp_path / "tickets.parquet")

    def validated_tables() -> int:
        con = connection()
        return int(con.sql("SELECT count(*) FROM duckdb_tables() WHERE table_name LIKE "
                           "'rollout_metrics_validated_%'").fetchall()[0][0])

    before = validated_tables()
    data = rm.load_dataset(tmp_path)
    assert validated_tables() == before + 2
    assert data.time_range("tickets")[0].isoformat() == "2025-01-10T09:00:00"
    del data
    gc.collect()
    assert validated_tables() == before


@pytest.mark.parametrize("engine", ["pandas", "duckdb"])
def test_time_range_counts_only_rows_kept(engine: str, tiny: dict[str, pd.DataFrame]) -> None:
    # The range comes from validation's counting pass: an excluded row must not widen it.
    tickets = pd.concat([tiny["tickets"], tiny["tickets"].iloc[:1].assign(
        ticket_id=12, customer_id=99, created_at="2024-12-01 08:00:00")], ignore_index=True)
    frames = {"customers": tiny["customers"], "tickets": tickets}
    if engine == "duckdb":
        frames = {k: duckdb.from_df(v) for k, v in frames.items()}
    data = rm.load_dataset(frames)
    lo, hi = data.time_range("tickets")
    assert (lo.isoformat(), hi.isoformat()) == ("2025-01-10T09:00:00", "2025-02-10T09:00:00")
    assert data.time_range("customers")[0].isoformat() == "2024-01-01T00:00:00"


def test_a_failed_load_leaves_no_stored_copies(tmp_path: Path,
                                               tiny: dict[str, pd.DataFrame]) -> None:
    # customers parse text dates, so their validated rows are stored; tickets then fail.
    tiny["customers"].to_parquet(tmp_path / "customers.parquet")
    tiny["tickets"].assign(created_at="not a date").to_parquet(tmp_path / "tickets.parquet")
    con = connection()

    def validated_tables() -> int:
        return int(con.sql("SELECT count(*) FROM duckdb_tables() WHERE table_name LIKE "
                           "'rollout_metrics_validated_%'").fetchall()[0][0])

    before = validated_tables()
    with pytest.raises(DataValidationError, match=r"tickets.created_at: no value could be read"):
        rm.load_dataset(tmp_path)
    assert validated_tables() == before


@pytest.mark.parametrize("names", [
    ["tickets.csv", "tickets-2.csv"],
    ["tickets.csv", "tickets.csv.gz"],
    ["tickets/a.csv", "tickets/b.parquet"],
])
def test_ambiguous_table_files_are_refused_with_the_list(
        tmp_path: Path, sample_frames: dict[str, pd.DataFrame], names: list[str]) -> None:
    sample_frames["customers"].to_csv(tmp_path / "customers.csv", index=False)
    tickets = sample_frames["tickets"]
    for i, name in enumerate(names):
        path = tmp_path / name
        path.parent.mkdir(exist_ok=True)
        part = tickets.iloc[i::len(names)]
        if name.endswith(".parquet"):
            part.to_parquet(path)
        else:
            part.to_csv(path, index=False)
    with pytest.raises(DataValidationError, match=r"tickets: 2 files in .* could each be the "
                       r"tickets table: \[.*" + names[0].replace("/", ".")):
        rm.load_dataset(tmp_path)


def test_every_part_of_a_folder_is_read(tmp_path: Path,
                                        sample_frames: dict[str, pd.DataFrame]) -> None:
    sample_frames["customers"].to_csv(tmp_path / "customers.csv", index=False)
    (tmp_path / "tickets").mkdir()
    tickets = sample_frames["tickets"]
    for i in range(3):
        tickets.iloc[i::3].to_csv(tmp_path / "tickets" / f"part-{i}.csv", index=False)
    data = rm.load_dataset(tmp_path)
    assert data.rows.set_index("table").loc["tickets", "rows_read"] == len(tickets)


def test_text_customer_ids_beside_integer_ids_are_compared_as_text() -> None:
    customers = pd.DataFrame({"customer_id": ["1", "2", "C-4"],
                              "signup_date": ["2024-01-01"] * 3})
    surveys = pd.DataFrame({"customer_id": [1, 2, 5],
                            "responded_at": ["2025-08-01 10:00:00"] * 3, "nps_score": [9, 3, 5]})
    data = rm.load_dataset({"customers": customers, "surveys": surveys})
    q = data.quality.set_index("rule")
    assert q.loc["unknown customer_id (not in customers)", "rows"] == 1
    assert "customer_id='5'" in q.loc["unknown customer_id (not in customers)", "examples"]


def test_object_ids_holding_whole_floats_match_integers() -> None:
    customers = pd.DataFrame({"customer_id": pd.Series([1, 2.0, 3], dtype=object),
                              "signup_date": ["2024-01-01"] * 3})
    surveys = pd.DataFrame({"customer_id": [1, 2, 3],
                            "responded_at": ["2025-08-01 10:00:00"] * 3, "nps_score": [9, 3, 5]})
    data = rm.load_dataset({"customers": customers, "surveys": surveys})
    assert data.quality.empty
    assert data.rows.set_index("table").loc["surveys", "rows_used"] == 3


@pytest.mark.parametrize("damage", ["not parquet", "truncated"])
def test_damaged_parquet_is_a_data_error_naming_the_table(
        tmp_path: Path, sample_frames: dict[str, pd.DataFrame], damage: str) -> None:
    sample_frames["customers"].to_csv(tmp_path / "customers.csv", index=False)
    path = tmp_path / "tickets.parquet"
    if damage == "not parquet":
        path.write_bytes(b"PAR1 this is not a parquet file")
    else:
        sample_frames["tickets"].to_parquet(path)
        data = path.read_bytes()
        path.write_bytes(data[: len(data) // 2])
    with pytest.raises(DataValidationError, match=r"tickets \(.*\): the data could not be "
                                                  r"read: .*Parquet|tickets \(.*\): the data "
                                                  r"could not be read: .*magic"):
        rm.load_dataset(tmp_path)


@pytest.mark.parametrize("change", ["delete", "replace"])
def test_a_parquet_file_changed_after_load_is_refused(
        tmp_path: Path, sample_frames: dict[str, pd.DataFrame], change: str) -> None:
    customers = sample_frames["customers"]
    customers.to_csv(tmp_path / "customers.csv", index=False)
    tickets = sample_frames["tickets"].assign(
        created_at=pd.to_datetime(sample_frames["tickets"]["created_at"]),
        resolved_at=pd.to_datetime(sample_frames["tickets"]["resolved_at"]))
    # Clean typed rows: validation needs no stored copy, the table stays a scan of the file.
    tickets = tickets[tickets["customer_id"].isin(customers["customer_id"])
                      & ~(tickets["resolved_at"] < tickets["created_at"])
                      ].drop(columns="first_response_at")  # all empty: read as text
    path = tmp_path / "tickets.parquet"
    tickets.to_parquet(path)
    data = rm.load_dataset(tmp_path)
    assert data.quality.empty and "tickets" in data.files
    if change == "delete":
        path.unlink()
    else:
        tickets.iloc[:100].to_parquet(path)
    with pytest.raises(DataValidationError, match=r"tickets: .*tickets\.parquet was changed or "
                                                  r"removed after load_dataset read it"):
        rm.compare(data, rm.Rollout("2025-09-01"), ["handling_time"])


def test_the_users_default_duckdb_connection_is_left_alone(
        tmp_path: Path, tiny: dict[str, pd.DataFrame]) -> None:
    tiny["customers"].to_csv(tmp_path / "customers.csv", index=False)
    tiny["tickets"].to_csv(tmp_path / "tickets.csv", index=False)
    default = duckdb.default_connection()
    default.execute("SET enable_progress_bar = true")
    tables = default.sql("SELECT count(*) FROM duckdb_tables()").fetchall()
    rm.compare(rm.load_dataset(tmp_path), rm.Rollout("2025-02-01", pre_days=14, post_days=14),
               ["complaints"], min_n=1)
    assert default.sql("SELECT current_setting('enable_progress_bar')").fetchall() == [(True,)]
    assert default.sql("SELECT count(*) FROM duckdb_tables()").fetchall() == tables


def test_a_users_duckdb_relation_beside_files(tmp_path: Path,
                                              tiny: dict[str, pd.DataFrame]) -> None:
    # The relation lives on the caller's connection, the file on the package's: both join.
    tiny["customers"].to_csv(tmp_path / "customers.csv", index=False)
    data = rm.load_dataset({"customers": str(tmp_path / "customers.csv"),
                            "tickets": duckdb.from_df(tiny["tickets"])})
    assert data.rows.set_index("table").loc["tickets", "rows_used"] == 2


def _validated_tables() -> int:
    """Stored validated tables on the package's and on the default DuckDB connection."""
    query = ("SELECT count(*) FROM duckdb_tables() WHERE table_name LIKE "
             "'rollout_metrics_validated_%'")
    return sum(int(c.sql(query).fetchall()[0][0])
               for c in (connection(), duckdb.default_connection()))


@pytest.mark.parametrize("source", ["csv", "duckdb"])
def test_a_frame_taken_from_a_dataset_outlives_it(source: str, tmp_path: Path,
                                                  tiny: dict[str, pd.DataFrame]) -> None:
    import gc

    gc.collect()
    before = _validated_tables()
    if source == "csv":
        for t in ("customers", "tickets"):
            tiny[t].to_csv(tmp_path / f"{t}.csv", index=False)
        data = rm.load_dataset(tmp_path)
    else:
        data = rm.load_dataset({t: duckdb.from_df(tiny[t]) for t in ("customers", "tickets")})
    tickets = data.tickets
    assert tickets is not None
    complaints = tickets.filter(nw.col("is_complaint"))
    del data, tickets
    gc.collect()
    # the stored copy is still there for the frames taken from the dataset
    assert complaints.collect()["ticket_id"].to_list() == [10]
    del complaints
    gc.collect()
    assert _validated_tables() == before


@pytest.mark.parametrize("engine", ["pandas", "polars", "duckdb"])
def test_survey_by_distinct_values_equals_the_row_pass(
    engine: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Text columns of few distinct values are surveyed once per value, the others row by
    row (``load/validate._survey``); both routes count the same rows: whitespace around a
    value, null markers, offset-carrying and naive text timestamps."""
    from rollout_metrics.load import distinct, validate

    n = 300
    frame = pd.DataFrame({
        "tier": ["VIP", " VIP", "n/a", "std\t", None, "NULL"] * (n // 6),
        "stamp": ["2025-01-02 10:00", "2025-01-02T10:00:00+02:00", "-", " 2025-01-03Z ",
                  None, "2025-01-04"] * (n // 6),
        "id": [f"T{i:05d}" if i % 7 else f" T{i:05d}" for i in range(n)],
    })
    native = {"pandas": lambda f: f, "polars": pl.from_pandas,
              "duckdb": lambda f: duckdb.from_df(f)}[engine](frame)
    lazy = nw.from_native(native).lazy()
    markers = rm.ReadOptions().null_words()
    monkeypatch.setattr(distinct, "SAMPLE_ROWS", 120)  # tier and stamp: few values, id not
    monkeypatch.setattr(distinct, "FEW_VALUES", 50)
    assert distinct.few_values(lazy, ["tier", "stamp", "id"]) == ["tier", "stamp"]
    few = validate._survey(lazy, ["stamp"], markers)
    monkeypatch.setattr(distinct, "FEW_VALUES", 0)  # every column row by row
    rows = validate._survey(lazy, ["stamp"], markers)
    assert few == rows
    assert few.plain == frozenset() and few.marked == frozenset({"tier", "stamp"})
    # In every 6 rows: one with an offset after a time, three without ("Z" after a bare date
    # is no offset here), one marker, one empty.
    assert few.stamps == {"stamp": (50, 150)}
