"""Which table each export file holds and which of our columns each of its columns is.

Each file (or sheet) is scored against the four tables: a column whose header is a known
name of one of the table's columns (:mod:`~rollout_metrics.starter.vocabulary`) and whose
values fit that column's kind counts one point, a required column two; a file or sheet name
that names the table adds one.  The table with the most points wins; a tie, a table claimed
by two files, a header whose values do not fit, and a column taken on its values alone
(a 0-10 column without a known header as the NPS score) are *doubts*: the starter config
marks each for the user to check.

Examples
--------
>>> from rollout_metrics._engine.peek import Peek
>>> from pathlib import Path
>>> p = Peek(Path("Обращения.csv"), columns={
...     "Номер обращения": ["T1", "T2"], "Клиент": ["1", "2"],
...     "Создано": ["31.08.2025 14:05", "01.09.2025 09:00"], "Канал": ["Чат", "Почта"]})
>>> g = guess_file(p)
>>> g.table, g.mapping
('tickets', {'Номер обращения': 'ticket_id', 'Клиент': 'customer_id', 'Создано': 'created_at', 'Канал': 'channel'})
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from rollout_metrics._engine.peek import Peek
from rollout_metrics.load.schema import TABLES, ColumnSpec
from rollout_metrics.starter.sniff import Profile, profile
from rollout_metrics.starter.vocabulary import field_for, table_for_name

__all__ = ["FileGuess", "guess_file", "guess_files"]

#: Columns taken on their values alone when no header names them: (column, low, high).
_BY_VALUES: dict[str, tuple[tuple[str, float | None, float | None], ...]] = {
    "surveys": (("nps_score", 0.0, 10.0), ("csat_score", 1.0, 5.0)),
    "tickets": (("is_complaint", None, None),)}
_KIND = {"id": None, "datetime": "datetime", "bool": "flag", "text": None, "score": "number",
         "amount": "number"}


@dataclass
class FileGuess:
    """One file's (or sheet's) table, column mapping, segment columns and doubts."""

    peek: Peek
    table: str | None
    mapping: dict[str, str] = field(default_factory=dict)
    segments: list[str] = field(default_factory=list)
    profiles: dict[str, Profile] = field(default_factory=dict)
    doubts: list[str] = field(default_factory=list)
    score: int = 0


def _fits(spec: ColumnSpec, prof: Profile) -> bool:
    """Whether values profiled as ``prof`` can be column ``spec`` (a named score column
    may hold a few values out of range: the loader excludes and counts them)."""
    kind = _KIND[spec.kind]
    if kind is None:
        return prof.kind != "empty"
    return prof.fits(kind)


def _map(peek: Peek, table: str, profiles: dict[str, Profile]) -> tuple[dict[str, str], int,
                                                                          list[str]]:
    spec = TABLES[table]
    mapping: dict[str, str] = {}
    doubts: list[str] = []
    score = 0
    for header, prof in profiles.items():
        col = field_for(header, table)
        if col is None or col in mapping.values():
            continue
        cs = spec.column(col)
        if _fits(cs, prof):
            mapping[header] = col
            score += 2 if cs.required else 1
        else:
            doubts.append(f"column {header!r} is named like {col} but its values "
                          f"({', '.join(prof.examples) or 'none'}) do not look like one; "
                          "left unmapped")
    return mapping, score, doubts


def _by_values(table: str, profiles: dict[str, Profile], mapping: dict[str, str]
               ) -> list[str]:
    """Scores and the complaint flag taken on their values when no header named them."""
    doubts = []
    for col, low, high in _BY_VALUES.get(table, ()):
        if col in mapping.values():
            continue
        for header, prof in profiles.items():
            if header in mapping:
                continue
            if low is None or high is None:
                ok = prof.fits("flag")
            else:
                ok = (prof.kind == "number" and prof.integers and prof.low is not None
                      and prof.high is not None and low <= prof.low and prof.high <= high
                      and (col == "csat_score" or prof.high > 5))
            if ok:
                mapping[header] = col
                doubts.append(f"column {header!r} taken as {col} from its values only "
                              f"({', '.join(prof.examples)})")
                break
    return doubts


def guess_file(peek: Peek) -> FileGuess:
    """The best table for one peeked file and the mapping of its columns."""
    profiles = {h: profile(v) for h, v in peek.columns.items()}
    named = table_for_name(peek.sheet or "") or table_for_name(peek.path.name)
    best: FileGuess | None = None
    ties: list[str] = []
    for table in TABLES:
        mapping, score, doubts = _map(peek, table, profiles)
        score += table == named
        if best is None or score > best.score:
            best = FileGuess(peek, table, mapping, profiles=profiles, doubts=doubts,
                             score=score)
            ties = []
        elif score == best.score:
            ties.append(table)
    assert best is not None
    if best.score == 0:
        return FileGuess(peek, None, profiles=profiles, doubts=[
            "no column looks like one of customers, surveys, tickets or orders"])
    if ties:
        best.doubts.append(f"could also be {' or '.join(ties)}")
    best.doubts += _by_values(best.table or "", profiles, best.mapping)
    missing = [c.name for c in TABLES[best.table or "customers"].required
               if c.name not in best.mapping.values()]
    if missing:
        best.doubts.append(f"no column found for {', '.join(missing)} (required): map it by "
                           "hand")
    best.segments = [h for h, p in profiles.items()
                     if h not in best.mapping and p.kind in ("text", "flag")]
    return best


def guess_files(peeks: Sequence[Peek]) -> tuple[dict[str, FileGuess], list[FileGuess]]:
    """``(table -> its file, files left over)``: each table goes to its best-scoring file;
    the others (a second candidate for a table, or no table at all) are left over."""
    guesses = sorted((guess_file(p) for p in peeks), key=lambda g: -g.score)
    chosen: dict[str, FileGuess] = {}
    rest: list[FileGuess] = []
    for g in guesses:
        if g.table is not None and g.table not in chosen:
            chosen[g.table] = g
        else:
            rest.append(g)
    for g in rest:
        if g.table is not None:
            chosen[g.table].doubts.append(
                f"{g.peek.label} also looks like {g.table} (score {g.score} against "
                f"{chosen[g.table].score}); it is not used")
    return chosen, rest
