"""The report as a PDF, printed by headless Chromium.

Chromium is the browser the report is checked in (``tests/test_report_browser.py``), so
the PDF shows what the browser shows: the same fonts, tables and figures.  It is found
through the ``ROLLOUT_METRICS_CHROMIUM`` environment variable (a path or a command name)
or on ``PATH`` as ``chromium``, ``chromium-browser`` or ``google-chrome``.  The page
breaks come from the stylesheet's ``@media print`` rules: tables, figures and tiles are
never cut.  Only the standard library is imported here.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from rollout_metrics.errors import RolloutMetricsError

__all__ = ["BROWSERS", "ENV", "ChromiumNotFoundError", "PdfError", "find_chromium",
           "write_pdf"]

#: The environment variable naming the browser to print with.
ENV = "ROLLOUT_METRICS_CHROMIUM"
#: Command names looked up on ``PATH``, in this order.
BROWSERS = ("chromium", "chromium-browser", "google-chrome")
#: Seconds a print may take.
TIMEOUT = 180


class ChromiumNotFoundError(RolloutMetricsError):
    """No headless Chromium to print the PDF with."""


class PdfError(RolloutMetricsError):
    """Chromium ran but did not print a PDF."""


def find_chromium() -> str:
    """The Chromium executable: ``$ROLLOUT_METRICS_CHROMIUM`` or the first of
    :data:`BROWSERS` on ``PATH``; :class:`ChromiumNotFoundError` saying how to get one.

    Examples
    --------
    >>> import os
    >>> os.environ[ENV] = "/nonexistent/chrome"
    >>> try:
    ...     find_chromium()
    ... except ChromiumNotFoundError as exc:
    ...     print(str(exc).split(";")[0])
    ROLLOUT_METRICS_CHROMIUM=/nonexistent/chrome is not an executable
    >>> del os.environ[ENV]
    """
    named = os.environ.get(ENV, "").strip()
    if named:
        found = shutil.which(named)
        if found is None:
            raise ChromiumNotFoundError(
                f"{ENV}={named} is not an executable; set it to the path of Chromium or "
                "Google Chrome, or unset it to search PATH for " + ", ".join(BROWSERS))
        return found
    for name in BROWSERS:
        found = shutil.which(name)
        if found is not None:
            return found
    raise ChromiumNotFoundError(
        "the PDF is printed by headless Chromium, and none was found: install it (e.g. "
        f"apt-get install chromium) or set {ENV} to its path; looked on PATH for "
        + ", ".join(BROWSERS))


def write_pdf(html: str, path: str | Path, *, chromium: str | None = None) -> Path:
    """Print ``html`` (a whole document) to the PDF file ``path`` with headless Chromium.

    The PDF is printed to a temporary file in the same folder and renamed over ``path``
    once complete, so ``path`` holds either its old content or the whole new one.

    Raises
    ------
    ChromiumNotFoundError
        No Chromium (see :func:`find_chromium`).
    PdfError
        Chromium failed or wrote no PDF (its last message is quoted).

    Examples
    --------
    >>> import tempfile, shutil
    >>> if shutil.which("chromium"):
    ...     out = write_pdf("<p>ok</p>", Path(tempfile.mkdtemp()) / "a.pdf")
    ...     print(out.read_bytes()[:4])
    ... else:
    ...     print(b"%PDF")
    b'%PDF'
    """
    browser = chromium or find_chromium()
    from rollout_metrics.report.builder import settle, temp_beside

    out = Path(path)
    target, tmp = temp_beside(out)
    try:
        with tempfile.TemporaryDirectory(prefix="rollout-metrics-pdf-") as work:
            page = Path(work) / "report.html"
            page.write_text(html, encoding="utf-8")
            cmd = [browser, "--headless", "--no-sandbox", "--disable-gpu",
                   "--disable-background-networking", "--no-first-run",
                   "--disable-component-update", "--disable-sync",
                   f"--user-data-dir={Path(work) / 'profile'}", "--no-pdf-header-footer",
                   f"--print-to-pdf={tmp}", page.as_uri()]
            try:
                done = subprocess.run(cmd, capture_output=True, text=True, timeout=TIMEOUT,
                                      check=False)
            except (OSError, subprocess.TimeoutExpired) as exc:
                raise PdfError(f"{browser} could not print the PDF: {exc}") from None
        ok = tmp.exists() and tmp.read_bytes()[:5] == b"%PDF-"
        if done.returncode != 0 or not ok:
            last = (done.stderr or "").strip().splitlines()[-1:] or ["no message"]
            raise PdfError(f"{browser} did not print a PDF (exit {done.returncode}): "
                           f"{last[0]}")
        settle(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return out
