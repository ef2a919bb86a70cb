"""CSV text before DuckDB parses it: encoding, delimiter, and what is wrong with a bad file.

DuckDB reads UTF-8 only, so a file in another encoding (cp1251 from a Russian helpdesk) is
transcoded once to a temporary UTF-8 copy; the copy is removed as soon as DuckDB has parsed
it.  The encoding, when not given, is a byte-order mark, else valid UTF-8, else what
charset-normalizer finds.  Bytes that do not decode, and rows with more or fewer fields than
the header, become a :class:`~rollout_metrics.errors.DataValidationError` naming the file
and line.

Examples
--------
>>> import tempfile, pathlib
>>> p = pathlib.Path(tempfile.mkdtemp()) / "t.csv"
>>> _ = p.write_bytes("id;канал\\n1;Телефон\\n".encode("cp1251"))
>>> detect_encoding(str(p), "tickets")
'cp1251'
>>> detect_delimiter("id;канал\\n1;Телефон\\n")
';'
"""

from __future__ import annotations

import codecs
import csv
import gzip
import os
import re
import shutil
import tempfile
from collections.abc import Callable
from typing import IO, NamedTuple, cast

from rollout_metrics.errors import DataValidationError

__all__ = ["PreparedCsv", "detect_delimiter", "detect_encoding", "explain_csv_error",
           "prepare_csv"]

_CHUNK = 1 << 20
_DELIMITERS = (",", ";", "\t", "|")
_CYRILLIC = frozenset({"mac_cyrillic", "koi8_r", "koi8_u", "cp866", "cp855", "iso8859_5",
                       "cp1125", "kz1048", "ptcp154"})


def _open(path: str) -> IO[bytes]:
    if path.endswith(".gz"):
        return cast(IO[bytes], gzip.open(path, "rb"))
    return open(path, "rb")


def _open_text(path: str, encoding: str) -> IO[str]:
    if path.endswith(".gz"):
        return cast(IO[str], gzip.open(path, "rt", encoding=encoding, errors="replace",
                                       newline=""))
    return open(path, encoding=encoding, errors="replace", newline="")


def _canonical(encoding: str) -> str:
    return codecs.lookup(encoding).name


class PreparedCsv(NamedTuple):
    """One CSV file ready for the engine's reader."""

    #: The file the engine reads (a UTF-8 copy of a file in another encoding).
    path: str
    delimiter: str
    #: Removes the copy (``None``: nothing to remove).
    cleanup: Callable[[], None] | None
    #: The first line holding a double quote (``None``: no line does).
    quote_line: int | None


def _scan(path: str, table: str, encoding: str) -> tuple[str | None, int | None]:
    """Where ``path`` stops being ``encoding`` (``None`` when all of it decodes), and the
    first line with a double quote (``None`` when there is none), in one pass."""
    decoder = codecs.getincrementaldecoder(encoding)()
    line, offset = 1, 0
    quote: int | None = None
    with _open(path) as f:
        while chunk := f.read(_CHUNK):
            try:
                decoder.decode(chunk)
            except UnicodeDecodeError as exc:
                at = line + chunk[:exc.start].count(b"\n")
                return (f"{table} ({path}): byte 0x{chunk[exc.start]:02x} at line "
                        f"{at} (byte {offset + exc.start}) is not "
                        f"{encoding} text"), quote
            if quote is None and (i := chunk.find(b'"')) >= 0:
                quote = line + chunk[:i].count(b"\n")
            line += chunk.count(b"\n")
            offset += len(chunk)
        try:
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            return f"{table} ({path}): the file ends inside a {encoding} character", quote
    return None, quote


_UTF8_SEQUENCE = re.compile(rb"[\xc2-\xdf][\x80-\xbf]|[\xe0-\xef][\x80-\xbf]{2}|"
                            rb"[\xf0-\xf4][\x80-\xbf]{3}")


def _mostly_utf8(head: bytes) -> bool:
    """Whether ``head`` holds many valid multi-byte UTF-8 sequences and few bytes that are
    not: UTF-8 with a damaged spot, not another encoding (cp1251 text almost never forms
    valid UTF-8 sequences)."""
    valid = len(_UTF8_SEQUENCE.findall(head))
    stray = sum(b >= 0x80 for b in head) - sum(len(m) for m in _UTF8_SEQUENCE.findall(head))
    return valid >= 4 and stray * 20 <= valid


def detect_encoding(path: str, table: str) -> str:
    """The encoding of ``path``: ``utf-8-sig`` (a byte-order mark), ``utf-8`` when every byte
    decodes as UTF-8, else charset-normalizer's best guess."""
    return _detect(path, table)[0]


