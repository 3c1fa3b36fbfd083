# Golden values for the survey features added with issue 15, computed with R survey:
# svyglm (gaussian, binomial, quasibinomial, poisson) and regTermTest on every kind of design,
# the log-odds difference-in-differences of analysis.survey.effects, svychisq Wald/adjWald,
# the score interval of svyquantile, replicate-based quantile intervals, deff = "replace", and
# the hf4 quantile at ties on a GREG-calibrated design.
#
#   cd tests/reference/survey && Rscript make_reference_extensions.R
#
# Reads the CSV files written by make_reference.R (api data, safety survey) and writes
# golden_extensions.csv in the format of golden.csv (case, key, level, field, value) and
# versions_extensions.json. Mirrored by tests/survey/test_golden_extensions.py.
suppressMessages({library(survey)})
invisible(Sys.setlocale("LC_COLLATE", "C"))   # factor levels sorted by code point, as pandas sorts them
options(survey.lonely.psu = "fail")

for (nm in c("apisrs", "apistrat", "apiclus1", "apiclus2", "apipop")) assign(nm, read.csv(paste0(nm, ".csv")))
addvars <- function(x) { x$sw <- as.numeric(x$sch.wide == "Yes"); x }
apisrs <- addvars(apisrs); apistrat <- addvars(apistrat); apiclus1 <- addvars(apiclus1); apiclus2 <- addvars(apiclus2)

rows <- list()
emit <- function(case, key, level, field, value) {
  rows[[length(rows) + 1]] <<- data.frame(case = case, key = as.character(key), level = as.character(level),
                                          field = field, value = as.numeric(value))
}

designs <- list(
  srs = svydesign(id = ~1, fpc = ~fpc, data = apisrs),
  strat = svydesign(id = ~1, strata = ~stype, weights = ~pw, fpc = ~fpc, data = apistrat),
  clus1 = svydesign(id = ~dnum, weights = ~pw, fpc = ~fpc, data = apiclus1),
  clus2 = svydesign(id = ~dnum + snum, fpc = ~fpc1 + fpc2, data = apiclus2),
  clus1nofpc = svydesign(id = ~dnum, weights = ~pw, data = apiclus1))
pop.types <- data.frame(stype = c("E", "H", "M"), Freq = c(4421, 755, 1018))
pop.schwide <- data.frame(sch.wide = c("No", "Yes"), Freq = c(1072, 5122))
pop.totals <- c(`(Intercept)` = 6194, stypeH = 755, stypeM = 1018)
api99tot <- sum(apipop$api99)
designs$`clus1-greg` <- calibrate(designs$clus1, ~stype + api99, c(pop.totals, api99 = api99tot))
designs$`clus1-rake` <- rake(designs$clus1, list(~stype, ~sch.wide), list(pop.types, pop.schwide))
designs$`strat-poststrat` <- postStratify(designs$strat, ~stype, pop.types)
designs$`strat-sub` <- subset(designs$strat, stype != "H")
designs$`clus1-greg-sub` <- subset(designs$`clus1-greg`, meals > 20)
designs$`rep-jk1` <- as.svrepdesign(designs$clus1, type = "JK1")
designs$`rep-jkn` <- as.svrepdesign(designs$strat, type = "JKn")
designs$`rep-bootstrat` <- {set.seed(101); as.svrepdesign(designs$strat, type = "bootstrap", replicates = 50)}
designs$`rep-jk1greg` <- calibrate(designs$`rep-jk1`, ~stype + api99, c(pop.totals, api99 = api99tot))
designs$`rep-jkn-sub` <- subset(designs$`rep-jkn`, stype != "H")

# ------------------------------------------------------------------- svyglm and regTermTest
models <- list(
  gaussian = list(f = api00 ~ ell + meals + stype, family = gaussian(), test = "stype"),
  gaussianna = list(f = growth ~ target + stype, family = gaussian(), test = "target"),
  binomial = list(f = sw ~ ell + stype, family = binomial(), test = "stype"),
  quasibinomial = list(f = sw ~ meals * awards, family = quasibinomial(), test = "meals:awards"),
  poisson = list(f = ell ~ meals + stype, family = poisson(), test = "stype"))
