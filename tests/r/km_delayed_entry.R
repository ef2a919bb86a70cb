# Reference Kaplan-Meier curves with delayed entry for tests/test_km_delayed_entry.py.
#
# Run: Rscript tests/r/km_delayed_entry.R
#
# Days are counted from the start of a 10-day window (days 0..9).  A customer who signs up
# on day s is at risk from day s on, including a churn on day s itself.  survfit's
# counting-process intervals are (entry, exit], so entry = s - 1; customers who signed up
# before the window enter at -1.  Customers still there at the end of the window are
# censored on its last day (9).

library(survival)

show <- function(id, d) {
  fit <- survfit(Surv(entry, exit, event) ~ 1, data = d, conf.type = "log-log")
  s <- summary(fit, censored = TRUE)
  cat("case:", id, "\n")
  print(data.frame(time = s$time, n.risk = s$n.risk, n.event = s$n.event,
                   n.censor = s$n.censor, surv = s$surv, lower = s$lower,
                   upper = s$upper), digits = 15, row.names = FALSE)
  cat("\n")
}

cat(R.version.string, "\n")
cat("survival", as.character(packageVersion("survival")), "\n\n")

# (a) 4 customers from before the window; 3 churn on day 3, 1 stays.
tied <- data.frame(entry = c(-1, -1, -1, -1), exit = c(3, 3, 3, 9), event = c(1, 1, 1, 0))
show("km_tied_churn_survfit", tied)

# (b) mid-window sign-ups (days 1, 2, 3, 4, 6), a sign-up and churn on the same day (2),
# ties (days 2 and 5), a churn on the last day beside the censorings there, and a churn
# after the window (censored at day 9).
signup <- c(-30, -30, -30, -30, -30, -10,  1,  2,  3,  4,  6)
churn  <- c(  2,   2,   5,  NA,   9,  12,  2,  2,  5, NA,  8)
event <- as.numeric(!is.na(churn) & churn <= 9)
delayed <- data.frame(entry = pmax(signup, 0) - 1,
                      exit = ifelse(event == 1, churn, 9),
                      event = event)
show("km_delayed_entry_survfit", delayed)
