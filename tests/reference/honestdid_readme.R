# Full-precision reference values for coachstats.did.honest from the HonestDiD package's own
# README build, pinned in honestdid_readme.json.
#
# Source: github.com/asheshrambachan/HonestDiD at commit
# 6813f02ed38f0b63bdca6915604b2eac90491303 (README_cache/ last changed in 99e05c78). The
# package's README.Rmd caches the objects of its chunks (knitr cache, README_cache/gfm/*.rdb):
# the results HonestDiD computed (lower and upper ends of the robust confidence sets) and,
# for some chunks, the inputs it was given. CRAN is not needed: the cache is read with base R
# lazyLoad(). Run from tests/reference/ with the path of a checkout of that commit:
#   Rscript honestdid_readme.R /path/to/HonestDiD
#
# Inputs of the Medicaid example (README chunk "Run the TWFE spec"; not cached) are rebuilt
# here from the cached data frame (df_nonstaggered, cached by the chunk that adds a control):
# OLS of dins on i(year, D, ref = 2013) + state and year effects, with fixest's clustered
# covariance G/(G-1) (n-1)/(n-K) X'X^-1 (sum_g s_g s_g') X'X^-1, K = 15. The rule (K = number
# of coefficients + year levels) is checked on the cached fixest covariance of the model with
# the control (K = 16, ratio constant to 1e-13), and the rebuilt inputs reproduce the cached
# original interval of the average effect to 1e-12 (both checked below with stopifnot).
library(jsonlite)
args <- commandArgs(trailingOnly = TRUE)
root <- if (length(args)) args[1] else "HonestDiD"
chunk <- function(i) {
  f <- sub("\\.rdb$", "", Sys.glob(file.path(root, sprintf("README_cache/gfm/unnamed-chunk-%d_*.rdb", i))))
  e <- new.env(); lazyLoad(f, envir = e); e
}
tab <- function(x, par) list(m = x[[par]], lb = x$lb, ub = x$ub, method = unique(x$method),
                             delta = unique(x$Delta))

c8 <- chunk(8)  # model with a simulated control: fixest betahat and sigma, and the data
d <- as.data.frame(c8$df_nonstaggered)
for (v in c("stfips", "year", "dins", "D")) d[[v]] <- as.numeric(d[[v]])
ev <- setdiff(sort(unique(d$year)), 2013)
for (y in ev) d[[paste0("ev", y)]] <- as.numeric(d$year == y) * d$D
X <- paste0("ev", ev)
fixest_vcov <- function(covs) {
  fit <- lm(as.formula(paste("dins ~", paste(covs, collapse = "+"),
                             "+ factor(stfips) + factor(year)")), data = d)
  Xm <- model.matrix(fit); u <- resid(fit)
  bread <- solve(crossprod(Xm)); S <- rowsum(Xm * u, d$stfips)
  G <- nrow(S); n <- nrow(d); K <- length(covs) + length(unique(d$year))
  V <- (bread %*% crossprod(S) %*% bread)[X, X] * G / (G - 1) * (n - 1) / (n - K)
  list(b = unname(coef(fit)[X]), V = unname(V))
}
chk <- fixest_vcov(c(X, "control"))
stopifnot(max(abs(chk$V / unname(c8$sigma) - 1)) < 1e-12,
          max(abs(chk$b - unname(c8$betahat))) < 1e-12)
plain <- fixest_vcov(X)
c7 <- chunk(7)
l <- c(0.5, 0.5); idx <- 6:7
se_avg <- sqrt(drop(t(l) %*% plain$V[idx, idx] %*% l))
orig <- drop(l %*% plain$b[idx]) + c(-1, 1) * qnorm(0.975) * se_avg
stopifnot(max(abs(orig - c(c7$originalResults_avg$lb, c7$originalResults_avg$ub))) < 1e-12)

c4 <- chunk(4); c6 <- chunk(6); c10 <- chunk(10); c12 <- chunk(12)
es <- c12$cs_results; agg <- c12$es
inf <- agg$inf.function$dynamic.inf.func.e
Vcs <- t(inf) %*% inf / nrow(inf) / nrow(inf)
keep <- agg$egt != -1

# HonestDiD's FLCI critical value is a simulated folded-normal quantile (flci.R,
# .qfoldednormal: set.seed(0); 10^6 rnorm draws; quantile type 7). Its values at mu = 0 and
# the shift for large mu (every draw + mu > 0) let a test replay R's half-length exactly.
set.seed(0); draws <- rnorm(10^6)
qfold <- list(q_mu0 = unname(quantile(abs(draws), 0.95)), q_shift = unname(quantile(draws, 0.95)),
              min_draw = min(draws), rng = paste(RNGkind(), collapse = "/"))

