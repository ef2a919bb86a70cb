# Reference boundaries for tests/test_sequential.py: Lan-DeMets alpha spending (rpact,
# Debian package r-cran-rpact). Run: Rscript tests/r/sequential_bounds.R
suppressMessages(library(rpact))
show <- function(label, d) cat(label, ":", sprintf("%.4f", d$criticalValues), "\n")
eq5 <- (1:5) / 5
show("asOF two-sided 0.05, 5 equal", getDesignGroupSequential(
  kMax = 5, alpha = 0.05, sided = 2, typeOfDesign = "asOF", informationRates = eq5))
show("asP two-sided 0.05, 5 equal", getDesignGroupSequential(
  kMax = 5, alpha = 0.05, sided = 2, typeOfDesign = "asP", informationRates = eq5))
eq8 <- (1:8) / 8
show("asOF two-sided 0.05, 8 equal", getDesignGroupSequential(
  kMax = 8, alpha = 0.05, sided = 2, typeOfDesign = "asOF", informationRates = eq8))
show("asP two-sided 0.05, 8 equal", getDesignGroupSequential(
  kMax = 8, alpha = 0.05, sided = 2, typeOfDesign = "asP", informationRates = eq8))
# weekly looks over an 8-week after window beside an 8-week before window:
# information fraction t(1 + r)/(t + r), r = 1
info8 <- 2 * eq8 / (1 + eq8)
show("asOF two-sided 0.05, 8 weekly, r = 1", getDesignGroupSequential(
  kMax = 8, alpha = 0.05, sided = 2, typeOfDesign = "asOF", informationRates = info8))
show("asOF one-sided 0.05, 8 weekly, r = 1", getDesignGroupSequential(
  kMax = 8, alpha = 0.05, sided = 1, typeOfDesign = "asOF", informationRates = info8))
show("asP one-sided 0.025, 4 unequal", getDesignGroupSequential(
  kMax = 4, alpha = 0.025, sided = 1, typeOfDesign = "asP",
  informationRates = c(0.2, 0.45, 0.7, 1)))
