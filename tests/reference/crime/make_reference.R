# Golden values for the crime-count statistics (analysis.crime_* / glm_batch / funnel /
# multiplicity). Run from the repository root:
#   Rscript tests/reference/crime/make_reference.R
# Reads the committed inputs in tests/reference/crime/ (written by make_inputs.py) and
# /work/shared/reference/real/sicily.csv; writes tests/reference/crime/reference_values.csv
# (block, case, quantity, value; 17 significant digits) with the R and package versions.
#
# Settings that matter for agreement (the Python code uses the same):
# - time t = (i - (n + 1)/2) / 12 years; Fourier terms sin/cos(2 pi k month / 12);
# - exposure = population (31 Dec) * days in month / days in year; sicily: stdpop as given;
# - glm.control(epsilon = 1e-14, maxit = 100) so that R's estimates are converged far
#   beyond the 1e-6 tolerance (R's default 1e-8 deviance criterion is not);
# - sandwich::NeweyWest(fit, lag = L, prewhite = FALSE, adjust = FALSE);
# - segmented(..., control = seg.control(n.boot = 0, tol = 1e-10, it.max = 500)) from the
#   psi_start given in series.csv (a grid-search start, as the Python code uses).
suppressPackageStartupMessages({
  library(MASS); library(sandwich); library(segmented); library(metafor)
})
here <- "tests/reference/crime"
out <- list()
add <- function(block, case, quantity, value) {
  out[[length(out) + 1]] <<- data.frame(block = block, case = case, quantity = quantity,
                                        value = sprintf("%.17g", as.numeric(value)))
}
ctl <- glm.control(epsilon = 1e-14, maxit = 100)

days_in <- function(y, m) {
  dim <- c(31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)[m]
  leap <- (y %% 4 == 0 & y %% 100 != 0) | y %% 400 == 0
  dim + ifelse(m == 2 & leap, 1, 0)
}
prep <- function(d, K) {
  n <- nrow(d)
  d$t <- (seq_len(n) - (n + 1) / 2) / 12
  if (is.null(d$exposure))
    d$exposure <- d$population * days_in(d$year, d$month) / ifelse(days_in(d$year, 2) == 29, 366, 365)
  for (k in seq_len(K)) {
    d[[paste0("sin", k)]] <- sin(2 * pi * k * d$month / 12)
    d[[paste0("cos", k)]] <- cos(2 * pi * k * d$month / 12)
  }
  d
}
fml <- function(K, extra = NULL) {
  terms <- c("t", extra, unlist(lapply(seq_len(K), function(k) c(paste0("sin", k), paste0("cos", k)))))
  as.formula(paste("count ~", paste(terms, collapse = " + "), "+ offset(log(exposure))"))
}
block_phi <- function(y, mu, nparams, block = 12) {
  n <- length(y)
  ids <- (n - seq_len(n)) %/% block          # 0 = the last block
  nb <- max(ids) + 1
  if (n %% block != 0 && nb > 1) ids <- pmin(ids, nb - 2)  # short start joins first full block
  O <- tapply(y, ids, sum); E <- tapply(mu, ids, sum)
  df <- length(O) - nparams
  c(phi = sum((O - E)^2 / E) / df, df = df)
}

# glm.nb's outer criterion cannot reach 1e-14 in floating point; 1e-12 with many alternations
# converges theta to ~1e-10 relative. Warnings are recorded, not hidden.
nb_fit <- function(formula, data, name) {
  nw <- 0
  g <- withCallingHandlers(
    tryCatch(glm.nb(formula, data = data, control = glm.control(epsilon = 1e-12, maxit = 1000)),
             error = function(e) NULL),
    warning = function(w) { nw <<- nw + 1; invokeRestart("muffleWarning") })
  if (nw > 0) add("negbin_warnings", name, "n", nw)
  g
}

