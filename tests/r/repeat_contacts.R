# Reference values for repeat_contacts on the bundled sample, from the raw CSV files
# (tests/test_repeat_contacts.py, cases RC-1 to RC-3).   Rscript tests/r/repeat_contacts.R
# A ticket is repeated when the same customer's next ticket (ordered by created_at, then
# ticket_id) is created within 7 days; it is eligible when created in [start, min(end,
# data end) - 7 days) of its period, the data end being the last ticket's created_at.
# The share's difference is the OLS coefficient of a period indicator on the stacked eligible
# tickets, with the variance clustered by customer (sandwich::vcovCL, HC0, no adjustment).
library(sandwich)
dir <- "src/rollout_metrics/_sample"
tk <- read.csv(file.path(dir, "tickets.csv"), stringsAsFactors = FALSE)
tk$created <- as.POSIXct(tk$created_at, tz = "UTC", format = "%Y-%m-%d %H:%M:%S")
resolved <- as.POSIXct(ifelse(tk$resolved_at == "", NA, tk$resolved_at), tz = "UTC",
                       format = "%Y-%m-%d %H:%M:%S")
tk <- tk[is.na(resolved) | resolved >= tk$created, ]  # excluded by validation
tk <- tk[order(tk$customer_id, tk$created, tk$ticket_id), ]
nxt <- c(tk$created[-1], NA)
nxt[c(tk$customer_id[-1] != tk$customer_id[-nrow(tk)], TRUE)] <- NA
tk$repeated <- as.numeric(!is.na(nxt) & as.numeric(difftime(nxt, tk$created, units = "secs")) <= 7 * 86400)
data_end <- max(tk$created)
utc <- function(x) as.POSIXct(paste(x, "00:00:00"), tz = "UTC")
eligible <- function(start, end) {
  stop <- min(utc(end), data_end) - 7 * 86400
  tk[tk$created >= utc(start) & tk$created < stop, ]
}
clustered <- function(b, a, label) {
  long <- rbind(cbind(b, after = 0), cbind(a, after = 1))
  fit <- lm(repeated ~ after, data = long)
  v <- vcovCL(fit, cluster = ~customer_id, type = "HC0", cadjust = FALSE)
  est <- coef(fit)[["after"]]; se <- sqrt(v["after", "after"])
  cat(sprintf("%s n=%d/%d before=%.12f after=%.12f se=%.12f p=%.12g ci=[%.12f, %.12f]\n",
              label, nrow(b), nrow(a), mean(b$repeated), mean(a$repeated), se,
              2 * pnorm(-abs(est / se)), est - qnorm(0.975) * se, est + qnorm(0.975) * se))
}
b <- eligible("2025-06-16", "2025-08-11"); tr <- eligible("2025-08-11", "2025-09-01")
a <- eligible("2025-09-01", "2025-10-27")
clustered(b, a, "RC-1 overall after_vs_before")
clustered(b, tr, "RC-2 overall transition_vs_before")
clustered(b[b$channel == "phone", ], a[a$channel == "phone", ], "RC-3 phone after_vs_before")
