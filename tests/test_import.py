"""``import rollout_metrics`` stays light; the public names still resolve."""

from __future__ import annotations

import subprocess
import sys

import rollout_metrics as rm

HEAVY = ("statsmodels", "matplotlib", "scipy.stats", "jinja2")


def test_import_does_not_load_heavy_libraries() -> None:
    code = ("import sys, rollout_metrics; "
            f"print(','.join(m for m in {HEAVY!r} if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == "", f"imported at `import rollout_metrics`: {out.stdout}"


def test_every_public_name_resolves() -> None:
    for name in rm.__all__:
        assert getattr(rm, name) is not None, name
    assert callable(rm.compare) and rm.compare.__module__ == "rollout_metrics.comparison"


def test_unknown_attribute_is_an_attribute_error() -> None:
    try:
        rm.no_such_name  # noqa: B018
    except AttributeError as exc:
        assert "no_such_name" in str(exc)
    else:  # pragma: no cover
        raise AssertionError("expected AttributeError")


def test_all_lists_every_lazy_name() -> None:
    from rollout_metrics import _LAZY

    assert set(_LAZY) <= set(rm.__all__)
    assert rm.__all__ == sorted(rm.__all__)
