# Golden values for analysis.crime.funnel.ratio_to_expected and count_limits.
# Run from the repository root:  Rscript tests/reference/crime/funnel_exact.R
# Writes tests/reference/crime/funnel_exact.csv (17 significant digits).
# Dispersion d: O / d ~ Poisson(E / d) with gamma tails (non-integer O / d allowed):
#   P(X >= O) = pgamma(E/d, O/d), P(X <= O) = pgamma(E/d, O/d + 1, lower = FALSE),
#   interval = qgamma(a, O/d) / (E/d), qgamma(1 - a, O/d + 1) / (E/d).
# With d = 1 and integer O the interval is poisson.test(O, E)$conf.int and the tails ppois.
here <- "tests/reference/crime"
cases <- data.frame(O = c(4, 0, 1, 7, 30, 12, 250, 13.5, 931),
                    E = c(1.5, 5, 0.4, 12.2, 20, 30, 200, 9.1, 1012.7),
                    d = c(1, 1, 1, 1, 1, 2, 3.5, 1.7, 11.2))
a <- 0.025
out <- within(cases, {
  s <- O / d; lam <- E / d
  p_upper <- ifelse(s > 0, pgamma(lam, s), 1)
  p_lower <- pgamma(lam, s + 1, lower.tail = FALSE)
  ratio_low <- ifelse(s > 0, qgamma(a, s), 0) / lam
  ratio_high <- qgamma(1 - a, s + 1) / lam
  # cross-checks with the Poisson functions where the count is an integer and d = 1
  ptest_low <- ifelse(d == 1, sapply(seq_along(O), function(i) if (d[i] == 1) poisson.test(O[i], E[i])$conf.int[1] else NA), NA)
  ptest_high <- ifelse(d == 1, sapply(seq_along(O), function(i) if (d[i] == 1) poisson.test(O[i], E[i])$conf.int[2] else NA), NA)
  ppois_upper <- ifelse(d == 1, ppois(O - 1, E, lower.tail = FALSE), NA)
  ppois_lower <- ifelse(d == 1, ppois(O, E), NA)
  rm(s, lam)
})
write.csv(format(out, digits = 17), file.path(here, "funnel_exact.csv"), row.names = FALSE,
          quote = FALSE)
cat(R.version.string, "\n")
