"""Writes the small fixture behind tests/r/average_check.R and tests/test_orders.py (run once;
the CSV files are committed).   python tests/r/average_check_data.py"""

from pathlib import Path

import numpy as np
import pandas as pd

rng = np.random.default_rng(20251205)
here = Path(__file__).parent
n = 400
signup = pd.Timestamp("2025-01-01") + pd.to_timedelta(rng.integers(0, 240, n), unit="D")
churn = signup + pd.to_timedelta(rng.integers(40, 400, n), unit="D")
churn = churn.where(rng.random(n) < 0.25)
customers = pd.DataFrame({
    "customer_id": [f"C{i:04d}" for i in range(n)],
    "signup_date": signup.strftime("%Y-%m-%d"),
    "churn_date": churn.strftime("%Y-%m-%d"),
    "tier": rng.choice(["VIP", "std"], n, p=[0.4, 0.6]),
})
rows = []
for i in range(n):
    k = rng.poisson(rng.gamma(2.0, 3.0))
    start = max(signup[i], pd.Timestamp("2025-06-01"))
    end = min(churn[i], pd.Timestamp("2025-11-30")) if pd.notna(churn[i]) else pd.Timestamp(
        "2025-11-30")
    if end <= start:
        continue
    level = rng.lognormal(3.5, 0.5)  # a customer's own level: orders of one customer correlate
    for _ in range(k):
        at = start + (end - start) * rng.random()
        amount = level * rng.lognormal(0, 0.6)
        if rng.random() < 0.03:
            amount *= 1 + rng.pareto(1.5) * 5  # a heavy tail
        rows.append((f"C{i:04d}", at.strftime("%Y-%m-%d %H:%M:%S"), round(amount, 2)))
orders = pd.DataFrame(rows, columns=["customer_id", "ordered_at", "amount"])
orders.insert(0, "order_id", [f"O{j:05d}" for j in range(len(orders))])
customers.to_csv(here / "average_check_customers.csv", index=False)
orders.to_csv(here / "average_check_orders.csv", index=False)
print(len(customers), len(orders))
