# Reference values for coachstats.survey (proportion, published_proportion, rake).
# Run from the repository root:  Rscript tests/reference/survey_reference.R
# Data: tests/reference/survey_exit.csv = coachstats.simulate.exit_survey(rng=3)$data
# (694 respondents of 1,500 leavers); population totals below are that draw's truth.margins.
suppressPackageStartupMessages({library(survey); library(jsonlite)})
d <- read.csv("tests/reference/survey_exit.csv", stringsAsFactors = FALSE)
d$base_w <- 1 + (seq_len(nrow(d)) - 1) %% 3          # arbitrary design weights 1, 2, 3, 1, ...
out <- list()
ci <- function(x) unname(as.numeric(x))
# unweighted: Wilson = prop.test(correct = FALSE), Clopper-Pearson = binom.test
cases <- list(c(42, 100), c(0, 10), c(10, 10), c(3, 17), c(sum(d$preventable), nrow(d)))
out$unweighted <- lapply(cases, function(k) list(
  x = k[1], n = k[2],
  wilson = ci(prop.test(k[1], k[2], correct = FALSE)$conf.int),
  wilson90 = ci(prop.test(k[1], k[2], correct = FALSE, conf.level = 0.9)$conf.int),
  clopper_pearson = ci(binom.test(k[1], k[2])$conf.int)))
# weighted, fixed design weights
des <- svydesign(ids = ~1, weights = ~base_w, data = d)
m <- svymean(~preventable, des)
cp <- svyciprop(~preventable, des, method = "beta")
out$weighted <- list(estimate = ci(coef(m)), std_error = ci(SE(m)), beta = ci(confint(cp)))
sub <- subset(des, tenure_band == "<1y")
ms <- svymean(~preventable, sub)
out$weighted_band_lt1 <- list(estimate = ci(coef(ms)), std_error = ci(SE(ms)),
                              beta = ci(confint(svyciprop(~preventable, sub, method = "beta"))))
# raking to the population totals (unit base weights)
pop_band <- data.frame(tenure_band = c("<1y", "1-3y", "3y+"), Freq = c(525, 600, 375))
pop_level <- data.frame(level = c("individual", "manager"), Freq = c(1275, 225))
d0 <- svydesign(ids = ~1, weights = ~1, data = d)
rk <- rake(d0, list(~tenure_band, ~level), list(pop_band, pop_level),
           control = list(maxit = 1000, epsilon = 1e-13, verbose = FALSE))
w <- weights(rk)
out$raked_weights <- ci(w)
fixed <- svydesign(ids = ~1, weights = ~w, data = transform(d, w = w))
mr <- svymean(~preventable, fixed)
out$raked_fixed <- list(estimate = ci(coef(mr)), std_error = ci(SE(mr)),
                        beta = ci(confint(svyciprop(~preventable, fixed, method = "beta"))))
# raking with base weights
d1 <- svydesign(ids = ~1, weights = ~base_w, data = d)
rk1 <- rake(d1, list(~tenure_band, ~level), list(pop_band, pop_level),
            control = list(maxit = 1000, epsilon = 1e-13, verbose = FALSE))
out$raked_weights_base <- ci(weights(rk1))
out$provenance <- list(
  R = R.version.string, survey = as.character(packageVersion("survey")),
  calls = c("prop.test(x, n, correct = FALSE)$conf.int", "binom.test(x, n)$conf.int",
            "svymean(~preventable, svydesign(ids = ~1, weights = ~base_w, data = d))",
            "svyciprop(~preventable, design, method = 'beta')",
            "subset(design, tenure_band == '<1y')",
            "rake(svydesign(ids = ~1, weights = ~1), list(~tenure_band, ~level), list(pop_band, pop_level), control = list(maxit = 1000, epsilon = 1e-13))"))
writeLines(toJSON(out, digits = NA, auto_unbox = TRUE, pretty = TRUE),
           "tests/reference/survey_reference.json")
