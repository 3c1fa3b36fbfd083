# Golden values for analysis.survey, computed with R survey (and metafor for Fay-Herriot).
#
#   cd tests/reference/survey && Rscript make_reference.R
#
# Writes the api data sets of R survey (apisrs, apistrat, apiclus1, apiclus2 with the columns
# the tests use; apipop reduced to the calibration variables) as CSV, then golden.csv with one
# value per line: case, key (domain: by-values joined by "|", "ALL" for the whole design),
# level (category, quantile or "-"), field (estimate/se/ci_low/ci_high/deff/df/...), value.
# versions.json records R and package versions. The safety survey (safety_*.csv) is made by
# make_safety_survey.py. Each case name is mirrored by tests/survey/test_golden.py.
suppressMessages({library(survey); library(metafor)})
options(survey.lonely.psu = "fail")
data(api)

cols <- c("cds", "stype", "snum", "dnum", "cnum", "pcttest", "api00", "api99", "target", "growth",
          "sch.wide", "comp.imp", "both", "awards", "meals", "ell", "yr.rnd", "mobility",
          "enroll", "api.stu", "pw", "fpc")
apistrat$strat_lonely <- as.character(apistrat$stype)
apistrat$strat_lonely[which(apistrat$stype == "H")[1]] <- "H1"   # a stratum with a single PSU
write.csv(apisrs[, cols], "apisrs.csv", row.names = FALSE)
write.csv(apistrat[, c(cols, "strat_lonely")], "apistrat.csv", row.names = FALSE)
write.csv(apiclus1[, cols], "apiclus1.csv", row.names = FALSE)
write.csv(apiclus2[, c(setdiff(cols, "fpc"), "fpc1", "fpc2")], "apiclus2.csv", row.names = FALSE)
write.csv(apipop[, c("stype", "sch.wide", "api99")], "apipop.csv", row.names = FALSE)
# compute everything from the CSV files as written (15 significant digits), so that R and the
# Python tests see identical numbers
for (nm in c("apisrs", "apistrat", "apiclus1", "apiclus2", "apipop")) assign(nm, read.csv(paste0(nm, ".csv")))

rows <- list()
emit <- function(case, key, level, field, value) {
  rows[[length(rows) + 1]] <<- data.frame(case = case, key = as.character(key), level = as.character(level),
                                          field = field, value = as.numeric(value))
}
keys <- function(res, byvars) do.call(paste, c(lapply(byvars, function(v) as.character(res[[v]])), sep = "|"))

# svyby table -> estimate, se, ci (from the ci_l/ci_u columns), deff
emit_by <- function(case, res, byvars, level = "-", fields = c("estimate", "se", "ci_low", "ci_high")) {
  k <- keys(res, byvars)
  nb <- length(byvars)
  est <- res[[nb + 1]]
  if ("estimate" %in% fields) emit(case, k, level, "estimate", est)
  if ("se" %in% fields) emit(case, k, level, "se", res[[nb + 2]])
  if ("ci_low" %in% fields) { emit(case, k, level, "ci_low", res[["ci_l"]]); emit(case, k, level, "ci_high", res[["ci_u"]]) }
  dcol <- grep("^DEff", names(res))
  if (length(dcol)) emit(case, k, level, "deff", res[[dcol[1]]])
}

# svyciprop per domain as svyby does (design[domain, ]), skipping domains where R fails
# (e.g. the likelihood profile of a proportion of 0 or 1); also records degf of the domain
prop_by <- function(case, f, byvars, d, m, level, narm = FALSE, fields = c("estimate", "se", "ci_low", "ci_high")) {
  vars <- if (inherits(d, "svyrep.design")) d$variables else model.frame(d)
  w <- weights(d, "sampling")
  bf <- do.call(paste, c(lapply(byvars, function(v) as.character(vars[[v]])), sep = "|"))
  for (k in sort(unique(bf[w != 0]))) {
    sub <- d[bf == k, ]
    r <- tryCatch(if (narm) svyciprop(f, sub, method = m, na.rm = TRUE) else svyciprop(f, sub, method = m),
                  error = function(e) NULL)
    if (is.null(r)) next
    if ("estimate" %in% fields) emit(case, k, level, "estimate", coef(r))
    if ("se" %in% fields) emit(case, k, level, "se", sqrt(vcov(r)))
    ci <- confint(r)
    emit(case, k, level, "ci_low", ci[1]); emit(case, k, level, "ci_high", ci[2])
    emit(case, k, level, "df", degf(sub))
  }
}
by_mean <- function(case, f, by, d, byvars, deff = TRUE, ...) {
  emit_by(case, svyby(f, by, d, svymean, deff = deff, vartype = c("se", "ci"), ...), byvars)
}

