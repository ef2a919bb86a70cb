# Reference radii for tests/test_sequential_always_valid.py: the normal-mixture confidence
# sequence computed independently of the closed form, by integrating the mixture martingale
#   M(d) = integral of exp(l d / V - l^2 / (2 V)) dN(l; 0, tau2)
# numerically (integrate) and solving M(d) = 1 / alpha for d (uniroot).
# Run: Rscript tests/r/always_valid.R
mixture <- function(d, v, tau2) {
  f <- function(l) exp(l * d / v - l^2 / (2 * v) - l^2 / (2 * tau2)) / sqrt(2 * pi * tau2)
  integrate(f, -Inf, Inf, rel.tol = 1e-12)$value
}
radius <- function(se, tau2, alpha) {
  v <- se^2
  uniroot(function(d) log(mixture(d, v, tau2)) + log(alpha), c(0, 20 * se),
          tol = 1e-12)$root
}
cases <- list(c(1, 7.936, 0.05), c(0.5, 4, 0.05), c(2, 1, 0.05), c(1, 1, 0.01),
              c(0.3, 0.09, 0.10))
for (x in cases) cat(sprintf("se %.2f tau2 %.3f alpha %.2f radius %.6f\n", x[1], x[2], x[3],
                             radius(x[1], x[2], x[3])))
