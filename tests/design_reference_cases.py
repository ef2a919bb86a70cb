"""Reference values for the ITS / DiD tests, copied from ../shared/reference/cases.json.

Tests import these constants; nothing reads the shared folder at run time.
"""

from __future__ import annotations

# Case hac_newey_west_stata.
# Source: statsmodels/statsmodels@82c59e378bdfb5ae324006c477954879ad3e24be,
# statsmodels/regression/tests/results/results_macro_ols_robust.py, results_newey4:
# Stata `newey g_realinv g_realgdp L.realint, lag(4)` (= ivreg2 bw(5) small).
# Data: statsmodels.datasets.macrodata; y = 400*diff(log(realinv)),
# x1 = 400*diff(log(realgdp)), x2 = realint[:-1]; constant last; N = 202.
HAC_NEWEY_WEST_STATA = {
    "maxlags": 4,
    "params": [4.3742216647032, -0.61399696947899, -9.4816727746549],
    "bse": [0.33125644884286, 0.29582347593197, 1.1859338087713],
    "params_abs": 1e-10,
    "bse_abs": 1e-09,
}

# Case did_card_krueger_table3.
# Source: Card & Krueger (1994) AER 84(4):772-793, Table 3: FTE employment, NJ (treated)
# vs PA (control); change NJ 0.59 (0.54), PA -2.16 (1.25), difference 2.76 (1.36).
# The published 2.76 comes from unrounded means; the rounded means give 2.75.
DID_CARD_KRUEGER_TABLE3 = {
    "inputs": {
        "treated_before": 20.44,
        "treated_after": 21.03,
        "control_before": 23.33,
        "control_after": 21.17,
        "se_change_treated": 0.54,
        "se_change_control": 1.25,
    },
    "did": 2.76,
    "se": 1.36,
    "did_abs": 0.015,
    "se_abs": 0.005,
}
