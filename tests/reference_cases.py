"""Reference values copied from ../shared/reference/cases.json (never read at run time).

Each entry keeps the case id, the outside source string and the tolerance given there.
"""

from __future__ import annotations

from typing import Any

CASES: dict[str, dict[str, Any]] = {
    "nps_wald_ci_cavo2012": {
        "source": "R contingencytables 3.0.1 tests/testthat/test-ch8.R, "
        "Wald_CI_diff_paired_2x2(cavo_2012) -> '-0.0621 (95% CI -0.1184 to -0.0058)'; "
        "variance: CRAN NPS (Rocks) npvar()",
        "inputs": {"promoters": 6, "passives": 139, "detractors": 16, "alpha": 0.05},
        "expected": {"nps": -0.062111801242236, "se": 0.028718821806592, "ci": (-0.1184, -0.0058)},
        "tolerance": {"nps": 1e-12, "se": 1e-12, "ci_abs": 5e-05},
    },
    "nps_score_tango_ci_cavo2012": {
        "source": "R contingencytables 3.0.1 tests/testthat/test-ch8.R, "
        "Tango_asymptotic_score_CI_paired_2x2(cavo_2012) -> '(95% CI -0.1240 to -0.0054)'",
        "inputs": {"promoters": 6, "passives": 139, "detractors": 16, "alpha": 0.05},
        "expected": {"ci": (-0.124, -0.0054)},
        "tolerance": {"ci_abs": 5e-05},
    },
    "nps_adjusted_wald_rocks_cavo2012": {
        "source": "DERIVED from the formula (brendan-R/nps nps_test(test='adjusted.wald') "
        "pseudo_observations = c(0.75, 1.5, 0.75); Lewis & Sauro 2021)",
        "inputs": {"promoters": 6, "passives": 139, "detractors": 16, "alpha": 0.05},
        "expected": {
            "nps_adjusted": -0.060975609756098,
            "se": 0.029173018140902,
            "ci": (-0.118153674632599, -0.003797544879596),
        },
        "tolerance": {"abs": 1e-09},
    },
    "nps_two_sample_wald": {
        "source": "DERIVED; two-sample branch of CRAN NPS::nps.test (Rocks), n-denominator V",
        "inputs": {
            "sample1": (6, 139, 16),
            "sample2": (291, 476, 395),
            "alpha": 0.05,
        },
        "expected": {
            "diff": 0.027389059342962,
            "se": 0.036413368595613,
            "z": 0.752170436279316,
            "p_two_sided": 0.451948569933344,
            "ci": (-0.043979831660222, 0.098757950346146),
        },
        "tolerance": {"abs": 1e-09},
    },
    "newcombe_hybrid_perondi2004": {
        "source": "R contingencytables 3.0.1 test-ch4.R Newcombe_hybrid_score_CI_2x2(perondi_2004) "
        "-> '0.1765 (95% CI 0.0189 to 0.3404)'; statsmodels test_proportion.py::test_confint_2indep",
        "inputs": {"x1": 7, "n1": 34, "x2": 1, "n2": 34, "alpha": 0.05},
        "expected": {"diff": 0.176470588235294, "ci": (0.0189, 0.3404)},
        "tolerance": {"ci_abs": 5e-05},
    },
    "wilson_ligarden2010": {
        "source": "R contingencytables 3.0.1 test-ch2.R Wilson_score_CI_1x2(13, 16) "
        "-> '0.8125 (95% CI 0.5699 to 0.9341)'",
        "inputs": {"x": 13, "n": 16, "alpha": 0.05},
        "expected": {"ci": (0.5699, 0.9341)},
        "tolerance": {"ci_abs": 5e-05},
    },
    "two_prop_ztest_pooled": {
        "source": "statsmodels test_proportion.py TestProportion res_ppt_pvals_raw[0] "
        "(R pairwise.prop.test on smokers2/patients, raw p)",
        "inputs": {"x1": 73, "n1": 86, "x2": 90, "n2": 93},
        "expected": {
            "p_two_sided": 0.00533824886503131,
            "chi2": 7.761132144615915,
            "z_abs": 2.785880856141539,
        },
        "tolerance": {"p_abs": 1e-12, "chi2_abs": 1e-09},
    },
    "welch_t_sleep": {
        "source": "R t.test(extra ~ group, data = sleep) (Welch); "
        "scipy.stats.ttest_ind(equal_var=False)",
        "inputs": {
            "x": (0.7, -1.6, -0.2, -1.2, -0.1, 3.4, 3.7, 0.8, 0.0, 2.0),
            "y": (1.9, 0.8, 1.1, 0.1, -0.1, 4.4, 5.5, 1.6, 4.6, 3.4),
            "alpha": 0.05,
        },
        "expected": {
            "t": -1.860813,
            "df": 17.77647,
            "p": 0.07939414,
            "ci": (-3.3654832, 0.2054832),
            "mean_x": 0.75,
            "mean_y": 2.33,
        },
        "tolerance": {"abs": 5e-06},
    },
    "brunner_munzel_ordinal_counts": {
        "source": "statsmodels test_nonparametric.py::test_rank_compare_2indep1 (Munzel & Hauschke "
        "2003; R lawstat brunner.munzel.test(xn, xa)); scipy.stats.brunnermunzel",
        "inputs": {
            "levels": (-2, -1, 0, 1, 2),
            "counts_new": (24, 37, 21, 19, 6),
            "counts_active": (11, 51, 22, 21, 7),
        },
        "expected": {
            "statistic": 1.1757561456582,
            "df": 204.2984239868,
            "p": 0.2410606649547,
            "prob_active_gt_new_plus_half_ties": 0.5442256341789052,
        },
        "tolerance": {"statistic": 1e-09, "df": 1e-08, "p": 1e-09, "prob": 1e-12},
    },
    "mwu_ties_R_small": {
        "source": "scipy test_hypotests.py TestMannWhitneyU.test_tie_correct (R wilcox.test "
        "exact=FALSE)",
        "inputs": {"x": (1, 2, 3, 4), "y": (1, 2, 3, 4, 5)},
        "expected": {
            "U_x": 8.0,
            "p_two_sided": 0.7086240584439,
            "var_U_tie_corrected": 16.111111111111,
        },
        "tolerance": {"p_abs": 1e-12, "var_abs": 1e-09},
    },
    "mwu_permeability_R_doc": {
        "source": "scipy test_hypotests.py TestMannWhitneyU.test_gh_9184 (R wilcox.test, "
        "Hollander & Wolfe permeability data)",
        "inputs": {
            "x": (0.8, 0.83, 1.89, 1.04, 1.45, 1.38, 1.91, 1.64, 0.73, 1.46),
            "y": (1.15, 0.88, 0.9, 0.74, 1.21),
        },
        "expected": {
            "U_x": 35.0,
            "p_asymptotic_cc": 0.244623605127,
            "p_asymptotic_nocc": 0.2206713619198,
        },
        "tolerance": {"p_abs": 1e-11},
    },
    "poisson_exact_conditional_gu": {
        "source": "statsmodels results_rates.py res_pexact_cond (R exactci "
        "poisson.exact(c(60,30), c(51477.5,54308.7), tsmethod='minlike'))",
        "inputs": {"count1": 60, "exposure1": 51477.5, "count2": 30, "exposure2": 54308.7},
        "expected": {"rate_ratio": 2.10999757175465, "p_two_sided": 0.000675182658686321},
        "tolerance": {"rate_ratio": 1e-12, "p_abs": 1e-13},
    },
    "poisson_score_ci_ratio_gu": {
        "source": "statsmodels test_rates_poisson.py::test_confint_poisson_2indep",
        "inputs": {
            "count1": 60,
            "exposure1": 51477.5,
            "count2": 30,
            "exposure2": 54308.7,
            "alpha": 0.05,
        },
        "expected": {"ci": (1.365962, 3.259306)},
        "tolerance": {"ci_abs": 5e-06},
    },
    "kaplan_meier_gehan_6mp": {
        "source": "Freireich et al. (1963) 6-MP data (MASS::gehan); Kleinbaum & Klein ch. 2; "
        "lifelines KaplanMeierFitter",
        "inputs": {
            "time": (6, 6, 6, 6, 7, 9, 10, 10, 11, 13, 16, 17, 19, 20, 22, 23, 25, 32, 32, 34, 35),
            "event": (1, 1, 1, 0, 1, 0, 1, 0, 0, 1, 1, 0, 0, 0, 1, 1, 0, 0, 0, 0, 0),
        },
        "expected": {
            "S": {6: 0.8571, 7: 0.8067, 10: 0.7529, 13: 0.6902, 16: 0.6275, 22: 0.5378, 23: 0.4482},
            "median": 23,
        },
        "tolerance": {"S_abs": 5e-05},
    },
    "logrank_gehan": {
        "source": "R survival::survdiff(Surv(time, cens) ~ treat, data = MASS::gehan): "
        "'Chisq= 16.8 on 1 degrees of freedom, p= 4.17e-05'; lifelines logrank_test 16.792940989",
        "inputs": {
            "placebo_time": (1, 1, 2, 2, 3, 4, 4, 5, 5, 8, 8, 8, 8, 11, 11, 12, 12, 15, 17, 22, 23),
        },
        "expected": {"chi2": 16.79, "df": 1, "p": 4.17e-05},
        "tolerance": {"chi2_abs": 0.005, "p_abs": 5e-07},
    },
    "multipletests_R_multtest_p3": {
        "source": "statsmodels test_multi.py res_multtest3 (R multtest)",
        "inputs": {"pvalues": (0.001, 0.002, 0.003, 0.004, 0.005, 0.05, 0.06, 0.07, 0.08, 0.09)},
        "expected": {
            "holm": (0.01, 0.018, 0.024, 0.028, 0.03, 0.25, 0.25, 0.25, 0.25, 0.25),
            "bh": (
                0.01,
                0.01,
                0.01,
                0.01,
                0.01,
                0.08333333333333334,
                0.0857142857142857,
                0.0875,
                0.0888888888888889,
                0.09,
            ),
            "by": (
                0.02928968253968254,
                0.02928968253968254,
                0.02928968253968254,
                0.02928968253968254,
                0.02928968253968254,
                0.2440806878306878,
                0.2510544217687075,
                0.2562847222222222,
                0.260352733686067,
                0.2636071428571428,
            ),
            "bh_reject_at_0_05": (True,) * 5 + (False,) * 5,
        },
        "tolerance": {"abs": 1e-12},
    },
    "power_proportions_2indep_stata": {
        "source": "statsmodels test_proportion.py::test_power_2indep (Stata example)",
        "inputs": {"diff": -0.014, "prop2": 0.015, "nobs1": 550, "ratio": 1.0, "alpha": 0.05},
        "expected": {"power": 0.74156},
        "tolerance": {"abs": 1e-07},
    },
    "power_poisson_diff_PASS436": {
        "source": "statsmodels test_rates_poisson.py::test_power_poisson_equal (PASS chapter 436)",
        "inputs": {"rate1": 15, "rate2": 10, "nobs1": 6, "nobs2": 8, "alpha": 0.05},
        "expected": {"power": 0.82566},
        "tolerance": {"abs": 5e-05},
    },
}
