# Golden values for the synthetic control of the Basque Country (Abadie & Gardeazabal 2003).
# Run from this folder:  Rscript basque_reference.R
# Reads basque.csv, writes basque_reference.json. Needs only quadprog (Debian r-cran-quadprog);
# independent of the Python package. Tests read the JSON and never need R.
#
# Predictors as in the example of the R package Synth (Abadie, Diamond & Hainmueller 2011,
# J Stat Softw 42(13)): dataprep() with treated 17, controls 2:16 and 18 (region 1, Spain as a
# whole, is not a donor), then school.high + school.post.high and the four school rows rescaled to
# percentages of their sum. Synth standardises each predictor by its sd over all 17 units.
suppressPackageStartupMessages(library(quadprog))
out <- list(versions = list(R = R.version.string, quadprog = as.character(packageVersion("quadprog"))))

d <- read.csv("basque.csv")
treated <- 17
donors <- c(2:16, 18)
units <- c(treated, donors)
names_of <- function(u) vapply(u, function(i) unique(d$regionname[d$regionno == i]), "")

# mean of `var` over `years` for each unit; every cell must be there (Synth uses na.rm = TRUE,
# which makes no difference on complete data, so a missing cell is an error here)
avg <- function(var, years) {
  vapply(units, function(u) {
    x <- d[d$regionno == u & d$year %in% years, var]
    stopifnot(length(x) == length(years), !anyNA(x))
    mean(x)
  }, 0)
}
rows <- list()
for (v in c("school.illit", "school.prim", "school.med", "school.high", "school.post.high", "invest"))
  rows[[v]] <- avg(v, 1964:1969)
rows[["special.gdpcap.1960.1969"]] <- avg("gdpcap", 1960:1969)
for (v in c("sec.agriculture", "sec.energy", "sec.industry", "sec.construction",
            "sec.services.venta", "sec.services.nonventa"))
  rows[[paste0("special.", v, ".1961.1969")]] <- avg(v, seq(1961, 1969, 2))
rows[["special.popdens.1969"]] <- avg("popdens", 1969)
X <- do.call(rbind, rows)
colnames(X) <- units
# the Synth example's post-processing of dataprep.out
X["school.high", ] <- X["school.high", ] + X["school.post.high", ]
X <- X[rownames(X) != "school.post.high", ]
school <- c("school.illit", "school.prim", "school.med", "school.high")
X[school, ] <- 100 * sweep(X[school, ], 2, colSums(X[school, ]), "/")
X1 <- X[, 1]
X0 <- X[, -1]

# outcomes: years x units
years <- sort(unique(d$year))
Y <- sapply(units, function(u) d$gdpcap[d$regionno == u][order(d$year[d$regionno == u])])
stopifnot(nrow(Y) == length(years), !anyNA(Y))
rownames(Y) <- years; colnames(Y) <- units
opt <- years %in% 1960:1969  # time.optimize.ssr
Z1 <- Y[opt, 1]; Z0 <- Y[opt, -1]

# donor weights on the simplex minimising ||A w - b||^2 (quadprog needs a positive definite
# matrix: with more donors than rows D is singular, so a ridge of 1e-10 * mean(diag(D)) is added,
# as in make_reference.R)
simplex_ls <- function(A, b) {
  D <- crossprod(A)
  if (qr(D)$rank < ncol(D)) D <- D + diag(1e-10 * mean(diag(D)), ncol(D))
  sol <- solve.QP(Dmat = D, dvec = crossprod(A, b), Amat = cbind(rep(1, ncol(A)), diag(ncol(A))),
                  bvec = c(1, rep(0, ncol(A))), meq = 1)
  w <- pmax(sol$solution, 0); w / sum(w)
}

# (a) fixed V: equal weights on the predictors standardised by their sd over all units (var with
# n - 1, as Synth's divisor); W minimises (X1 - X0 W)' V (X1 - X0 W)
sdv <- apply(X, 1, sd)
v_eq <- rep(1 / nrow(X), nrow(X))
s <- sqrt(v_eq) / sdv
w_fixed <- simplex_ls(X0 * s, X1 * s)
gap_fixed <- as.vector(Y[, 1] - Y[, -1] %*% w_fixed)
out$fixed_v <- list(
  v = v_eq, sd = unname(sdv), weights = w_fixed,
  loss_w = sum(v_eq * ((X1 - X0 %*% w_fixed) / sdv)^2),
  mspe = mean((Z1 - Z0 %*% w_fixed)^2), gap = gap_fixed)

# (b) outcome only: W fits gdpcap 1955-1969 directly; placebo-in-space ratios (post/pre RMSPE,
# treated unit left out of every placebo's pool) and p counting the treated unit
pre <- years < 1970
oo_fit <- function(unit, pool) {
  w <- simplex_ls(Y[pre, pool, drop = FALSE], Y[pre, unit])
  gap <- Y[, unit] - Y[, pool, drop = FALSE] %*% w
  list(w = w, gap = as.vector(gap), rmspe_pre = sqrt(mean(gap[pre]^2)),
       rmspe_post = sqrt(mean(gap[!pre]^2)))
}
ch <- as.character
oo <- oo_fit(ch(treated), ch(donors))
ratio <- oo$rmspe_post / oo$rmspe_pre
pl <- sapply(donors, function(u) { f <- oo_fit(ch(u), ch(setdiff(donors, u))); f$rmspe_post / f$rmspe_pre })
names(pl) <- donors
out$outcome_only <- list(
  pre_years = years[pre], weights = oo$w, gap = oo$gap, rmspe_pre = oo$rmspe_pre,
  rmspe_post = oo$rmspe_post, ratio = ratio,
  objective = sum((Y[pre, 1] - Y[pre, -1] %*% oo$w)^2),
  placebo_ratios = as.list(pl),
  n_higher = sum(pl >= ratio), p_value = (1 + sum(pl >= ratio)) / (1 + length(pl)))

# the published synthetic Basque Country: Cataluna 0.8508, Madrid 0.1492 (AG 2003; Synth example)
w_pub <- setNames(rep(0, length(donors)), donors)
w_pub[c("10", "14")] <- c(0.8508, 0.1492)
out$published <- list(weights = unname(w_pub), mspe = mean((Z1 - Z0 %*% w_pub)^2),
                      gap = as.vector(Y[, 1] - Y[, -1] %*% w_pub))

out$donors <- donors
out$donor_names <- unname(names_of(donors))
out$predictors <- rownames(X)
out$X1 <- as.list(X1)
out$X0 <- lapply(split(X0, row(X0)), unname); names(out$X0) <- rownames(X0)
out$years <- years
out$Z_years <- years[opt]
out$Z1 <- unname(Z1)
out$Z0 <- lapply(split(Z0, row(Z0)), unname); names(out$Z0) <- rownames(Z0)
out$gdpcap_treated <- unname(Y[, 1])

source("to_json.R")
writeLines(to_json(out), "basque_reference.json")
cat("wrote basque_reference.json\n")
