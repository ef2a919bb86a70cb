# Quasi-Poisson ITS on daily counts with a Newey-West covariance, for tests/test_its.py
# (case its_counts_hac_R).
#
# Run: Rscript tests/r/its_counts_hac.R
#
# One fixed series of 56 + 56 daily counts (drawn once with a drifting AR(1) log-rate under
# Poisson-gamma noise; the values are listed here and in the test), exposure
# 9000 + 25 t active customers, the first day a Monday. Model as its(): trend, day of week,
# level and slope change at day 56, offset log(exposure); covariance
# sandwich::NeweyWest(lag = floor(n / 5) = 22, prewhite = FALSE, adjust = TRUE).

suppressPackageStartupMessages(library(sandwich))
cat(R.version.string, " sandwich", format(packageVersion("sandwich")), "\n")

y <- c(4, 6, 16, 8, 5, 11, 23, 9, 16, 15, 14, 13, 13, 10, 9, 11, 17, 19, 16, 17, 17, 12, 13,
       11, 3, 9, 9, 6, 14, 9, 9, 10, 12, 11, 16, 19, 21, 12, 14, 13, 10, 7, 7, 7, 7, 13, 14,
       15, 11, 16, 5, 18, 7, 13, 17, 8, 20, 12, 20, 15, 10, 12, 12, 9, 16, 9, 5, 10, 7, 14,
       15, 11, 13, 13, 9, 14, 15, 15, 7, 11, 13, 19, 6, 15, 11, 15, 9, 4, 7, 13, 10, 14, 11,
       10, 6, 10, 16, 12, 10, 13, 17, 11, 8, 11, 14, 15, 7, 5, 10, 9, 16, 11)
n <- length(y)
t <- 0:(n - 1)
active <- 9000 + 25 * t
dow <- factor(t %% 7)
level_change <- as.numeric(t >= 56)
slope_change <- level_change * (t - 56)
fit <- glm(y ~ t + dow + level_change + slope_change + offset(log(active)),
           family = quasipoisson)
lag <- floor(n / 5)
V <- NeweyWest(fit, lag = lag, prewhite = FALSE, adjust = TRUE)
b <- coef(fit)
show <- function(name, est, se) {
  cat(sprintf("%s: estimate %.10f  se %.10f\n", name, est, se))
}
cat("n =", n, " lag =", lag, " dispersion =", format(summary(fit)$dispersion, digits = 10), "\n")
for (term in c("level_change", "slope_change")) show(term, b[[term]], sqrt(V[term, term]))

# Average effect over the after days as a log rate ratio (fit vs counterfactual), delta method.
X <- model.matrix(fit)
X0 <- X
X0[, c("level_change", "slope_change")] <- 0
after <- t >= 56
mu1 <- exp(drop(X[after, ] %*% b)) * active[after]
mu0 <- exp(drop(X0[after, ] %*% b)) * active[after]
g <- colSums(mu1 * X[after, ]) / sum(mu1) - colSums(mu0 * X0[after, ]) / sum(mu0)
show("average_effect_log_ratio", log(sum(mu1) / sum(mu0)), sqrt(drop(t(g) %*% V %*% g)))