# ------------------------------------------------------------------- designs
for (nm in c("apisrs", "apistrat", "apiclus1", "apiclus2")) { x <- get(nm); x$one <- "ALL"; assign(nm, x) }
designs <- list(
  srs = svydesign(id = ~1, fpc = ~fpc, data = apisrs),
  strat = svydesign(id = ~1, strata = ~stype, weights = ~pw, fpc = ~fpc, data = apistrat),
  clus1 = svydesign(id = ~dnum, weights = ~pw, fpc = ~fpc, data = apiclus1),
  clus2 = svydesign(id = ~dnum + snum, fpc = ~fpc1 + fpc2, data = apiclus2),
  clus1nofpc = svydesign(id = ~dnum, weights = ~pw, data = apiclus1))

for (dn in names(designs)) {
  d <- designs[[dn]]
  for (b in list(c("one"), c("stype"), c("stype", "awards"))) {
    by <- as.formula(paste("~", paste(b, collapse = "+")))
    tag <- paste(b, collapse = "+")
    by_mean(paste0(dn, "/mean/api00/", tag), ~api00, by, d, b)
    emit_by(paste0(dn, "/total/enroll/", tag), svyby(~enroll, by, d, svytotal, deff = TRUE, na.rm = TRUE,
                                                    vartype = c("se", "ci")), b)
    emit_by(paste0(dn, "/ratio/api.stu~enroll/", tag),
            svyby(~api.stu, by, d, svyratio, denominator = ~enroll, deff = TRUE, na.rm = TRUE,
                  vartype = c("se", "ci")), b)
    for (lev in c("No", "Yes")) {
      ind <- as.formula(paste0("~I(as.numeric(sch.wide == '", lev, "'))"))
      for (m in c("logit", "likelihood", "beta", "xlogit", "asin", "mean"))
        prop_by(paste0(dn, "/prop-", m, "/sch.wide/", tag), as.formula(paste0("~I(sch.wide == '", lev, "')")),
                b, d, m, lev)
      emit_by(paste0(dn, "/propdeff/sch.wide/", tag), svyby(ind, by, d, svymean, deff = TRUE,
                                                          vartype = c("se", "ci")), b, lev)
    }
  }
  emit_by(paste0(dn, "/mean-df-design/api00/stype"),
          {r <- svyby(~api00, ~stype, d, svymean); ci <- confint(r, df = degf(d));
           r$ci_l <- ci[, 1]; r$ci_u <- ci[, 2]; r}, "stype")
  for (p in c(0.25, 0.5, 0.9)) {
    for (it in c("mean", "beta", "xlogit", "asin")) {
      res <- svyby(~api00, ~one, d, svyquantile, quantiles = p, interval.type = it, ci = TRUE,
                   vartype = c("se", "ci"))
      emit_by(paste0(dn, "/quantile-", it, "/api00/one"), res, "one", p)
    }
    res <- svyby(~api00, ~stype, d, svyquantile, quantiles = p, ci = TRUE, vartype = c("se", "ci"))
    emit_by(paste0(dn, "/quantile-mean/api00/stype"), res, "stype", p)
    for (qr in c("school", "hf7", "shahvaish", "hf4")) {
      res <- svyby(~api00, ~one, d, svyquantile, quantiles = p, qrule = qr, ci = TRUE, vartype = c("se", "ci"))
      emit_by(paste0(dn, "/quantile-mean-", qr, "/api00/one"), res, "one", p)
    }
  }
}

# missing values: target has NA in apistrat and apiclus1
for (dn in c("strat", "clus1")) {
  d <- designs[[dn]]
  by_mean(paste0(dn, "/mean-narm/target/stype"), ~target, ~stype, d, "stype", na.rm = TRUE)
  by_mean(paste0(dn, "/mean-narm/target/one"), ~target, ~one, d, "one", na.rm = TRUE)
  for (p in c(0.5)) emit_by(paste0(dn, "/quantile-narm/target/stype"),
                            svyby(~target, ~stype, d, svyquantile, quantiles = p, ci = TRUE, na.rm = TRUE,
                                  vartype = c("se", "ci")), "stype", p)
}