series_models <- function(d, name, K, nb = TRUE, month_effects = TRUE) {
  d <- prep(d, K)
  f <- glm(fml(K), family = poisson, data = d, control = ctl)
  cf <- coef(summary(f))
  for (v in rownames(cf)) {
    add("poisson", name, paste0("coef:", v), cf[v, 1])
    add("poisson", name, paste0("se:", v), cf[v, 2])
  }
  add("poisson", name, "deviance", deviance(f))
  q <- glm(fml(K), family = quasipoisson, data = d, control = ctl)
  add("quasipoisson", name, "dispersion", summary(q)$dispersion)
  cq <- coef(summary(q))
  for (v in rownames(cq)) add("quasipoisson", name, paste0("se:", v), cq[v, 2])
  for (L in c(2, 4)) {
    V <- NeweyWest(f, lag = L, prewhite = FALSE, adjust = FALSE)
    for (v in rownames(V)) add(paste0("neweywest_lag", L), name, paste0("se:", v), sqrt(V[v, v]))
  }
  if (nrow(d) >= 36) {
    b <- block_phi(d$count, fitted(f), 2)
    add("block", name, "phi", b["phi"]); add("block", name, "df", b["df"])
    se <- cf["t", 2] * sqrt(b["phi"])
    qt_ <- qt(0.975, b["df"])
    add("apc_block", name, "apc", 100 * (exp(cf["t", 1]) - 1))
    add("apc_block", name, "ci_low", 100 * (exp(cf["t", 1] - qt_ * se) - 1))
    add("apc_block", name, "ci_high", 100 * (exp(cf["t", 1] + qt_ * se) - 1))
    # the default rule (issue 15): the dispersion floored at 1, never narrower than Poisson
    # the floor binds where the t interval with phi is narrower than the Poisson normal one
    bind <- b["phi"] * qt_^2 < qnorm(0.975)^2
    sef <- cf["t", 2] * sqrt(if (bind) 1 else b["phi"])
    qf <- if (bind) qnorm(0.975) else qt_
    add("apc_block_floor", name, "ci_low", 100 * (exp(cf["t", 1] - qf * sef) - 1))
    add("apc_block_floor", name, "ci_high", 100 * (exp(cf["t", 1] + qf * sef) - 1))
  }
  if (nb) {
    g <- nb_fit(fml(K), d, name)
    if (!is.null(g)) {
      cg <- coef(summary(g))
      for (v in rownames(cg)) {
        add("negbin", name, paste0("coef:", v), cg[v, 1])
        add("negbin", name, paste0("se:", v), cg[v, 2])
      }
      add("negbin", name, "theta", g$theta); add("negbin", name, "se_theta", g$SE.theta)
      # theta.ml's SE.theta uses the information one Newton step before its last update;
      # the information at the returned theta (MASS's formula) is the converged value
      th <- g$theta; mu <- fitted(g); y <- d$count
      info <- sum(-trigamma(th + y) + trigamma(th) - 1 / th + 2 / (mu + th) - (y + th) / (mu + th)^2)
      add("negbin", name, "se_theta_at_mle", 1 / sqrt(info))
    }
  }
  if (month_effects && nrow(d) >= 24) {
    d$mf <- factor(d$month, levels = 1:12)
    contrasts(d$mf) <- contr.sum(12)
    m <- glm(count ~ t + mf + offset(log(exposure)), family = quasipoisson, data = d, control = ctl)
    phi <- max(1, summary(m)$dispersion)
    A <- cbind(0, 0, rbind(diag(11), -1))      # g_1..g_12 from the 11 sum contrasts
    g <- drop(A %*% coef(m)); Vg <- A %*% (summary(m)$cov.unscaled * phi) %*% t(A)
    for (k in 1:12) {
      add("season", name, paste0("ratio:", k), exp(g[k]))
      add("season", name, paste0("se_log:", k), sqrt(Vg[k, k]))
    }
    add("season", name, "phi", phi)
  }
  invisible(f)
}

# ---- generated series and real tables --------------------------------------------------
S <- read.csv(file.path(here, "series.csv"), colClasses = c(psi_start = "character"))
for (nm in unique(S$series)) series_models(S[S$series == nm, ], nm, K = 2)
H <- read.csv(file.path(here, "halland_2010.csv"))
for (nm in unique(H$series)) series_models(H[H$series == nm, ], nm, K = 1, nb = FALSE,
                                           month_effects = FALSE)
