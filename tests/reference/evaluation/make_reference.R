# Golden values for analysis.evaluation (issue 6).
# Run from this folder:  Rscript make_reference.R
# Writes reference.json (numbers below) and sessionInfo-style versions. Needs MASS, sandwich,
# quadprog (Debian r-cran-quadprog). Tests read reference.json and never need R.
suppressPackageStartupMessages({library(MASS); library(sandwich); library(quadprog)})
tight <- glm.control(epsilon = 1e-13, maxit = 200)
out <- list(versions = list(R = R.version.string,
                            MASS = as.character(packageVersion("MASS")),
                            sandwich = as.character(packageVersion("sandwich")),
                            quadprog = as.character(packageVersion("quadprog"))))

# ---------------------------------------------------------------- 1. Sicily (Bernal et al. 2017)
d <- read.csv("sicily.csv")
# harmonic(month, 2, 12) as in the tutorial (tsModel::harmonic): sin and cos of 2*pi*k*month/12
harm <- function(x, nfreq, period) {
  M <- outer(2 * pi * x / period, seq_len(nfreq))
  m <- cbind(sin(M), cos(M)); colnames(m) <- c(paste0("sin", seq_len(nfreq)), paste0("cos", seq_len(nfreq))); m
}
H <- harm(d$month, 2, 12)
d <- cbind(d, H)
f0 <- aces ~ offset(log(stdpop)) + smokban + time
f1 <- aces ~ offset(log(stdpop)) + smokban + time + sin1 + sin2 + cos1 + cos2
pack <- function(m, hac_lag = 3) {
  s <- summary(m)
  r <- list(coef = as.list(coef(m)), se = as.list(sqrt(diag(vcov(m)))),
            dispersion = s$dispersion, deviance = deviance(m), df_residual = m$df.residual)
  if (!is.null(hac_lag)) {
    V <- NeweyWest(m, lag = hac_lag, prewhite = FALSE, adjust = FALSE)
    r$hac_se <- as.list(sqrt(diag(V)))
    r$hac_lag <- hac_lag
  }
  r
}
m_pois <- glm(f0, family = poisson, data = d, control = tight)
m_quasi <- glm(f0, family = quasipoisson, data = d, control = tight)
m_pois_h <- glm(f1, family = poisson, data = d, control = tight)
m_quasi_h <- glm(f1, family = quasipoisson, data = d, control = tight)
# glm.nb alternates theta and beta; 1e-10 is as tight as its alternation converges
m_nb <- glm.nb(f1, data = d, control = glm.control(epsilon = 1e-10, maxit = 200))
out$sicily <- list(
  poisson = pack(m_pois), quasipoisson = pack(m_quasi, NULL),
  poisson_fourier = pack(m_pois_h), quasipoisson_fourier = pack(m_quasi_h, NULL),
  negbin_fourier = c(pack(m_nb), list(theta = m_nb$theta, theta_se = m_nb$SE.theta,
                                      twologlik = m_nb$twologlik)))
# counterfactual (ban switched off) on the link scale with its standard error, quasi-Poisson + Fourier
cf <- d; cf$smokban <- 0
p <- predict(m_quasi_h, newdata = cf, type = "link", se.fit = TRUE)
out$sicily$counterfactual <- list(time = d$time, fit = unname(p$fit), se = unname(p$se.fit))

# A transition window left out of the fit (3 months from the ban, weight 0): Newey-West with the
# time spacing kept, the standard definition (a lag is a distance in months). sandwich's own
# NeweyWest() on a zero-weight fit scales bread and meat by different n, so the sandwich is
# built here from estfun() and cov.unscaled by the textbook formula, and cross-checked against
# NeweyWest() rescaled; the fit on the remaining rows only (time spacing lost) is kept for the docs.
tw <- as.numeric(!(d$time >= 37 & d$time < 40))
m_tw <- glm(f1, family = poisson, data = d, weights = tw, control = tight)
U <- estfun(m_tw)
nw_meat <- function(U, L) {
  M <- crossprod(U)
  for (l in seq_len(L)) {
    G <- crossprod(U[-(1:l), , drop = FALSE], U[1:(nrow(U) - l), , drop = FALSE])
    M <- M + (1 - l / (L + 1)) * (G + t(G))
  }
  M
}
B <- summary(m_tw)$cov.unscaled
V_gap <- B %*% nw_meat(U, 3) %*% B
n_all <- nrow(d); n_fit <- sum(tw > 0)
stopifnot(isTRUE(all.equal(V_gap, NeweyWest(m_tw, lag = 3, prewhite = FALSE, adjust = FALSE) *
                           (n_all / n_fit)^2, tolerance = 1e-10)))
m_drop <- glm(f1, family = poisson, data = d[tw > 0, ], control = tight)
V_drop <- NeweyWest(m_drop, lag = 3, prewhite = FALSE, adjust = FALSE)
out$sicily$transition_hac <- list(coef = as.list(coef(m_tw)), hac_se = as.list(sqrt(diag(V_gap))),
                                  hac_se_rows_dropped = as.list(sqrt(diag(V_drop))),
                                  hac_lag = 3, transition = c(37, 39))

# ---------------------------------------------------------------- 2. DiD
# Kiel & McClain (1995) via Wooldridge Example 13.3: rprice ~ y81 * nearinc
k <- read.csv("kielmc.csv")
mk <- lm(rprice ~ y81 * nearinc, data = k)
out$kielmc <- list(coef = as.list(coef(mk)), se_classic = as.list(sqrt(diag(vcov(mk)))),
                   se_hc1 = as.list(sqrt(diag(vcovHC(mk, type = "HC1")))),
                   se_cluster_nbh = as.list(sqrt(diag(vcovCL(mk, cluster = ~nbh, type = "HC1")))),
                   n = nobs(mk))