out <- list(
  qfold = qfold,
  provenance = list(
    source = "github.com/asheshrambachan/HonestDiD commit 6813f02ed38f0b63bdca6915604b2eac90491303, README.Rmd and its knitr cache README_cache/gfm/ (last changed in commit 99e05c7853631f012168a5f60a2778eb04215651)",
    R = R.version.string, script = "tests/reference/honestdid_readme.R",
    grid = "relative-magnitude (C-LF) sets are the smallest and largest accepted points of seq(-20 sdTheta, 20 sdTheta, length.out = gridPoints), sdTheta = sqrt(l' Sigma_post l); the LF critical value is simulated (seed 0)"),
  medicaid = list(
    inputs = "rebuilt fixest::feols(dins ~ i(year, D, ref = 2013) | stfips + year, cluster = 'stfips') on the cached df_nonstaggered (see header)",
    event_times = c(-6, -5, -4, -3, -2, 0, 1), betahat = plain$b, sigma = plain$V,
    n_pre = 5, n_post = 2,
    original_avg = list(l_vec = l, lb = c7$originalResults_avg$lb, ub = c7$originalResults_avg$ub),
    rm_first = c(tab(c4$delta_rm_results, "Mbar"), list(l_vec = c(1, 0), grid_points = 1000,
      call = "createSensitivityResults_relativeMagnitudes(betahat, sigma, numPrePeriods = 5, numPostPeriods = 2, Mbarvec = seq(0.5, 2, by = 0.5))")),
    rm_avg = c(tab(c7$delta_rm_results_avg, "Mbar"), list(l_vec = l, grid_points = 1000,
      call = "createSensitivityResults_relativeMagnitudes(betahat, sigma, numPrePeriods = 5, numPostPeriods = 2, Mbarvec = seq(0, 2, by = 0.5), l_vec = c(0.5, 0.5))")),
    sd_first = c(tab(c6$delta_sd_results, "M"), list(l_vec = c(1, 0),
      call = "createSensitivityResults(betahat, sigma, numPrePeriods = 5, numPostPeriods = 2, Mvec = seq(0, 0.05, by = 0.01))"))),
  medicaid_control = list(
    inputs = "cached fixest betahat and sigma of the model with the simulated control (README chunk 'CREATE A FAKE CONTROL'), control coefficient removed",
    betahat = unname(c8$betahat), sigma = unname(c8$sigma), n_pre = 5, n_post = 2,
    sd_first_printed = list(m = seq(0, 0.05, by = 0.01),
      lb = c(0.0264, 0.0128, 0.00186, -0.00814, -0.0181, -0.0281),
      ub = c(0.0607, 0.0788, 0.0908, 0.101, 0.111, 0.121),
      source = "README.md printed tibble (3 significant digits) of createSensitivityResults(..., Mvec = seq(0, 0.05, by = 0.01)), FLCI")),
  sunab = list(
    inputs = "cached sunab_beta_vcv(res_sunab): fixest Sun-Abraham event study of the full panel",
    event_times = c(-11:-2, 0:5), betahat = unname(drop(c10$beta_vcv$beta)),
    sigma = unname(c10$beta_vcv$sigma), n_pre = 10, n_post = 6,
    original = list(lb = c10$original_results$lb, ub = c10$original_results$ub),
    rm_first = c(tab(c10$sensitivity_results, "Mbar"), list(l_vec = c(1, 0, 0, 0, 0, 0), grid_points = 100))),
  callaway_santanna = list(
    inputs = "cached did::aggte(att_gt(..., control_group = 'notyettreated', base_period = 'universal'), type = 'dynamic', min_e = -5, max_e = 5): att.egt without e = -1, and V = IF'IF / n^2 as HonestDiD's honest_did.AGGTEobj",
    event_times = agg$egt[keep], betahat = agg$att.egt[keep], sigma = unname(Vcs[keep, keep]),
    n_pre = 4, n_post = 6,
    original = list(lb = c12$sensitivity_results$orig_ci$lb, ub = c12$sensitivity_results$orig_ci$ub),
    rm_first = c(tab(c12$sensitivity_results$robust_ci, "Mbar"),
                 list(l_vec = c(1, 0, 0, 0, 0, 0), grid_points = 100))))
writeLines(toJSON(out, digits = NA, auto_unbox = TRUE, pretty = TRUE), "honestdid_readme.json")
