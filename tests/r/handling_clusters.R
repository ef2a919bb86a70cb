# Reference values for the handling-time quantile clustered by customer
# (tests/test_handling_clusters.py, cases HC-1 to HC-4), from the fixture CSV files beside
# this script (written by handling_clusters_data.py).
#   Rscript tests/r/handling_clusters.R
# The variance of a quantile is that of the empirical distribution function F at it over the
# squared density (Deng, Knoblich & Lu 2018); only F's variance depends on the clustering.
# F_p at the period's median (type 7) is a ratio of sums over customers, sum(y) / sum(n), with
# y the customer's closed tickets at or below it and n all its closed tickets: the intercept
# and intercept + slope of the WLS fit of y/n on a period indicator over the stacked
# (customer, period) rows, weights n, variance clustered by customer (sandwich::vcovCL, HC0,
# no adjustment).  Printed per case: F of each period, the design effects d (clustered
# variance over F (1 - F) / sum(n)), the correlation r of the two F through shared customers,
# and the factor sqrt((d_a v_a + d_b v_b - 2 r sqrt(d_a d_b v_a v_b)) / (v_a + v_b)) on the
# bootstrap differences at (v_b, v_a) = (1, 1) and (1, 2).
library(sandwich)
dir <- "tests/r"
cu <- read.csv(file.path(dir, "handling_clusters_customers.csv"), stringsAsFactors = FALSE)
tk <- read.csv(file.path(dir, "handling_clusters_tickets.csv"), stringsAsFactors = FALSE)
tk$tier <- cu$tier[match(tk$customer_id, cu$customer_id)]
created <- as.POSIXct(tk$created_at, tz = "UTC", format = "%Y-%m-%d %H:%M:%S")
resolved <- as.POSIXct(ifelse(tk$resolved_at == "", NA, tk$resolved_at), tz = "UTC",
                       format = "%Y-%m-%d %H:%M:%S")
tk$minutes <- as.numeric(difftime(resolved, created, units = "mins"))
day <- function(x) as.POSIXct(paste(x, "00:00:00"), tz = "UTC")
tk$period <- ifelse(created >= day("2025-07-07") & created < day("2025-09-01"), "before",
                    ifelse(created >= day("2025-09-01") & created < day("2025-10-27"),
                           "after", NA))
case <- function(label, rows, q = 0.5) {
  closed <- rows[!is.na(rows$minutes) & !is.na(rows$period), ]
  t_b <- quantile(closed$minutes[closed$period == "before"], q, type = 7, names = FALSE)
  t_a <- quantile(closed$minutes[closed$period == "after"], q, type = 7, names = FALSE)
  closed$z <- as.numeric(closed$minutes <= ifelse(closed$period == "before", t_b, t_a))
  closed$one <- 1
  long <- aggregate(cbind(y = z, n = one) ~ customer_id + period, data = closed, FUN = sum)
  long$after <- as.numeric(long$period == "after")
  fit <- lm(I(y / n) ~ after, data = long, weights = n)
  v <- vcovCL(fit, cluster = ~customer_id, type = "HC0", cadjust = FALSE)
  b <- long[long$after == 0, ]; a <- long[long$after == 1, ]
  f_b <- sum(b$y) / sum(b$n); f_a <- sum(a$y) / sum(a$n)
  var_b <- v[1, 1]; var_a <- v[1, 1] + v[2, 2] + 2 * v[1, 2]; cov <- v[1, 1] + v[1, 2]
  d_b <- var_b / (f_b * (1 - f_b) / sum(b$n)); d_a <- var_a / (f_a * (1 - f_a) / sum(a$n))
  r <- cov / sqrt(var_b * var_a)
  scale <- function(vb, va) sqrt((d_a * va + d_b * vb - 2 * r * sqrt(d_a * d_b * va * vb)) /
                                 (vb + va))
  cat(sprintf("%s q=%g t=%g/%g F=%.10f/%.10f d=%.10f/%.10f r=%.10f scale11=%.10f scale12=%.10f\n",
              label, q, t_b, t_a, f_b, f_a, d_b, d_a, r, scale(1, 1), scale(1, 2)))
}
case("HC-1 overall", tk)
case("HC-2 tier=VIP", tk[tk$tier == "VIP", ])
case("HC-3 channel=chat", tk[tk$channel == "chat", ])
case("HC-4 overall p90", tk, q = 0.9)
# HC-5: the mean handling time, a ratio of sums over customers (minutes / closed tickets),
# its difference after - before with the variance clustered by customer (the WLS fit of the
# customer's mean minutes on the period indicator, weights = its closed tickets), in hours.
mean_case <- function(label, rows) {
  closed <- rows[!is.na(rows$minutes) & !is.na(rows$period), ]
  closed$one <- 1
  long <- aggregate(cbind(y = minutes, n = one) ~ customer_id + period, data = closed, FUN = sum)
  long$after <- as.numeric(long$period == "after")
  fit <- lm(I(y / n) ~ after, data = long, weights = n)
  v <- vcovCL(fit, cluster = ~customer_id, type = "HC0", cadjust = FALSE)
  est <- coef(fit)[["after"]]; se <- sqrt(v["after", "after"])
  b <- long[long$after == 0, ]; a <- long[long$after == 1, ]
  cat(sprintf("%s customers=%d/%d before=%.10f after=%.10f se=%.10f p=%.10g (hours)\n", label,
              nrow(b), nrow(a), sum(b$y) / sum(b$n) / 60, sum(a$y) / sum(a$n) / 60, se / 60,
              2 * pnorm(-abs(est / se))))
}
mean_case("HC-5 mean overall", tk)
mean_case("HC-6 mean tier=std", tk[tk$tier == "std", ])