sic <- read.csv("/work/shared/reference/real/sicily.csv")
sic <- data.frame(year = sic$year, month = sic$month, count = sic$aces, exposure = sic$stdpop)
series_models(sic, "sicily", K = 2)

# ---- joinpoints: segmented with a fixed number of breakpoints ---------------------------
seg_one <- function(d, name, psi0, K) {
  d <- prep(d, K)
  f <- glm(fml(K), family = poisson, data = d, control = ctl)
  nw <- 0  # "max number of iterations attained" marks a kink optimum (see the tests)
  s <- withCallingHandlers(
    segmented(f, seg.Z = ~t, psi = list(t = psi0),
              control = seg.control(n.boot = 0, tol = 1e-10, it.max = 500, display = FALSE)),
    warning = function(w) { nw <<- nw + 1; invokeRestart("muffleWarning") })
  add("segmented", name, "n_warnings", nw)
  ps <- s$psi
  for (j in seq_len(nrow(ps))) {
    add("segmented", name, paste0("psi:", j), ps[j, "Est."])
    add("segmented", name, paste0("se_psi:", j), ps[j, "St.Err"])
  }
  sl <- slope(s, digits = 17)$t
  for (j in seq_len(nrow(sl))) {
    add("segmented", name, paste0("slope:", j), sl[j, "Est."])
    add("segmented", name, paste0("se_slope:", j), sl[j, "St.Err."])
  }
  add("segmented", name, "deviance", deviance(s))
}
for (nm in c("joint1", "joint2", "joint2i")) {
  d <- S[S$series == nm, ]
  seg_one(d, nm, as.numeric(strsplit(d$psi_start[1], ";")[[1]]), K = 2)
}
seg_one(sic, "sicily", c(-1.9), K = 2)

# ---- period comparison (2023 vs 2024) on the monthly series ------------------------------
for (nm in c("mid", "large", "small")) {
  d <- prep(S[S$series == nm, ], 2)
  d$p2 <- as.numeric(d$year == 2024)
  w <- d[d$year %in% c(2023, 2024), ]
  x1 <- sum(w$count[w$year == 2023]); x2 <- sum(w$count[w$year == 2024])
  t1 <- sum(w$exposure[w$year == 2023]); t2 <- sum(w$exposure[w$year == 2024])
  lrr <- log((x2 / t2) / (x1 / t1))
  q <- glm(update(fml(2), . ~ . - t + p2), family = quasipoisson, data = w, control = ctl)
  phi <- max(1, summary(q)$dispersion); df <- q$df.residual
  se <- sqrt(phi * (1 / x1 + 1 / x2))
  add("compare_quasi", nm, "phi", phi)
  add("compare_quasi", nm, "ci_low", exp(lrr - qt(0.975, df) * se))
  add("compare_quasi", nm, "ci_high", exp(lrr + qt(0.975, df) * se))
  add("compare_quasi", nm, "p_value", 2 * pt(-abs(lrr / se), df))
  g <- nb_fit(update(fml(2), . ~ . - t + p2), w, paste0(nm, ":compare"))
  if (!is.null(g)) {
    b <- coef(summary(g))["p2", ]
    add("compare_negbin", nm, "rate_ratio", exp(b[1]))
    add("compare_negbin", nm, "ci_low", exp(b[1] - qnorm(0.975) * b[2]))
    add("compare_negbin", nm, "ci_high", exp(b[1] + qnorm(0.975) * b[2]))
  }
  f <- glm(fml(2, "p2"), family = poisson, data = d, control = ctl)
  bp <- block_phi(d$count, fitted(f), 3)
  se <- sqrt(bp["phi"] * (1 / x1 + 1 / x2))
  add("compare_block", nm, "phi", bp["phi"])
  add("compare_block", nm, "ci_low", exp(lrr - qt(0.975, bp["df"]) * se))
  add("compare_block", nm, "ci_high", exp(lrr + qt(0.975, bp["df"]) * se))
  add("compare_block", nm, "p_value", 2 * pt(-abs(lrr / se), bp["df"]))
  sef <- sqrt(bp["phi"] * (1 / x1 + 1 / x2))
  if (bp["phi"] * qt(0.975, bp["df"])^2 < qnorm(0.975)^2) {  # floor binds: poisson.test
    pt_ <- poisson.test(c(x2, x1), c(t2, t1))
    add("compare_block_floor", nm, "ci_low", pt_$conf.int[1])
    add("compare_block_floor", nm, "ci_high", pt_$conf.int[2])
    add("compare_block_floor", nm, "p_value", pt_$p.value)
  } else {
    add("compare_block_floor", nm, "ci_low", exp(lrr - qt(0.975, bp["df"]) * sef))
    add("compare_block_floor", nm, "ci_high", exp(lrr + qt(0.975, bp["df"]) * sef))
    add("compare_block_floor", nm, "p_value", 2 * pt(-abs(lrr / sef), bp["df"]))
  }
}