emit_fit <- function(case, fit, test) {
  cf <- coef(fit)
  emit(case, names(cf), "-", "estimate", cf)
  emit(case, names(cf), "-", "se", SE(fit))
  ci <- confint(fit)
  emit(case, names(cf), "-", "ci_low", ci[, 1])
  emit(case, names(cf), "-", "ci_high", ci[, 2])
  emit(case, "ALL", "-", "df", fit$df.residual)
  tt <- regTermTest(fit, test)
  emit(case, "ALL", test, "F", tt$Ftest)
  emit(case, "ALL", test, "p_value", tt$p)
  emit(case, "ALL", test, "ddf", tt$ddf)
  tt <- regTermTest(fit, test, df = Inf)
  emit(case, "ALL", test, "chisq", tt$chisq)
  emit(case, "ALL", test, "p_chisq", tt$p)
}
for (dn in names(designs)) {
  if (dn == "clus1nofpc") next
  for (mn in names(models)) {
    if (grepl("sub", dn) && mn %in% c("quasibinomial")) next
    m <- models[[mn]]
    d <- designs[[dn]]
    fit <- suppressWarnings(svyglm(m$f, d, family = m$family))
    emit_fit(paste0("glm/", dn, "/", mn), fit, m$test)
  }
}

# ------------------------------------------------------------------- the safety survey: DiD
sv <- read.csv("safety_survey.csv", colClasses = c(kommunkod = "character", psu = "character"))
sv$otrygg <- ifelse(sv$otrygg_kvall %in% c(3, 4, 5), 1, ifelse(sv$otrygg_kvall %in% c(1, 2, 6), 0, NA))
sv$belysning <- ifelse(sv$problem_belysning %in% c(3, 4), 1, ifelse(sv$problem_belysning %in% c(1, 2), 0, NA))
sv$yearf <- factor(sv$year)
margins <- read.csv("safety_margins.csv", colClasses = c(kommunkod = "character"))
# analysis.survey.effects: SurveyDesign.from_survey (no fpc), raked per kommun x year
dd <- svydesign(id = ~1, strata = ~interaction(kommunkod, year, stratum), weights = ~design_weight, data = sv)
pop1 <- aggregate(population ~ kommunkod + year + sex + age_group, margins, sum); names(pop1)[5] <- "Freq"
pop2 <- aggregate(population ~ kommunkod + year + area, margins, sum); names(pop2)[4] <- "Freq"
dr <- rake(dd, list(~kommunkod + year + sex + age_group, ~kommunkod + year + area), list(pop1, pop2))
for (ar in c("Centrum", "Hamnen")) {
  for (ind in c("otrygg", "belysning")) {
    d2 <- update(dr, in_area = as.numeric(area == ar))
    fit <- svyglm(as.formula(paste(ind, "~ in_area * yearf")), d2, family = quasibinomial())
    j <- "in_area:yearf2025"
    emit(paste0("did/", ind, "/", ar), "ALL", "-", "estimate", coef(fit)[j])
    emit(paste0("did/", ind, "/", ar), "ALL", "-", "se", SE(fit)[j])
    emit(paste0("did/", ind, "/", ar), "ALL", "-", "df", fit$df.residual)
    ci <- confint(fit)[j, ]
    emit(paste0("did/", ind, "/", ar), "ALL", "-", "ci_low", ci[1])
    emit(paste0("did/", ind, "/", ar), "ALL", "-", "ci_high", ci[2])
  }
}
fit <- svyglm(otrygg ~ yearf * area, dr, family = binomial())
emit_fit("glm/safety-rake/binomial-yearf*area", fit, "yearf:area")

# ------------------------------------------------------------------- svychisq Wald / adjWald
sv$yearf <- factor(sv$year)
pscore <- function(x) ifelse(x %in% 1:4, (x - 1) / 3 * 100, NA)
pm <- sapply(c("problem_trafik", "problem_belysning", "problem_narkotika", "problem_ungdomsgang",
               "problem_skadegorelse"), function(v) pscore(sv[[v]]))
