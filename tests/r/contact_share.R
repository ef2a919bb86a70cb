# Reference values for the customer-clustered difference of two cohort shares
# (rollout_metrics.infer.overlap.cohort_share_diff; tests/test_contact_share.py).
#   Rscript tests/r/contact_share.R
# The difference of means of a stacked (customer, period) 0/1 outcome is the OLS coefficient
# of the period indicator; its variance clustered by customer (HC0, no small-sample factor)
# is the linearised variance of the package.
library(sandwich)
clustered <- function(long, label) {
  fit <- lm(x ~ after, data = long)
  v <- vcovCL(fit, cluster = ~id, type = "HC0", cadjust = FALSE)
  est <- coef(fit)[["after"]]; se <- sqrt(v["after", "after"])
  cat(sprintf("%s before=%.12f after=%.12f estimate=%.12f se=%.12f p=%.12g ci=[%.12f, %.12f]\n",
              label, coef(fit)[[1]], coef(fit)[[1]] + est, est, se, 2 * pnorm(-abs(est / se)),
              est - qnorm(0.975) * se, est + qnorm(0.975) * se))
}
# CS-1: patterns (in_before, x_before, in_after, x_after) -> customers (the docstring example)
pat <- data.frame(ib = c(1, 1, 1, 1, 1, 0), xb = c(1, 1, 0, 0, 0, 0),
                  ia = c(1, 1, 1, 1, 0, 1), xa = c(1, 0, 1, 0, 0, 1),
                  n = c(300, 100, 150, 400, 50, 60))
cust <- pat[rep(seq_len(nrow(pat)), pat$n), ]
cust$id <- seq_len(nrow(cust))
stack <- function(cust) {
  rbind(data.frame(id = cust$id[cust$ib == 1], x = cust$xb[cust$ib == 1], after = 0),
        data.frame(id = cust$id[cust$ia == 1], x = cust$xa[cust$ia == 1], after = 1))
}
clustered(stack(cust), "CS-1")

# CS-2, CS-3: the bundled sample, Rollout("2025-09-01", announced = "2025-08-11"): cohort
# windows of L = 21 days (the transition's length) from each period's start; a customer is in
# a period's cohort when active on its first day (signup <= d < churn) and counts when they
# created a ticket in the window.  after_vs_before overall (CS-2) and for VIP (CS-3).
dir <- "src/rollout_metrics/_sample"
cu <- read.csv(file.path(dir, "customers.csv"), stringsAsFactors = FALSE)
tk <- read.csv(file.path(dir, "tickets.csv"), stringsAsFactors = FALSE)
tk$created <- as.POSIXct(tk$created_at, tz = "UTC", format = "%Y-%m-%d %H:%M:%S")
resolved <- as.POSIXct(ifelse(tk$resolved_at == "", NA, tk$resolved_at), tz = "UTC",
                       format = "%Y-%m-%d %H:%M:%S")
tk <- tk[is.na(resolved) | resolved >= tk$created, ]  # excluded by validation
signup <- as.Date(cu$signup_date); churn <- as.Date(ifelse(cu$churn_date == "", NA, cu$churn_date))
period <- function(start) {
  d <- as.Date(start)
  inside <- signup <= d & (is.na(churn) | churn > d)
  lo <- as.POSIXct(paste(start, "00:00:00"), tz = "UTC")
  hit <- unique(tk$customer_id[tk$created >= lo & tk$created < lo + 21 * 86400])
  data.frame(id = cu$customer_id[inside], x = as.numeric(cu$customer_id[inside] %in% hit),
             tier = cu$tier[inside])
}
b <- period("2025-06-16"); a <- period("2025-09-01")
long <- rbind(cbind(b, after = 0), cbind(a, after = 1))
cat(sprintf("CS-2 n_before=%d n_after=%d overlap=%d\n", nrow(b), nrow(a), length(intersect(b$id, a$id))))
clustered(long, "CS-2")
vip <- long[long$tier == "VIP", ]
cat(sprintf("CS-3 n_before=%d n_after=%d\n", sum(vip$after == 0), sum(vip$after == 1)))
clustered(vip, "CS-3")