# ---- poisson.test: two-sample (period 2 first) and Garwood one-sample -------------------
C <- read.csv(file.path(here, "poisson_cases.csv"))
for (i in seq_len(nrow(C))) {
  r <- poisson.test(c(C$x2[i], C$x1[i]), c(C$t2[i], C$t1[i]))
  add("poisson_test", i, "rate_ratio", r$estimate)
  add("poisson_test", i, "ci_low", r$conf.int[1]); add("poisson_test", i, "ci_high", r$conf.int[2])
  add("poisson_test", i, "p_value", r$p.value)
}
# real data: Brå P-tables, second half-year against the first (exposure = person-years)
for (nm in unique(H$series)) {
  d <- prep(H[H$series == nm, ], 1)
  h2 <- d$month >= 7
  r <- poisson.test(c(sum(d$count[h2]), sum(d$count[!h2])),
                    c(sum(d$exposure[h2]), sum(d$exposure[!h2])))
  add("poisson_test_real", nm, "rate_ratio", r$estimate)
  add("poisson_test_real", nm, "ci_low", r$conf.int[1])
  add("poisson_test_real", nm, "ci_high", r$conf.int[2])
  add("poisson_test_real", nm, "p_value", r$p.value)
}
for (x in c(0, 1, 4, 10, 57, 1234)) {
  r <- poisson.test(x, 2.5)
  add("garwood", x, "ci_low", r$conf.int[1]); add("garwood", x, "ci_high", r$conf.int[2])
}

# ---- Benjamini-Hochberg ---------------------------------------------------------------
P <- read.csv(file.path(here, "pvalues.csv"))$p
q <- p.adjust(P, "BH")
for (i in seq_along(q)) add("p_adjust_bh", i, "q", q[i])

# ---- funnel: overdispersion (metafor DL / FE) and exact Poisson limits --------------------
U <- read.csv(file.path(here, "funnel_units.csv"))
t0 <- sum(U$O) / sum(U$P)
yi <- U$O / U$P; vi <- t0 / U$P
dl <- rma(yi, vi, method = "DL")
add("funnel", "units", "target", t0)
add("funnel", "units", "tau2_dl", dl$tau2); add("funnel", "units", "QE", dl$QE)
z <- (yi - t0) / sqrt(vi)
lim <- quantile(z, c(0.1, 0.9), type = 7)
zw <- pmin(pmax(z, lim[1]), lim[2]); I <- length(z); w <- 1 / vi
phi_w <- mean(zw^2)
add("funnel", "units", "phi_winsor", phi_w)
add("funnel", "units", "tau2_winsor", max(0, (I * phi_w - (I - 1)) / (sum(w) - sum(w^2) / sum(w))))
for (e in c(0.5, 3, 10, 42.7, 100, 2500)) for (p in c(0.001, 0.025, 0.975, 0.999)) {
  r <- qpois(p, e)
  a <- (ppois(r, e) - p) / (ppois(r, e) - ppois(r - 1, e))
  add("poisson_limit", paste(e, p), "limit", max(r - a, 0))
}

# ---- versions --------------------------------------------------------------------------
add("meta", R.version.string, "R", 0)
for (pk in c("MASS", "sandwich", "segmented", "metafor"))
  add("meta", paste(pk, as.character(packageVersion(pk))), "package", 0)
res <- do.call(rbind, out)
write.csv(res, file.path(here, "reference_values.csv"), row.names = FALSE)
cat("wrote", nrow(res), "values\n")