sv$problemindex <- ifelse(rowSums(!is.na(pm)) >= 3, rowMeans(pm, na.rm = TRUE), NA)
ds <- svydesign(id = ~1, strata = ~interaction(kommunkod, year, stratum), weights = ~design_weight,
                fpc = ~stratum_population, data = sv)
pop_ys <- aggregate(population ~ yearf + sex + age_group, transform(margins, yearf = factor(year)), sum)
names(pop_ys)[4] <- "Freq"
pop_ya <- aggregate(population ~ yearf + area, transform(margins, yearf = factor(year)), sum)
names(pop_ya)[3] <- "Freq"
tot <- with(transform(margins, yearf = factor(year)), c(`(Intercept)` = sum(population),
            yearf2025 = sum(population[year == 2025]), sexman = sum(population[sex == "man"]),
            `age_group25-44` = sum(population[age_group == "25-44"]), `age_group45-64` = sum(population[age_group == "45-64"]),
            `age_group65-84` = sum(population[age_group == "65-84"])))
safety <- list(`safety-design` = ds,
               `safety-rake` = rake(ds, list(~yearf + sex + age_group, ~yearf + area), list(pop_ys, pop_ya)),
               `safety-greg` = calibrate(ds, ~yearf + sex + age_group, tot))
chisq_designs <- c(designs[c("clus1", "strat", "clus2", "rep-jk1", "clus1-rake", "rep-jk1greg")])
for (dn in names(chisq_designs)) for (st in c("Wald", "adjWald")) {
  x <- svychisq(~sch.wide + stype, chisq_designs[[dn]], statistic = st)
  case <- paste0("chisq/", dn, "/", st, "/sch.wide+stype")
  emit(case, "ALL", "-", "statistic", x$statistic); emit(case, "ALL", "-", "p_value", x$p.value)
  emit(case, "ALL", "-", "ndf", x$parameter[1]); emit(case, "ALL", "-", "ddf", x$parameter[2])
}
for (st in c("Wald", "adjWald")) {
  x <- svychisq(~otrygg_kvall + sex, subset(safety$`safety-rake`, year == 2025), statistic = st)
  case <- paste0("chisq/safety-rake-2025/", st, "/otrygg_kvall+sex")
  emit(case, "ALL", "-", "statistic", x$statistic); emit(case, "ALL", "-", "p_value", x$p.value)
  emit(case, "ALL", "-", "ndf", x$parameter[1]); emit(case, "ALL", "-", "ddf", x$parameter[2])
}

