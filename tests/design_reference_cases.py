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

# Case did_banks_causalpy.
# Source: pymc-labs/CausalPy@45ee96f7, causalpy/data/banks.csv (Richardson & Troost 2009;
# Angrist & Pischke 2014, Figure 5.2): banks in business in the 6th (treated) and 8th Federal
# Reserve districts, daily; CausalPy's banks example takes the median per year and a treatment
# time of 1930.5. The OLS / two-way fixed effects DiD on the six yearly medians is
# (mean gap 1931-34) - (mean gap 1929-30) = -8.75 - (-29.5) = 20.75. Two units: no valid
# unit-level inference, and six yearly points are too few for a time-series one.
DID_BANKS_CAUSALPY = {
    "year": [1929, 1930, 1931, 1932, 1933, 1934],
    "sixth": [141.0, 135.0, 121.0, 113.0, 102.0, 102.0],
    "eighth": [170.0, 165.0, 132.0, 120.0, 111.0, 110.0],
    "first_treated_year": 1931,
    "did": 20.75,
    "did_abs": 1e-9,
}