# lonely PSUs
for (opt in c("adjust", "average", "remove", "certainty")) {
  options(survey.lonely.psu = opt)
  dl <- svydesign(id = ~1, strata = ~strat_lonely, weights = ~pw, data = apistrat)
  by_mean(paste0("lonely-", opt, "/mean/api00/one"), ~api00, ~one, dl, "one", deff = FALSE)
  by_mean(paste0("lonely-", opt, "/mean/api00/awards"), ~api00, ~awards, dl, "awards", deff = FALSE)
  options(survey.adjust.domain.lonely = TRUE)
  dd <- svydesign(id = ~dnum, strata = ~stype, weights = ~pw, data = apistrat, nest = TRUE)
  by_mean(paste0("domainlonely-", opt, "/mean/api00/cnum"), ~api00, ~cnum, subset(dd, cnum %in% c(1, 7, 15, 19, 30, 33)),
          "cnum", deff = FALSE)
  options(survey.adjust.domain.lonely = FALSE)
}
options(survey.lonely.psu = "fail")

# ------------------------------------------------------------------- calibration (clus1, strat)
pop.types <- data.frame(stype = c("E", "H", "M"), Freq = c(4421, 755, 1018))
pop.schwide <- data.frame(sch.wide = c("No", "Yes"), Freq = c(1072, 5122))
pop.totals <- c(`(Intercept)` = 6194, stypeH = 755, stypeM = 1018)
api99tot <- sum(apipop$api99)
cal_designs <- function(d) list(
  poststrat = postStratify(d, ~stype, pop.types),
  rake = rake(d, list(~stype, ~sch.wide), list(pop.types, pop.schwide)),
  greg = calibrate(d, ~stype + api99, c(pop.totals, api99 = api99tot)),
  linearbounded = calibrate(d, ~stype + api99, c(pop.totals, api99 = api99tot), bounds = c(0.7, 1.7)),
  logit = calibrate(d, ~stype + api99, c(pop.totals, api99 = api99tot), bounds = c(0.5, 2.5), calfun = "logit"),
  raking = calibrate(d, ~stype + sch.wide, c(pop.totals, sch.wideYes = 5122), calfun = "raking"),
  # finite bounds: survey 4.1-1 ignores trim= for linear calibration without bounds
  trim = calibrate(d, ~stype + api99, c(pop.totals, api99 = api99tot), trim = c(0.8, 1.15), bounds = c(-1e6, 1e6)),
  trimweights = trimWeights(calibrate(d, ~stype + api99, c(pop.totals, api99 = api99tot)), upper = 40, lower = 20))
for (dn in c("clus1", "strat")) {
  cds <- cal_designs(designs[[dn]])
  for (cn in names(cds)) {
    d <- cds[[cn]]
    emit(paste0(dn, "-", cn, "/weights"), seq_along(weights(d)), "-", "weight", weights(d))
    by_mean(paste0(dn, "-", cn, "/mean/api00/one"), ~api00, ~one, d, "one")
    by_mean(paste0(dn, "-", cn, "/mean/api00/awards"), ~api00, ~awards, d, "awards")
    emit_by(paste0(dn, "-", cn, "/total/enroll/stype"), svyby(~enroll, ~stype, d, svytotal, vartype = c("se", "ci")), "stype")
    for (m in c("logit", "beta", "likelihood"))
      prop_by(paste0(dn, "-", cn, "/prop-", m, "/awards/stype"), ~I(awards == "Yes"), "stype", d, m, "Yes")
    emit_by(paste0(dn, "-", cn, "/quantile-mean/api00/one"),
            svyby(~api00, ~one, d, svyquantile, quantiles = 0.5, ci = TRUE, vartype = c("se", "ci")), "one", 0.5)
  }
}

# ------------------------------------------------------------------- replicate weights
set.seed(20240611)
reps <- list(
  jk1 = as.svrepdesign(designs$clus1, type = "JK1"),
  jk1mse = as.svrepdesign(designs$clus1, type = "JK1", mse = TRUE),
  jkn = as.svrepdesign(designs$strat, type = "JKn"),
  bootstrat = {set.seed(101); as.svrepdesign(designs$strat, type = "bootstrap", replicates = 50)},
  bootclus = {set.seed(202); as.svrepdesign(designs$clus1nofpc, type = "bootstrap", replicates = 40)},
  bootclusmse = {set.seed(202); as.svrepdesign(designs$clus1nofpc, type = "bootstrap", replicates = 40, mse = TRUE)})
