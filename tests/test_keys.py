"""The bitmap key checks (keys.py) prove absence exactly, and otherwise defer to the rules."""

from __future__ import annotations

import duckdb
import narwhals as nw
import pandas as pd
import pytest

import rollout_metrics as rm
from rollout_metrics._engine import keys
from rollout_metrics._engine.keys import all_known, clean_keys, no_duplicates


def _rel(values: list[object], name: str = "id") -> nw.LazyFrame:
    ints = all(isinstance(v, int) for v in values if v is not None)
    column = pd.Series(values, dtype="Int64" if ints else "object")
    return nw.from_native(duckdb.from_df(pd.DataFrame({name: column})))


@pytest.mark.parametrize(("values", "expected"), [
    ([1, 2, 3, 10], True),
    ([1, 2, 2, 10], False),
    ([5, None, 6], True),          # nulls are the 'missing id' rule's business
    ([7, None, 7], False),
    ([-3, 0, 3], True),            # negative ids are fine
])
def test_no_duplicates_is_exact_on_dense_integers(values: list[object], expected: bool) -> None:
    assert no_duplicates(_rel(values), "id") is expected


def test_no_duplicates_does_not_decide_for_float_or_in_memory_ids() -> None:
    assert no_duplicates(_rel([0.0, -0.0]), "id") is False         # floats: not hashed
    frame = nw.from_native(pd.DataFrame({"id": [1, 2]})).lazy()
    assert no_duplicates(frame, "id") is False                      # not DuckDB


@pytest.mark.parametrize(("values", "expected"), [
    (["a", "b", None, None], True),
    (["a", "b", "a"], False),
    (["a", "A", "a "], True),      # ids compare exactly
    ([1, 10**12], True),           # integers too sparse for a bitmap
    ([1, 10**12, 10**12], False),
])
def test_no_duplicates_on_hashes_is_exact(values: list[object], expected: bool) -> None:
    assert no_duplicates(_rel(values), "id") is expected


@pytest.mark.parametrize(("seen", "expected"), [
    (["a", "b", None], True),
    (["a", "z"], False),
    (["a", "A"], False),
])
def test_all_known_on_hashes_is_exact(seen: list[object], expected: bool) -> None:
    known = _rel(["a", "b", "c"])
    assert all_known(_rel(seen), "id", known) is expected


@pytest.mark.parametrize("collide", ["(hash({}) % 2)", "0::UBIGINT"])
def test_shared_hashes_are_compared_exactly(monkeypatch: pytest.MonkeyPatch,
                                            collide: str) -> None:
    # A hash with a few values makes every id share it with others: each answer then comes
    # from comparing the ids themselves.
    monkeypatch.setattr(keys, "_HASH", collide)
    assert no_duplicates(_rel(["a", "b", "c"]), "id") is True
    assert no_duplicates(_rel(["a", "b", "a"]), "id") is False
    known = _rel(["a", "b", "c"])
    assert all_known(_rel(["a", "c", None]), "id", known) is True
    assert all_known(_rel(["a", "d"]), "id", known) is False
    assert all_known(_rel(["d"]), "id", known) is False


@pytest.mark.parametrize(("seen", "expected"), [
    ([1, 2, 3], True),
    ([1, 4], False),             # 4 inside the known range, not known
    ([1, 99], False),            # outside the known range
    ([0, 1], False),             # below the known range
    ([None, 2], True),
])
def test_all_known_is_exact(seen: list[object], expected: bool) -> None:
    known = _rel([1, 2, 3, 5])
    assert all_known(_rel(seen), "id", known) is expected


def test_load_dataset_counts_the_same_with_and_without_the_bitmap(
    tiny: dict[str, pd.DataFrame],
) -> None:
    # Same rows through DuckDB (bitmap first, then the join) and pandas (ids collected).
    tickets = tiny["tickets"]
    tickets = pd.concat([tickets, tickets.iloc[:1], tickets.iloc[:1].assign(
        ticket_id=12, customer_id=4)], ignore_index=True)
    frames = {"customers": tiny["customers"], "tickets": tickets}
    on_duckdb = rm.load_dataset({k: duckdb.from_df(v) for k, v in frames.items()})
    on_pandas = rm.load_dataset(frames)
    expected = {"duplicate ticket_id": 2, "unknown customer_id (not in customers)": 1}
    for data in (on_duckdb, on_pandas):
        got = dict(zip(data.quality["rule"], data.quality["rows"], strict=True))
        assert got == expected


def test_clean_keys_answers_both_questions_in_one_pass() -> None:
    known = _rel([1, 2, 3], "customer_id")
    rel = duckdb.from_df(pd.DataFrame({"ticket_id": [1, 2, 2], "customer_id": [1, 2, 9]}))
    assert clean_keys(nw.from_native(rel), "ticket_id", "customer_id", known) == (False, False)
    rel = duckdb.from_df(pd.DataFrame({"ticket_id": [1, 2, 3], "customer_id": [1, 2, 3]}))
    assert clean_keys(nw.from_native(rel), "ticket_id", "customer_id", known) == (True, True)


def test_load_dataset_counts_the_same_with_text_ids_on_duckdb_and_pandas(
    tiny: dict[str, pd.DataFrame],
) -> None:
    # Text ids on DuckDB are checked on hashes first, then by the rules; pandas collects ids.
    def text(frame: pd.DataFrame) -> pd.DataFrame:
        ids = {c: "X" + frame[c].astype(str) for c in ("customer_id", "ticket_id")
               if c in frame}
        return frame.assign(**ids)

    tickets = tiny["tickets"]
    tickets = pd.concat([tickets, tickets.iloc[:1], tickets.iloc[:1].assign(
        ticket_id=12, customer_id=4)], ignore_index=True)
    frames = {"customers": text(tiny["customers"]), "tickets": text(tickets)}
    clean = {"customers": text(tiny["customers"]), "tickets": text(tiny["tickets"])}
    expected = {"duplicate ticket_id": 2, "unknown customer_id (not in customers)": 1}
    for given, want in ((frames, expected), (clean, {})):
        on_duckdb = rm.load_dataset({k: duckdb.from_df(v) for k, v in given.items()})
        on_pandas = rm.load_dataset(given)
        for data in (on_duckdb, on_pandas):
            got = dict(zip(data.quality["rule"], data.quality["rows"], strict=True))
            assert got == want
