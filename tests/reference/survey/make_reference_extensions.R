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

out <- do.call(rbind, rows)
write.csv(out, "golden_extensions.csv", row.names = FALSE)
writeLines(sprintf('{\n  "R": "%s",\n  "survey": "%s",\n  "created": "%s",\n  "rows": %d\n}',
                   R.version.string, packageVersion("survey"), format(Sys.Date()), nrow(out)),
           "versions_extensions.json")
cat(nrow(out), "golden values written\n")