reps$jk1rake <- rake(reps$jk1, list(~stype, ~sch.wide), list(pop.types, pop.schwide))
reps$jk1poststrat <- postStratify(reps$jk1, ~stype, pop.types)
reps$jk1greg <- calibrate(reps$jk1, ~stype + api99, c(pop.totals, api99 = api99tot))
reps$jk1raking <- calibrate(reps$jk1, ~stype + sch.wide, c(pop.totals, sch.wideYes = 5122), calfun = "raking")
for (rn in names(reps)) {
  d <- reps[[rn]]
  emit(paste0("rep-", rn, "/degf"), "ALL", "-", "df", degf(d))
  for (b in list("one", "stype")) {
    by <- as.formula(paste("~", b))
    by_mean(paste0("rep-", rn, "/mean/api00/", b), ~api00, by, d, b)
    emit_by(paste0("rep-", rn, "/total/enroll/", b), svyby(~enroll, by, d, svytotal, vartype = c("se", "ci")), b)
    emit_by(paste0("rep-", rn, "/ratio/api.stu~enroll/", b),
            svyby(~api.stu, by, d, svyratio, denominator = ~enroll, vartype = c("se", "ci")), b)
    for (m in c("logit", "likelihood", "beta", "xlogit", "mean"))
      prop_by(paste0("rep-", rn, "/prop-", m, "/sch.wide/", b), ~I(sch.wide == "Yes"), b, d, m, "Yes")
    emit_by(paste0("rep-", rn, "/quantile-mean/api00/", b),
            svyby(~api00, by, d, svyquantile, quantiles = 0.5, ci = TRUE, vartype = c("se", "ci")), b, 0.5)
  }
}
bw <- weights(reps$bootstrat, "analysis")[, c(1, 50)]  # first and last replicate: R's RNG stream reproduced
emit("rep-bootstrat/weights", rep(seq_len(nrow(bw)), 2), rep(c(1, 50), each = nrow(bw)), "weight", as.vector(bw))

# ------------------------------------------------------------------- comparisons
for (dn in c("clus1", "strat", "clus2")) {
  d <- designs[[dn]]
  a <- svyby(~api00, ~stype, d, svymean, covmat = TRUE)
  for (ct in list(c(E = 1, H = 0, M = -1), c(E = 1, H = -0.5, M = -0.5), c(E = 0, H = 1, M = -1))) {
    s <- svycontrast(a, ct)
    nm <- paste(names(ct), ct, sep = "=", collapse = ",")
    emit(paste0(dn, "/contrast/api00/stype"), nm, "-", "estimate", coef(s))
    emit(paste0(dn, "/contrast/api00/stype"), nm, "-", "se", SE(s))
  }
  b <- svyby(~I(as.numeric(sch.wide == "Yes")), ~stype, d, svymean, covmat = TRUE)
  s <- svycontrast(b, c(1, -1, 0))
  emit(paste0(dn, "/contrast/sch.wide=Yes/stype"), "E=1,H=-1", "-", "estimate", coef(s))
  emit(paste0(dn, "/contrast/sch.wide=Yes/stype"), "E=1,H=-1", "-", "se", SE(s))
  for (st in c("F", "Chisq")) {
    x <- svychisq(~sch.wide + stype, d, statistic = st)
    emit(paste0(dn, "/chisq-", st, "/sch.wide+stype"), "ALL", "-", "statistic", x$statistic)
    emit(paste0(dn, "/chisq-", st, "/sch.wide+stype"), "ALL", "-", "p_value", x$p.value)
    emit(paste0(dn, "/chisq-", st, "/sch.wide+stype"), "ALL", "-", "ndf", x$parameter[1])
    if (st == "F") emit(paste0(dn, "/chisq-", st, "/sch.wide+stype"), "ALL", "-", "ddf", x$parameter[2])
  }
}
x <- svychisq(~sch.wide + stype, reps$jk1)
emit("rep-jk1/chisq-F/sch.wide+stype", "ALL", "-", "statistic", x$statistic)
emit("rep-jk1/chisq-F/sch.wide+stype", "ALL", "-", "p_value", x$p.value)
x <- svychisq(~sch.wide + awards, cal_designs(designs$clus1)$rake)
emit("clus1-rake/chisq-F/sch.wide+awards", "ALL", "-", "statistic", x$statistic)
emit("clus1-rake/chisq-F/sch.wide+awards", "ALL", "-", "p_value", x$p.value)

