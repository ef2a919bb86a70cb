# ---
# jupyter:
#   jupytext:
#     formats: ipynb,py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#       jupytext_version: 1.19.6
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Segment report
#
# The full per-segment comparison of one rollout, its plots and the HTML report.
# Run it headless with papermill (see `docs/report.md`), overriding the parameters below.

# %% tags=["parameters"]
data_path = None  # a folder with customers/surveys/tickets; None: the bundled sample
change_date = "2025-09-01"
announced = "2025-08-11"  # None when the change was not announced
segments = [["tier"], ["channel"]]  # each separately; ["tier", "channel"] would cross them
metrics = None  # None: the default metrics the data supports
title = "Segment report"
out = "../reports/segment_report.html"
n_resamples = 2000
seed = 0

# %%
from IPython.display import display

import rollout_metrics as rm
from rollout_metrics import plots

data = rm.load_sample() if data_path is None else rm.load_dataset(data_path)
rollout = rm.Rollout(change_date, announced=announced)
print(rollout.describe())
data.rows

# %% [markdown]
# ## The report: every comparison, one family of tests

# %%
report = rm.build_report(data, rollout, by=segments, metrics=metrics, title=title,
                         n_resamples=n_resamples, seed=seed)
results = report.results
results[["metric", "by", "segment", "comparison", "delta", "ci_low", "ci_high", "p_adjusted",
         "significant", "mde", "status"]].round(3)

# %% [markdown]
# ## Plots

# %%
plots.plot_heatmap(results)

# %%
for metric in results["metric"].unique():
    display(plots.plot_forest(results, metric))

# %%
# The metrics pooled per customer (average check, revenue) have no daily series.
daily = [m for m in results["metric"].unique() if rm.get_metric(m).has_daily_series]
plots.plot_over_time(data, rollout, daily)

# %% [markdown]
# ## Write the self-contained HTML file

# %%
path = report.to_html(out)
print(f"wrote {path} ({path.stat().st_size:,} bytes)")
