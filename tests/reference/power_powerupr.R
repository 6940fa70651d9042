# Reference values for coachstats.power (closed-form MDES, power, sample size).
#
# PowerUpR 1.1.0 (Bulus, Dong, Kelcey & Spybrook 2021; the CRAN source, installed with
# `R CMD INSTALL` into a private library because no Debian package exists), R 4.2.2.
# The paired pre/post and DiD values are hand-worked in base R from the formulas cited
# beside them (PowerUpR has neither design).
#
# Run:  Rscript tests/reference/power_powerupr.R  (writes power_powerupr.json beside it)
.libPaths(c("/tmp/power_r/lib", .libPaths()))
suppressMessages(library(PowerUpR))
library(jsonlite)

out <- list(
  meta = list(R = R.version.string,
              PowerUpR = as.character(packageVersion("PowerUpR"))),
  mdes = list(), power = list(), mrss = list(), hand = list()
)
add_mdes <- function(.name, .call, .fun, ...) {
  sink(nullfile()); r <- do.call(.fun, list(...)); sink()
  out$mdes[[.name]] <<- list(call = .call, mdes = unname(r$mdes[1]), lcl = unname(r$mdes[2]),
                            ucl = unname(r$mdes[3]), df = r$df)
}
add_power <- function(.name, .call, .fun, ...) {
  sink(nullfile()); r <- do.call(.fun, list(...)); sink()
  out$power[[.name]] <<- list(call = .call, power = r$power, df = r$df)
}
add_mrss <- function(.name, .call, .fun, .what, ...) {
  sink(nullfile()); r <- do.call(.fun, list(...)); sink()
  out$mrss[[.name]] <<- list(call = .call, value = r[[.what]], df = r$df)
}

add_mdes("cra2_published_1", "mdes.cra2(rho2=.17, n=15, J=20)", mdes.cra2, rho2 = .17, n = 15, J = 20)
add_mdes("cra2_published_2", "mdes.cra2(rho2=.20, n=4, J=20)", mdes.cra2, rho2 = .20, n = 4, J = 20)
add_mdes("cra2_covariates", "mdes.cra2(rho2=.2, n=8, J=40, p=.4, g2=2, r21=.5, r22=.6, alpha=.01, power=.9)",
         mdes.cra2, rho2 = .2, n = 8, J = 40, p = .4, g2 = 2, r21 = .5, r22 = .6, alpha = .01, power = .9)
add_mdes("cra2_one_tailed", "mdes.cra2(rho2=.1, n=6, J=30, two.tailed=FALSE)",
         mdes.cra2, rho2 = .1, n = 6, J = 30, two.tailed = FALSE)
add_mdes("ira", "mdes.ira(n=200)", mdes.ira, n = 200)
add_mdes("ira_covariates", "mdes.ira(n=150, p=.4, g1=1, r21=.5, two.tailed=FALSE)",
         mdes.ira, n = 150, p = .4, g1 = 1, r21 = .5, two.tailed = FALSE)
add_mdes("bira2c1", "mdes.bira2c1(n=55, J=14)", mdes.bira2c1, n = 55, J = 14)
add_mdes("bira2f1", "mdes.bira2f1(n=10, J=20, r21=.3, g1=1)", mdes.bira2f1, n = 10, J = 20, r21 = .3, g1 = 1)
add_mdes("bira2r1", "mdes.bira2r1(rho2=.35, omega2=.10, n=83, J=480)",
         mdes.bira2r1, rho2 = .35, omega2 = .10, n = 83, J = 480)
add_mdes("bira2r1_covariates", "mdes.bira2r1(rho2=.2, omega2=.3, n=10, J=30, r21=.4, r2t2=.2, g2=1)",
         mdes.bira2r1, rho2 = .2, omega2 = .3, n = 10, J = 30, r21 = .4, r2t2 = .2, g2 = 1)
add_mdes("cra3", "mdes.cra3(rho3=.06, rho2=.17, n=15, J=3, K=60)",
         mdes.cra3, rho3 = .06, rho2 = .17, n = 15, J = 3, K = 60)
add_mdes("cra3_covariates", "mdes.cra3(rho3=.1, rho2=.15, n=6, J=2, K=40, r21=.3, r22=.4, r23=.5, g3=1, p=.6)",
         mdes.cra3, rho3 = .1, rho2 = .15, n = 6, J = 2, K = 40, r21 = .3, r22 = .4, r23 = .5, g3 = 1, p = .6)

add_power("cra2", "power.cra2(es=.5, rho2=.20, n=4, J=20)", power.cra2, es = .5, rho2 = .2, n = 4, J = 20)
add_power("cra2_one_tailed", "power.cra2(es=.3, rho2=.1, n=6, J=30, two.tailed=FALSE, r22=.5, g2=1)",
          power.cra2, es = .3, rho2 = .1, n = 6, J = 30, two.tailed = FALSE, r22 = .5, g2 = 1)
add_power("ira", "power.ira(es=.25, n=300)", power.ira, es = .25, n = 300)
add_power("bira2c1", "power.bira2c1(es=.2, n=55, J=14)", power.bira2c1, es = .2, n = 55, J = 14)
add_power("bira2r1", "power.bira2r1(es=.1, rho2=.35, omega2=.10, n=83, J=480)",
          power.bira2r1, es = .1, rho2 = .35, omega2 = .10, n = 83, J = 480)
add_power("cra3", "power.cra3(es=.3, rho3=.06, rho2=.17, n=15, J=3, K=60)",
          power.cra3, es = .3, rho3 = .06, rho2 = .17, n = 15, J = 3, K = 60)