def _detect(path: str, table: str) -> tuple[str, tuple[str | None, int | None] | None]:
    """:func:`detect_encoding`, with the scan of the whole file when it was read as UTF-8
    (``None`` otherwise): a UTF-8 file is not scanned twice."""
    with _open(path) as f:
        head = f.read(_CHUNK)
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig", None
    scanned = _scan(path, table, "utf-8")
    bad = scanned[0]
    if bad is None:
        return "utf-8", scanned
    if _mostly_utf8(head):
        # Guessing another encoding would garble every other non-ASCII character.
        raise DataValidationError(
            f"{bad}, while the rest of the file reads as UTF-8: the file is probably damaged "
            "there; fix that line, or pass the encoding if the file is not UTF-8, e.g. "
            "read=ReadOptions(encoding='cp1251') or encoding = \"cp1251\" in [data]")
    from charset_normalizer import from_bytes

    matches = list(from_bytes(head))
    best = matches[0] if matches else None
    if best is None:
        raise DataValidationError(
            f"{table} ({path}): the text encoding could not be told (not UTF-8); pass it, "
            "e.g. read=ReadOptions(encoding='cp1251') or encoding = \"cp1251\" in [data]")
    found = [m.encoding for m in matches]
    # A short Russian text fits several Cyrillic code pages; exports from Excel and 1C are
    # cp1251 (KOI8-R or Mac files need encoding=...).
    if best.encoding in _CYRILLIC and "cp1251" in found:
        return "cp1251", None
    return str(best.encoding), None


def detect_delimiter(text: str) -> str:
    """The delimiter among ``, ; tab |`` that splits the header of ``text`` into the most
    fields while most of the first 50 lines have as many; ``,`` when none splits it."""
    lines = text.splitlines()[:50]
    if len(lines) > 1 and not text.endswith(("\n", "\r")):
        lines = lines[:-1]  # the last line of a sample may be cut
    best, most = ",", 1
    for d in _DELIMITERS:
        try:
            rows = [r for r in csv.reader(lines, delimiter=d) if r]
        except csv.Error:
            continue
        if not rows or (n := len(rows[0])) <= most:
            continue
        if sum(len(r) == n for r in rows) * 2 >= len(rows):
            best, most = d, n
    return best


def prepare_csv(path: str, table: str, encoding: str | None, delimiter: str | None
                ) -> PreparedCsv:
    """The path DuckDB reads, the delimiter, the cleanup and the first quoted line of one
    CSV file.

    A file that is not UTF-8 is transcoded to a temporary UTF-8 copy, removed by
    ``cleanup``; bytes that are not in the encoding raise, naming the line.
    """
    enc, scanned = (_canonical(encoding), None) if encoding else _detect(path, table)
    bad, quote = scanned or _scan(path, table, enc)
    if bad:
        hint = "" if encoding else "; pass the encoding"
        raise DataValidationError(
            f"{bad}{hint}, e.g. read=ReadOptions(encoding='cp1251') or "
            f"encoding = \"cp1251\" in [data]")
    with _open(path) as f:
        sample = f.read(_CHUNK).decode(enc, errors="replace")
    delim = delimiter or detect_delimiter(sample.lstrip("\ufeff"))
    if enc in ("utf-8", "utf-8-sig"):
        return PreparedCsv(path, delim, None, quote)
    folder = tempfile.mkdtemp(prefix="rollout-metrics-")
    target = os.path.join(folder, os.path.basename(path).removesuffix(".gz"))
    # Every byte was checked above: errors="replace" never replaces anything here.
    with _open_text(path, enc) as src, open(target, "w", encoding="utf-8", newline="") as out:
        shutil.copyfileobj(src, out, _CHUNK)
    return PreparedCsv(target, delim, lambda: shutil.rmtree(folder, ignore_errors=True), quote)


def explain_csv_error(path: str, table: str, delimiter: str, encoding: str = "utf-8"
                      ) -> str | None:
    """The first row of ``path`` whose number of fields differs from the header's, as a
    message (``None`` when every row has the header's fields)."""
    with _open_text(path, encoding) as text:
        reader = csv.reader(text, delimiter=delimiter)
        try:
            header = next(reader)
        except (StopIteration, csv.Error):
            return None
        try:
            for row in reader:
                if row and len(row) != len(header):
                    return (f"{table} ({path}): line {reader.line_num} has {len(row)} fields, "
                            f"the header has {len(header)} (delimiter {delimiter!r}): "
                            f"{row[:8]}")
        except csv.Error as exc:
            return f"{table} ({path}): line {reader.line_num} is not valid CSV: {exc}"
    return None