# ------------------------------------------------------------------- the safety survey
sv <- read.csv("safety_survey.csv", colClasses = c(kommunkod = "character", psu = "character"))
sv$one <- "ALL"
sv$otrygg <- ifelse(sv$otrygg_kvall %in% c(3, 4, 5), 1, ifelse(sv$otrygg_kvall %in% c(1, 2, 6), 0, NA))
pscore <- function(x) ifelse(x %in% 1:4, (x - 1) / 3 * 100, NA)
pm <- sapply(c("problem_trafik", "problem_belysning", "problem_narkotika", "problem_ungdomsgang",
               "problem_skadegorelse"), function(v) pscore(sv[[v]]))
sv$problemindex <- ifelse(rowSums(!is.na(pm)) >= 3, rowMeans(pm, na.rm = TRUE), NA)
sv$yearf <- factor(sv$year)
margins <- read.csv("safety_margins.csv", colClasses = c(kommunkod = "character"))
ds <- svydesign(id = ~1, strata = ~interaction(kommunkod, year, stratum), weights = ~design_weight,
                fpc = ~stratum_population, data = sv)
pop_ys <- aggregate(population ~ yearf + sex + age_group, transform(margins, yearf = factor(year)), sum)
names(pop_ys)[4] <- "Freq"
pop_ya <- aggregate(population ~ yearf + area, transform(margins, yearf = factor(year)), sum)
names(pop_ya)[3] <- "Freq"
safety <- list(design = ds,
               poststrat = postStratify(ds, ~yearf + sex + age_group, pop_ys),
               rake = rake(ds, list(~yearf + sex + age_group, ~yearf + area), list(pop_ys, pop_ya)))
tot <- with(transform(margins, yearf = factor(year)), c(`(Intercept)` = sum(population),
            yearf2025 = sum(population[year == 2025]), sexman = sum(population[sex == "man"]),
            `age_group25-44` = sum(population[age_group == "25-44"]), `age_group45-64` = sum(population[age_group == "45-64"]),
            `age_group65-84` = sum(population[age_group == "65-84"])))
safety$linearbounded <- calibrate(ds, ~yearf + sex + age_group, tot, bounds = c(0.9, 4))
safety$rakingtrim <- calibrate(ds, ~yearf + sex + age_group, tot, calfun = "raking", trim = c(1.5, 3))
for (sn in names(safety)) {
  d <- safety[[sn]]
  for (b in list("one", "area", c("year", "area"), "sex")) {
    by <- as.formula(paste("~", paste(b, collapse = "+")))
    tag <- paste(b, collapse = "+")
    for (m in c("logit", "likelihood")) prop_by(paste0("safety-", sn, "/prop-", m, "/otrygg/", tag),
        ~I(otrygg == 1), b, d, m, "1", fields = c("estimate", "ci_low", "ci_high"))
    for (m in c("beta", "mean", "xlogit", "asin")) prop_by(paste0("safety-", sn, "/prop-", m, "/otrygg/", tag),
        ~I(otrygg == 1), b, d, m, "1", narm = TRUE)
    emit_by(paste0("safety-", sn, "/propdeff/otrygg/", tag),
            svyby(~otrygg, by, d, svymean, deff = TRUE, na.rm = TRUE, vartype = c("se", "ci")), b, "1")
    by_mean(paste0("safety-", sn, "/mean-narm/problemindex/", tag), ~problemindex, by, d, b, na.rm = TRUE)
  }
  emit_by(paste0("safety-", sn, "/quantile-narm/problemindex/area"),
          svyby(~problemindex, ~area, d, svyquantile, quantiles = 0.5, ci = TRUE, na.rm = TRUE,
                vartype = c("se", "ci")), "area", 0.5)
  # change 2023 -> 2025: the year coefficient of a saturated svyglm is the difference of the
  # two domain means with its linearised (calibration-aware) SE; svyby(covmat=TRUE) is not
  # available for calibrated designs in survey 4.1-1
  sv_fit <- svyglm(otrygg ~ yearf, d)
  emit(paste0("safety-", sn, "/years/otrygg/one"), "ALL", "-", "estimate", coef(sv_fit)[2])
  emit(paste0("safety-", sn, "/years/otrygg/one"), "ALL", "-", "se", SE(sv_fit)[2])
  sv_fit <- svyglm(otrygg ~ 0 + area + area:I(as.numeric(year == 2025)), d)
  for (ar in sort(unique(sv$area))) {
    j <- grep(paste0("^area", ar, ":"), names(coef(sv_fit)))
    emit(paste0("safety-", sn, "/years/otrygg/area"), ar, "-", "estimate", coef(sv_fit)[j])
    emit(paste0("safety-", sn, "/years/otrygg/area"), ar, "-", "se", SE(sv_fit)[j])
  }
  x <- svychisq(~otrygg + sex, subset(d, year == 2025))
  emit(paste0("safety-", sn, "/chisq-F/otrygg+sex/2025"), "ALL", "-", "statistic", x$statistic)
  emit(paste0("safety-", sn, "/chisq-F/otrygg+sex/2025"), "ALL", "-", "p_value", x$p.value)
}
a <- svyby(~otrygg, ~year, subset(ds, !is.na(otrygg)), svymean, covmat = TRUE)
s <- svycontrast(a, c(-1, 1))
emit("safety-design/years-svycontrast/otrygg/one", "ALL", "-", "estimate", coef(s))
emit("safety-design/years-svycontrast/otrygg/one", "ALL", "-", "se", SE(s))

