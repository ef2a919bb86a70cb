# Reference values for first_response_time and contact_rate on the bundled sample, computed
# from the raw CSV files without the package (tests/test_new_metrics.py, cases FR-1, CR-1, CR-2).
#   Rscript tests/r/new_metrics_sample.R
# Windows of Rollout("2025-09-01", announced="2025-08-11"): before [2025-06-16, 2025-08-11),
# after [2025-09-01, 2025-10-27); days are UTC midnights.
dir <- "src/rollout_metrics/_sample"
tk <- read.csv(file.path(dir, "tickets.csv"), stringsAsFactors = FALSE)
cu <- read.csv(file.path(dir, "customers.csv"), stringsAsFactors = FALSE)
ts <- function(x) as.POSIXct(ifelse(x == "", NA, x), tz = "UTC", format = "%Y-%m-%d %H:%M:%S")
dd <- function(x) as.Date(ifelse(x == "", NA, x))
tk$created <- ts(tk$created_at); tk$first <- ts(tk$first_response_at); tk$resolved <- ts(tk$resolved_at)
# the package's validation excludes tickets resolved (or answered) before they were created
tk <- tk[is.na(tk$resolved) | tk$resolved >= tk$created, ]
tk <- tk[is.na(tk$first) | tk$first >= tk$created, ]
tk$day <- as.Date(tk$created, tz = "UTC")
win <- list(before = as.Date(c("2025-06-16", "2025-08-11")),
            after = as.Date(c("2025-09-01", "2025-10-27")))
inwin <- function(d, w) d >= w[1] & d < w[2]

cat("FR-1 first-response hours (type 7 quantile of whole minutes, half a minute up)\n")
for (p in names(win)) {
  t <- tk[inwin(tk$day, win[[p]]), ]
  mins <- floor(as.numeric(difftime(t$first, t$created, units = "secs")) / 60 + 0.5)
  answered <- mins[!is.na(mins)]
  cat(sprintf("%s n_answered=%d unanswered=%d median_h=%.12f p90_h=%.12f\n", p, length(answered),
              sum(is.na(mins)), quantile(answered, 0.5, type = 7) / 60,
              quantile(answered, 0.9, type = 7) / 60))
}

# active customers per day: signup_day <= d < churn_day
cu$signup <- dd(cu$signup_date); cu$churn <- dd(cu$churn_date)
days <- seq(win$before[1], win$after[2] - 1, by = "day")
active <- sapply(days, function(d) sum(cu$signup <= d & (is.na(cu$churn) | cu$churn > d)))
daily <- function(sel) {
  ev <- table(factor(as.character(tk$day[sel]), levels = as.character(days)))
  data.frame(date = days, events = as.numeric(ev), exposure = active,
             period = ifelse(inwin(days, win$before), "before",
                             ifelse(inwin(days, win$after), "after", NA)))
}
report <- function(label, d) {
  d <- d[!is.na(d$period), ]
  yb <- sum(d$events[d$period == "before"]); eb <- sum(d$exposure[d$period == "before"])
  ya <- sum(d$events[d$period == "after"]); ea <- sum(d$exposure[d$period == "after"])
  cat(sprintf("%s events_before=%d exposure_before=%d events_after=%d exposure_after=%d\n",
              label, yb, eb, ya, ea))
  cat(sprintf("%s rate_before=%.12f rate_after=%.12f (per 1,000 per 30 days)\n", label,
              30000 * yb / eb, 30000 * ya / ea))
  d$after <- as.numeric(d$period == "after"); d$wd <- factor(weekdays(d$date))
  fit <- glm(events ~ after + wd, offset = log(exposure), family = poisson, data = d,
             control = glm.control(epsilon = 1e-14, maxit = 100))
  mu <- fitted(fit); n <- nrow(d); df <- n - length(coef(fit))
  phi <- sum((d$events - mu)^2) / sum(mu) * n / df
  cat(sprintf("%s phi=%.12f\n", label, phi))
  if (phi > 1) {  # quasi-Poisson: unscaled covariance times max(1, phi), t reference
    se <- sqrt(vcov(fit)["after", "after"] * phi)
    b <- coef(fit)[["after"]]; q <- qt(0.975, df)
    cat(sprintf("%s quasi ratio=%.12f ci=[%.12f, %.12f] p=%.12g df=%d\n", label, exp(b),
                exp(b - q * se), exp(b + q * se), 2 * pt(-abs(b / se), df), df))
  } else {  # exact conditional Poisson test on the totals
    pt_ <- poisson.test(c(ya, yb), c(ea, eb))
    cat(sprintf("%s exact ratio=%.12f p=%.12g\n", label, pt_$estimate, pt_$p.value))
  }
}
report("CR-1 overall", daily(rep(TRUE, nrow(tk))))
report("CR-2 chat", daily(tk$channel == "chat"))
