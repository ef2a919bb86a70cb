# R's t.test on constant and nearly constant samples, for tests/test_inference_degenerate.py
# (case t_test_constant_R).
#
# Run: Rscript tests/r/t_test_constant.R
#
# stats:::t.test.default stops with "data are essentially constant" when the standard error
# of the difference is below 10 * .Machine$double.eps times the larger absolute mean; with
# both means 0 the check (0 < 0) passes and t is 0/0.

cat(R.version.string, "\n")
src <- deparse(stats:::t.test.default)
cat("rule:", trimws(src[grep("stderr < 10", src)[2] + 0:2]), "\n")
cat("double.eps:", format(.Machine$double.eps, digits = 17), "\n\n")

show <- function(id, x, y) {
  cat("case:", id, "\n")
  r <- tryCatch(t.test(x, y), error = function(e) e)
  if (inherits(r, "error")) {
    cat("error:", conditionMessage(r), "\n\n")
  } else {
    cat("t =", format(unname(r$statistic), digits = 15), " df =",
        format(unname(r$parameter), digits = 15), " p =", format(r$p.value, digits = 15),
        "\nci =", format(r$conf.int, digits = 15), "\n\n")
  }
}

# (a) two constant samples with different means
show("constant_apart", c(3, 3, 3), c(2, 2, 2, 2))
# (b) two constant samples with the same mean, not exactly representable (0.1)
show("constant_same", rep(0.1, 1000), rep(0.1, 1000))
# (c) both means 0: the check passes, t = 0/0
show("constant_zero", c(0, 0, 0), c(0, 0, 0, 0))
# (d) nearly constant but above the tolerance: R runs the test
show("nearly_constant", c(1, 1, 1.0001), c(1, 1, 1))