# ------------------------------------------------------------------- quantiles: score, replicate, hf4
emit_q <- function(case, r, var, probs) {
  m <- r[[var]]
  for (i in seq_along(probs)) {
    emit(case, "ALL", probs[i], "estimate", m[i, 1]); emit(case, "ALL", probs[i], "ci_low", m[i, 2])
    emit(case, "ALL", probs[i], "ci_high", m[i, 3]); emit(case, "ALL", probs[i], "se", m[i, 4])
  }
}
emit_qby <- function(case, r, byvar, p) {
  k <- as.character(r[[byvar]])
  emit(case, k, p, "estimate", r[[2]]); emit(case, k, p, "se", r[[3]])
  emit(case, k, p, "ci_low", r[["ci_l"]]); emit(case, k, p, "ci_high", r[["ci_u"]])
}
probs <- c(0.25, 0.5, 0.9)
for (dn in c("srs", "strat", "clus1", "clus2", "clus1-greg", "clus1-rake", "strat-sub")) {
  d <- designs[[dn]]
  for (rule in c("math", "hf7")) {
    emit_q(paste0("quantile/", dn, "/score-", rule, "/api00/one"),
           svyquantile(~api00, d, probs, interval.type = "score", qrule = rule, ci = TRUE), "api00", probs)
    if (dn != "strat-sub")
      emit_qby(paste0("quantile/", dn, "/score-", rule, "/api00/stype"),
               svyby(~api00, ~stype, d, svyquantile, quantiles = 0.5, interval.type = "score", qrule = rule,
                     ci = TRUE, vartype = c("se", "ci")), "stype", 0.5)
  }
}
for (sn in names(safety)) {
  emit_qby(paste0("quantile/", sn, "/score-math/problemindex/area"),
           svyby(~problemindex, ~area, safety[[sn]], svyquantile, quantiles = 0.5, interval.type = "score",
                 na.rm = TRUE, ci = TRUE, vartype = c("se", "ci")), "area", 0.5)
}
for (dn in c("rep-jk1", "rep-jkn", "rep-bootstrat", "rep-jk1greg", "rep-jkn-sub")) {
  d <- designs[[dn]]
  for (rule in c("math", "hf7")) {
    emit_q(paste0("quantile/", dn, "/quantile-", rule, "/api00/one"),
           suppressWarnings(svyquantile(~api00, d, probs, interval.type = "quantile", qrule = rule, ci = TRUE)),
           "api00", probs)
    if (dn != "rep-jkn-sub")
      emit_qby(paste0("quantile/", dn, "/quantile-", rule, "/api00/stype"),
               suppressWarnings(svyby(~api00, ~stype, d, svyquantile, quantiles = 0.5, interval.type = "quantile",
                                      qrule = rule, ci = TRUE, vartype = c("se", "ci"))), "stype", 0.5)
  }
}
# hf4 at ties on a GREG-calibrated design (issue 15: 2.9999999999999996 and an interval a category low)
for (item in c("oro_brottslighet", "problem_ungdomsgang", "problem_trafik", "problem_skadegorelse")) {
  for (p in c(0.5, 0.75)) {
    emit_qby(paste0("quantile/safety-greg/mean-hf4/", item, "/area"),
             svyby(as.formula(paste0("~", item)), ~area, safety$`safety-greg`, svyquantile, quantiles = p,
                   qrule = "hf4", na.rm = TRUE, ci = TRUE, vartype = c("se", "ci")), "area", p)
  }
}

# ------------------------------------------------------------------- deff = "replace"
for (dn in c("srs", "strat", "clus1", "clus2", "clus1-greg", "rep-jk1", "rep-bootstrat", "strat-sub")) {
  d <- designs[[dn]]
  emit(paste0("deff/", dn, "/mean/api00"), "ALL", "-", "deff", deff(svymean(~api00, d, deff = "replace", na.rm = TRUE)))
  emit(paste0("deff/", dn, "/total/enroll"), "ALL", "-", "deff", deff(svytotal(~enroll, d, deff = "replace", na.rm = TRUE)))
  if (!grepl("^rep", dn))  # svyratio.svyrep.design has no deff = "replace"
    emit(paste0("deff/", dn, "/ratio/api.stu~enroll"), "ALL", "-", "deff",
         deff(svyratio(~api.stu, ~enroll, d, deff = "replace", na.rm = TRUE)))
  emit(paste0("deff/", dn, "/proportion/sch.wide"), c("No", "Yes"), "-", "deff",
       deff(svymean(~sch.wide, d, deff = "replace", na.rm = TRUE)))
  if (!grepl("sub", dn)) {
    r <- svyby(~api00, ~stype, d, svymean, deff = "replace", na.rm = TRUE)
    emit(paste0("deff/", dn, "/mean/api00/stype"), as.character(r$stype), "-", "deff", r[[grep("^DEff", names(r))[1]]])
  }
}

out <- do.call(rbind, rows)
# 17 significant digits: every double round-trips (the hf4 cases need 2.9999999999999996 != 3)
out$value <- ifelse(is.na(out$value), NA, sprintf("%.17g", out$value))
write.csv(out, "golden_extensions.csv", row.names = FALSE)
writeLines(sprintf('{\n  "R": "%s",\n  "survey": "%s",\n  "created": "%s",\n  "rows": %d\n}',
                   R.version.string, packageVersion("survey"), format(Sys.Date()), nrow(out)),
           "versions_extensions.json")
cat(nrow(out), "golden values written\n")
