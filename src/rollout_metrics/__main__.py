"""``python -m rollout_metrics``: the command line of :mod:`rollout_metrics.cli`."""

from __future__ import annotations

import sys

from rollout_metrics.cli import main

sys.exit(main())
