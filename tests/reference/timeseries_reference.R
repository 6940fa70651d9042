# Reference values for coachstats.timeseries.interrupted.
# Run from the repository root:  Rscript tests/reference/timeseries_reference.R
# Data: tests/reference/timeseries_its.csv =
#   coachstats.simulate.engagement_series(n_donors=0, factor_sd=0.0, rng=2)$data[, c("wave", "engagement")]
suppressPackageStartupMessages({library(sandwich); library(lmtest); library(jsonlite)})
d <- read.csv("tests/reference/timeseries_its.csv")
t0 <- 13
d$tc <- d$wave - t0
d$post <- as.numeric(d$wave >= t0)
d$tc_post <- d$tc * d$post
fit <- lm(engagement ~ tc + post + tc_post, data = d)
coefs <- function(V) {
  ct <- coeftest(fit, vcov. = V)
  list(estimate = unname(ct[, 1]), std_error = unname(ct[, 2]), p_value = unname(ct[, 4]))
}
hac2 <- NeweyWest(fit, lag = 2, prewhite = FALSE, adjust = TRUE)
hac4 <- NeweyWest(fit, lag = 4, prewhite = FALSE, adjust = TRUE)
X <- model.matrix(fit)
ar1 <- arima(d$engagement, order = c(1, 0, 0), xreg = X, include.mean = FALSE, method = "ML")
arma11 <- arima(d$engagement, order = c(1, 0, 1), xreg = X, include.mean = FALSE, method = "ML")
g <- function(a, k) list(estimate = unname(coef(a)[k]), std_error = unname(sqrt(diag(a$var.coef))[k]))
out <- list(
  order = c("intercept", "pre_slope", "level_change", "slope_change"),
  ols = coefs(vcov(fit)), hac_lag2 = coefs(hac2), hac_lag4 = coefs(hac4),
  arma_1_0 = g(ar1, colnames(X)), arma_1_0_ar = unname(coef(ar1)["ar1"]),
  arma_1_1 = g(arma11, colnames(X)),
  provenance = list(R = R.version.string, sandwich = as.character(packageVersion("sandwich")),
                    calls = c("lm(engagement ~ tc + post + tc_post)  # tc = wave - 13",
                              "coeftest(fit, vcov. = NeweyWest(fit, lag = L, prewhite = FALSE, adjust = TRUE))",
                              "arima(y, order = c(1, 0, 0), xreg = model.matrix(fit), include.mean = FALSE, method = 'ML')",
                              "arima(y, order = c(1, 0, 1), xreg = model.matrix(fit), include.mean = FALSE, method = 'ML')")))
writeLines(toJSON(out, digits = NA, auto_unbox = TRUE, pretty = TRUE),
           "tests/reference/timeseries_reference.json")
# AR(1) errors by REML (nlme, a recommended package shipped with R)
suppressPackageStartupMessages(library(nlme))
out <- fromJSON("tests/reference/timeseries_reference.json")
g1 <- gls(engagement ~ tc + post + tc_post, data = d, correlation = corAR1(form = ~ wave),
          method = "REML", control = glsControl(tolerance = 1e-12, msTol = 1e-14,
                                                 returnObject = TRUE))
out$gls_ar1_reml <- list(estimate = unname(coef(g1)),
                         std_error = unname(sqrt(diag(vcov(g1)))),
                         phi = unname(coef(g1$modelStruct$corStruct, unconstrained = FALSE)))
out$provenance$nlme <- as.character(packageVersion("nlme"))
out$provenance$calls <- c(out$provenance$calls,
  "gls(engagement ~ tc + post + tc_post, correlation = corAR1(form = ~ wave), method = 'REML')")
writeLines(toJSON(out, digits = NA, auto_unbox = TRUE, pretty = TRUE),
           "tests/reference/timeseries_reference.json")