add_mrss("cra2_J", "mrss.cra2(es=.25, rho2=.20, n=4)", mrss.cra2, "J", es = .25, rho2 = .2, n = 4)
add_mrss("cra2_J_cov", "mrss.cra2(es=.3, rho2=.15, n=10, r22=.5, g2=1)", mrss.cra2, "J",
         es = .3, rho2 = .15, n = 10, r22 = .5, g2 = 1)
add_mrss("ira_n", "mrss.ira(es=.25)", mrss.ira, "n", es = .25)
add_mrss("bira2c1_n", "mrss.bira2c1(es=.25, J=5)", mrss.bira2c1, "n", es = .25, J = 5)
add_mrss("bira2r1_J", "mrss.bira2r1(es=.25, rho2=.35, omega2=.10, n=83)", mrss.bira2r1, "J",
         es = .25, rho2 = .35, omega2 = .10, n = 83)
add_mrss("cra3_K", "mrss.cra3(es=.25, rho3=.06, rho2=.17, n=15, J=3)", mrss.cra3, "K",
         es = .25, rho3 = .06, rho2 = .17, n = 15, J = 3)

# Paired pre/post (one group measured twice; effect in SDs of the outcome, equal SD pre and
# post, pre-post correlation rho): SE of the standardised mean change = sqrt(2 (1 - rho) / n),
# df = n - 1; MDES multiplier as PowerUp! (Bloom 1995); power from the noncentral t.
paired <- function(n, rho, es, alpha = .05, power = .8) {
  sse <- sqrt(2 * (1 - rho) / n); df <- n - 1
  m <- qt(1 - alpha / 2, df) + qt(power, df)
  t1 <- qt(1 - alpha / 2, df)
  list(call = sprintf("paired(n=%g, rho=%g, es=%g, alpha=%g, power=%g)", n, rho, es, alpha, power),
       mdes = m * sse, df = df,
       power = 1 - pt(t1, df, es / sse) + pt(-t1, df, es / sse))
}
out$hand$paired_1 <- paired(40, .6, .3)
out$hand$paired_2 <- paired(12, .8, .5, alpha = .1, power = .9)

# DiD / ANCOVA / POST with m pre and r post waves (McKenzie 2012, J Dev Econ 99:210, eqs. for
# equicorrelated errors; Burlig, Preonas & Woerman 2020, J Dev Econ 144:102458, eq. 8 for an
# arbitrary within-unit covariance, here AR(1)); normal critical values; effect in SDs.
wave_cov <- function(m, r, rho, ar1) {
  tt <- 0:(m + r - 1)
  S <- if (ar1) rho^abs(outer(tt, tt, "-")) else { S <- matrix(rho, m + r, m + r); diag(S) <- 1; S }
  pre <- 1:m; post <- (m + 1):(m + r)
  list(vpre = mean(S[pre, pre]), vpost = mean(S[post, post]), cx = mean(S[pre, post]))
}
did <- function(J, m, r, rho, ar1 = FALSE, estimator = "did", P = .5, alpha = .05, power = .8) {
  w <- wave_cov(m, r, rho, ar1)
  v <- switch(estimator, did = w$vpre + w$vpost - 2 * w$cx,
              ancova = w$vpost - w$cx^2 / w$vpre, post = w$vpost)
  sse <- sqrt(v / (P * (1 - P) * J))
  list(call = sprintf("did(J=%g, pre=%g, post=%g, rho=%g, ar1=%s, estimator='%s', P=%g, alpha=%g, power=%g)",
                      J, m, r, rho, ar1, estimator, P, alpha, power),
       mdes = (qnorm(1 - alpha / 2) + qnorm(power)) * sse, sse = sse)
}
# McKenzie's closed forms for equicorrelation, as a cross-check of the covariance averages
mck <- function(m, r, rho) c(did = (1 + (m - 1) * rho) / m + (1 + (r - 1) * rho) / r - 2 * rho,
                             ancova = (1 + (r - 1) * rho) / r - m * rho^2 / (1 + (m - 1) * rho))
stopifnot(abs(wave_cov(3, 4, .5, FALSE)$vpre + wave_cov(3, 4, .5, FALSE)$vpost -
              2 * .5 - mck(3, 4, .5)[["did"]]) < 1e-12)
out$hand$did_constant <- did(100, 3, 4, .5)
out$hand$ancova_constant <- did(100, 3, 4, .5, estimator = "ancova")
out$hand$post_constant <- did(100, 3, 4, .5, estimator = "post")
out$hand$did_ar1 <- did(80, 2, 3, .7, ar1 = TRUE, P = .4)
out$hand$ancova_ar1 <- did(80, 2, 3, .7, ar1 = TRUE, estimator = "ancova", alpha = .1, power = .9)
out$hand$did_2wave <- did(60, 1, 3, .3)

# Optimal allocation for cra2 under a budget (Raudenbush 1997, Psych Methods 2:173, eq. 20):
# n* = sqrt(cost_cluster / cost_person * (1 - rho) / rho) with covariates
# n* = sqrt(c2/c1 * (1 - rho)(1 - R2_1) / (rho (1 - R2_2)))
out$hand$raudenbush_n <- list(call = "c2=2000, c1=50, rho=.15, r21=.3, r22=.5",
                              n = sqrt(2000 / 50 * (1 - .15) * (1 - .3) / (.15 * (1 - .5))))

writeLines(toJSON(out, auto_unbox = TRUE, digits = NA, pretty = TRUE),
           file.path(dirname(sub("--file=", "", grep("--file=", commandArgs(FALSE), value = TRUE))),
                     "power_powerupr.json"))
