# Reference values for the revenue metrics (tests/test_orders.py, cases AC-1 to AC-4), from
# the fixture CSV files beside this script (written by average_check_data.py).
#   Rscript tests/r/average_check.R
# A ratio of sums per period, R = sum(y) / sum(n) over customers, is the weighted mean of y/n
# with weights n; its difference between two periods that share customers is the coefficient
# of a period indicator in the WLS fit of y/n on it over the stacked (customer, period) rows
# with n > 0, with the variance clustered by customer (sandwich::vcovCL, HC0, no adjustment):
# the delta-method variance of the difference of two ratio estimators.
library(sandwich)
dir <- "tests/r"
cu <- read.csv(file.path(dir, "average_check_customers.csv"), stringsAsFactors = FALSE)
od <- read.csv(file.path(dir, "average_check_orders.csv"), stringsAsFactors = FALSE)
od$at <- as.POSIXct(od$ordered_at, tz = "UTC", format = "%Y-%m-%d %H:%M:%S")
day <- function(x) as.POSIXct(paste(x, "00:00:00"), tz = "UTC")
periods <- list(before = c("2025-07-07", "2025-09-01"), after = c("2025-09-01", "2025-10-27"))
cap <- function(q) {  # R's default quantile (type 7) of the before period's amounts
  p <- periods$before
  quantile(od$amount[od$at >= day(p[1]) & od$at < day(p[2])], q, type = 7, names = FALSE)
}
# per customer and period: y (revenue or orders) and n (orders or active days)
per_customer <- function(period, value, per, capped_at = Inf, ids = cu$customer_id) {
  p <- periods[[period]]
  o <- od[od$at >= day(p[1]) & od$at < day(p[2]) & od$customer_id %in% ids, ]
  y <- if (value == "amount") pmin(o$amount, capped_at) else rep(1, nrow(o))
  ys <- tapply(y, factor(o$customer_id, levels = ids), sum); ys[is.na(ys)] <- 0
  if (per == "order") {
    ns <- tapply(rep(1, nrow(o)), factor(o$customer_id, levels = ids), sum); ns[is.na(ns)] <- 0
  } else {  # active days: signup day <= d < churn day, inside [start, end)
    c <- cu[match(ids, cu$customer_id), ]
    first <- pmax(as.Date(p[1]), as.Date(c$signup_date))
    last <- as.Date(ifelse(c$churn_date == "", p[2], c$churn_date))
    last <- pmin(as.Date(p[2]), last)
    ns <- pmax(0, as.numeric(last - first))
  }
  d <- data.frame(customer_id = ids, y = as.numeric(ys), n = as.numeric(ns))
  d[d$n > 0, ]
}
clustered <- function(label, value, per, scale = 1, capped_at = Inf, ids = cu$customer_id) {
  b <- per_customer("before", value, per, capped_at, ids)
  a <- per_customer("after", value, per, capped_at, ids)
  long <- rbind(cbind(b, after = 0), cbind(a, after = 1))
  fit <- lm(I(y / n) ~ after, data = long, weights = n)
  v <- vcovCL(fit, cluster = ~customer_id, type = "HC0", cadjust = FALSE)
  est <- coef(fit)[["after"]]; se <- sqrt(v["after", "after"])
  cat(sprintf("%s customers=%d/%d before=%.10f after=%.10f se=%.10f p=%.10g cap=%.6f\n",
              label, nrow(b), nrow(a), scale * sum(b$y) / sum(b$n),
              scale * sum(a$y) / sum(a$n), scale * se, 2 * pnorm(-abs(est / se)), capped_at))
}
vip <- cu$customer_id[cu$tier == "VIP"]
std <- cu$customer_id[cu$tier == "std"]
clustered("AC-1 average_check_uncapped overall", "amount", "order")
clustered("AC-2 average_check winsorize=0.95 std", "amount", "order", capped_at = cap(0.95),
          ids = std)
clustered("AC-3 revenue_per_customer uncapped overall", "amount", "customer", scale = 30)
clustered("AC-4 orders_per_customer VIP", "orders", "customer", scale = 3000, ids = vip)
# AC-5: a user-defined metric on the customers table (define_metric(table="customers",
# kind="proportion")): the share of VIP among the customers active in each period, each
# active customer once (y = is VIP, n = 1), clustered by customer the same way.
attribute <- function(period) {
  d <- per_customer(period, "orders", "customer")  # the customers with an active day
  data.frame(customer_id = d$customer_id,
             y = as.numeric(cu$tier[match(d$customer_id, cu$customer_id)] == "VIP"), n = 1)
}
b <- attribute("before"); a <- attribute("after")
long <- rbind(cbind(b, after = 0), cbind(a, after = 1))
fit <- lm(I(y / n) ~ after, data = long, weights = n)
v <- vcovCL(fit, cluster = ~customer_id, type = "HC0", cadjust = FALSE)
est <- coef(fit)[["after"]]; se <- sqrt(v["after", "after"])
cat(sprintf("AC-5 share of VIP among active customers customers=%d/%d before=%.10f after=%.10f se=%.10f p=%.10g\n",
            nrow(b), nrow(a), 100 * sum(b$y) / sum(b$n), 100 * sum(a$y) / sum(a$n), 100 * se,
            2 * pnorm(-abs(est / se))))
