"""``rollout-metrics init``: a starter configuration guessed from a folder of exports.

:func:`inspect_exports` peeks at every CSV, Parquet and Excel file of a folder (each sheet
of a workbook), guesses which table each holds and which of our columns each of its columns
is, from Russian and English header words and the values (dates, 0-10 and 1-5 scores,
yes/no flags); :func:`write_starter` writes the result as a commented TOML file in which
every doubt is marked ``CHECK``.

Examples
--------
>>> import tempfile, pathlib
>>> folder = pathlib.Path(tempfile.mkdtemp())
>>> _ = (folder / "клиенты.csv").write_text(
...     "ID клиента;Дата регистрации;Тариф\\n1;31.01.2025;ВИП\\n2;01.02.2025;новый\\n",
...     encoding="utf-8")
>>> starter = inspect_exports(folder)
>>> starter.tables["customers"].mapping, starter.lang
({'ID клиента': 'customer_id', 'Дата регистрации': 'signup_date'}, 'ru')
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from pathlib import Path

from rollout_metrics._engine.peek import is_table_file, peek
from rollout_metrics.errors import ConfigError, DataValidationError
from rollout_metrics.starter.guess import FileGuess, guess_files
from rollout_metrics.starter.toml_text import starter_text

__all__ = ["Starter", "inspect_exports", "write_starter"]


@dataclass(frozen=True)
class Starter:
    """What :func:`inspect_exports` found in ``folder``."""

    folder: Path
    tables: dict[str, FileGuess]
    rest: list[FileGuess]
    unreadable: list[str]

    @property
    def lang(self) -> str:
        """``"ru"`` when the headers are Cyrillic, else ``"en"``."""
        headers = " ".join(h for g in self.tables.values() for h in g.peek.columns)
        return "ru" if re.search("[а-яА-ЯёЁ]", headers) else "en"

    @property
    def doubts(self) -> int:
        """How many guesses the user must check."""
        return sum(len(g.doubts) for g in self.tables.values()) + ("customers" not in
                                                                     self.tables)

    def text(self, config_dir: Path, change_date: dt.date | None = None) -> str:
        """The starter configuration as TOML text, paths relative to ``config_dir``."""
        text = starter_text(self.tables, self.rest, folder=self.folder,
                            config_dir=config_dir, change_date=change_date, lang=self.lang)
        if self.unreadable:
            text += "".join(f"# not read: {u}\n" for u in self.unreadable)
        return text


def inspect_exports(folder: str | Path, rows: int = 500) -> Starter:
    """Guess the table of every export file in ``folder`` and the mapping of its columns
    from its first ``rows`` rows."""
    folder = Path(folder)
    if not folder.is_dir():
        raise ConfigError(f"init: {folder} is not a folder")
    files = sorted(p for p in folder.rglob("*") if is_table_file(p))
    if not files:
        raise ConfigError(f"init: {folder} holds no CSV, Parquet or Excel file")
    peeks, unreadable = [], []
    for path in files:
        try:
            peeks += peek(path, rows)
        except DataValidationError as exc:
            unreadable.append(f"{path.name}: {exc}")
    tables, rest = guess_files(peeks)
    return Starter(folder, tables, rest, unreadable)


def write_starter(folder: str | Path, out: str | Path | None = None, *,
                  change_date: dt.date | None = None, overwrite: bool = False) -> Starter:
    """Inspect ``folder`` and write its starter configuration to ``out`` (default:
    ``folder/rollout.toml``); an existing file is kept unless ``overwrite``."""
    starter = inspect_exports(folder)
    target = Path(out) if out is not None else Path(folder) / "rollout.toml"
    if target.exists() and not overwrite:
        raise ConfigError(f"init: {target} exists; pass --force to replace it or --out to "
                          "write elsewhere")
    text = starter.text(target.parent, change_date)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"init: cannot write {target}: {exc.strerror or exc}") from None
    return starter
