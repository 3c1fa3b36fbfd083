# Golden values for the time-and-place statistics (analysis.crime.place). Run from the
# repository root:
#   Rscript tests/reference/crime/place_tests.R
# Writes tests/reference/crime/place_reference.csv (block, case, quantity, value; 17
# significant digits). Inputs are written out below, so the script needs nothing else.
# Monte Carlo p-values (chisq.test(simulate.p.value = TRUE)) use B = 20000 and are compared
# within Monte Carlo error, not digit for digit (another random stream).
here <- "tests/reference/crime"
out <- list()
add <- function(block, case, quantity, value) {
  out[[length(out) + 1]] <<- data.frame(block = block, case = case, quantity = quantity,
                                        value = sprintf("%.17g", as.numeric(value)))
}
# exact Poisson test of a count against an expected count (two-sided, R's rule)
for (m in c(0.7, 3.2, 5, 12.5, 40)) for (x in c(0, 1, 2, 3, 5, 8, 13, 21, 34, 55)) {
  add("poisson", sprintf("x=%d;m=%s", x, m), "p_value", poisson.test(x, 1, m)$p.value)
}
# exact binomial test and Clopper-Pearson interval of a place's share
cases <- list(c(3, 40, 0.1), c(30, 150, 0.1667), c(120, 620, 0.1), c(0, 25, 0.125),
              c(479, 1800, 1/12), c(7, 7, 0.5))
for (cs in cases) {
  b <- binom.test(cs[1], cs[2], cs[3])
  key <- sprintf("x=%d;n=%d;p=%s", cs[1], cs[2], cs[3])
  add("binom", key, "p_value", b$p.value)
  add("binom", key, "ci_low", b$conf.int[1]); add("binom", key, "ci_high", b$conf.int[2])
}
# Fisher's exact test of a 2 x 2 table: rows (later, earlier), columns (place, elsewhere)
tabs <- list(c(45, 575, 18, 602), c(5, 250, 2, 258), c(60, 840, 55, 845), c(0, 140, 6, 144),
             c(156, 744, 52, 848))
for (tb in tabs) {
  f <- fisher.test(matrix(tb, 2, byrow = TRUE))
  key <- paste(tb, collapse = "/")
  add("fisher", key, "p_value", f$p.value); add("fisher", key, "odds_ratio", f$estimate)
  add("fisher", key, "ci_low", f$conf.int[1]); add("fisher", key, "ci_high", f$conf.int[2])
}
# chi-square goodness of fit to an even spread, asymptotic and simulated
gof <- list(dense = c(30, 10, 20, 25, 18, 40, 33), sparse = c(0, 1, 3, 0, 2, 7, 1, 0, 0, 4, 1, 1))
for (nm in names(gof)) {
  x <- gof[[nm]]
  a <- suppressWarnings(chisq.test(x))
  add("gof", nm, "statistic", a$statistic); add("gof", nm, "p_value_asymptotic", a$p.value)
  set.seed(1); s <- chisq.test(x, simulate.p.value = TRUE, B = 20000)
  add("gof", nm, "p_value_simulated", s$p.value)
}
# chi-square test of independence, asymptotic and simulated (fixed margins)
ind <- list(dense = matrix(c(40, 22, 31, 18, 25, 44, 20, 30, 35), 3, byrow = TRUE),
            sparse = matrix(c(3, 0, 1, 5, 0, 2, 4, 1, 1, 0, 6, 2), 3, byrow = TRUE))
for (nm in names(ind)) {
  x <- ind[[nm]]
  a <- suppressWarnings(chisq.test(x, correct = FALSE))
  add("independence", nm, "statistic", a$statistic); add("independence", nm, "p_value_asymptotic", a$p.value)
  set.seed(1); s <- chisq.test(x, simulate.p.value = TRUE, B = 20000)
  add("independence", nm, "p_value_simulated", s$p.value)
}
res <- do.call(rbind, out)
con <- file(file.path(here, "place_reference.csv"), "w")
writeLines(sprintf("# %s; written by place_tests.R", R.version.string), con)
write.csv(res, con, row.names = FALSE, quote = FALSE)
close(con)
