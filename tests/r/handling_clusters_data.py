"""Writes the small fixture behind tests/r/handling_clusters.R and
tests/test_handling_clusters.py (run once; the CSV files are committed).
    python tests/r/handling_clusters_data.py

Tickets clustered by customer: tickets per customer and period from a gamma-Poisson
(shape 0.5, mean 2: many customers with one ticket, a few with ten or more), log minutes
with a customer effect that persists across periods (intra-customer correlation 0.3), whole
minutes; about 1 in 20 tickets still open (no resolved_at)."""

from pathlib import Path

import numpy as np
import pandas as pd

rng = np.random.default_rng(20261206)
here = Path(__file__).parent
n = 300
customers = pd.DataFrame({
    "customer_id": [f"C{i:04d}" for i in range(n)],
    "signup_date": "2024-01-01",
    "tier": rng.choice(["VIP", "std"], n, p=[0.3, 0.7]),
})
lam = rng.gamma(0.5, 4.0, n)
u = rng.normal(0.0, np.sqrt(0.81 * 0.3), n)
windows = {"before": pd.Timestamp("2025-07-07"), "after": pd.Timestamp("2025-09-01")}
rows = []
for start in windows.values():
    k = rng.poisson(lam) * (rng.random(n) < 0.9)
    for i in np.flatnonzero(k):
        for _ in range(int(k[i])):
            at = start + pd.Timedelta(minutes=int(rng.integers(0, 56 * 1440 - 2000)))
            minutes = int(np.round(np.exp(np.log(25.0) + u[i]
                                          + rng.normal(0.0, np.sqrt(0.81 * 0.7)))))
            done = at + pd.Timedelta(minutes=minutes)
            rows.append((f"C{i:04d}", at.strftime("%Y-%m-%d %H:%M:%S"),
                         "" if rng.random() < 0.05 else done.strftime("%Y-%m-%d %H:%M:%S"),
                         rng.choice(["chat", "email"])))
tickets = pd.DataFrame(rows, columns=["customer_id", "created_at", "resolved_at", "channel"])
tickets.insert(0, "ticket_id", [f"T{j:05d}" for j in range(len(tickets))])
customers.to_csv(here / "handling_clusters_customers.csv", index=False)
tickets.to_csv(here / "handling_clusters_tickets.csv", index=False)
print(len(customers), len(tickets))
