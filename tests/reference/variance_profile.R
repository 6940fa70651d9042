# Reference values for profile-likelihood intervals of variance components
# (coachstats.variance.VarianceResult.profile_intervals), from lme4.
#
# Run from the repository root:
#   Rscript tests/reference/variance_profile.R
# Writes tests/reference/variance_profile.json.
#
# lme4's confint(method = "profile") profiles the ML deviance (also after a REML fit) and
# interpolates the profile with splines, so its end points carry interpolation error of
# about 1e-4. To pin exact end points, this script takes lme4's own ML deviance as a
# function of the standard deviations (lme4:::devfun2, the function profile() uses),
# minimises it over the other standard deviations with each one held fixed (optimize or
# minqa::bobyqa, tight tolerances), and solves profile(s) - min = qchisq(level, 1) with
# uniroot (tol 1e-13). confint()'s interpolated end points are stored beside them.
suppressMessages({library(lme4); library(minqa)})
ctrl <- lmerControl(optimizer = "bobyqa", optCtrl = list(rhobeg = 0.2, rhoend = 1e-12, maxfun = 1e5))
u3 <- read.csv("tests/reference/variance_unbalanced3.csv")
runs <- list(
  dyestuff = list("Yield ~ 1 + (1 | Batch)", Dyestuff),
  pastes = list("strength ~ 1 + (1 | batch/cask)", Pastes),
  unbalanced3 = list("y ~ x + (1 | division) + (1 | manager) + (1 | team)", u3)
)
levels <- c(0.95, 0.8)
out <- list(lme4_version = as.character(packageVersion("lme4")), r_version = R.version.string,
            method = "exact roots of the ML profile deviance from lme4:::devfun2 (see header)")

profile_fun <- function(df2, i, start) {
  k <- length(start)
  function(v) {
    f <- function(q) { p <- numeric(k); p[i] <- v; p[-i] <- q; df2(p) }
    if (k == 2) {
      o <- optimize(f, c(0, 10 * max(start) + 10 * v), tol = 1e-13)
      o$objective
    } else {
      o <- bobyqa(start[-i], f, lower = rep(0, k - 1),
                  control = list(rhobeg = 0.1 * max(start), rhoend = 1e-13, maxfun = 1e5))
      o$fval
    }
  }
}

for (nm in names(runs)) {
  r <- runs[[nm]]
  fm <- lmer(as.formula(r[[1]]), data = r[[2]], REML = FALSE, control = ctrl)
  df2 <- lme4:::devfun2(fm, useSc = TRUE)
  opt <- attr(df2, "optimum")
  opt <- opt[seq_len(length(opt) - length(fixef(fm)))]   # sds, then sigma
  dmin <- df2(opt)
  grp <- c(as.data.frame(VarCorr(fm))$grp)
  grp[is.na(grp) | grp == "Residual"] <- "residual"
  ints <- list()
  for (lv in levels) {
    crit <- qchisq(lv, 1)
    rows <- list()
    for (i in seq_along(opt)) {
      pf <- profile_fun(df2, i, opt)
      g <- function(v) pf(v) - dmin - crit
      # a group SD can be 0 (lower end point 0 if the profile stays below the cut-off);
      # the residual SD cannot
      floor_i <- if (grp[i] == "residual") 1e-6 * opt[i] else 0
      lo <- if (g(floor_i) <= 0) 0 else uniroot(g, c(floor_i, opt[i]), tol = 1e-13)$root
      hi_b <- opt[i] * 2 + 1
      while (g(hi_b) < 0) hi_b <- hi_b * 2
      hi <- uniroot(g, c(opt[i], hi_b), tol = 1e-13)$root
      rows[[grp[i]]] <- list(sd = unname(opt[i]), sd_low = lo, sd_high = hi)
    }
    ci <- suppressMessages(confint(fm, level = lv, method = "profile", oldNames = FALSE))
    ints[[sprintf("%g", lv)]] <- list(exact = rows, confint_profile_sd = lapply(
      split(ci[seq_along(opt), , drop = FALSE], seq_along(opt)), function(x) unname(x)))
  }
  out[[nm]] <- list(call = sprintf("lmer(%s, REML = FALSE); ML deviance %.10f", r[[1]], dmin),
                    ml_deviance = dmin, intervals = ints)
}
json <- jsonlite::toJSON(out, auto_unbox = TRUE, digits = NA, pretty = TRUE)
writeLines(json, "tests/reference/variance_profile.json")
