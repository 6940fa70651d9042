# Independent computation of synthetic-control donor weights and placebo p-value.
# No published synthetic-control data set (Basque, California tobacco) is shipped by a package
# installable here, so the weights are recomputed by a different algorithm: the quadratic
# program  min ||y1 - Y0 w||^2  s.t. w >= 0, sum(w) = 1  solved by quadprog::solve.QP
# (Goldfarb-Idnani dual method).
# Run from the repository root:  Rscript tests/reference/timeseries_synth.R
# Data: tests/reference/timeseries_synth.csv =
#   coachstats.simulate.engagement_series(waves=36, intervention=25, n_donors=10, rng=11)
#   $data[, c("unit", "wave", "engagement")]   (24 pre-program waves > 10 donors: unique weights)
suppressPackageStartupMessages({library(quadprog); library(jsonlite)})
d <- read.csv("tests/reference/timeseries_synth.csv", stringsAsFactors = FALSE)
wide <- reshape(d, idvar = "wave", timevar = "unit", direction = "wide")
wide <- wide[order(wide$wave), ]
colnames(wide) <- sub("engagement.", "", colnames(wide), fixed = TRUE)
pre <- wide$wave < 25
weights_for <- function(u, pool) {
  y1 <- wide[pre, u]; Y0 <- as.matrix(wide[pre, pool])
  J <- ncol(Y0)
  sol <- solve.QP(Dmat = crossprod(Y0), dvec = drop(crossprod(Y0, y1)),
                  Amat = cbind(rep(1, J), diag(J)), bvec = c(1, rep(0, J)), meq = 1)
  w <- pmax(sol$solution, 0); w / sum(w)
}
units <- setdiff(colnames(wide), "wave")
donors <- setdiff(units, "focal")
ratio <- function(u, pool) {
  w <- weights_for(u, pool)
  gap <- wide[, u] - as.matrix(wide[, pool]) %*% w
  sqrt(mean(gap[!pre]^2)) / sqrt(mean(gap[pre]^2))
}
w <- weights_for("focal", donors)
gap <- wide[, "focal"] - as.matrix(wide[, donors]) %*% w
r <- c(focal = ratio("focal", donors), sapply(donors, function(u) ratio(u, setdiff(donors, u))))
out <- list(donors = donors, weights = w, att = mean(gap[!pre]),
            pre_rmspe = sqrt(mean(gap[pre]^2)), ratios = unname(r), ratio_units = names(r),
            p_value = mean(r >= r["focal"]),
            provenance = list(R = R.version.string,
                              quadprog = as.character(packageVersion("quadprog")),
                              call = "solve.QP(crossprod(Y0), crossprod(Y0, y1), cbind(1, diag(J)), c(1, rep(0, J)), meq = 1)"))
writeLines(toJSON(out, digits = NA, auto_unbox = TRUE, pretty = TRUE),
           "tests/reference/timeseries_synth.json")