# NSW experimental controls vs CPS comparison units (two waves, 1975/1978), clustered by person
w <- read.csv("nsw_cps_panel.csv")
w$post <- as.integer(w$year == 1978)
mw <- lm(re ~ experimental * post, data = w)
out$nsw <- list(coef = as.list(coef(mw)), se_classic = as.list(sqrt(diag(vcov(mw)))),
                se_hc1 = as.list(sqrt(diag(vcovHC(mw, type = "HC1")))),
                se_cluster = as.list(sqrt(diag(vcovCL(mw, cluster = ~id, type = "HC1")))),
                n = nobs(mw), n_clusters = length(unique(w$id)))

# Card & Krueger (1994): full-time-equivalent employment in 410 fast-food restaurants in New
# Jersey (minimum wage raised 1 April 1992) and eastern Pennsylvania, February and November 1992.
# Layout of Hill, Griffiths & Lim's njmin3 (one row per store and wave); `store` pairs the waves.
ck <- read.csv("card_krueger_njmin3.csv")
mc <- lm(fte ~ nj * d, data = ck)
cc <- complete.cases(ck[, c("fte", "nj", "d")])
out$card_krueger <- list(coef = as.list(coef(mc)), se_classic = as.list(sqrt(diag(vcov(mc)))),
                         se_hc1 = as.list(sqrt(diag(vcovHC(mc, type = "HC1")))),
                         se_cluster = as.list(sqrt(diag(vcovCL(mc, cluster = ck$store[cc], type = "HC1")))),
                         n = nobs(mc), n_clusters = length(unique(ck$store[cc])))

# ---------------------------------------------------------------- 3. Synthetic control, outcome only
# California Proposition 99 (ADH 2010 data as shipped with synthdid/causalpy): weights on the
# simplex minimising the pre-1989 squared distance of per-capita packs. quadprog needs a positive
# definite matrix; 38 donors and 19 years make D singular, so a ridge of 1e-10 * mean(diag(D)) is
# added (its effect on the weights is far below 1e-6, checked by the objective value).
cal <- read.csv("california_prop99.csv")
Y <- reshape(cal, idvar = "year", timevar = "state", direction = "wide")
rownames(Y) <- Y$year; Y$year <- NULL; colnames(Y) <- sub("packs_per_capita.", "", colnames(Y))
years <- as.integer(rownames(Y)); pre <- years < 1989
sc_weights <- function(y1, Y0) {
  D <- crossprod(Y0); D <- D + diag(1e-10 * mean(diag(D)), ncol(D))
  dv <- crossprod(Y0, y1)
  A <- cbind(rep(1, ncol(Y0)), diag(ncol(Y0)))
  sol <- solve.QP(Dmat = D, dvec = dv, Amat = A, bvec = c(1, rep(0, ncol(Y0))), meq = 1)
  w <- pmax(sol$solution, 0); w / sum(w)
}
sc_fit <- function(unit, pool) {
  y1 <- Y[pre, unit]; Y0 <- as.matrix(Y[pre, pool])
  w <- sc_weights(y1, Y0); names(w) <- pool
  gap <- Y[, unit] - as.matrix(Y[, pool]) %*% w
  rm_pre <- sqrt(mean(gap[pre]^2)); rm_post <- sqrt(mean(gap[!pre]^2))
  list(w = w, gap = as.vector(gap), rmspe_pre = rm_pre, rmspe_post = rm_post, ratio = rm_post / rm_pre)
}
donors <- setdiff(colnames(Y), "California")
ca <- sc_fit("California", donors)
ratios <- sapply(donors, function(u) sc_fit(u, setdiff(donors, u))$ratio)
out$california <- list(
  weights = as.list(ca$w), gap = ca$gap, years = years, rmspe_pre = ca$rmspe_pre,
  rmspe_post = ca$rmspe_post, ratio = ca$ratio, att = mean(ca$gap[!pre]),
  objective = sum((Y[pre, "California"] - as.matrix(Y[pre, donors]) %*% ca$w)^2),
  placebo_ratios = as.list(ratios),
  p_value = (1 + sum(ratios >= ca$ratio)) / (1 + length(ratios)))


# ---------------------------------------------------------------- 4. Poisson panel DiD (controlled ITS)
# A small seeded panel (written by the test helper once; see tests/measure_evaluation): kommun and
# month effects, treatment indicator; cluster-robust by kommun (vcovCL: HC0 with G/(G-1)).
pd <- read.csv("panel_did.csv")
mp <- glm(count ~ factor(unit) + factor(month) + did + offset(log(population)), family = poisson,
          data = pd, control = tight)
pd$ev <- factor(ifelse(pd$unit == "k0" & pd$year_rel != -1, pd$year_rel, "ref"))
pd$ev <- relevel(pd$ev, ref = "ref")
me <- glm(count ~ factor(unit) + factor(month) + ev + offset(log(population)), family = poisson,
          data = pd, control = tight)
ce <- coef(me)[grep("^ev", names(coef(me)))]
out$panel <- list(did = unname(coef(mp)["did"]), se_model = unname(sqrt(vcov(mp)["did", "did"])),
             se_cluster = unname(sqrt(vcovCL(mp, cluster = ~unit, type = "HC0")["did", "did"])),
             event = as.list(ce), event_se = as.list(sqrt(diag(vcov(me)))[names(ce)]))

source("to_json.R")
writeLines(to_json(out), "reference.json")
cat("wrote reference.json\n")
