# ---
# jupyter:
#   jupytext:
#     formats: ipynb,py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # rollout-metrics quickstart
#
# Did a change to the customer-service terms hurt or help customers? This notebook walks
# through the public API on the bundled synthetic sample, where the terms changed on
# 2025-09-01 after an announcement on 2025-08-11.

# %%
import rollout_metrics as rm
from rollout_metrics.plots import plot_forest, plot_over_time

# %% [markdown]
# ## 1. Load and validate the data
# Every excluded row is counted with its reason.

# %%
data = rm.load_sample()
data.rows

# %%
data.quality

# %% [markdown]
# ## 2. Describe the rollout
# The change date belongs to the *after* period; the announcement opens a *transition* window.

# %%
rollout = rm.Rollout("2025-09-01", announced="2025-08-11")
print(rollout.describe())
rollout.windows()

# %% [markdown]
# ## 3. Compare before vs after, per tier

# %%
results = rm.compare(data, rollout, by="tier")
results[["metric", "segment", "comparison", "before", "after", "delta", "ci_low", "ci_high",
         "p_adjusted", "significant", "status"]].round(3)

# %% [markdown]
# ## 4. Was it a change in who answered? Mix shift

# %%
rm.mix_shift(data, rollout, "nps", by="tier")

# %% [markdown]
# ## 5. Plots

# %%
plot_over_time(data, rollout, "nps")

# %%
plot_forest(results, "nps")