# Fay-Herriot on the direct estimates by year x area, covariates: share aged 16-24, year 2025
dir <- svyby(~otrygg, ~year + area, ds, svymean, na.rm = TRUE)
young <- aggregate(population ~ year + area, margins, function(p) 0)
for (i in seq_len(nrow(young))) {
  m <- margins[margins$year == young$year[i] & margins$area == young$area[i], ]
  young$population[i] <- sum(m$population[m$age_group == "16-24"]) / sum(m$population)
}
names(young)[3] <- "young"
fh <- merge(data.frame(year = dir$year, area = dir$area, yi = dir$otrygg, sei = SE(dir)), young)
fh$y2025 <- as.numeric(fh$year == 2025)
write.csv(fh, "fh_input.csv", row.names = FALSE)
fit <- rma(yi = yi, vi = sei^2, mods = ~young + y2025, data = fh, method = "REML",
           control = list(threshold = 1e-12, maxiter = 10000))
bl <- blup(fit)
k <- paste(fh$year, fh$area, sep = "|")
emit("fh/blup", k, "-", "estimate", bl$pred)
emit("fh/blup", k, "-", "se_blup", bl$se)
gam <- fit$tau2 / (fit$tau2 + fh$sei^2)
X <- model.matrix(~young + y2025, fh)
g1 <- gam * fh$sei^2
g2 <- (1 - gam)^2 * rowSums((X %*% fit$vb) * X)
g3 <- fh$sei^4 / (fit$tau2 + fh$sei^2)^3 * 2 / sum(1 / (fit$tau2 + fh$sei^2)^2)
emit("fh/blup", k, "-", "mse", g1 + g2 + 2 * g3)
emit("fh/model", c("tau2", "(Intercept)", "young", "y2025"), "-", "estimate", c(fit$tau2, coef(fit)))
emit("fh/model", c("(Intercept)", "young", "y2025"), "-", "se", fit$se)

# ------------------------------------------------------------------- base-R numerics (analysis.survey._rmath)
sx <- c(0.1, 0.5, 0.9, 1.6, 2.0, 2.2, 3.1); sy <- c(-2, -1.2, -0.3, 0.1, 1.5, 1.9, 2.8)
sp <- spline(sx, sy)
emit("rmath/spline", seq_along(sp$x), "-", "x", sp$x)
emit("rmath/spline", seq_along(sp$y), "-", "y", sp$y)
set.seed(42); emit("rmath/runif", 1:5, "-", "value", runif(5))
set.seed(42); emit("rmath/sample", 1:10, "-", "value", sample(10))
set.seed(7); emit("rmath/sample-replace", 1:30, "-", "value", sample(1000, 30, replace = TRUE))
set.seed(9); emit("rmath/sample-large", 1:20, "-", "value", sample(70000, 20))

out <- do.call(rbind, rows)
write.csv(out, "golden.csv", row.names = FALSE)
writeLines(sprintf('{\n  "R": "%s",\n  "survey": "%s",\n  "metafor": "%s",\n  "created": "%s",\n  "rows": %d\n}',
                   R.version.string, packageVersion("survey"), packageVersion("metafor"), format(Sys.Date()),
                   nrow(out)), "versions.json")
cat(nrow(out), "golden values written\n")
